"""Cache files written off the build's critical path, in forked processes."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Callable

from ..children import die_with_parent, let_through, signals_held

__all__ = ["BackgroundWrites"]


class BackgroundWrites:
    """Cache files written off the build's critical path.

    Saving the file cache (0.2 s on the real corpus) and the graph snapshot
    (0.15 s) was pure overhead of ``newsgraph build``:

    * :meth:`start` runs a write in a forked process at once: the file cache
      is written so while the graph is resolved (one core is idle then);
    * :meth:`defer` keeps a write for later: the snapshot is written by
      whichever exporting process is free first once no format is left to
      write, while the other may still write its last
      (:func:`graph.export.write_exports`, ``beside``).

    Both cost memory at the build's peak: a forked process copies every page
    it touches (+500 MB of tree PSS at 100,000 synthetic files), so for builds
    of more than ``overlap_max_files`` input files :meth:`start` runs the
    write here at once, as without this class. Pickling the graph beside the
    exports holds its memo while both exporting processes live (about +100
    MB of summed RSS at 100,000 files, where the page's process writes it
    before touching the whole graph for ``graph.json`` and the articles are
    pickled in chunks: see :func:`graph.export.write_exports` and
    :data:`SNAPSHOT_CHUNK`): that one is kept, since it hides 4 s of a build
    on both cores.

    Leaving the ``with`` block runs what is still deferred (unless it is left
    by an exception) and waits for the forked writes, so a command ends only
    once they are done. A write that fails only costs time on the next build
    (each cache file is checked when loaded, and written atomically), so a
    failure is not an error. Without ``os.fork``, or when ``enabled`` is
    false (``--jobs 1``; a library caller, since forking a notebook kernel is
    not safe), :meth:`start` runs the write at once, here. A forked writer
    never writes to the terminal, so a progress bar's thread cannot hold a
    lock it needs.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with BackgroundWrites() as bg:
    ...         bg.start(lambda: pathlib.Path(tmp, "a").write_text("forked"), files=10)
    ...         bg.defer(lambda: pathlib.Path(tmp, "b").write_text("deferred"), files=10)
    ...     sorted(p.read_text() for p in pathlib.Path(tmp).iterdir())
    ['deferred', 'forked']
    """

    #: Above this many input files, every write runs at once, in this process.
    overlap_max_files = 20_000

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and hasattr(os, "fork")
        self.pids: list[int] = []
        self.threads: list[threading.Thread] = []
        self.deferred: list[Callable[[], object]] = []
        #: While true, light writes wait for :meth:`release` (or the end).
        self.holding = False
        self.held: list[Callable[[], object]] = []

    def start(self, write: Callable[[], object], *, files: int, light: bool = False) -> None:
        """Run ``write()`` (for a build of ``files`` input files) in a forked
        process, or here (see the class). A ``light`` write (mostly the kernel
        copying bytes: a patched rebuild's, see :mod:`graph.incremental`) runs
        in a thread: forking costs more than it does."""
        if not self.enabled or (files > self.overlap_max_files and not light):
            self._now(write)
            return
        if light:
            self.held.append(write)
            if not self.holding:
                self.release()
            return
        parent = os.getpid()
        with signals_held({signal.SIGTERM}):  # until the child stands in its try
            pid = os.fork()
        if pid == 0:  # the child: write, then leave without running the parent's exit handlers
            status = 1
            try:
                let_through({signal.SIGTERM})  # the command line's handler: what is written is removed
                die_with_parent(parent)  # a killed build takes it along (graph.children)
                write()
                status = 0
            finally:
                os._exit(status)
        self.pids.append(pid)

    def release(self) -> None:
        """Stop :attr:`holding`, and start the light writes held, each in a thread.

        Why hold them: a patched rebuild starts one thread per file it patches,
        and each start waits for the GIL, which the cache writes' pickling
        holds; started after those threads, they ran beside them instead of
        delaying them (by 10 ms per thread started).
        """
        self.holding = False
        while self.held:
            thread = threading.Thread(target=self._quietly, args=(self.held.pop(0),), name="newsgraph-cache-write")
            thread.start()
            self.threads.append(thread)

    def defer(self, write: Callable[[], object], *, files: int) -> None:
        """Keep ``write`` (for a build of ``files`` input files) for :meth:`take`
        or for the end of the ``with`` block."""
        self.deferred.append(write)

    @staticmethod
    def _now(write: Callable[[], object]) -> None:
        with contextlib.suppress(OSError):
            write()

    @staticmethod
    def _quietly(write: Callable[[], object]) -> None:
        # As a forked writer: any failure only costs the next build time.
        with contextlib.suppress(Exception):
            write()

    def take(self) -> list[Callable[[], object]]:
        """The deferred writes, which the caller now runs."""
        taken, self.deferred = self.deferred, []
        return taken

    def wait(self) -> None:
        """Run the deferred writes left, and wait for the forked ones."""
        self.release()
        for write in self.take():
            self._now(write)
        while self.threads:
            self.threads.pop().join()
        while self.pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pids.pop(), 0)

    def __enter__(self) -> "BackgroundWrites":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None:
            self.deferred.clear()  # the build failed or was interrupted: no more work for it
        self.wait()
