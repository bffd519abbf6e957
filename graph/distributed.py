"""The read stage of a build on a Dask cluster (``dask.distributed``).

Reading and normalising one file (:func:`graph.reader.read_file`) depends on
that file alone, so it spreads over any number of Dask workers. Everything
after it (merging, resolving identities, exports) stays in the calling
process, in input order: a distributed build's output is byte-identical to a
single-process one.

:func:`dask_reader` connects to a running scheduler (``scheduler=ADDRESS``,
e.g. ``tcp://10.0.0.5:8786``) or starts a local cluster of ``workers``
processes, and yields a ``reader`` for :func:`graph.build`::

    with dask_reader(workers=4) as reader:
        kg = graph.build(["corpus/"], reader=reader)

Workers read the files themselves, so every worker must see the inputs at the
same path as the client (a shared or synchronised file system) and have
newsgraph installed; both are checked before any work is sent.

Dask is optional: ``pip install 'newsgraph[dask]'``.
"""

from __future__ import annotations

import contextlib
import os
from typing import Callable, Iterable, Iterator

from .children import usable_cores
from .errors import DistributedError, SchedulerAddressError
from .reader import ParsedFile, chunked, iter_read

__all__ = ["DistributedError", "Reader", "cluster_reader", "dask_reader", "read_chunk", "chunked"]

#: ``reader(files, fast_yaml, progress)``: what :func:`graph.build` accepts as ``reader``.
Reader = Callable[[list[tuple[str, bool]], bool, Callable[[int, int], None] | None], Iterable[ParsedFile]]


def read_chunk(files: list[tuple[str, bool]], fast: bool) -> list[ParsedFile]:
    """Read a list of ``(path, explicit)`` files (one Dask task)."""
    return list(iter_read(files, fast=fast))


def _missing_folders(folders: list[str]) -> list[str]:
    """The folders this worker cannot see (runs on every worker)."""
    return [f for f in folders if not os.path.isdir(f)]


def _import_distributed():
    try:
        import distributed
    except ImportError as err:
        raise DistributedError("a distributed build needs Dask: pip install 'newsgraph[dask]' "
                               "(or dask[distributed])") from err
    return distributed


def _check_listening(scheduler: str, host: str, port: int, timeout: float, handshake: float) -> None:
    """Raise :class:`DistributedError` at once when nothing can listen at
    ``host:port`` (a refused connection, an unknown host name), and after
    ``handshake`` seconds when what listens there sends no Dask handshake.

    Why: Dask's client tries again and again until its timeout, so a
    mistyped port took 30 s to be reported; and given another service (a web
    server, say), which waits for its client to speak first, the client
    waited for ever, past its timeout, and even Ctrl-C left the process
    hanging a minute more. A Dask scheduler speaks first: it sends its
    handshake as soon as a connection is made. A connection that is slow to
    be made is left to the client and its timeout.
    """
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(handshake)
            try:
                first = sock.recv(1)
            except socket.timeout:
                raise DistributedError(f"cannot reach the Dask scheduler at {scheduler}: what listens at "
                                       f"{host}:{port} sent no Dask handshake in {handshake:g} s (another "
                                       "service?)") from None
            except OSError:
                return  # reset, say: left to the client, which says so
            if not first:
                raise DistributedError(f"cannot reach the Dask scheduler at {scheduler}: what listens at "
                                       f"{host}:{port} closed the connection without a Dask handshake")
    except ConnectionRefusedError as err:
        raise DistributedError(f"cannot reach the Dask scheduler at {scheduler}: nothing listens at "
                               f"{host}:{port} (connection refused)") from err
    except socket.gaierror as err:
        raise DistributedError(f"cannot reach the Dask scheduler at {scheduler}: unknown host {host!r} "
                               f"({err.strerror or err})") from err
    except OSError:
        pass  # unreachable for now, or slow: the client waits its timeout


