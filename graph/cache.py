"""Incremental builds: a content-hash cache of parsed input files.

Reading a file (decoding, YAML, coercion into records) depends on nothing but
its bytes, so :func:`cached_reader` keeps what :func:`graph.reader.read_file`
returned for every file of the last build and parses again only the files
whose content changed. Everything after reading (identity resolution,
catalogues, the report, exports) is redone from scratch, so a cached build's
output is byte-identical to a clean build's.

How a file counts as unchanged: its size, modification time (ns) and inode
equal the cached ones (the test ``make`` and ``git`` use), or, when they do not,
its SHA-256 equals the cached one (a file that was only touched is not parsed
again). The cache is also ignored entirely when the code that parses changed
(a digest of :mod:`graph.reader`, :mod:`graph.model` and :mod:`graph.resolve`)
or when the YAML loader choice differs.

Where: ``exports/.cache/parsed.pickle`` for ``newsgraph build`` (the output
folder's ``.cache``; ``--no-cache`` turns it off). It is safe to delete at any
time. It is written to a temporary file moved into place only after every
file was read (:func:`graph.export.files.atomic_writer`), so a crash mid-build
leaves the previous cache, still valid since entries are checked against the
files. When the reading pool parses every file, what its workers send is
written to that temporary file as it arrives (:class:`_PackStream`);
otherwise ``newsgraph build`` writes the cache, and the graph snapshot, from
forked processes while the build goes on (:class:`BackgroundWrites`), and
waits for them.
An unreadable or corrupt cache is ignored (and then replaced). The file is a
pickle: like any cache of this kind it must not be writable by people you do
not trust.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import itertools
import json
import os
import pickle
import struct
import threading
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Iterator

from .model import ArticleRecord, _record_args
from .reader import ParsedFile

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = ["CACHE_FILE", "FORMAT", "CacheStats", "FileCache", "GraphSnapshot", "cached_reader",
           "code_fingerprint", "pack", "unpack", "encode_pack", "decode_pack", "SentStubs", "SharedStubs",
           "write_exports_cached", "EXPORTS_FILE", "SPARES_DIR", "OFFSETS_DIR", "BackgroundWrites", "SNAPSHOT_CHUNK",
           "SNAPSHOT_PARTS", "CATALOG_FILE", "cached_catalogs"]

#: File name of the cache inside its folder.
CACHE_FILE = "parsed.pickle"
#: Bumped whenever the layout of the cache files changes.
FORMAT = 11

Reader = Callable[[list[tuple[str, bool]], bool, Callable[[int, int], None] | None], Iterable[ParsedFile]]
_Signature = tuple[int, int, int]  # size, mtime_ns, inode
_Entry = tuple[_Signature, str, bool, ParsedFile]  # signature, sha256, explicit, what it parsed to


# --------------------------------------------------------------------------
# Writing the cache files while the build goes on
# --------------------------------------------------------------------------


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
        pid = os.fork()
        if pid == 0:  # the child: write, then leave without running the parent's exit handlers
            status = 1
            try:
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


# --------------------------------------------------------------------------
# A compact form of parsed files, for the cache and the worker pool
# --------------------------------------------------------------------------


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

    def __init__(self, fh: BinaryIO, start: int, end: int) -> None:
        self._fh: BinaryIO | None = fh
        #: Each pack: where its stubs pickle starts, its length, its files pickle's
        #: length, its origin (see :func:`pack`) and its number of stubs.
        self._packs: list[tuple[int, int, int, "tuple[str, int] | None", int]] = []
        #: Each file's last entry: (pack, position in it).
        self.where: dict[str, tuple[int, int]] = {}
        # Each sender's packs: the number of their first stub, and the pack.
        self._senders: dict[str, tuple[list[int], list[int]]] = {}
        fd = fh.fileno()
        at = start
        while at < end:
            head = os.pread(fd, _PACK_HEAD.size, at)
            lengths = _PACK_HEAD.unpack(head)
            at += _PACK_HEAD.size
            paths, origin, stubs, crc = pickle.loads(os.pread(fd, lengths[0], at))
            at += lengths[0]
            if zlib.crc32(os.pread(fd, lengths[1] + lengths[2], at)) != crc:
                raise ValueError("a pack of the file cache is damaged")
            k = len(self._packs)
            self._packs.append((at, lengths[1], lengths[2], origin, stubs))
            self.where.update((path, (k, i)) for i, path in enumerate(paths))
            if origin is not None:
                firsts, packs = self._senders.setdefault(origin[0], ([], []))
                if origin[1] != (firsts[-1] + self._packs[packs[-1]][4] if firsts else 0):
                    raise ValueError(f"packs of {origin[0]} out of order")
                firsts.append(origin[1])
                packs.append(k)
            at += lengths[1] + lengths[2]
        if at != end:
            raise ValueError("the packs do not end where the index starts")
        self._stubs: dict[int, list[tuple]] = {}  # unpickled stub values, by pack
        self._files: dict[int, list] = {}  # unpickled files, by pack
        self._done: dict[str, ParsedFile] = {}
        self._shared = SharedStubs()

    def _read(self, offset: int, length: int) -> object:
        if self._fh is None:
            raise ValueError("the file cache was closed")
        return pickle.loads(os.pread(self._fh.fileno(), length, offset))

    def _stub(self, k: int, n: int) -> ArticleRecord:
        """Stub number ``n`` of pack ``k``'s sender."""
        origin = self._packs[k][3]
        if origin is not None:
            firsts, packs = self._senders[origin[0]]
            x = bisect.bisect_right(firsts, n) - 1
            k, n = packs[x], n - firsts[x]
        stubs = self._stubs.get(k)
        if stubs is None:
            at, length, *_ = self._packs[k]
            stubs = self._stubs[k] = self._read(at, length)  # type: ignore[assignment]
        return self._shared.record(stubs[n])

    def get(self, path: str) -> ParsedFile:
        """The last entry of ``path`` (``KeyError`` when there is none)."""
        parsed = self._done.get(path)
        if parsed is None:
            k, i = self.where[path]
            files = self._files.get(k)
            if files is None:
                at, stubs, length, *_ = self._packs[k]
                files = self._files[k] = self._read(at + stubs, length)  # type: ignore[assignment]
            parsed, refs = files[i]
            if refs is not None:
                parsed.record.related = tuple([self._stub(k, n) for n in refs])
            self._done[path] = parsed
        return parsed

    def all(self) -> dict[str, ParsedFile]:
        """Every file's last entry, by path (every pack unpickled once, in order)."""
        if len(self._done) < len(self.where):
            shared = SharedStubs()
            shared.by_values = self._shared.by_values  # the stubs made so far are kept
            for k, (at, stubs, length, origin, _) in enumerate(self._packs):
                packed = (self._read(at + stubs, length), self._read(at, stubs), origin)
                for i, parsed in enumerate(unpack(packed, shared)):  # type: ignore[arg-type]
                    if self.where[parsed.path] == (k, i):
                        self._done.setdefault(parsed.path, parsed)
            self._stubs.clear()
            self._files.clear()
        return self._done

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _package_files() -> dict[str, bytes]:
    """The SHA-256 of each file of the package (code, templates, data) by its
    path relative to it (``/``-separated), read once per process.

    Why once: the fingerprints below are asked for by every build, several
    times; reading and hashing the files each time took 17 ms of a 0.4 s
    rebuild. A process runs the code it imported, whatever the files say later.
    """
    global _PACKAGE_FILES
    if _PACKAGE_FILES is None:
        here = os.path.dirname(os.path.realpath(__file__))
        found: dict[str, bytes] = {}
        for folder, dirs, files in os.walk(here):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as fh:
                    found[os.path.relpath(path, here).replace(os.sep, "/")] = hashlib.sha256(fh.read()).digest()
        _PACKAGE_FILES = dict(sorted(found.items()))
    return _PACKAGE_FILES


