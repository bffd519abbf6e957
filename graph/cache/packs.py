"""A compact form of parsed files, for the parse cache and the reading workers.

A related stub listed by many articles is pickled once per pack, not once per
listing, and a worker of the reading pool sends each stub once
(:class:`SentStubs`): the stubs are most of what the workers send back and
of what the parse cache holds. :class:`_StoredPacks` reads the packs of the
parse cache's file lazily, one entry at a time.
"""

from __future__ import annotations

import bisect
import mmap
import os
import pickle
import struct
import zlib
from dataclasses import replace
from typing import BinaryIO, Collection, Iterable, NamedTuple

from ..model import ArticleRecord, _record_args
from ..reader import ParsedFile
from . import pickles


__all__ = ["Packed", "SentStubs", "SharedStubs", "pack", "unpack", "encode_pack", "decode_pack", "dump_checked",
           "load_checked"]


#: (files, stubs, origin): each file as ``(ParsedFile without related stubs,
#: stub numbers or None)``; the stubs not sent before, as field tuples; and
#: ``None``, or for a :class:`SentStubs` ``(its name, number of its first new stub)``.
Packed = tuple[list[tuple[ParsedFile, "tuple[int, ...] | None"]], list[tuple], "tuple[str, int] | None"]


class SentStubs:
    """The stubs one process has packed already, so that it sends each only once.

    A worker of the reading pool packs many chunks of files. At 100,000
    synthetic files a chunk's 6,000 stubs were nearly all distinct within the
    chunk, but 19 in 20 had been sent in an earlier chunk: pickling,
    unpickling and matching them again in the reading process cost 1.9 times
    more per file than at 10,000 files. The stubs are kept alive here, so that
    no other object takes their ids.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.name = f"{self.pid}-{id(self)}"
        self.number: dict[int, int] = {}  # id(stub) -> number
        self.by_values: dict[tuple, int] = {}  # equal stubs get one number
        self.kept: list[ArticleRecord] = []


class SharedStubs:
    """What :func:`unpack` has seen: stubs by their fields, and each sender's stubs by number."""

    def __init__(self) -> None:
        self.by_values: dict[tuple, ArticleRecord] = {}
        self.by_sender: dict[str, list[ArticleRecord]] = {}

    def record(self, values: tuple) -> ArticleRecord:
        """The one stub of these field values."""
        stub = self.by_values.get(values)
        if stub is None:
            stub = self.by_values[values] = ArticleRecord(*values)
        return stub


def pack(files: Iterable[ParsedFile], sent: SentStubs | None = None) -> Packed:
    """Parsed files with each distinct related stub stored once.

    A stub recurs in many files (the real corpus: 94,527 stubs, 3,375 URLs),
    so sending or storing a stub number per copy is far smaller and faster to
    pickle than the records themselves. With ``sent``, the stubs it holds are
    sent as their numbers only; :func:`unpack` then needs one
    :class:`SharedStubs` for all the packs of that ``sent``, in order.
    :func:`unpack` gives back equal objects.

    >>> from graph.model import ArticleRecord
    >>> stub = ArticleRecord("https://x.org/a", is_stub=True, source="f.md")
    >>> rec = ArticleRecord("https://x.org/b", is_stub=False, source="f.md", related=(stub, stub))
    >>> sent, shared = SentStubs(), SharedStubs()
    >>> first = pack([ParsedFile("f.md", rec, None, None, None, [])], sent)
    >>> again = pack([ParsedFile("g.md", rec, None, None, None, [])], sent)
    >>> len(first[1]), len(again[1]), again[0][0][1]
    (1, 0, (0, 0))
    >>> [pf.record == rec for pf in unpack(first, shared) + unpack(again, shared)]
    [True, True]
    """
    origin = None if sent is None else (sent.name, len(sent.by_values))
    if sent is None:
        sent = SentStubs()
    number, by_values, kept = sent.number, sent.by_values, sent.kept
    stubs: list[tuple] = []
    out: list[tuple[ParsedFile, tuple[int, ...] | None]] = []
    for pf in files:
        rec = pf.record
        if rec is None or not rec.related:
            out.append((pf, None))
            continue
        refs = []
        for stub in rec.related:
            n = number.get(id(stub))  # equal stubs are mostly one object already
            if n is None:
                key = _record_args(stub)
                n = by_values.get(key)
                if n is None:
                    n = by_values[key] = len(by_values)  # the stubs sent so far, numbered
                    stubs.append(key)
                number[id(stub)] = n
                kept.append(stub)
            refs.append(n)
        bare = ArticleRecord(*_record_args(rec)[:-1])  # without its related stubs
        out.append((replace(pf, record=bare), tuple(refs)))
    return out, stubs, origin