@contextlib.contextmanager
def dask_reader(scheduler: str | None = None, workers: int | None = None, *,
                timeout: float = 30) -> Iterator[Reader]:
    """A Dask client for the read stage, as a ``reader`` for :func:`graph.build`.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    workers : int, optional
        Without ``scheduler``: worker processes of a local cluster (default:
        one per core). The local cluster listens on 127.0.0.1 only and is shut
        down on exit.
    timeout : float
        Seconds to wait for the scheduler.

    Yields
    ------
    callable
        ``reader(files, fast_yaml, progress)`` returning the parsed files in input order.

    Raises
    ------
    DistributedError
        When Dask is not installed, the scheduler cannot be reached, or a
        worker cannot see the input folders.
    """
    distributed = _import_distributed()
    if scheduler is not None and workers is not None:
        raise DistributedError("give either a scheduler address or a number of local workers, not both")
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            n = workers or usable_cores()
            if n < 1:
                raise DistributedError("the number of workers must be at least 1")
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", silence_logs=40))
            address = cluster
        else:
            address = scheduler
            try:  # before a Client exists: one made from a bad address hangs the interpreter's exit
                host, port = distributed.comm.get_address_host_port(scheduler)
            except ValueError as err:
                raise SchedulerAddressError(f"not a Dask scheduler address: {scheduler!r} ({err}); "
                                            "e.g. tcp://10.0.0.5:8786") from err
            if distributed.comm.parse_address(scheduler)[0] in ("tcp", "tls"):
                _check_listening(scheduler, host, port, min(timeout, 5), timeout)
        try:
            client = stack.enter_context(distributed.Client(address, timeout=timeout,
                                                            set_as_default=False))
        except (OSError, TimeoutError, ValueError) as err:
            raise DistributedError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err

        def reader(files: list[tuple[str, bool]], fast: bool,
                   progress: Callable[[int, int], None] | None) -> Iterator[ParsedFile]:
            if not files:
                return
            # As given (not made absolute): checked exactly as the workers will open them.
            folders = sorted({os.path.dirname(p) or "." for p, _ in files})
            try:
                client.wait_for_workers(1, timeout=timeout)
            except (OSError, TimeoutError) as err:
                raise DistributedError(f"the Dask cluster at {client.scheduler.address} has no workers "
                                       f"(waited {timeout:g} s)") from err
            try:
                seen = client.run(_missing_folders, folders)
            except Exception as err:  # e.g. a worker without newsgraph cannot unpickle the check
                raise DistributedError(f"cannot run newsgraph on the Dask workers ({type(err).__name__}: {err}); "
                                       "install the same newsgraph version on every worker") from err
            missing = {w: m for w, m in seen.items() if m}
            if missing:
                worker, folders_missing = sorted(missing.items())[0]
                others = f" and {len(folders_missing) - 1} other folder(s)" if len(folders_missing) > 1 else ""
                raise DistributedError(
                    f"Dask worker {worker} cannot see {folders_missing[0]}{others}; "
                    "every worker must see the inputs at the same path as this machine")
            tasks = chunked(files, len(client.scheduler_info()["workers"]) or 1)
            futures = client.map(read_chunk, tasks, fast=fast, pure=False)
            done = 0
            # Results are taken in input order, so scheduling never changes the output.
            for task, future in zip(tasks, futures):
                try:
                    parsed = future.result()
                except Exception as err:  # read_file never raises for bad input: this is the cluster
                    raise DistributedError(f"the Dask cluster failed while reading {task[0][0]} and "
                                           f"{len(task) - 1} more file(s): {type(err).__name__}: {err}") from err
                yield from parsed
                done += len(parsed)
                if progress:
                    progress(done, len(files))

        yield reader


@contextlib.contextmanager
def cluster_reader(scheduler: str | None = None, workers: int | None = None) -> Iterator[Reader | None]:
    """:func:`dask_reader` when ``scheduler`` or ``workers`` is given, else ``None`` (the built-in reader).

    >>> with cluster_reader() as reader:
    ...     print(reader)
    None
    """
    if scheduler is None and workers is None:
        yield None
        return
    with dask_reader(scheduler, workers) as reader:
        yield reader