_PACKAGE_FILES: dict[str, bytes] | None = None


def _digest_of(names: Iterable[str], seed: bytes = b"") -> str:
    h = hashlib.sha256(seed)
    files = _package_files()
    for name in names:
        h.update(name.encode() + b"\0" + files[name])
    return h.hexdigest()


def code_fingerprint() -> str:
    """A digest of the modules whose code decides what a file parses to.

    >>> len(code_fingerprint())
    16
    """
    try:
        import yaml_rs  # the fast loader's version changes what it returns

        version = str(getattr(yaml_rs, "__version__", "")).encode()
    except ImportError:  # pragma: no cover
        version = b""
    return _digest_of(("reader.py", "frontmatter_formats.py", "model.py", "resolve.py"), version)[:16]


def _signature(st: os.stat_result) -> _Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


@dataclass
class CacheStats:
    """What the last cached read did."""

    reused: int = 0  # files taken from the cache
    parsed: int = 0  # files read and parsed again
    loaded: bool = False  # whether an existing cache was usable
    problem: str | None = None  # why an existing cache was ignored


@dataclass
class FileCache:
    """The cache of one folder: for each file, its signature, SHA-256, ``explicit``
    flag (:attr:`index`) and what it parsed to (:meth:`parsed_file`; :attr:`entries`
    has all four)."""

    folder: Path
    fast_yaml: bool
    #: ``{path: (signature, sha256, explicit)}`` of every file the cache holds.
    index: dict[str, tuple[_Signature, str, bool]] = field(default_factory=dict)
    stats: CacheStats = field(default_factory=CacheStats)
    #: Where :meth:`read` saves the cache (``None``: here, before it returns).
    background: "BackgroundWrites | None" = None
    #: After :meth:`read`: each file parsed again as it was before and as it
    #: is now (``None`` when some file was not in the cache).
    changes: list[tuple[ParsedFile, ParsedFile]] | None = None
    #: What files parsed to, when not (or no longer) as the file holds it.
    _parsed: dict[str, ParsedFile] = field(default_factory=dict, repr=False)
    #: The file :meth:`load` opened, and where its packs start and end, until :meth:`_open_packs`.
    _packs_at: tuple[BinaryIO, int, int] | None = field(default=None, repr=False)
    #: The packs of the file as :meth:`load` found it, unpickled when needed.
    _stored: _StoredPacks | None = field(default=None, repr=False)
    #: The file as :meth:`load` found it: its signature, where its packs end
    #: and where those written whole end (appended ones follow).
    _loaded_from: tuple[_Signature, int, int] | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / CACHE_FILE

    def _header(self) -> dict:
        return {"format": FORMAT, "code": code_fingerprint(), "fast_yaml": self.fast_yaml}

    def parsed_file(self, path: str) -> ParsedFile:
        """What ``path`` parsed to, as the cache holds it."""
        parsed = self._parsed.get(path)
        if parsed is None:
            self._open_packs()
            if path not in self.index or self._stored is None:
                raise KeyError(path)
            parsed = self._stored.get(path)
        return parsed

    @property
    def entries(self) -> dict[str, _Entry]:
        """``{path: (signature, sha256, explicit, ParsedFile)}``: every entry,
        the cache file's packs unpickled if need be."""
        self._open_packs()
        stored = {}
        if self._stored is not None and any(path not in self._parsed for path in self.index):
            stored = self._stored.all()
        return {path: (*e, self._parsed[path] if path in self._parsed else stored[path])
                for path, e in self.index.items()}

    def close(self) -> None:
        """Let go of the cache file (what was not unpickled from it is then out of reach)."""
        if self._packs_at is not None:
            self._packs_at[0].close()
            self._packs_at = None
        if self._stored is not None:
            self._stored.close()

    # The file: the header pickle, then the packs (each as encode_pack
    # makes it), then the index pickle ``{path: (signature, sha256,
    # explicit)}``, then the footer (:data:`_FOOTER`). The index comes last
    # so that the packs can be written as they arrive from the reading pool
    # (see :meth:`read`). A file's entry is the last one the packs hold for
    # its path: a rebuild that parsed a few files again appends a pack of
    # them to the packs it copies (:meth:`save`).

    @staticmethod
    def _read_index(fh: BinaryIO) -> tuple[dict, int, int]:
        """The index, where it starts, and where the packs written whole end."""
        fh.seek(-_FOOTER.size, os.SEEK_END)
        offset, whole = _FOOTER.unpack(fh.read(_FOOTER.size))
        fh.seek(offset)
        index = pickle.load(fh)
        if not isinstance(index, dict):
            raise ValueError("the index is not a mapping")
        return index, offset, whole

    @staticmethod
    def _write_index(fh: BinaryIO, index: dict[str, tuple[_Signature, str, bool]], whole: int | None = None
                     ) -> None:
        offset = fh.tell()
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(_FOOTER.pack(offset, offset if whole is None else whole))

    @classmethod
    def load_index(cls, folder: str | os.PathLike, fast_yaml: bool) -> dict[str, tuple[_Signature, str, bool]]:
        """Only ``{path: (signature, sha256, explicit)}`` of the cache (empty when unusable)."""
        cache = cls(Path(folder), fast_yaml)
        try:
            with open(cache.path, "rb") as fh:
                if pickle.load(fh) != cache._header():
                    return {}
                return cls._read_index(fh)[0]
        except Exception:  # noqa: BLE001 - missing or damaged: no index
            return {}

    @classmethod
    def load(cls, folder: str | os.PathLike, fast_yaml: bool) -> "FileCache":
        """The cache in ``folder``; empty when missing, stale or unreadable.

        Only the index is read here; where each file's entry lies when the
        entries may be needed (:meth:`read`), and the entries themselves when
        asked for (:meth:`parsed_file`, :attr:`entries`), from the file kept
        open until :meth:`close`.
        """
        cache = cls(Path(folder), fast_yaml)
        fh = None
        try:
            fh = open(cache.path, "rb")
            header = pickle.load(fh)
            if header != cache._header():
                cache.stats.problem = "made by other code or options"
                fh.close()
                return cache
            start = fh.tell()
            index, end, whole = cls._read_index(fh)
            signature = _signature(os.fstat(fh.fileno()))
        except FileNotFoundError:
            return cache
        except Exception as err:  # noqa: BLE001 - any damage: start afresh
            if fh is not None:
                fh.close()
            cache.stats.problem = f"unreadable ({type(err).__name__}); rebuilt"
            return cache
        cache.index = index
        cache._packs_at = (fh, start, end)
        cache.stats.loaded = True
        cache._loaded_from = (signature, end, whole)
        return cache

    def _open_packs(self) -> None:
        """Find where each entry lies, and check the packs, the first time the
        entries may be needed (a build served from its graph snapshot never
        needs them: at 100,000 files, 0.27 s of a 2.4 s rebuild). From the file
        :meth:`load` opened, so that the packs are those of its index. A
        damaged file empties the cache (every file is parsed again)."""
        if self._packs_at is None:
            return
        fh, start, end = self._packs_at
        self._packs_at = None
        try:
            stored = _StoredPacks(fh, start, end)
            if stored.where.keys() != self.index.keys():
                raise ValueError("the packs do not hold the files of the index")
        except Exception as err:  # noqa: BLE001 - any damage: start afresh
            fh.close()
            self.index, self._loaded_from = {}, None
            self.stats.loaded = False
            self.stats.problem = f"unreadable ({type(err).__name__}); rebuilt"
            return
        self._stored = stored

    def save(self, index: dict[str, tuple[_Signature, str, bool]] | None = None, *, parsed: Iterable[str] = ()
             ) -> None:
        """Replace the cache file with the entries of ``index`` (default: :attr:`index`), atomically.

        When the file is still the one :meth:`load` read, the new file is its
        packs (copied by the kernel), a pack of the entries of ``parsed`` (the
        paths parsed since), and the new index: pickling every entry again
        took 9 s at 100,000 files, for one file edited. Once the appended
        packs would pass a quarter of those written whole, all entries are
        written afresh (an appended pack repeats the related stubs its files
        share with others).
        """
        from .export.files import atomic_writer, copy_range

        self._open_packs()
        index = self.index if index is None else index
        loaded = self._loaded_from
        with contextlib.ExitStack() as stack:
            appended: bytes | None = None
            if loaded is not None:
                try:
                    old = stack.enter_context(open(self.path, "rb"))
                    if _signature(os.fstat(old.fileno())) == loaded[0]:
                        appended = self._appended_pack(index, parsed)
                except OSError:
                    appended = None
            if appended is None:  # every entry, unpickled (in order) before the file is replaced
                if self._stored is not None:
                    self._stored.all()
                files = [self.parsed_file(path) for path in index]
            fh = stack.enter_context(atomic_writer(self.path, "wb", encoding=None))
            if appended is not None:
                fh.flush()
                copy_range(old.fileno(), fh.fileno(), 0, loaded[1])  # type: ignore[index]
                fh.seek(loaded[1])  # type: ignore[index]
                fh.write(appended)
                self._write_index(fh, index, whole=loaded[2])  # type: ignore[index]
            else:
                pickle.dump(self._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
                # One pack for all entries: stubs shared between files (see
                # graph.model._coerce_stub) are stored once.
                fh.write(encode_pack(pack(files)))
                self._write_index(fh, index)
        self.index = index

    def _appended_pack(self, index: dict[str, tuple[_Signature, str, bool]], parsed: Iterable[str]
                       ) -> bytes | None:
        """The pack of the entries of ``parsed`` that :meth:`save` appends to the
        file :meth:`load` read; ``None`` when the file is to be written afresh."""
        if self._loaded_from is None:
            return None
        _, end, whole = self._loaded_from
        paths = [path for path in parsed if path in index]
        appended = encode_pack(pack(self.parsed_file(path) for path in paths)) if paths else b""
        return appended if end + len(appended) <= 1.25 * whole else None

    def read(self, files: list[tuple[str, bool]], fast: bool, progress: Callable[[int, int], None] | None,
             inner: Reader, on_changes: Callable[["FileCache"], bool] | None = None,
             stats: dict[str, os.stat_result] | None = None) -> Iterator[ParsedFile]:
        """Yield a :class:`ParsedFile` for each of ``files``, in order, parsing
        only the changed ones with ``inner``; save the cache at the end.

        ``on_changes(cache)`` is called once the changed files are parsed
        (:attr:`changes` is set) and before anything is yielded; when it
        returns true, nothing is: the caller needs no more than the changes,
        and the unchanged files' entries are not even unpickled. ``stats``:
        ``os.stat`` of files, taken before (by :func:`graph.reader.scan`).
        """
        stats = stats or {}
        self._open_packs()  # before anything is read: a damaged file means parsing every file
        results: list[ParsedFile | None] = [None] * len(files)
        fresh: dict[str, tuple[_Signature, str, bool]] = {}  # the index after this read
        parsed_now: dict[str, ParsedFile] = {}
        todo: list[int] = []
        signatures: dict[int, _Signature | None] = {}
        digests: dict[int, str | None] = {}
        for i, (path, explicit) in enumerate(files):
            try:
                sig: _Signature | None = _signature(stats.get(path) or os.stat(path))
            except OSError:
                sig = None
            old = self.index.get(path)
            # ``explicit`` decides whether a file without front matter is
            # skipped or rejected, so it is part of the key.
            if sig is None or old is None or old[2] != explicit:
                todo.append(i)
                signatures[i] = sig
                continue
            digest = old[1]
            if old[0] != sig:
                digest = _sha256(path)
                if digest is None or digest != old[1]:
                    todo.append(i)
                    signatures[i], digests[i] = sig, digest
                    continue
            fresh[path] = (sig, digest, explicit)
        self.stats.reused = len(files) - len(todo)
        self.stats.parsed = len(todo)
        total = len(files)
        if progress and self.stats.reused:
            progress(self.stats.reused, total)
        stream = None
        if todo and not self.stats.reused and getattr(inner, "sends_packs", False):
            stream = _PackStream.open(self)
        parsed_iter = iter(inner([files[i] for i in todo], fast, None,
                                 **({"on_pack": stream.add} if stream is not None else {})))
        changes: list[tuple[ParsedFile, ParsedFile]] | None = []
        try:
            done = self.stats.reused
            for i in todo:
                parsed = next(parsed_iter)
                results[i] = parsed
                path, explicit = files[i]
                before = self.index.get(path)
                if changes is not None:
                    if before is None or before[2] != explicit:
                        changes = None
                    else:
                        changes.append((self.parsed_file(path), parsed))
                sig = signatures[i]
                if parsed.sha256 is not None:
                    # The digest of the bytes parsed: right even when the file
                    # changed after it was stat'ed (the next build hashes it then).
                    if sig is not None:
                        fresh[path] = (sig, parsed.sha256, explicit)
                        parsed_now[path] = parsed
                else:  # a reader that does not hash: hash the file again
                    digest = digests.get(i) or (_sha256(path) if sig is not None else None)
                    if sig is not None and digest is not None and _unchanged(path, sig):
                        # Kept only if the file did not change again while being read.
                        fresh[path] = (sig, digest, explicit)
                        parsed_now[path] = parsed
                done += 1
                if progress and (done % 50 == 0 or done == total):
                    progress(done, total)
            next(parsed_iter, None)  # let the inner reader finish (closes its pool)
            self.changes = changes
            if on_changes is None or not on_changes(self):
                stored = self._stored.all() if self._stored is not None and self.stats.reused else {}
                for i, (path, _) in enumerate(files):
                    yield results[i] if results[i] is not None else stored[path]  # type: ignore[misc]
        except BaseException:  # the build failed or stopped reading: no cache from it
            if stream is not None:
                stream.abandon()
            self.close()
            raise
        # Reached only when the build consumed every file: a crash earlier
        # keeps the previous cache.
        self._save_after_read(fresh, parsed_now, stream, [files[i][0] for i in todo])

    def _save_after_read(self, fresh: dict[str, tuple[_Signature, str, bool]], parsed_now: dict[str, ParsedFile],
                         stream: "_PackStream | None", parsed_again: list[str]) -> None:
        previous = self.index
        self._parsed.update(parsed_now)  # what the cache holds now (also for the save, wherever it runs)
        closing = True  # unless a thread saving the cache may still need the file
        try:
            if stream is not None and stream.finish(fresh):
                return
            if self.stats.loaded and not parsed_again and fresh.keys() == previous.keys() and sum(
                    fresh[p][0] != previous[p][0] for p in fresh) <= _RESAVE_AFTER:
                # Nothing parsed: the cache on disk is still right. A few touched
                # files are hashed again next time, which is cheaper than saving.
                return
            if self.background is not None:
                # A few files parsed again, whose pack is appended to a copy of the
                # file: a thread's work (not so when everything is pickled afresh).
                light = (len(parsed_again) <= _LIGHT_SAVE_MAX
                         and self._appended_pack(fresh, parsed_again) is not None)

                def save() -> None:
                    try:
                        self.save(fresh, parsed=parsed_again)
                    finally:
                        if light:
                            self.close()

                self.background.start(save, files=len(fresh), light=light)
                closing = not light
                return
            try:
                self.save(fresh, parsed=parsed_again)
            except OSError as err:
                self.stats.problem = f"not saved: {err.strerror or err}"
        finally:
            self.index = fresh  # what the cache now holds (the save may still be going on, elsewhere)
            if closing:
                self.close()


#: Up to this many files parsed again, :meth:`FileCache.read` saves the cache in a thread (an append).
_LIGHT_SAVE_MAX = 64


#: The last 16 bytes of the file cache: where its index starts, and where the
#: packs written whole end (packs appended by :meth:`FileCache.save` follow).
_FOOTER = struct.Struct("<QQ")


class _Abandoned(Exception):
    """Raised into :func:`graph.export.files.atomic_writer` to drop its temporary file."""


class _PackStream:
    """The file cache written while the reading pool sends its packs.

    When every file is parsed (a first build), the packs the pool's workers
    pickled to send back are the cache's packs already: writing those bytes
    as they arrive replaces pickling every parsed file again at the end
    (9.3 s at 100,000 synthetic files; at 10,000 files, a forked process's
    0.6 s of CPU beside the build). The file is a temporary one until
    :meth:`finish` checks that the packs hold exactly the files the cache
    keeps; otherwise it is dropped, and the cache saved as usual.
    """

    def __init__(self, stack: contextlib.ExitStack, fh: BinaryIO) -> None:
        self._stack = stack
        self._fh: BinaryIO | None = fh
        self._paths: list[str] = []

    @classmethod
    def open(cls, cache: FileCache) -> "_PackStream | None":
        from .export.files import atomic_writer

        stack = contextlib.ExitStack()
        try:
            fh = stack.enter_context(atomic_writer(cache.path, "wb", encoding=None))
            pickle.dump(cache._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:
            stack.__exit__(*_ABANDON)
            return None
        return cls(stack, fh)

    def add(self, blob: bytes, parsed: list[ParsedFile]) -> None:
        """Append one pack (``blob``, which holds ``parsed``)."""
        if self._fh is None:
            return
        try:
            self._fh.write(blob)
        except OSError:
            self.abandon()  # e.g. a full disk: the cache is saved (or not) the usual way
            return
        self._paths.extend(pf.path for pf in parsed)

    def finish(self, entries: dict[str, tuple[_Signature, str, bool]]) -> bool:
        """Complete the file with the index of ``entries`` and move it into
        place, if the packs hold exactly those files, in order."""
        if self._fh is None or self._paths != list(entries):
            self.abandon()
            return False
        try:
            FileCache._write_index(self._fh, entries)
            self._fh = None
            self._stack.close()  # flushed, synced and moved into place
        except OSError:
            self.abandon()
            return False
        return True

    def abandon(self) -> None:
        """Drop the temporary file (again: no effect)."""
        self._fh = None
        with contextlib.suppress(_Abandoned, OSError):
            self._stack.__exit__(*_ABANDON)


_ABANDON = (_Abandoned, _Abandoned(), None)


#: Save an otherwise unchanged cache when more files than this were touched.
_RESAVE_AFTER = 64


def _unchanged(path: str, sig: _Signature) -> bool:
    try:
        return _signature(os.stat(path)) == sig
    except OSError:
        return False


def _graph_code_fingerprint() -> str:
    """A digest of every module of the package except the exporters."""
    return _digest_of((name for name in _package_files() if "/" not in name and name.endswith(".py")),
                      code_fingerprint().encode())[:16]


class GraphSnapshot:
    """The last build's whole :class:`~graph.builder.KnowledgeGraph`, reused
    when nothing it was built from changed.

    The key is a digest of: the code, the build's ``context`` (inputs, options,
    what the scan and the catalogues found; anything with a stable ``repr``)
    and every input file's path, ``explicit`` flag and SHA-256 as the file
    cache knows it (a file whose signature changed is hashed again; one the
    cache does not know means no snapshot). Stored in ``graph.pickle`` beside
    the file cache, written atomically.
    """

    FILE = "graph.pickle"

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
        self._previous_entities: bytes | None = None  # its pickled entities (_dump_entities)
        self._previous_parts: tuple[int, int, dict] | None = None  # their _entity_parts, once read

    def key(self, index: dict[str, tuple[_Signature, str, bool]] | None = None, *, as_indexed: bool = False
            ) -> str | None:
        """The key of the graph of the files as the file cache's ``index``
        (default: :attr:`index`, else the cache's on disk) says they were;
        unless ``as_indexed``, only if they are still so. ``None`` if a file is
        not known (or changed)."""
        if index is None:
            index = self.index if self.index is not None else FileCache.load_index(self.folder, self.fast_yaml)
        if not index or (not as_indexed and not self._as_indexed(index)):
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

    def _as_indexed(self, index: dict[str, tuple[_Signature, str, bool]]) -> bool:
        """Whether every file is as ``index`` says: the same signature, or else the same content."""
        for path, _ in self.files:
            entry = index.get(path)
            if entry is None:
                return False
            try:
                sig = _signature(self.stats.get(path) or os.stat(path))
            except OSError:
                return False
            if sig != entry[0] and _sha256(path) != entry[1]:
                return False
        return True

    def load(self, index: dict[str, tuple[_Signature, str, bool]] | None = None) -> object | None:
        """The snapshot's graph, or ``None`` when missing, stale or unreadable.

        ``index`` is the file cache's (default: read from its file). Only the
        key and the report are unpickled here; the entities when first used
        (:meth:`graph.builder.KnowledgeGraph.deferred`): a build whose exports
        are current never needs them.
        """
        from .builder import KnowledgeGraph

        try:
            with open(self.folder / self.FILE, "rb") as fh:
                stored = pickle.load(fh)
                if index is None:
                    index = FileCache.load_index(self.folder, self.fast_yaml)
                if stored != self.key(index, as_indexed=True):
                    return None
                current = self._as_indexed(index)
                report = pickle.load(fh)
                entities = fh.read()  # held as bytes: the file may be replaced meanwhile
            # Unpickled only when first used: checked now, so that damage means no snapshot.
            entities, crc = entities[:-_CRC.size], _CRC.unpack(entities[-_CRC.size:])[0]
            if zlib.crc32(entities) != crc:
                return None
        except Exception:  # noqa: BLE001 - missing or damaged: build normally
            return None
        if current:
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
        from .export.files import atomic_writer

        patched = self._patched_entities(kg)
        try:
            with atomic_writer(self.folder / self.FILE, "wb", encoding=None) as fh:
                pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(kg.report, fh, protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[attr-defined]
                summed = _Checksummed(fh)
                if patched is not None:
                    base, changed, index_at = patched
                    summed.write(base)
                    pickle.dump(changed, summed, protocol=pickle.HIGHEST_PROTOCOL)
                    summed.write(_TRAILER.pack(index_at, len(base)))
                else:
                    _dump_entities(kg, summed)  # type: ignore[arg-type]
                fh.write(_CRC.pack(summed.crc))  # the entities' checksum, last
        except OSError:
            return False  # a cache that cannot be written only costs time
        return True

    def _patched_entities(self, kg: object) -> tuple[memoryview, dict, int] | None:
        """For a graph :func:`graph.incremental.patch_graph` made from
        :attr:`previous`: the previous snapshot's entities up to its changed
        articles, its changed articles with those of ``kg`` (which are all
        that differ), and where its index starts; ``None`` when there are too
        many to keep apart."""
        patch = getattr(kg, "_patch", None)
        data = self._previous_entities
        if patch is None or kg is not self.previous or data is None:
            return None
        index_at, changed_at, changed = self._parts_of_previous()
        changed = {**changed, **{after.id: after for _, after in patch.articles}}
        if len(changed) > min(_SNAPSHOT_CHANGED_MAX, kg.report.articles // 8):  # type: ignore[attr-defined]
            return None
        return memoryview(data)[:changed_at], changed, index_at


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
SNAPSHOT_CHUNK = 1024
#: Changed articles a patched graph's snapshot keeps apart (beyond this or an
#: eighth of the articles, it is written whole again).
_SNAPSHOT_CHANGED_MAX = 4096


def _dump_entities(kg: object, fh: _Checksummed) -> None:
    """Write the providers and the topics, the articles in pickles (about
    :data:`SNAPSHOT_PARTS` of them, of at least :data:`SNAPSHOT_CHUNK` articles
    each), an index of those pickles, and (none here) the articles changed since.

    Why chunks: an edited file's article is found, through the index, by
    unpickling the chunk that holds it (:func:`_find_articles`), not every
    article (on the real corpus, one of 5 chunks, in 0.01 s instead of 0.05
    s). Also, a pickle's memo holds every object it wrote until it ends (193
    MB for the 125,000 articles of 100,000 synthetic files in one pickle,
    while the other exporting process lives). The price: the strings that
    articles of different chunks share (an article's id in the others'
    related lists, their source files) are written once per chunk. At
    100,000 synthetic files the file took 155 MB in chunks of 65,536, 172 MB
    in 4, 201 MB in 8 (:data:`SNAPSHOT_PARTS`), 243 MB in 16 and 403 MB in
    chunks of 1,024; on the real corpus, 4.6 MB in one, 5.5 MB in 5.
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


def _entity_parts(data: bytes) -> tuple[int, int, dict]:
    """Where the index and the changed articles of :func:`_dump_entities`'s
    bytes start, and those articles (by id)."""
    index_at, changed_at = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
    changed = pickle.loads(memoryview(data)[changed_at:len(data) - _TRAILER.size])
    return index_at, changed_at, changed


def _load_entities(data: bytes) -> tuple[dict, dict, dict]:
    """What :func:`_dump_entities` wrote: ``(articles, providers, topics)``."""
    fh = io.BytesIO(data)
    providers, topics, count = pickle.load(fh)
    articles: dict = {}
    while len(articles) < count:
        articles.update(pickle.load(fh))
    changed = _entity_parts(data)[2]
    if not changed.keys() <= articles.keys():
        raise ValueError("the snapshot changes articles it does not have")
    articles.update(changed)  # in place: the articles keep their order
    return articles, providers, topics


def _find_articles(data: bytes, paths: set[str], parts: tuple[int, int, dict]) -> list:
    """The articles of :func:`_dump_entities`'s bytes whose first file is in
    ``paths``, as :func:`_load_entities` would give them, read from the chunks
    that hold them only (``parts``: the bytes' :func:`_entity_parts`)."""
    index_at, changed_at, changed = parts
    starts, by_file = pickle.loads(memoryview(data)[index_at:changed_at])
    fh = io.BytesIO(data)
    found = []
    for chunk in sorted({c for path in paths for c in by_file.get(path, ())}):
        fh.seek(starts[chunk])
        found += [changed.get(a.id, a) for a in pickle.load(fh).values() if a.files and a.files[0] in paths]
    return found


def _providers_and_topics(data: bytes) -> tuple[dict, dict]:
    """The providers and the topics of :func:`_dump_entities`'s bytes."""
    providers, topics, _ = pickle.load(io.BytesIO(data))
    return providers, topics


#: File name of the record of the last exports, beside the caches.
EXPORTS_FILE = "exports.json"
#: Folder of the exports' previous versions, written over by the next build (:func:`graph.export.files.recycling`).
SPARES_DIR = "spares"
#: Folder of the positions of the articles' texts in the exports (:mod:`graph.export.offsets`).
OFFSETS_DIR = "offsets"


def _exports_code_fingerprint() -> str:
    """A digest of the package's code and data files (exporters, templates)."""
    return _digest_of(_package_files())


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


#: File name of the catalogues' cache inside the cache folder.
CATALOG_FILE = "catalog.pickle"


def cached_catalogs(folders: list[str], cache_dir: str | os.PathLike) -> Catalog:
    """:func:`graph.catalog.load_catalogs` of ``folders``, kept in
    ``cache_dir``/:data:`CATALOG_FILE` and reused while none of their files
    changed (the same signatures: size, modification time, inode).

    Why: reading the real corpus's 167 catalogue files took 0.015 s, and
    needed PyYAML and python-frontmatter imported (0.03 s more), in every
    build, even one whose graph comes whole from its snapshot.
    """
    from .catalog import catalog_files, load_catalogs

    listing = []
    for folder in folders:
        for path in catalog_files(folder):
            try:
                listing.append((str(path), _signature(os.stat(path))))
            except OSError:
                listing.append((str(path), None))  # load_catalogs reports it
    key = repr((FORMAT, _graph_code_fingerprint(), folders, listing))
    file = Path(cache_dir) / CATALOG_FILE
    try:
        with open(file, "rb") as fh:
            if pickle.load(fh) == key:
                return pickle.load(fh)
    except Exception:  # noqa: BLE001 - missing or damaged: read the files
        pass
    catalog = load_catalogs(folders)
    from .export.files import atomic_writer

    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        with atomic_writer(file, "wb", encoding=None) as fh:
            pickle.dump(key, fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(catalog, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return catalog


def write_exports_cached(kg: object, folder: str | os.PathLike, formats: list[str] | tuple[str, ...] | None,
                         cache_dir: str | os.PathLike, *, jobs: int | None = 1,
                         background: BackgroundWrites | None = None, **options: object) -> dict[str, Path]:
    """:func:`graph.export.write_exports`, skipped when it would write the same files.

    When ``kg`` is a graph snapshot (:class:`GraphSnapshot`: nothing it was
    built from changed) and the last exports into ``folder`` were written
    from the same snapshot, formats, options and code, and every file they
    wrote is still there untouched (size, mtime, inode), the files are left
    as they are. When ``kg`` is that snapshot patched
    (:func:`graph.incremental.patch_graph`), the files are patched the same
    way if they can be (:func:`graph.incremental.patch_exports`). Otherwise
    the exports are written, and the writes ``background`` deferred are done
    beside them. What was written is recorded.
    """
    from .export import DEFAULT_FORMATS, EXPORTERS, write_exports
    from .export.files import atomic_writer, recycling
    from .export.offsets import OFFSETS_OPTION

    chosen = list(dict.fromkeys(formats or DEFAULT_FORMATS))
    folder = Path(folder)
    record = Path(cache_dir) / EXPORTS_FILE
    snapshot = getattr(kg, "_snapshot_key", None)
    patch = getattr(kg, "_patch", None)  # made by graph.incremental.patch_graph
    fingerprint = _exports_code_fingerprint() if snapshot is not None else ""

    def key_of(snapshot_key: str) -> str:
        return hashlib.sha256(repr((FORMAT, snapshot_key, chosen, sorted(options.items()), str(folder.resolve()),
                                    fingerprint)).encode()).hexdigest()

    key = last_key = None
    boot = _boot_id()
    spares: dict[str, list[int]] = {}  # the spares known to equal their file (graph.incremental._patch_file)
    if snapshot is not None:
        key = key_of(snapshot)
        try:
            last = json.loads(record.read_text(encoding="utf-8"))
            if last.get("files") and all(list(_signature(os.stat(p))) == sig for p, sig in last["files"].items()):
                last_key = last.get("key")  # the files are still those it wrote
                if last.get("boot") == boot is not None:  # see _boot_id
                    spares = {str(p): list(sig) for p, sig in last.get("spares", {}).items()}
            if last_key == key:
                return {name: folder / EXPORTERS[name].filename for name in chosen}
        except (OSError, ValueError, AttributeError, TypeError):
            spares = {}
    with contextlib.suppress(OSError):
        record.unlink()  # the record is stale from here on, whatever happens
    filenames = {name: EXPORTERS[name].filename for name in chosen if name in EXPORTERS}
    # The files on disk are those of the graph patched: they may be patched the same way.
    patchable = patch is not None and last_key is not None and last_key == key_of(patch.previous_key)
    if patchable and background is not None:
        for write in background.take():  # beside the patching
            # the snapshot of a patched graph: the last one's bytes and the changed articles
            background.start(write, files=kg.report.files_read, light=True)  # type: ignore[attr-defined]
    # Each file written over its version before last, kept in the cache (graph.export.files.recycling).
    # Where the writers record each article's position, for the next patch (graph.export.offsets).
    offsets_dir = Path(cache_dir) / OFFSETS_DIR
    with recycling(folder, Path(cache_dir) / SPARES_DIR):
        if patchable and _patch_exports(kg, folder, chosen, filenames, options,
                                        background.release if background is not None else None, spares,
                                        (offsets_dir, last_key, key)):  # type: ignore[arg-type]
            written = {name: folder / filenames[name] for name in chosen}
        else:
            spares = {}  # written whole: no spare is known to equal its file
            recording = {OFFSETS_OPTION: (str(offsets_dir), key)} if key is not None else {}
            written = write_exports(kg, folder, chosen, jobs=jobs, beside=background.take() if background else (),
                                    **options, **recording)
    if key is not None:
        files = {str(p): list(_signature(os.stat(p))) for w in written.values() for p in _files_under(Path(w))}
        try:
            with atomic_writer(record) as fh:
                json.dump({"key": key, "files": files, "spares": {p: spares[p] for p in files if p in spares},
                           "boot": boot}, fh, indent=1, sort_keys=True)
        except OSError:
            pass
    return written


def _boot_id() -> str | None:
    """This boot of the machine (Linux), or ``None``.

    Why: a spare brought up to its file is not synced (its writing is only
    started, see :func:`graph.incremental._catch_up_spare`), so after a crash
    of the machine its metadata may say it was written while its bytes were
    not. Losing written pages takes a restart, so the spares known equal to
    their files are recorded with the boot they were made in, and not
    trusted in another.
    """
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def _patch_exports(kg: object, folder: Path, chosen: list[str], filenames: dict[str, str],
                   options: dict[str, object], started: Callable[[], None] | None,
                   spares: dict[str, list[int]], offsets: tuple[Path, str, str]) -> bool:
    from .incremental import patch_exports

    try:
        return patch_exports(kg, folder, chosen, filenames, options, started=started, spares=spares,
                             offsets=offsets)
    except OSError:
        return False  # written again in full, which reports the problem if it lasts
    finally:
        if started is not None:
            started()  # if patch_exports did not get that far


def cached_reader(folder: str | os.PathLike, inner: Reader, *, on_done: Callable[[FileCache], None] | None = None,
                  on_changes: Callable[[FileCache], bool] | None = None,
                  background: BackgroundWrites | None = None, cache: FileCache | None = None,
                  stats: dict[str, os.stat_result] | None = None) -> Reader:
    """Wrap a ``reader(files, fast_yaml, progress)`` (see :func:`graph.build`)
    with the cache in ``folder`` (``cache``: as loaded already).

    ``on_done(cache)`` is called once every file was read (``cache.stats``
    says what was reused; ``cache.index`` is what the cache now holds).
    ``on_changes(cache)`` and ``stats`` are :meth:`FileCache.read`'s: when
    ``on_changes`` returns true, the reader yields no file. With
    ``background``, the cache file is written by it.

    Examples
    --------
    >>> import tempfile, graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = graph.build(["seeds/"], cache_dir=tmp)
    ...     second = graph.build(["seeds/"], cache_dir=tmp)
    >>> first.report.as_dict() == second.report.as_dict()
    True
    """

    def read(files: list[tuple[str, bool]], fast: bool, progress: Callable[[int, int], None] | None
             ) -> Iterator[ParsedFile]:
        loaded = cache if cache is not None and cache.fast_yaml == fast else FileCache.load(folder, fast)
        loaded.background = background
        yield from loaded.read(files, fast, progress, inner, on_changes, stats)
        if on_done is not None:
            on_done(loaded)

    return read
