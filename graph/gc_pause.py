"""Pausing Python's cyclic garbage collector during bulk work.

Building a graph creates millions of long-lived objects (records, entities,
tuples) and no reference cycles. Each full pass of the cyclic collector walks
every one of them, and the passes come more often as the heap grows: at
100,000 articles they doubled the build time (157 s against 84 s for reading
and resolving). Memory is still freed as usual by reference counting; any
cycles made meanwhile are collected once the pause ends.

Ending a pause while the graph is alive costs one more walk over it (the
objects made during the pause are all in the youngest generation): 0.4 s
after reading 10,000 synthetic articles. ``newsgraph build`` therefore holds
one pause from reading to the last export and frees the graph inside it.
Even then, ending it walks what is still alive (20 ms after a build of the
real corpus): the command line, whose process ends with its command, has
pauses never end (:func:`never_resume`).
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

__all__ = ["gc_paused", "never_resume"]

#: Whether the end of a pause enables the collector again (see :func:`never_resume`).
_RESUMING = True


def never_resume() -> None:
    """Leave the collector off when a pause ends, for the rest of this process.

    For a process that ends once its work is done, as each command of
    ``newsgraph`` does: enabling the collector again makes it walk every
    object still alive, to free nothing that the end of the process would
    not (20 ms at the end of ``newsgraph build`` of the real corpus, more
    where the graph is still alive, as at the end of ``newsgraph html``).
    Only ``build`` and ``html`` pause; ``serve``, the one command that runs
    for long, never does, so its collector is never left off.
    """
    global _RESUMING
    _RESUMING = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (if it was enabled).

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and _RESUMING:
            gc.enable()
