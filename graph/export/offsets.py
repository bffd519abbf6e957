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

>>> shifted({"a": 10, "b": 50, "c": 90}, [(40, 5, b"longer text")])
{'a': 10, 'b': 56, 'c': 96}
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import pickle
from pathlib import Path
from typing import Iterable

__all__ = ["OFFSETS_OPTION", "save", "load", "shifted"]

#: The writers' option naming where to record the positions: ``(folder, key)``.
OFFSETS_OPTION = "article_offsets"

_SUFFIX = ".offsets"
_DIGEST_SIZE = 32


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_DIGEST_SIZE).digest()


def save(where: tuple[str | os.PathLike, str], name: str, size: int, at: dict[str, int]) -> None:
    """Record that the export ``name`` (a file of ``size`` bytes, written under
    the key ``where[1]``) holds the text of article ``id`` from byte ``at[id]``.

    Written atomically into the folder ``where[0]``; a record that cannot be
    written only costs the next patch a search.
    """
    from .files import atomic_writer

    folder, key = where
    data = pickle.dumps((key, size, at), protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        with atomic_writer(Path(folder) / f"{name}{_SUFFIX}", "wb", encoding=None, durable=False, owned=True) as fh:
            fh.write(data + _digest(data))


#: A record is read only up to this size (about 30 bytes an article: 30 MB at a million).
_RECORD_LIMIT = 1 << 30


def load(folder: str | os.PathLike, name: str, key: str) -> tuple[int, dict[str, int]] | None:
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
        stored_key, size, at = pickles.loads(body, Path(folder) / f"{name}{_SUFFIX}")
    except CacheError:
        raise
    except Exception:  # noqa: BLE001 - missing or damaged: the patch searches
        return None
    if stored_key != key or type(size) is not int or not isinstance(at, dict):
        return None
    return size, at


def shifted(at: dict[str, int], applied: Iterable[tuple[int, int, bytes]]) -> dict[str, int]:
    """``at`` after the edits ``applied`` (where each starts in the file before,
    the length it replaced, the text it wrote; none overlapping): each
    position moves by the change of length of the edits before it."""
    edits = sorted(applied)
    if not edits:
        return dict(at)
    starts = [start for start, _, _ in edits]
    moved = [0]
    for _, length, new in edits:
        moved.append(moved[-1] + len(new) - length)
    # An edit starting at a position is that article's own: it does not move it.
    return {aid: pos + moved[bisect.bisect_left(starts, pos)] for aid, pos in at.items()}
