"""Serving a build as a SPARQL 1.1 endpoint with the Oxigraph server.

``newsgraph serve`` loads the build's RDF (``graph.nt``, else ``graph.ttl``)
into an Oxigraph store on disk (by default ``<exports>/sparql-store/``) and
starts the ``oxigraph`` command from the PyPI package ``oxigraph`` on it:
``serve-read-only`` by default, ``serve`` (which accepts SPARQL Update and
Graph Store writes) with ``allow_update=True``. Oxigraph listens on a random
loopback address and port of its own (:func:`behind_address`), behind a front
(:mod:`graph.origin_guard`) that listens where asked and refuses the requests
pages on other web sites make.

A TriG or N-Quads file keeps its named graphs (TriG's one per source file)
and is served with Oxigraph's union default graph, so a query without
``GRAPH`` sees every triple, as ``newsgraph query`` does with the same file.

The store is reused while the RDF file it was loaded from is unchanged: a
marker file inside the store records the file's SHA-256, written only once
the load has finished, so an interrupted load is never mistaken for a
complete one. A new store is loaded beside the old one and swapped in.

Examples
--------
>>> print(curl_example("http://127.0.0.1:7878/query"))  # doctest: +NORMALIZE_WHITESPACE
curl -s http://127.0.0.1:7878/query \\
  -H 'Accept: application/sparql-results+json' \\
  --data-urlencode 'query=SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }'
>>> bind_address("::1", 7878)
'[::1]:7878'
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .errors import ServeError
from .origin_guard import OriginGuard, address_family

__all__ = [
    "ServeError",
    "SparqlServer",
    "RDF_FILES",
    "STORE_DIRNAME",
    "behind_address",
    "bind_address",
    "curl_example",
    "find_oxigraph",
    "find_rdf_source",
    "free_port",
    "is_dataset_store",
    "is_serve_store",
    "may_hold_updates",
    "prepare_store",
    "select",
]

#: RDF files of a build that can be served, in order of preference.
RDF_FILES: tuple[str, ...] = ("graph.nt", "graph.ttl")
#: The store's folder inside the exports folder, unless another is given.
STORE_DIRNAME = "sparql-store"
_MARKER = "newsgraph-store.json"
_COUNT_QUERY = "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"
#: Where the oxigraph process listens, behind the front, where no other loopback address can be had.
_BEHIND_HOST = "127.0.0.1"


def find_oxigraph(command: str | None = None) -> str:
    """The path of the ``oxigraph`` command (or of ``command``).

    Raises
    ------
    ServeError
        When it is not installed.
    """
    found = shutil.which(command or "oxigraph")
    if found is None:
        raise ServeError(f"the {command or 'oxigraph'!r} command was not found: install it with "
                         "`pip install oxigraph` (the Oxigraph server) and make sure it is on PATH")
    return found


def find_rdf_source(source: str | os.PathLike) -> Path:
    """The RDF file to serve: ``source`` itself, or the build's RDF file in folder ``source``.

    Raises
    ------
    ServeError
        When there is no such file.
    """
    path = Path(source)
    if path.is_dir():
        for name in RDF_FILES:
            if (path / name).is_file():
                return path / name
        raise ServeError(f"{path}: no {' or '.join(RDF_FILES)} in this folder; "
                         f"write one with `newsgraph build -f nt -o {path}`")
    if not path.is_file():
        raise ServeError(f"{path}: no such file or folder")
    from .errors import QueryError
    from .query import rdf_format

    try:
        rdf_format(path)  # an RDF file: not graph.json, not graph.html
    except QueryError as err:
        raise ServeError(str(err)) from err
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_marker(store: Path) -> dict[str, Any] | None:
    try:
        return json.loads((store / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def may_hold_updates(store: str | os.PathLike) -> bool:
    """Whether the store made by :func:`prepare_store` was served with
    ``allow_update`` since it was loaded: it may hold changes its RDF file
    does not (kept until the next load)."""
    marker = _read_marker(Path(store))
    return bool(marker and marker.get("opened_for_updates"))


def _mark_opened_for_updates(store: Path) -> None:
    """Record in the store's marker that it is served with updates allowed (see :func:`may_hold_updates`)."""
    marker = _read_marker(store)
    if marker is None or marker.get("opened_for_updates"):
        return
    try:
        _write_marker(store, {**marker, "opened_for_updates": True})
    except OSError as err:
        raise ServeError(f"cannot write the store {store}: {err.strerror or err}") from err


