"""Processes a build forks end with it.

A build forks processes that read files (:mod:`graph.builder`), write half of
the exports (:mod:`graph.export`) and write the caches
(:mod:`graph.cache.background`). When the build itself is killed (the
out-of-memory killer, ``kill PID``, a supervisor: they signal that one
process), none of them may live on: an export process went on to replace
files after the next build had said they were up to date, and reading
workers stayed blocked on a pipe no one read, for ever. Each child asks the
kernel to kill it when its parent ends (Linux's ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Iterable, Iterator

__all__ = ["die_with_parent", "signals_held", "signals_deferred", "let_through", "usable_cores"]

#: ``prctl`` option: the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a process forked by ``parent`` (its pid, as the parent read it):
    be killed when the parent ends, or end now if it already has.

    The parent must have forked from its main thread: the kernel sends the
    signal when the forking thread ends. Where ``prctl`` is missing (not
    Linux), nothing is asked and children outlive a killed build, as before.
    """
    from .export.files import libc_function

    prctl = libc_function("prctl", "c_int", ["c_int", "c_ulong", "c_ulong", "c_ulong", "c_ulong"])
    if prctl:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request: it would never come
        os._exit(1)


@contextlib.contextmanager
def signals_held(signums: Iterable[int]) -> Iterator[None]:
    """``signums`` blocked in this thread inside the block, and so in what it forks
    there, until that child calls :func:`let_through`; one that came meanwhile is
    delivered here at the block's end.

    Why: a child forked from the command line inherits its handlers (Ctrl-C and
    SIGTERM raise ``KeyboardInterrupt``). One arriving before the child stood in
    its own ``try`` unwound the parent's stack in the child, or printed
    multiprocessing's traceback. Where ``pthread_sigmask`` is missing (not
    POSIX), nothing is held.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, set(signums))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextlib.contextmanager
def signals_deferred(signums: Iterable[int]) -> Iterator[None]:
    """In the main thread, ``signums`` that come inside the block are handled at
    its end, by the handlers they had; elsewhere (where Python raises nothing
    for a signal) nothing changes.

    Why: a ``KeyboardInterrupt`` raised while orjson's module set itself up
    crashed the process (a segmentation fault). Blocking the signals in this
    thread (:func:`signals_held`) is not enough: the kernel hands a signal to
    any thread that does not block it (a progress bar's), and Python then
    runs its handler in the main thread all the same.

    >>> import os
    >>> with contextlib.suppress(KeyboardInterrupt), signals_deferred({signal.SIGINT}):
    ...     os.kill(os.getpid(), signal.SIGINT)
    ...     print("not interrupted here")
    not interrupted here
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    previous = {}
    for signum in signums:
        if signal.getsignal(signum) is not None:  # None: a handler not set from Python, kept
            previous[signum] = signal.signal(signum, lambda received, frame: came.append(received))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(came):
            signal.raise_signal(signum)


def let_through(signums: Iterable[int]) -> None:
    """In a child forked inside :func:`signals_held`, once it is ready for them
    (its handlers set, inside its ``try``): deliver ``signums`` again."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(signums))


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (``taskset``, a
    container's cpuset), else the machine's count. The default number of
    worker processes: the machine's count started a worker per core of a
    large host when a job was given a few of them.

    >>> 1 <= usable_cores() <= (os.cpu_count() or 1)
    True
    """
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1