def unpack(packed: Packed, shared: SharedStubs | None = None) -> list[ParsedFile]:
    """The parsed files :func:`pack` was given (equal objects, new ones).

    Equal stubs become one shared object; ``shared`` (kept across calls) does
    the same across packs, which bounds memory on large corpora, and holds
    the stubs of earlier packs of the same :class:`SentStubs`.
    """
    files, stubs, origin = packed
    if shared is None:
        shared = SharedStubs()
    if origin is None:
        table: list[ArticleRecord] = []
    else:
        name, first = origin
        table = shared.by_sender.setdefault(name, [])
        if len(table) != first:
            raise ValueError(f"packs of {name} out of order: {len(table)} stubs known, {first} expected")
    table.extend(map(shared.record, stubs))
    result = []
    for pf, refs in files:
        if refs is not None:
            pf.record.related = tuple([table[n] for n in refs])
        result.append(pf)
    return result


#: Before each encoded pack: the lengths of its three pickles (paths, stubs, files).
_PACK_HEAD = struct.Struct("<QQQ")


def encode_pack(packed: Packed) -> bytes:
    """``packed`` (see :func:`pack`) as the reading pool sends it and the file
    cache stores it: its paths, its stubs and its files as three pickles, so
    that the cache finds a file's entry without unpickling every pack
    (:class:`_StoredPacks`).

    >>> from graph.model import ArticleRecord
    >>> rec = ArticleRecord("https://x.org/b", is_stub=False, source="f.md")
    >>> packed = pack([ParsedFile("f.md", rec, None, None, None, [])])
    >>> decode_pack(encode_pack(packed)) == packed
    True
    """
    files, stubs, origin = packed
    stub_bytes, file_bytes = (pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL) for part in (stubs, files))
    # A checksum of the two: the cache checks it when it loads, before unpickling them only when needed.
    crc = zlib.crc32(file_bytes, zlib.crc32(stub_bytes))
    meta = pickle.dumps(([pf.path for pf, _ in files], origin, len(stubs), crc), protocol=pickle.HIGHEST_PROTOCOL)
    return b"".join([_PACK_HEAD.pack(len(meta), len(stub_bytes), len(file_bytes)), meta, stub_bytes, file_bytes])


def decode_pack(blob: bytes) -> Packed:
    """The pack :func:`encode_pack` encoded."""
    with memoryview(blob) as view:
        lengths = _PACK_HEAD.unpack_from(view)
        at = _PACK_HEAD.size + lengths[0]
        _, origin, _, _ = pickle.loads(view[_PACK_HEAD.size:at])
        stubs = pickle.loads(view[at:at + lengths[1]])
        files = pickle.loads(view[at + lengths[1]:at + lengths[1] + lengths[2]])
    return files, stubs, origin


class _PackAt(NamedTuple):
    """Where one pack of a file cache lies (see :class:`_StoredPacks`)."""

    file: int  # which of the files read
    at: int  # where its stubs pickle starts
    stubs_length: int
    files_length: int  # of its files pickle, which follows the stubs'
    origin: "tuple[str, int] | None"  # see pack()
    stubs: int  # how many stubs it holds


