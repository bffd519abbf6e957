"""Where each article's text starts in an export file: kept so that a patch need not search.

A patched rebuild (:mod:`graph.incremental`) swaps the text of a few changed
articles in each export file. Without more to go on, it searches the whole
file for each old text (the real corpus's 150 MB of exports: 50 ms of CPU, and
at 100,000 articles several seconds). The writers of the RDF formats
(N-Triples, Turtle, JSON-LD, TriG: :func:`graph.export.rdf.write_rdf`; node-link
JSON: :func:`graph.export.nodelink.write_nodelink`) can instead say where
they put the text of each article that has a file of its own (the only
articles a patch changes), when they are given the option
:data:`OFFSETS_OPTION`: ``(folder, key)``. They then :func:`save` one record
per format in ``folder``, under ``key`` (``newsgraph build`` uses the key its
cache gives the exports it writes, :func:`graph.cache.write_exports_cached`).

A record is used only under the same key and for a file of the recorded size,
and each text is compared with the file's bytes where it is said to start
(:func:`graph.incremental._patch_file`); anything else means a search, as
without a record. A patch records the positions it leaves (:func:`shifted`),
and a file a patch leaves as it was keeps its record under the new key. Like
the other cache files, a record is a pickle: the cache folder must not be
writable by people you do not trust.

A record is not synced to the disk (each sync took 20-25 ms of a patched
rebuild's threads): it ends with a digest of its bytes, so that one a crash
of the machine left torn or mixed with an older version's bytes is not
used, as if missing.

A record holds the articles' ids as one string and their positions as one
array of 64-bit numbers (:class:`Positions`), read as they are: a patched
rebuild looks up the few articles it changed, and saves the record again
under the new key, without a dictionary of every article made and pickled
(five of them, one per format, took 6 ms to read and 12 ms to write of a
rebuild after an edited title, on the real corpus).

>>> dict(shifted({"a": 10, "b": 50, "c": 90}, [(40, 5, b"longer text")]))
{'a': 10, 'b': 56, 'c': 96}
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import pickle
import sys
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Callable, Iterable

__all__ = ["OFFSETS_OPTION", "Positions", "save", "load", "shifted"]

#: The writers' option naming where to record the positions: ``(folder, key)``.
OFFSETS_OPTION = "article_offsets"

_SUFFIX = ".offsets"
_DIGEST_SIZE = 32
_SEPARATOR = b"\0"  # between two ids in a record (an id is a node id: never holds one)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()


def _little_endian(numbers: array) -> bytes:
    """The numbers' bytes, little-endian whatever the machine: a record's bytes never depend on it."""
    if sys.byteorder != "little":  # pragma: no cover - on big-endian machines only
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _numbers_of(data: bytes) -> array:
    """The signed 64-bit numbers whose bytes :func:`_little_endian` gave."""
    numbers = array("q")
    numbers.frombytes(data)
    if sys.byteorder != "little":  # pragma: no cover - on big-endian machines only
        numbers.byteswap()
    return numbers


class Positions(Mapping):
    """Article id -> where its text starts, as a record holds them: the ids
    (UTF-8, NUL-separated) and their positions (signed 64-bit numbers,
    little-endian), each as one string of bytes, split only when asked.

    >>> at = Positions.of({"article/a": 0, "article/b": 120})
    >>> at.get("article/b"), at.get("article/c"), len(at)
    (120, None, 2)
    >>> at == {"article/a": 0, "article/b": 120}
    True
    """

    __slots__ = ("ids", "numbers", "_index")

    def __init__(self, ids: bytes, numbers: bytes) -> None:
        self.ids, self.numbers = ids, numbers
        self._index: dict[str, int] | None = None

    @classmethod
    def of(cls, at: Mapping[str, int]) -> Positions:
        """``at`` as a record holds it (raises ``ValueError`` for an id with a
        NUL or a position that is not a 64-bit integer)."""
        if isinstance(at, Positions):
            return at
        ids = _SEPARATOR.join(aid.encode("utf-8", "surrogatepass") for aid in at)
        if len(at) and ids.count(_SEPARATOR) != len(at) - 1:
            raise ValueError("an article id holds a NUL")
        try:
            numbers = array("q", at.values())
        except (TypeError, OverflowError) as err:
            raise ValueError(f"not a position: {err}") from err
        return cls(ids, _little_endian(numbers))

    def moved(self, by: Callable[[int], int]) -> Mapping[str, int]:
        """Each position ``p`` moved to ``p + by(p)``, with the same ids (their bytes
        as they are); as a dictionary when a moved position is beyond 64 bits (a
        damaged record, which :func:`save` then refuses)."""
        moved = [p + by(p) for p in _numbers_of(self.numbers)]
        try:
            return Positions(self.ids, _little_endian(array("q", moved)))
        except OverflowError:
            return dict(zip(self, moved))

    def _positions(self) -> dict[str, int]:
        if self._index is None:
            numbers = _numbers_of(self.numbers)
            ids = self.ids.decode("utf-8", "surrogatepass").split("\0") if self.numbers else []
            if len(ids) != len(numbers):
                raise ValueError("a record's ids and positions differ in number")
            self._index = dict(zip(ids, numbers))
        return self._index

    def __getitem__(self, aid: str) -> int:
        if self._index is not None:
            return self._index[aid]
        # A patch looks up a few ids: each found in the bytes as they are, its
        # number counted from the separators before it, with no dictionary made.
        if not isinstance(aid, str):
            raise KeyError(aid)
        wanted = aid.encode("utf-8", "surrogatepass")
        if _SEPARATOR in wanted or not self.numbers:
            raise KeyError(aid)
        if not wanted:  # an empty id (never a node's): found among the others' separators
            return self._positions()[aid]
        ids, at = self.ids, 0
        while True:
            at = ids.find(wanted, at)
            if at < 0:
                raise KeyError(aid)
            end = at + len(wanted)
            if (at == 0 or ids[at - 1] == 0) and (end == len(ids) or ids[end] == 0):
                break
            at += 1
        k = ids.count(_SEPARATOR, 0, at)
        if k >= len(self):
            raise KeyError(aid)
        return _numbers_of(self.numbers[8 * k:8 * k + 8])[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions())

    def __len__(self) -> int:
        return len(self.numbers) // 8

    def __repr__(self) -> str:
        return f"Positions({dict(self)!r})"


def save(where: tuple[str | os.PathLike, str], name: str, size: int, at: Mapping[str, int]) -> None:
    """Record that the export ``name`` (a file of ``size`` bytes, written under
    the key ``where[1]``) holds the text of article ``id`` from byte ``at[id]``.

    Written atomically into the folder ``where[0]``; a record that cannot be
    written (nor one that could not be read back: an id holding a NUL) only
    costs the next patch a search.
    """
    from .files import atomic_writer

    folder, key = where
    with contextlib.suppress(OSError, ValueError):
        positions = Positions.of(at)
        data = pickle.dumps((key, size, positions.ids, positions.numbers), protocol=pickle.HIGHEST_PROTOCOL)
        with atomic_writer(Path(folder) / f"{name}{_SUFFIX}", "wb", encoding=None, durable=False, owned=True) as fh:
            fh.write(data + _digest(data))


#: A record is read only up to this size (about 30 bytes an article: 30 MB at a million).
_RECORD_LIMIT = 1 << 30


def load(folder: str | os.PathLike, name: str, key: str) -> tuple[int, Positions] | None:
    """The size and positions :func:`save` recorded for ``name`` under ``key``,
    or ``None`` (no record, another key, or a damaged file)."""
    from ..cache import pickles
    from ..errors import CacheError
    from .files import read_regular

    try:
        data = read_regular(Path(folder) / f"{name}{_SUFFIX}", _RECORD_LIMIT)
        body, digest = data[:-_DIGEST_SIZE], data[-_DIGEST_SIZE:]
        if len(data) <= _DIGEST_SIZE or _digest(body) != digest:
            return None  # torn by a crash, or not a record
        stored_key, size, ids, numbers = pickles.loads(body, Path(folder) / f"{name}{_SUFFIX}")
    except CacheError:
        raise
    except Exception:  # noqa: BLE001 - missing or damaged: the patch searches
        return None
    if (stored_key != key or type(size) is not int or type(ids) is not bytes or type(numbers) is not bytes
            or len(numbers) % 8 or (ids.count(_SEPARATOR) + 1 if numbers else len(ids)) != len(numbers) // 8):
        return None
    try:
        ids.decode("utf-8", "surrogatepass")  # what iterating it does
    except UnicodeDecodeError:
        return None
    return size, Positions(ids, numbers)


def shifted(at: Mapping[str, int], applied: Iterable[tuple[int, int, bytes]]) -> Mapping[str, int]:
    """``at`` after the edits ``applied`` (where each starts in the file before,
    the length it replaced, the text it wrote; none overlapping): each
    position moves by the change of length of the edits before it. Edits
    that kept every length leave ``at`` as it is (the same object)."""
    edits = sorted(applied)
    if all(len(new) == length for _, length, new in edits):
        return at
    starts = [start for start, _, _ in edits]
    moved = [0]
    for _, length, new in edits:
        moved.append(moved[-1] + len(new) - length)
    # An edit starting at a position is that article's own: it does not move it.
    if isinstance(at, Positions):  # a record's: moved as numbers, no dictionary made
        return at.moved(lambda pos: moved[bisect.bisect_left(starts, pos)])
    return {aid: pos + moved[bisect.bisect_left(starts, pos)] for aid, pos in at.items()}
