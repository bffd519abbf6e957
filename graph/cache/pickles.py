"""Reading the caches' pickles without letting them run code.

Every cache file in ``OUTPUT/.cache/`` is a pickle, and unpickling can call
any function a pickle names (``os.system`` among them): a crafted
``catalog.pickle`` committed beside a repository's exports ran its code in
the next build there. The caches hold only newsgraph's own records and a few
standard types, so :func:`load` and :func:`loads` find classes through
:data:`CACHED_CLASSES` and refuse a pickle that names anything else, before
anything it names is called (the ``find_class`` restriction of the
:mod:`pickle` documentation). The refusal is an error, not a cache miss: a
cache holding such a pickle was not written by newsgraph, and whoever builds
there should know.

Adding a class to what the caches store means adding it here: until then,
every build that reads it back stops with :class:`~graph.errors.CacheError`
naming the class, which the cache tests show at once.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import BinaryIO

from ..errors import CacheError

__all__ = ["CACHED_CLASSES", "load", "loads"]

#: The classes a cache may hold, as ``(module, name)``: the parsed files and
#: their records, the graph's entities, the build report, the catalogue, the
#: warnings in them and their dates. Each is only constructed from its fields; none runs
#: anything else when made.
CACHED_CLASSES = frozenset({
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("graph.catalog", "Catalog"),
    ("graph.model", "Article"),
    ("graph.model", "ArticleRecord"),
    ("graph.model", "Image"),
    ("graph.model", "Provider"),
    ("graph.model", "ProviderRef"),
    ("graph.model", "StubText"),
    ("graph.model", "Topic"),
    ("graph.model", "Warning_"),
    ("graph.reader", "ParsedFile"),
    ("graph.report", "BuildReport"),
})


class _CacheUnpickler(pickle.Unpickler):
    """An unpickler that finds only :data:`CACHED_CLASSES`."""

    def __init__(self, file: BinaryIO, source: str | os.PathLike) -> None:
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in CACHED_CLASSES:
            source = os.fspath(self._source)
            raise CacheError(
                f"{source}: holds a pickle that names {module}.{name}, which no newsgraph cache holds; it was "
                "not read, as unpickling it could run code. Someone else wrote this cache: delete "
                f"{_cache_folder(source)} (or build with --no-cache)")
        return super().find_class(module, name)


def _cache_folder(file: str) -> str:
    """The ``.cache`` folder that holds ``file`` (else its folder), as the refusal names it."""
    parts = Path(file).parts
    if ".cache" in parts:
        return str(Path(*parts[:len(parts) - parts[::-1].index(".cache")]))
    return os.path.dirname(file) or "the folder it is in"


def load(fh: BinaryIO, source: str | os.PathLike | None = None) -> object:
    """The next pickle of the open binary file ``fh``, as :func:`pickle.load`
    reads it, if it names only :data:`CACHED_CLASSES`.

    Raises
    ------
    graph.errors.CacheError
        When it names any other class or function, naming ``source``
        (default: ``fh``'s name).

    Examples
    --------
    >>> import io, pickle
    >>> load(io.BytesIO(pickle.dumps({"n": [1, 2.5, None]})), "cache.pickle")
    {'n': [1, 2.5, None]}
    >>> load(io.BytesIO(pickle.dumps(print)), "cache.pickle")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.CacheError: cache.pickle: holds a pickle that names builtins.print, which no newsgraph cache ...
    """
    return _CacheUnpickler(fh, source if source is not None else getattr(fh, "name", "a cache file")).load()


def loads(data: bytes | bytearray | memoryview, source: str | os.PathLike) -> object:
    """:func:`load` of the pickle that ``data`` starts with (what follows it is ignored).

    Examples
    --------
    >>> import datetime, pickle
    >>> loads(pickle.dumps(datetime.date(2020, 1, 31)), "graph.pickle")
    datetime.date(2020, 1, 31)
    >>> loads(memoryview(pickle.dumps(["first"]) + pickle.dumps("second")), "graph.pickle")
    ['first']
    >>> loads(pickle.dumps(os.system), "graph.pickle")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.CacheError: graph.pickle: holds a pickle that names posix.system, which no newsgraph cache ...
    """
    # A bytes object is shared by io.BytesIO, which copies anything else whole: the
    # snapshot's first pickle was read from a view of the whole mapped file (11 ms of a
    # 0.15 s rebuild). A view is read a frame at a time instead.
    stream = io.BytesIO(data) if isinstance(data, bytes) else _ViewReader(data)
    return _CacheUnpickler(stream, source).load()  # type: ignore[arg-type]


class _ViewReader:
    """A binary file's reading methods over a buffer, copying only what is read."""

    __slots__ = ("_view", "_at")

    def __init__(self, data: bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(self._at + size, len(self._view))
        chunk = self._view[self._at:end].tobytes()
        self._at = end
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:
        target = memoryview(buffer).cast("B")
        n = min(len(target), len(self._view) - self._at)
        target[:n] = self._view[self._at:self._at + n]
        self._at += n
        return n

    def readline(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(self._at + size, len(self._view))
        rest = self._view[self._at:end]
        newline = bytes(rest[:1 << 16]).find(b"\n")  # pickle's text lines are short
        if newline < 0:
            newline = rest.tobytes().find(b"\n")
        return self.read(len(rest) if newline < 0 else newline + 1)