def _write_marker(store: Path, marker: dict[str, Any]) -> None:
    """Write the store's marker (:func:`_read_marker` reads it), whole or not at all."""
    from .export.files import atomic_writer

    with atomic_writer(store / _MARKER) as fh:
        fh.write(json.dumps(marker, indent=2) + "\n")


def is_serve_store(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a store :func:`prepare_store` made (its marker vouches for what it
    holds, so nothing else may load into it)."""
    return (Path(folder) / _MARKER).is_file()


def is_dataset_store(store: str | os.PathLike) -> bool:
    """Whether ``store`` (made by :func:`prepare_store`) was loaded from TriG or
    N-Quads: its triples then sit in named graphs, and the server's default
    graph must be their union for queries without ``GRAPH`` to see them."""
    marker = _read_marker(Path(store))
    return bool(marker and marker.get("dataset"))


def _oxigraph_error(stderr: str) -> str:
    """The meaningful lines of oxigraph's stderr (its ``Error:`` line, without the backtrace)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    if errors:
        return "; ".join(dict.fromkeys(errors))
    return lines[-1] if lines else "no message"


def prepare_store(source: str | os.PathLike, store: str | os.PathLike | None = None, *,
                  reload: bool = False, oxigraph: str | None = None) -> Path:
    """Load the build's RDF into an Oxigraph store, unless it already holds it.

    Parameters
    ----------
    source : path
        An exports folder (holding ``graph.nt`` or ``graph.ttl``) or an RDF file.
    store : path, optional
        The store's folder; default ``sparql-store`` beside the RDF file.
    reload : bool
        Load again even when the store holds this very file.
    oxigraph : str, optional
        The ``oxigraph`` command to use.

    Returns
    -------
    Path
        The store's folder.

    Raises
    ------
    ServeError
        When the file is missing or invalid, or the store cannot be written.
    """
    import pyoxigraph as ox

    from .query import rdf_format

    rdf = find_rdf_source(source)
    dataset = rdf_format(rdf) in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)
    store = Path(store) if store is not None else rdf.parent / STORE_DIRNAME
    digest = _sha256(rdf)
    marker = _read_marker(store)
    # (a marker from before "dataset" was recorded means one reload)
    if not reload and marker is not None and marker.get("sha256") == digest and marker.get("dataset") == dataset:
        return store
    if marker is None and store.exists() and (not store.is_dir() or any(store.iterdir())):
        # Never replace (and so delete) a folder newsgraph did not create.
        raise ServeError(f"{store}: exists and is not a store made by newsgraph serve; "
                         "choose another --store or remove it")
    command = find_oxigraph(oxigraph)
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        loading = Path(tempfile.mkdtemp(prefix=f".{store.name}.loading-", dir=store.parent))
    except OSError as err:
        raise ServeError(f"cannot create the store beside {store}: {err.strerror or err}") from err
    try:
        done = subprocess.run([command, "load", "--location", str(loading), "--file", str(rdf)],
                              capture_output=True, text=True, errors="replace")
        if done.returncode != 0:
            raise ServeError(f"{rdf}: oxigraph could not load it: {_oxigraph_error(done.stderr)}")
        # Written last: a store without it is an unfinished load.
        _write_marker(loading, {"source": str(rdf.resolve()), "sha256": digest, "dataset": dataset})
        old = None
        if store.exists():
            old = store.with_name(f".{store.name}.old-{os.getpid()}")
            os.replace(store, old)
        os.replace(loading, store)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        raise ServeError(f"cannot write the store {store}: {err.strerror or err}") from err
    finally:
        shutil.rmtree(loading, ignore_errors=True)
    return store


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now (:class:`ServeError` if none can be had there).

    >>> 0 < free_port() < 65536
    True
    """
    family = address_family(host)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, 0))
        except OSError as err:  # socket.gaierror too: a host name that does not resolve
            raise ServeError(f"cannot listen on {host}: {err.strerror or err}") from err
        return sock.getsockname()[1]


def behind_address() -> tuple[str, int]:
    """A free port on a random address of the loopback network (``127.0.0.0/8``), where
    the Oxigraph server listens behind the front.

    The front cannot guard Oxigraph's own port, and a web page can send a form POST
    to any address it names: on ``127.0.0.1`` a page trying every port could find
    it, among 2**40 pairs of address and port it would not. Where only
    ``127.0.0.1`` is configured (macOS), that address.

    >>> host, port = behind_address()
    >>> host.startswith("127.") and 0 < port < 65536
    True
    """
    # Neither the network's first address nor its last (its broadcast address), nor 127.0.0.1
    number = 0x7F000002 + secrets.randbelow(0xFFFFFF - 2)
    host = socket.inet_ntoa(number.to_bytes(4, "big"))
    try:
        return host, free_port(host)
    except ServeError:  # not configured here (EADDRNOTAVAIL)
        return _BEHIND_HOST, free_port(_BEHIND_HOST)


def _check_port_free(host: str, port: int) -> None:
    family = address_family(host)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As the server itself does: connections of a previous server in TIME_WAIT do not
        # block the port, a listening socket does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is already in use (another server?); "
                                 "choose another with --port, or --port 0 for any free port") from err
            raise ServeError(f"cannot listen on {host}:{port}: {err.strerror or err}") from err


def bind_address(host: str, port: int) -> str:
    """``host:port`` as oxigraph's ``--bind`` wants it (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def curl_example(query_url: str) -> str:
    """A ready-to-paste ``curl`` command that counts the endpoint's triples."""
    return (f"curl -s {query_url} \\\n"
            "  -H 'Accept: application/sparql-results+json' \\\n"
            f"  --data-urlencode 'query={_COUNT_QUERY}'")


