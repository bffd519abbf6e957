"""The last build's graph, kept to skip reading and resolving when nothing changed."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import mmap
import os
import pickle
import struct
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from ..errors import CacheError
from . import pickles
from .fingerprints import FORMAT, _digest_now, _graph_code_fingerprint, _settled, _Signature, _signature_now
from .packs import dump_checked, load_checked
from .parsed import FileCache, _remove_patch

if TYPE_CHECKING:
    from .background import BackgroundWrites

__all__ = ["GraphSnapshot", "SNAPSHOT_PARTS", "SNAPSHOT_CHUNK"]


class GraphSnapshot:
    """The last build's whole :class:`~graph.builder.KnowledgeGraph`, reused
    when nothing it was built from changed.

    The key is a digest of: the code, the build's ``context`` (inputs, options,
    what the scan and the catalogues found; anything with a stable ``repr``)
    and every input file's path, ``explicit`` flag and SHA-256 as the file
    cache knows it (a file whose signature changed is hashed again; one the
    cache does not know means no snapshot). Stored in ``graph.pickle`` beside
    the file cache, written atomically.

    A graph patched from the last one (:mod:`graph.incremental`) is stored as
    its key, its report and its changed articles only, in
    ``graph.patch.pickle``, which names the ``graph.pickle`` it changes (by
    that file's key, and its entities' CRC-32 and length): written beside the
    patched exports, the whole graph again (6 MB on the real corpus, synced)
    held their syncs back by 40 ms, where this file is a few kilobytes.
    A ``graph.patch.pickle`` that does not name the ``graph.pickle`` beside it
    is not used.
    """

    FILE = "graph.pickle"
    PATCH_FILE = "graph.patch.pickle"

    def __init__(self, folder: str | os.PathLike, fast_yaml: bool, files: list[tuple[str, bool]],
                 context: object, *, stats: dict[str, os.stat_result] | None = None) -> None:
        self.folder = Path(folder)
        self.fast_yaml = fast_yaml
        self.files = files
        #: ``os.stat`` of the files, as the scan just saw them (others are looked up;
        #: the builder empties it once :meth:`load` has used it).
        self.stats = stats if stats is not None else {}
        self.context = repr(context)  # now: the build goes on to change some of these objects
        #: The file cache's index as the build left it (``None``: read it from disk).
        self.index: dict[str, tuple[_Signature, str, bool]] | None = None
        #: After :meth:`load`: the graph of the files as the file cache last
        #: read them, when it is not that of the files as they are now.
        self.previous: object | None = None
        self.previous_key: str | None = None
        #: After :meth:`load` found the graph current: the index entries of the files
        #: whose signature changed but not their content (touched, copied, checked out
        #: again), with their signature now (see :meth:`FileCache.keep_signatures`).
        self.refreshed: dict[str, tuple[_Signature, str, bool]] = {}
        self._previous_entities: _Entities | None = None  # its pickled entities (_dump_entities)
        self._previous_parts: tuple[int, int, dict] | None = None  # their _entity_parts, once read

    def key(self, index: dict[str, tuple[_Signature, str, bool]] | None = None, *, as_indexed: bool = False
            ) -> str | None:
        """The key of the graph of the files as the file cache's ``index``
        (default: :attr:`index`, else the cache's on disk) says they were;
        unless ``as_indexed``, only if they are still so. ``None`` if a file is
        not known (or changed)."""
        if index is None:
            index = self.index if self.index is not None else FileCache.load_index(self.folder, self.fast_yaml)
        if not index or (not as_indexed and self._changed_signatures(index) is None):
            return None
        h = hashlib.sha256(repr((FORMAT, _graph_code_fingerprint(), self.fast_yaml, self.context)).encode(
            "utf-8", "surrogatepass"))
        # Path, flag and digest of each file, all NUL-separated (a path has no
        # NUL): one string hashed, not one repr (0.015 s on the real corpus)
        # or one f-string (0.005 s) per file.
        parts: list[str] = []
        add, get = parts.append, index.get
        for path, explicit in self.files:
            entry = get(path)
            if entry is None or entry[2] != explicit:
                return None
            add(path)
            add("1" if explicit else "0")
            add(entry[1])
        h.update("\0".join(parts).encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _changed_signatures(self, index: dict[str, tuple[_Signature, str, bool]]
                            ) -> dict[str, tuple[_Signature, str, bool]] | None:
        """``None`` unless every file is as ``index`` says (the same signature, or else the
        same content); then the entries of those whose signature changed, with it as it is now."""
        changed = {}
        since = time.time_ns()  # before any file is hashed: see _settled
        for path, _ in self.files:
            entry = index.get(path)
            sig = _signature_now(path, self.stats.get(path))
            if entry is None or sig is None or _digest_now(path, sig, entry) != entry[1]:
                return None
            if sig != entry[0]:
                changed[path] = (_settled(sig, since), entry[1], entry[2])
        return changed

    def load(self, index: dict[str, tuple[_Signature, str, bool]] | None = None) -> object | None:
        """The snapshot's graph, or ``None`` when missing, stale or unreadable.

        ``index`` is the file cache's (default: read from its file). Only the
        key and the report are unpickled here; the entities when first used
        (:meth:`graph.builder.KnowledgeGraph.deferred`): a build whose exports
        are current never needs them.
        """
        from ..builder import KnowledgeGraph

        try:
            if index is None:
                index = FileCache.load_index(self.folder, self.fast_yaml)
            wanted = self.key(index, as_indexed=True)
            if wanted is None:
                return None
            found = self._read(wanted)
            if found is None:
                return None
            stored, report, entities = found
            refreshed = self._changed_signatures(index)
        except CacheError:
            raise
        except Exception:  # noqa: BLE001 - missing or damaged: build normally
            return None
        if refreshed is not None:
            self.refreshed = refreshed
            kg = KnowledgeGraph.deferred(report, lambda: _load_entities(entities))
            kg._snapshot_key = stored  # lets write_exports_cached know the graph
            return kg
        # The graph of the files as the file cache last read them: the
        # changed files may let graph.incremental patch it, which needs only
        # their articles (find_previous_articles), the providers and the topics.
        self.previous = KnowledgeGraph.deferred(report, lambda: _load_entities(entities),
                                                lambda: _providers_and_topics(entities))
        self.previous_key = stored
        self._previous_entities, self._previous_parts = entities, None
        return None

    def _read(self, wanted: str) -> "tuple[str, object, _Entities] | None":
        """The key, report and entities stored under the key ``wanted``: those
        of the patch file when it has that key and names the whole file beside
        it, else those of the whole file when it has that key; ``None`` when
        neither has, or what was needed is damaged (``OSError`` and pickling
        errors are the caller's)."""
        patch = None
        with contextlib.suppress(FileNotFoundError):
            with open(self.folder / self.PATCH_FILE, "rb") as fh:
                if pickles.load(fh) == wanted:
                    report, base = load_checked(fh), pickles.load(fh)
                    tail = fh.read()
                    tail, crc = tail[:-_CRC.size], _CRC.unpack(tail[-_CRC.size:])[0]
                    if zlib.crc32(tail) == crc:
                        patch = report, base, tail
        with open(self.folder / self.FILE, "rb") as fh:
            stored = pickles.load(fh)
            if patch is None and stored != wanted:
                return None
            report = load_checked(fh)  # the entities' CRC-32 covers only what follows it
            # Mapped, not read: the bytes are only checked here, and then mostly
            # never read (a patched rebuild unpickles one chunk of them); reading
            # them into memory took 3-17 ms of such a rebuild on the real corpus.
            # The mapping is of this file even if another build replaces it meanwhile
            # (cache files are replaced by renaming, never written in place).
            start = fh.tell()
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        data = memoryview(mapped)[start:]  # keeps the mapping open while the entities are needed
        # Unpickled only when first used: checked now, so that damage means no snapshot.
        head, crc = data[:-_CRC.size], _CRC.unpack(data[-_CRC.size:])[0]
        if zlib.crc32(head) != crc:
            return None
        whole = (stored, crc, len(head))
        file = str(self.folder / self.FILE)
        if patch is not None and patch[1] == whole:
            return wanted, patch[0], _Entities(head, patch[2], whole, (file, str(self.folder / self.PATCH_FILE)))
        if stored != wanted:
            return None
        _, changed_at = _TRAILER.unpack_from(head, len(head) - _TRAILER.size)
        return stored, report, _Entities(head, head[changed_at:], whole, (file, file))

    def find_previous_articles(self, paths: set[str]) -> list:
        """The articles of :attr:`previous` whose first file is in ``paths``,
        unpickled from the snapshot's chunks that hold them only."""
        if self._previous_entities is None:
            return []
        return _find_articles(self._previous_entities, paths, self._parts_of_previous())

    def _parts_of_previous(self) -> tuple[int, int, dict]:
        """:func:`_entity_parts` of :attr:`previous`'s entities, read once (a
        patched build needs them to find its articles and to save its snapshot)."""
        if self._previous_parts is None:
            self._previous_parts = _entity_parts(self._previous_entities)  # type: ignore[arg-type]
        return self._previous_parts

    def drop_previous(self) -> None:
        """Let go of :attr:`previous` (a whole graph, at 100,000 files 0.5 GB once loaded)."""
        self.previous = self.previous_key = self._previous_entities = self._previous_parts = None

    def save(self, kg: object, background: BackgroundWrites | None = None) -> None:
        """Store ``kg`` under the current key (nothing when there is none),
        here or when ``background`` runs its deferred writes.

        When the build read the files (:attr:`index` is set), the key is that
        of the contents it read, as the file cache holds them: the files are
        not looked at again (the next build sees any change since).
        """
        key = self.key(as_indexed=self.index is not None)
        if key is None:
            return
        if background is not None:
            background.defer(lambda: self._write(kg, key), files=len(self.files))
        elif not self._write(kg, key):
            return
        kg._snapshot_key = key  # type: ignore[attr-defined]

    def _write(self, kg: object, key: str) -> bool:
        from ..export.files import atomic_writer

        patched = self._patched_entities(kg)
        try:
            if patched is not None:
                changed, index_at, changed_at, whole = patched
                tail = pickle.dumps(changed, protocol=pickle.HIGHEST_PROTOCOL) + _TRAILER.pack(index_at, changed_at)
                with atomic_writer(self.folder / self.PATCH_FILE, "wb", encoding=None, owned=True) as fh:
                    pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    dump_checked(kg.report, fh)  # type: ignore[attr-defined]
                    pickle.dump(whole, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    fh.write(tail + _CRC.pack(zlib.crc32(tail)))
                return True
            with atomic_writer(self.folder / self.FILE, "wb", encoding=None, owned=True) as fh:
                pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
                dump_checked(kg.report, fh)  # type: ignore[attr-defined]
                summed = _Checksummed(fh)
                _dump_entities(kg, summed)  # type: ignore[arg-type]
                fh.write(_CRC.pack(summed.crc))  # the entities' checksum, last
        except OSError:
            return False  # a cache that cannot be written only costs time
        _remove_patch(self.folder / self.PATCH_FILE)  # it names the file replaced: no longer of use
        return True

    def _patched_entities(self, kg: object) -> "tuple[dict, int, int, tuple[str, int, int]] | None":
        """For a graph :func:`graph.incremental.patch_graph` made from
        :attr:`previous`: its changed articles (those of :attr:`previous`'s
        snapshot with those of ``kg``, which are all that differ), where the
        index and the changed articles of the whole file's entities start, and
        what names that file; ``None`` when there are too many to keep apart."""
        patch = getattr(kg, "_patch", None)
        data = self._previous_entities
        if patch is None or kg is not self.previous or data is None:
            return None
        index_at, changed_at, changed = self._parts_of_previous()
        changed = {**changed, **{after.id: after for _, after in patch.articles}}
        if len(changed) > min(_SNAPSHOT_CHANGED_MAX, kg.report.articles // 8):  # type: ignore[attr-defined]
            return None
        return changed, index_at, changed_at, data.whole


class _Entities(NamedTuple):
    """A snapshot's entities as loaded: the whole file's bytes (:func:`_dump_entities`),
    and the changed articles' pickle and trailer that count (the whole file's own,
    or a patch file's)."""

    head: bytes | memoryview  # a view of the whole file, mapped (GraphSnapshot._read)
    tail: bytes | memoryview
    #: What names the whole file: its key, and its entities' CRC-32 and length.
    whole: tuple[str, int, int]
    #: The files that ``head`` and ``tail`` are of, as their pickles' errors name them.
    files: tuple[str, str]


class _Checksummed:
    """A binary file's ``write``, keeping the CRC-32 and the count of the bytes that went through it."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.crc = 0
        self.written = 0

    def write(self, data: bytes | memoryview) -> int:
        self.crc = zlib.crc32(data, self.crc)
        count = self._fh.write(data)  # all of it: a buffered file
        self.written += count
        return count


#: The graph snapshot's last bytes: the CRC-32 of its entities (checked when it loads).
_CRC = struct.Struct("<I")
#: The entities' last bytes: where their index and their changed articles start.
_TRAILER = struct.Struct("<QQ")


#: The graph snapshot's articles are pickled in about this many chunks...
SNAPSHOT_PARTS = 8
#: ...of at least this many articles each.
SNAPSHOT_CHUNK = 256
#: Changed articles a patched graph's snapshot keeps apart (beyond this or an
#: eighth of the articles, it is written whole again).
_SNAPSHOT_CHANGED_MAX = 4096


def _dump_entities(kg: object, fh: _Checksummed) -> None:
    """Write the providers and the topics, the articles in pickles (about
    :data:`SNAPSHOT_PARTS` of them, of at least :data:`SNAPSHOT_CHUNK` articles
    each), an index of those pickles, and (none here) the articles changed since.

    Why chunks: an edited file's article is found, through the index, by
    unpickling the chunk that holds it (:func:`_find_articles`), not every
    article: on the real corpus's 4,631 articles, one of 8 chunks in 2.8 ms,
    where one of 5 (chunks of 1,024) took 4.6 ms and all of them 41 ms.
    Smaller chunks are not worth it: with 32 chunks one took 1.4 ms, but the
    file was 49% larger than with 8, and every byte of it is checked when it
    loads. Also, a pickle's
    memo holds every object it wrote until it ends (193 MB for the 125,000
    articles of 100,000 synthetic files in one pickle, while the other
    exporting process lives). The price: the strings that articles of
    different chunks share (an article's id in the others' related lists,
    their source files) are written once per chunk. At 100,000 synthetic
    files the file took 155 MB in chunks of 65,536, 172 MB in 4, 201 MB in 8
    (:data:`SNAPSHOT_PARTS`), 243 MB in 16 and 403 MB in chunks of 1,024; on
    the real corpus, 4.6 MB in one, 5.9 MB in 5 and 6.5 MB in 8.
    """
    start = fh.written
    articles = kg.articles  # type: ignore[attr-defined]
    pickle.dump((kg.providers, kg.topics, len(articles)), fh,  # type: ignore[attr-defined]
                protocol=pickle.HIGHEST_PROTOCOL)
    starts: list[int] = []
    by_file: dict[str, list[int]] = {}  # an article's first file -> the chunks holding such articles
    size = max(SNAPSHOT_CHUNK, -(-len(articles) // SNAPSHOT_PARTS))
    items = iter(articles.items())
    for _ in range(0, len(articles), size):
        chunk = dict(itertools.islice(items, size))
        for a in chunk.values():
            if a.files:
                held = by_file.setdefault(a.files[0], [])
                if not held or held[-1] != len(starts):
                    held.append(len(starts))
        starts.append(fh.written - start)
        pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
    index_at = fh.written - start
    pickle.dump((starts, by_file), fh, protocol=pickle.HIGHEST_PROTOCOL)
    # Last, the articles changed since (by id): none here. A patched graph's
    # snapshot copies the bytes above and writes its changed articles here
    # (GraphSnapshot._patched_entities), instead of pickling every article again.
    changed_at = fh.written - start
    pickle.dump({}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_TRAILER.pack(index_at, changed_at))


def _entity_parts(data: _Entities) -> tuple[int, int, dict]:
    """Where the index and the changed articles of :func:`_dump_entities`'s
    bytes start, and the changed articles that count (by id)."""
    tail = data.tail
    index_at, changed_at = _TRAILER.unpack_from(tail, len(tail) - _TRAILER.size)
    changed = pickles.loads(memoryview(tail)[:len(tail) - _TRAILER.size], data.files[1])
    return index_at, changed_at, changed


def _load_entities(data: _Entities) -> tuple[dict, dict, dict]:
    """What :func:`_dump_entities` wrote, with the changed articles that count:
    ``(articles, providers, topics)``."""
    index_at, changed_at, changed = _entity_parts(data)
    providers, topics, count = _first_pickle(data)
    index = _ChunkIndex(data, index_at, changed_at)
    articles: dict = {}
    for chunk in range(len(index.starts)):
        articles.update(index.chunk(chunk))
    if len(articles) != count:
        raise ValueError("the snapshot's chunks do not hold its articles")
    if not changed.keys() <= articles.keys():
        raise ValueError("the snapshot changes articles it does not have")
    articles.update(changed)  # in place: the articles keep their order
    return articles, providers, topics


class _ChunkIndex:
    """The index of :func:`_dump_entities`'s article chunks, and the chunks
    unpickled from the bytes where they lie (a mapped file's are never copied)."""

    def __init__(self, data: _Entities, index_at: int, changed_at: int) -> None:
        self._head = memoryview(data.head)
        self._file = data.files[0]
        self._end = index_at
        #: Where each chunk starts, and the chunks holding articles whose first file is a path.
        self.starts, self.by_file = pickles.loads(self._head[index_at:changed_at], self._file)

    def chunk(self, k: int) -> dict:
        end = self.starts[k + 1] if k + 1 < len(self.starts) else self._end
        return pickles.loads(self._head[self.starts[k]:end], self._file)


def _find_articles(data: _Entities, paths: set[str], parts: tuple[int, int, dict]) -> list:
    """The articles of :func:`_dump_entities`'s bytes whose first file is in
    ``paths``, as :func:`_load_entities` would give them, read from the chunks
    that hold them only (``parts``: the bytes' :func:`_entity_parts`)."""
    index_at, changed_at, changed = parts
    index = _ChunkIndex(data, index_at, changed_at)
    found = []
    for chunk in sorted({c for path in paths for c in index.by_file.get(path, ())}):
        found += [changed.get(a.id, a) for a in index.chunk(chunk).values() if a.files and a.files[0] in paths]
    return found


def _first_pickle(data: _Entities) -> tuple[dict, dict, int]:
    """The providers, the topics and the count of articles of :func:`_dump_entities`'s bytes."""
    return pickles.loads(data.head, data.files[0])  # type: ignore[return-value]  # the first pickle: what follows is ignored


def _providers_and_topics(data: _Entities) -> tuple[dict, dict]:
    """The providers and the topics of :func:`_dump_entities`'s bytes."""
    providers, topics, _ = _first_pickle(data)
    return providers, topics