class _StoredPacks:
    """The packs of a file cache, unpickled only as far as they are needed.

    Opening reads each pack's paths (and where its pickles are) and checks
    each pack's checksum, so that a damaged file is found there and then
    (and the cache ignored), not half way through a build; a file's entry is
    unpickled when first asked for, with the packs holding the stubs it
    refers to. An incremental build that patches the last graph
    (:mod:`graph.incremental`) needs the entries of the changed files only:
    on the real corpus, 0.08 s of unpickling every pack, most of such a
    rebuild's reading. :meth:`all` unpickles every pack, in order (as
    :func:`unpack` needs).
    """

    def __init__(self, segments: list[tuple[BinaryIO, int, int]]) -> None:
        #: The files read, each with where its packs start and end (a file
        #: cache written whole, then the packs appended since, see
        #: :class:`graph.cache.FileCache`); closed by :meth:`close`.
        self._fhs: list[BinaryIO] | None = [fh for fh, _, _ in segments]
        #: Where each pack lies.
        self._packs: list[_PackAt] = []
        #: Each file's last entry: (pack, position in it).
        self.where: dict[str, tuple[int, int]] = {}
        # Each sender's packs: the number of their first stub, and the pack.
        self._senders: dict[str, tuple[list[int], list[int]]] = {}
        for f, (fh, start, end) in enumerate(segments):
            # Checked through a mapping of the file: reading every pack into
            # memory to check it took twice as long (6-16 ms against 6 for the
            # real corpus's 8 MB), in every build that may need an entry.
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
                at = self._check(f, view, start, end)
            if at != end:
                raise ValueError("the packs do not end where the index starts")
        self._stubs: dict[int, list[tuple]] = {}  # unpickled stub values, by pack
        self._files: dict[int, list] = {}  # unpickled files, by pack
        self._done: dict[str, ParsedFile] = {}
        self._shared = SharedStubs()

    def _check(self, f: int, view: memoryview, start: int, end: int) -> int:
        """Note where each pack of file ``f`` (``view``: its bytes) between
        ``start`` and ``end`` lies, and check it; where the last one ends."""
        at = start
        while at < end:
            lengths = _PACK_HEAD.unpack_from(view, at)
            at += _PACK_HEAD.size
            paths, origin, stubs, crc = pickles.loads(view[at:at + lengths[0]], self._fhs[f].name)  # type: ignore[index]
            at += lengths[0]
            if zlib.crc32(view[at:at + lengths[1] + lengths[2]]) != crc:
                raise ValueError("a pack of the file cache is damaged")
            k = len(self._packs)
            self._packs.append(_PackAt(f, at, lengths[1], lengths[2], origin, stubs))
            self.where.update((path, (k, i)) for i, path in enumerate(paths))
            if origin is not None:
                firsts, packs = self._senders.setdefault(origin[0], ([], []))
                if origin[1] != (firsts[-1] + self._packs[packs[-1]].stubs if firsts else 0):
                    raise ValueError(f"packs of {origin[0]} out of order")
                firsts.append(origin[1])
                packs.append(k)
            at += lengths[1] + lengths[2]
        return at

    def _read(self, f: int, offset: int, length: int) -> object:
        if self._fhs is None:
            raise ValueError("the file cache was closed")
        return pickles.loads(os.pread(self._fhs[f].fileno(), length, offset), self._fhs[f].name)

    def _read_stubs(self, where: _PackAt) -> list[tuple]:
        return self._read(where.file, where.at, where.stubs_length)  # type: ignore[return-value]

    def _read_files(self, where: _PackAt) -> list:
        return self._read(where.file, where.at + where.stubs_length, where.files_length)  # type: ignore[return-value]

    def _stub(self, k: int, n: int) -> ArticleRecord:
        """Stub number ``n`` of pack ``k``'s sender."""
        origin = self._packs[k].origin
        if origin is not None:
            firsts, packs = self._senders[origin[0]]
            x = bisect.bisect_right(firsts, n) - 1
            k, n = packs[x], n - firsts[x]
        stubs = self._stubs.get(k)
        if stubs is None:
            stubs = self._stubs[k] = self._read_stubs(self._packs[k])
        return self._shared.record(stubs[n])

    def get(self, path: str) -> ParsedFile:
        """The last entry of ``path`` (``KeyError`` when there is none)."""
        parsed = self._done.get(path)
        if parsed is None:
            k, i = self.where[path]
            files = self._files.get(k)
            if files is None:
                files = self._files[k] = self._read_files(self._packs[k])
            parsed, refs = files[i]
            if refs is not None:
                parsed.record.related = tuple([self._stub(k, n) for n in refs])
            self._done[path] = parsed
        return parsed

    def some(self, paths: Collection[str]) -> dict[str, ParsedFile]:
        """The last entry of each of ``paths``, by path: each through :meth:`get`
        when they are under half the files stored, else :meth:`all` of them.

        Why: a rebuild after most files changed (a corpus exported again, a
        replace across every file) unpickled every pack to reuse a few
        entries: 0.8 s of CPU on the real corpus with 142 of its 3,855 files
        unchanged, more than the build saved by not parsing them.
        """
        if 2 * len(paths) >= len(self.where):
            return self.all()
        return {path: self.get(path) for path in paths}

    def all(self) -> dict[str, ParsedFile]:
        """Every file's last entry, by path (every pack unpickled once, in order)."""
        if len(self._done) < len(self.where):
            shared = SharedStubs()
            shared.by_values = self._shared.by_values  # the stubs made so far are kept
            for k, where in enumerate(self._packs):
                packed = (self._read_files(where), self._read_stubs(where), where.origin)
                for i, parsed in enumerate(unpack(packed, shared)):  # type: ignore[arg-type]
                    if self.where[parsed.path] == (k, i):
                        self._done.setdefault(parsed.path, parsed)
            self._stubs.clear()
            self._files.clear()
        return self._done

    def close(self) -> None:
        if self._fhs is not None:
            for fh in self._fhs:
                fh.close()
            self._fhs = None


def dump_checked(value: object, fh: BinaryIO) -> None:
    """Pickle ``value`` into ``fh`` with its CRC-32, for :func:`load_checked`.

    Why: a cache file's part that is unpickled whole (a catalogue, a build's
    report) and damaged where it still unpickles was trusted, and its damage
    went into every later build's exports.
    """
    pickled = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump((zlib.crc32(pickled), pickled), fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_checked(fh: BinaryIO) -> object:
    """What :func:`dump_checked` wrote at ``fh``'s position.

    Raises
    ------
    ValueError
        When its bytes no longer have their CRC-32.

    Examples
    --------
    >>> import io
    >>> fh = io.BytesIO()
    >>> dump_checked({"topic": "azure"}, fh)
    >>> load_checked(io.BytesIO(fh.getvalue()))
    {'topic': 'azure'}
    >>> load_checked(io.BytesIO(fh.getvalue().replace(b"azure", b"azurd")))
    Traceback (most recent call last):
    ...
    ValueError: damaged: its bytes no longer have their CRC-32
    """
    crc, pickled = pickles.load(fh)  # type: ignore[misc]
    if zlib.crc32(pickled) != crc:
        raise ValueError("damaged: its bytes no longer have their CRC-32")
    return pickles.loads(pickled, getattr(fh, "name", "a cache file"))