def select(query_url: str, query: str, *, timeout: float = 60) -> list[dict[str, str]]:
    """Run a SPARQL SELECT over HTTP (SPARQL 1.1 Protocol); rows of plain values.

    Raises
    ------
    ServeError
        When the endpoint cannot be reached or refuses the query.
    """
    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(query_url, data=body, headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            results = json.load(response)
    except urllib.error.HTTPError as err:
        raise ServeError(f"{query_url} refused the query: HTTP {err.code} "
                         f"{err.read().decode('utf-8', 'replace').strip()[:500]}") from err
    except (urllib.error.URLError, OSError) as err:
        raise ServeError(f"cannot reach {query_url}: {getattr(err, 'reason', err)}") from err
    return [{name: cell["value"] for name, cell in row.items()} for row in results["results"]["bindings"]]


def check_host(host: str) -> None:
    """Refuse an empty ``host``: Python's servers take ``""`` for every address,
    so a server meant for this machine listened to the whole network.

    >>> check_host("")
    Traceback (most recent call last):
    ...
    graph.errors.ServeError: an empty host: give the address to listen on (127.0.0.1: this machine only; 0.0.0.0 or :: for every network)
    """
    if not host.strip():
        raise ServeError("an empty host: give the address to listen on (127.0.0.1: this machine only; "
                         "0.0.0.0 or :: for every network)")


class SparqlServer:
    """An ``oxigraph`` server process on a store: start, wait until it listens, stop.

    Use it as a context manager; the process is stopped on exit.

    Parameters
    ----------
    store : path
        An Oxigraph store folder (see :func:`prepare_store`).
    host : str
        Address to listen on; ``127.0.0.1`` keeps it on this machine.
    port : int
        Port; 0 picks a free one.
    allow_update : bool
        Accept SPARQL Update and Graph Store writes (``oxigraph serve``);
        otherwise the server is read-only (``oxigraph serve-read-only``).
    cors : bool
        Allow requests from pages on other web sites (browser tools such as
        YASGUI); refused otherwise (see :mod:`graph.origin_guard`).
    oxigraph : str, optional
        The ``oxigraph`` command to use.
    startup_timeout : float
        Seconds to wait for the server to listen.
    """

    def __init__(self, store: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 7878,
                 allow_update: bool = False, cors: bool = False, oxigraph: str | None = None,
                 startup_timeout: float = 60) -> None:
        check_host(host)
        self.store = Path(store)
        self.host = host
        self.port = port
        self.allow_update = allow_update
        self.cors = cors
        self.command = oxigraph
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self._front: OriginGuard | None = None
        #: Where the Oxigraph process listens, behind the front (:func:`behind_address`).
        self.behind: tuple[str, int] | None = None
        self._stderr: Any = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def query_url(self) -> str:
        """The SPARQL 1.1 Protocol query endpoint."""
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        """The SPARQL 1.1 Update endpoint (refused unless ``allow_update``)."""
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        """The SPARQL 1.1 Graph Store HTTP Protocol endpoint."""
        return self.base_url + "/store"

    def start(self) -> "SparqlServer":
        """Start the server and return once it accepts connections.

        Raises
        ------
        ServeError
            When ``oxigraph`` is missing, the port is busy, the store is
            missing or locked, or the server does not come up in time.
        """
        command = find_oxigraph(self.command)
        if not self.store.is_dir():
            raise ServeError(f"{self.store}: no such store folder")
        if self.port == 0:
            self.port = free_port(self.host)
        _check_port_free(self.host, self.port)
        mode = "serve" if self.allow_update else "serve-read-only"
        if self.allow_update:
            _mark_opened_for_updates(self.store)
        # Oxigraph listens on a loopback address and port of its own, behind the front
        # (graph.origin_guard), which listens where asked and refuses the requests other
        # web sites make.
        self.behind = behind = behind_address()
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.process = subprocess.Popen(
            [command, mode, "--location", str(self.store), "--bind", bind_address(*behind)]
            + (["--cors"] if self.cors else [])
            + (["--union-default-graph"] if is_dataset_store(self.store) else []),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr)
        try:
            self._wait_until_listening(behind)
            try:
                self._front = OriginGuard(self.host, self.port, behind, cors=self.cors).start()
            except OSError as err:  # taken between the check and now
                raise ServeError(f"cannot listen on {self.host}:{self.port}: {err.strerror or err}") from err
        except BaseException:
            # Whatever stopped the start (an error, or Ctrl-C while a store opened: 5 to 19 s
            # for one written through --allow-update), the server goes too: it was left
            # running, holding the store and the port, with no parent.
            self.stop()
            raise
        return self

    def _wait_until_listening(self, address: tuple[str, int]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:  # type: ignore[union-attr]
                raise ServeError(f"the oxigraph server on {self.store} stopped at once: {self._read_stderr()}")
            with contextlib.suppress(OSError):
                with socket.create_connection(address, timeout=1):
                    return
            if time.monotonic() > deadline:
                raise ServeError(f"the oxigraph server did not listen on {self.base_url} "
                                 f"within {self.startup_timeout:g} s")
            time.sleep(0.05)

    def _read_stderr(self) -> str:
        if self._stderr is None:
            return "no message"
        self._stderr.seek(0)
        return _oxigraph_error(self._stderr.read())

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> int:
        """Block until the server exits; its exit status."""
        if self.process is None:
            raise ServeError("the server is not started: call start() first")
        return self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        """Stop the server: SIGINT (as Ctrl-C would), then SIGTERM, then SIGKILL.

        SIGINT is skipped when this process ignores it (a job started with
        ``&`` or ``nohup``): the server inherited that, and would only have
        been waited for in vain.
        """
        front, self._front = self._front, None
        if front is not None:
            front.stop()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            for sig in (signal.SIGTERM, signal.SIGKILL) if ignored else (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                try:
                    process.wait(timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def triple_count(self) -> int:
        """How many triples the default graph holds, asked over HTTP."""
        return int(select(self.query_url, _COUNT_QUERY)[0]["triples"])

    def __enter__(self) -> "SparqlServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
