"""The parse cache: what each input file parsed to, by content hash.

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
folder's ``.cache``; ``--no-cache`` turns it off), and beside it, once a
rebuild parsed a few files again, ``parsed.patch.pickle``: their entries and
the index that counts (:meth:`FileCache.save`). Both are safe to delete at any
time. Each is written to a temporary file moved into place only after every
file was read (:func:`graph.export.files.atomic_writer`), so a crash mid-build
leaves the previous cache, still valid since entries are checked against the
files. When the reading pool parses every file, what its workers send is
written to that temporary file as it arrives (:class:`_PackStream`);
otherwise ``newsgraph build`` writes the cache, and the graph snapshot, from
forked processes while the build goes on
(:class:`~graph.cache.background.BackgroundWrites`), and
waits for them.
An unreadable or corrupt cache is ignored (and then replaced). The file is a
pickle: like any cache of this kind it must not be writable by people you do
not trust.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, NamedTuple, Sequence

from ..errors import CacheError
from ..reader import ParsedFile
from . import fingerprints  # code_fingerprint through the module: what a test replaces there counts
from . import pickles
from .background import BackgroundWrites
from .fingerprints import FORMAT, _digest_now, _settled, _Signature, _sha256, _signature, _signature_now, _unchanged
from .packs import _StoredPacks, encode_pack, pack

__all__ = ["CACHE_FILE", "PATCH_FILE", "CacheStats", "ChangedFiles", "FileCache", "cached_reader"]


#: File name of the cache inside its folder.
CACHE_FILE = "parsed.pickle"
#: File name of the packs appended to it since it was written whole (see :meth:`FileCache.save`).
PATCH_FILE = "parsed.patch.pickle"

Reader = Callable[[list[tuple[str, bool]], bool, Callable[[int, int], None] | None], Iterable[ParsedFile]]
_Entry = tuple[_Signature, str, bool, ParsedFile]  # signature, sha256, explicit, what it parsed to


class _Loaded(NamedTuple):
    """The cache's files as :meth:`FileCache.load` found them."""

    #: What names the file written whole (its footer's token).
    token: bytes
    #: Where its packs end (and its index starts).
    packs_end: int
    #: The patch file used (its signature, where its packs start and end), if any.
    patch: "tuple[_Signature, int, int] | None"
    #: The index as loaded (the object: :meth:`FileCache.save` may run once
    #: :attr:`FileCache.index` is another), and the patch file's changes to the
    #: whole file's index (:data:`_Delta`; empty without a patch file).
    index: dict
    delta: "_Delta"


#: A patch file's index: the paths the whole file's index has and the cache no
#: longer holds, and the entries that replace or add to that index.
_Delta = tuple[list[str], dict[str, tuple[_Signature, str, bool]]]


@dataclass
class CacheStats:
    """What the caches did for one build: the parse cache's read, and what
    became of the graph (:func:`graph.build`) and of the exports
    (:func:`graph.cache.write_exports_cached`).

    >>> CacheStats(reused=3854, parsed=1, loaded=True, graph="patched", exports="patched").summary()
    'cache: 3,854 files unchanged, 1 parsed again; graph patched, exports patched'
    >>> CacheStats(parsed=12, problem="made by other code or options", graph="built").summary()
    'cache: 12 files parsed (made by other code or options); graph built'
    """

    reused: int = 0  # files taken from the cache
    parsed: int = 0  # files read and parsed again
    loaded: bool = False  # whether an existing cache was usable
    problem: str | None = None  # why an existing cache was ignored, or not saved
    graph: str | None = None  # "kept" (the last one, nothing changed), "patched" or "built"
    exports: str | None = None  # "kept" (left as they were), "patched" or "written"

    def summary(self) -> str:
        """One line for a build's summary (``newsgraph build`` prints it)."""
        if self.loaded:
            files = f"{self.reused:,} file{'s' * (self.reused != 1)} unchanged, {self.parsed:,} parsed again"
        else:
            files = f"{self.parsed:,} file{'s' * (self.parsed != 1)} parsed"
        if self.problem:
            files += f" ({self.problem})"
        elif not self.loaded:
            files += " (no cache yet)"
        done = ", ".join(f"{what} {how}" for what, how in (("graph", self.graph), ("exports", self.exports)) if how)
        return f"cache: {files}" + (f"; {done}" if done else "")


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
    #: While :meth:`read` calls its ``on_changes``: each file parsed again, as it
    #: was before and as it is now (``None`` when some file was not in the cache,
    #: and once the read is done: the old entries are then out of reach).
    changes: "ChangedFiles | None" = None
    #: What files parsed to, when not (or no longer) as the file holds it.
    _parsed: dict[str, ParsedFile] = field(default_factory=dict, repr=False)
    #: The files :meth:`load` opened, each with where its packs start and end, until :meth:`_open_packs`.
    _packs_at: list[tuple[BinaryIO, int, int]] | None = field(default=None, repr=False)
    #: The packs of the file as :meth:`load` found it, unpickled when needed.
    _stored: _StoredPacks | None = field(default=None, repr=False)
    #: The files as :meth:`load` found them.
    _loaded_from: _Loaded | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / CACHE_FILE

    @property
    def patch_path(self) -> Path:
        return self.folder / PATCH_FILE

    def _header(self) -> dict:
        return {"format": FORMAT, "code": fingerprints.code_fingerprint(), "fast_yaml": self.fast_yaml}

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
            for fh, _, _ in self._packs_at:
                fh.close()
            self._packs_at = None
        if self._stored is not None:
            self._stored.close()

    # The file: the header pickle, then the packs (each as encode_pack
    # makes it), then the index pickle ``{path: (signature, sha256,
    # explicit)}``, then the footer (:data:`_FOOTER`: where the index starts,
    # and a token that names the file). The index comes last so that the
    # packs can be written as they arrive from the reading pool (see
    # :meth:`read`). The patch file (:data:`PATCH_FILE`), when its token is
    # that of the file, holds the packs appended since (by :meth:`save`) and
    # the index that counts. A file's entry is the last one the packs hold
    # for its path, the patch file's last.

    @staticmethod
    def _footer(fh: BinaryIO) -> tuple[int, bytes]:
        """Where the index starts (the packs end), and the token."""
        fh.seek(-_FOOTER.size, os.SEEK_END)
        return _FOOTER.unpack(fh.read(_FOOTER.size))

    @staticmethod
    def _read_index(fh: BinaryIO, offset: int) -> dict:
        fh.seek(offset)
        index = pickles.load(fh)
        if not isinstance(index, dict):
            raise ValueError("the index is not a mapping")
        return index

    @staticmethod
    def _write_index(fh: BinaryIO, index: "dict[str, tuple[_Signature, str, bool]] | _Delta", token: bytes
                     ) -> None:
        offset = fh.tell()
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(_FOOTER.pack(offset, token))

    def _open_files(self) -> "tuple[list[tuple[BinaryIO, int, int]], _Loaded] | None":
        """The files opened (each with where its packs start and end: the
        caller closes them) and what names them, with the index that counts
        (:attr:`_Loaded.index`); ``None`` when the cache is made by other code
        or options. Raises what reading the file written whole raises; a patch
        file that cannot be read, or names another file, is passed over (the
        older index is whole too)."""
        fh = open(self.path, "rb")
        try:
            if pickles.load(fh) != self._header():
                fh.close()
                return None
            start = fh.tell()
            end, token = self._footer(fh)
            index = self._read_index(fh, end)
            patched = self._open_patch(token)
            if patched is None:
                return [(fh, start, end)], _Loaded(token, end, None, index, ([], {}))
            delta, (patch, patch_start, patch_end) = patched
            removed, changed = delta
            for path in removed:
                index.pop(path, None)
            index.update(changed)
            return [(fh, start, end), (patch, patch_start, patch_end)], _Loaded(
                token, end, (_signature(os.fstat(patch.fileno())), patch_start, patch_end), index, delta)
        except BaseException:
            fh.close()
            raise

    def _open_patch(self, token: bytes) -> "tuple[_Delta, tuple[BinaryIO, int, int]] | None":
        """The patch file's index (its changes to the whole file's), the file
        opened and where its packs start and end, when it names the file of
        ``token``; else ``None``."""
        try:
            patch = open(self.patch_path, "rb")
        except OSError:
            return None
        try:
            if pickles.load(patch) == self._header():
                start = patch.tell()
                end, named = self._footer(patch)
                if named == token:
                    patch.seek(end)
                    removed, changed = pickles.load(patch)
                    if not (isinstance(removed, list) and isinstance(changed, dict)):
                        raise ValueError("the patch file's index is not a list and a mapping")
                    return (removed, changed), (patch, start, end)
        except CacheError:
            patch.close()
            raise
        except Exception:  # noqa: BLE001 - damaged: passed over
            pass
        patch.close()
        return None

    @classmethod
    def load_index(cls, folder: str | os.PathLike, fast_yaml: bool) -> dict[str, tuple[_Signature, str, bool]]:
        """Only ``{path: (signature, sha256, explicit)}`` of the cache (empty when unusable)."""
        cache = cls(Path(folder), fast_yaml)
        try:
            opened = cache._open_files()
        except CacheError:
            raise
        except Exception:  # noqa: BLE001 - missing or damaged: no index
            return {}
        if opened is None:
            return {}
        files, loaded = opened
        for fh, _, _ in files:
            fh.close()
        return loaded.index

    @classmethod
    def load(cls, folder: str | os.PathLike, fast_yaml: bool, stats: CacheStats | None = None) -> "FileCache":
        """The cache in ``folder``; empty when missing, stale or unreadable.

        Only the index is read here; where each file's entry lies when the
        entries may be needed (:meth:`read`), and the entries themselves when
        asked for (:meth:`parsed_file`, :attr:`entries`), from the files kept
        open until :meth:`close`. ``stats``: the caller's record of what the
        cache does (:attr:`stats`), filled from here on.
        """
        cache = cls(Path(folder), fast_yaml, stats=stats if stats is not None else CacheStats())
        try:
            opened = cache._open_files()
        except FileNotFoundError:
            return cache
        except CacheError:
            raise
        except Exception as err:  # noqa: BLE001 - any damage: start afresh
            cache.stats.problem = f"unreadable ({type(err).__name__}); rebuilt"
            return cache
        if opened is None:
            cache.stats.problem = "made by other code or options"
            return cache
        cache._packs_at, cache._loaded_from = opened
        cache.index = cache._loaded_from.index
        cache.stats.loaded = True
        return cache

    def _open_packs(self) -> None:
        """Find where each entry lies, and check the packs, the first time the
        entries may be needed (a build served from its graph snapshot never
        needs them: at 100,000 files, 0.27 s of a 2.4 s rebuild). From the file
        :meth:`load` opened, so that the packs are those of its index. A
        damaged file empties the cache (every file is parsed again)."""
        if self._packs_at is None:
            return
        segments, self._packs_at = self._packs_at, None
        try:
            stored = _StoredPacks(segments)
            # Packs may hold files the index no longer has (deleted since they
            # were packed: until the cache is written whole, they stay).
            if not self.index.keys() <= stored.where.keys():
                raise ValueError("the packs do not hold the files of the index")
        except Exception as err:  # noqa: BLE001 - any damage: start afresh
            for fh, _, _ in segments:
                fh.close()
            if isinstance(err, CacheError):
                raise  # not damage: a pickle newsgraph did not write
            self.index, self._loaded_from = {}, None
            self.stats.loaded = False
            self.stats.problem = f"unreadable ({type(err).__name__}); rebuilt"
            return
        self._stored = stored

    def save(self, index: dict[str, tuple[_Signature, str, bool]] | None = None, *, parsed: Iterable[str] = (),
             appended: bytes | None = None) -> None:
        """Replace the cache with the entries of ``index`` (default: :attr:`index`), atomically.

        When the file written whole is still the one :meth:`load` read (and
        the patch file too, if it read one), only the patch file is written:
        the packs it held (copied by the kernel), a pack of the entries of
        ``parsed`` (the paths parsed since), and the new index. Why: pickling
        every entry again took 9 s at 100,000 files, for one file edited; and
        copying the whole file (8 MB on the real corpus) and syncing it beside
        a patched rebuild's exports held their syncs back by 40 ms. Once the
        appended packs would pass a quarter of those written whole, all
        entries are written afresh (an appended pack repeats the related
        stubs its files share with others), and the patch file removed.
        ``appended``: that pack, when :meth:`_appended_pack` made it already.
        """
        from ..export.files import atomic_writer, copy_range

        self._open_packs()
        index = self.index if index is None else index
        loaded = self._loaded_from
        whole = True
        made, appended = appended, None
        with contextlib.ExitStack() as stack:
            old_patch = None
            if loaded is not None:
                try:
                    with open(self.path, "rb") as fh:
                        same = self._footer(fh)[1] == loaded.token
                    if same and loaded.patch is not None:
                        old_patch = stack.enter_context(open(self.patch_path, "rb"))
                        same = _signature(os.fstat(old_patch.fileno())) == loaded.patch[0]
                    if same:
                        appended = made if made is not None else self._appended_pack(index, parsed)
                except OSError:
                    appended = None
            if appended is not None:
                whole = False
                fh = stack.enter_context(atomic_writer(self.patch_path, "wb", encoding=None, owned=True))
                pickle.dump(self._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
                if old_patch is not None:
                    _, start, end = loaded.patch  # type: ignore[union-attr,misc]
                    fh.flush()
                    at = fh.tell()
                    copy_range(old_patch.fileno(), fh.fileno(), start, end - start)
                    fh.seek(at + end - start)
                fh.write(appended)
                self._write_index(fh, _delta(loaded, index), loaded.token)  # type: ignore[arg-type]
            else:  # every entry, unpickled before the file is replaced
                if self._stored is not None:
                    self._stored.some([path for path in index if path not in self._parsed])
                files = [self.parsed_file(path) for path in index]
                fh = stack.enter_context(atomic_writer(self.path, "wb", encoding=None, owned=True))
                pickle.dump(self._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
                # One pack for all entries: stubs shared between files (see
                # graph.model._coerce_stub) are stored once.
                fh.write(encode_pack(pack(files)))
                self._write_index(fh, index, _new_token())
        if whole:
            _remove_patch(self.patch_path)
        self.index = index
        # The files are no longer those loaded; nor is their index kept (at
        # 100,000 files, 54 MB) once the build's own index replaces it.
        self._loaded_from = None

    def keep_signatures(self, refreshed: dict[str, tuple[_Signature, str, bool]],
                        background: "BackgroundWrites | None" = None) -> None:
        """Record ``refreshed``, the entries of files whose signature changed but
        not their content (as :meth:`GraphSnapshot.load` found them), then
        :meth:`close` the cache.

        Why: a build served from the graph snapshot reads no file, so nothing
        else records their new signatures, and every later build hashed those
        files again. After a ``git checkout``, a copy or a ``touch`` of a whole
        corpus, that was every file at every build, for ever (0.12 s of a
        0.3 s rebuild of the real corpus; about 2 GB read at 100,000 files).
        Up to :data:`_RESAVE_AFTER` files, hashing them again is cheaper than
        writing; beyond, only the changed entries are written (the patch
        file, :meth:`save`), in a thread of ``background`` when given.
        """
        if len(refreshed) <= _RESAVE_AFTER or self._loaded_from is None:
            self.close()
            return
        index = {**self.index, **refreshed}

        def save() -> None:
            try:
                self.save(index)
            finally:
                self.close()

        if background is not None:
            background.start(save, files=len(index), light=True)
        else:
            with contextlib.suppress(OSError):
                save()

    def _appended_pack(self, index: dict[str, tuple[_Signature, str, bool]], parsed: Iterable[str]
                       ) -> bytes | None:
        """The pack of the entries of ``parsed`` that :meth:`save` appends to
        the packs :meth:`load` read; ``None`` when the cache is to be written whole."""
        loaded = self._loaded_from
        if loaded is None:
            return None
        paths = [path for path in parsed if path in index]
        appended = encode_pack(pack(self.parsed_file(path) for path in paths)) if paths else b""
        before = 0 if loaded.patch is None else loaded.patch[2] - loaded.patch[1]
        return appended if before + len(appended) <= 0.25 * loaded.packs_end else None

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
        since = time.time_ns()  # before any file is read: see _settled
        self._open_packs()  # before anything is read: a damaged file means parsing every file
        results: list[ParsedFile | None] = [None] * len(files)
        fresh: dict[str, tuple[_Signature, str, bool]] = {}  # the index after this read
        parsed_now: dict[str, ParsedFile] = {}
        todo: list[int] = []
        signatures: dict[int, _Signature | None] = {}
        digests: dict[int, str | None] = {}
        for i, (path, explicit) in enumerate(files):
            sig = _signature_now(path, stats.get(path))
            old = self.index.get(path)
            # ``explicit`` decides whether a file without front matter is
            # skipped or rejected, so it is part of the key.
            if sig is None or old is None or old[2] != explicit:
                todo.append(i)
                signatures[i] = sig
                continue
            digest = _digest_now(path, sig, old)
            if digest != old[1]:
                todo.append(i)
                signatures[i], digests[i] = sig, digest
                continue
            fresh[path] = (_settled(sig, since), digest, explicit)
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
        changed: list[tuple[str, ParsedFile]] | None = []  # (path, parsed now) of each file in the cache before
        try:
            done = self.stats.reused
            for i in todo:
                parsed = next(parsed_iter)
                results[i] = parsed
                path, explicit = files[i]
                before = self.index.get(path)
                if changed is not None:
                    if before is None or before[2] != explicit:
                        changed = None
                    else:
                        changed.append((path, parsed))
                sig = signatures[i]
                if parsed.transient:  # read again next time: how its reading ended may not recur
                    pass
                elif parsed.sha256 is not None:
                    # The digest of the bytes parsed: right even when the file
                    # changed after it was stat'ed (the next build hashes it then).
                    if sig is not None:
                        fresh[path] = (_settled(sig, since), parsed.sha256, explicit)
                        parsed_now[path] = parsed
                else:  # a reader that does not hash: hash the file again
                    digest = digests.get(i) or (_sha256(path) if sig is not None else None)
                    if sig is not None and digest is not None and _unchanged(path, sig):
                        # Kept only if the file did not change again while being read.
                        fresh[path] = (_settled(sig, since), digest, explicit)
                        parsed_now[path] = parsed
                done += 1
                if progress and (done % 50 == 0 or done == total):
                    progress(done, total)
            next(parsed_iter, None)  # let the inner reader finish (closes its pool)
            self.changes = None if changed is None else ChangedFiles(self, changed)
            if on_changes is None or not on_changes(self):
                stored = self._stored.some([files[i][0] for i, parsed in enumerate(results) if parsed is None]) \
                    if self._stored is not None and self.stats.reused else {}
                for i, (path, _) in enumerate(files):
                    yield results[i] if results[i] is not None else stored[path]  # type: ignore[misc]
        except BaseException:  # the build failed or stopped reading: no cache from it
            if stream is not None:
                stream.abandon()
            self.close()
            raise
        # Reached only when the build consumed every file: a crash earlier
        # keeps the previous cache.
        self.changes = None  # the cache's entries become the new ones
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
                # A few files parsed again, whose pack goes to the patch file: a
                # thread's work (not so when everything is pickled afresh).
                made = self._appended_pack(fresh, parsed_again) if len(parsed_again) <= _LIGHT_SAVE_MAX else None
                light = made is not None

                def save() -> None:
                    try:
                        self.save(fresh, parsed=parsed_again, appended=made)
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


#: The last 24 bytes of the file cache: where its index starts, and a token
#: naming the file written whole (a patch file has the token of the file it adds to).
_FOOTER = struct.Struct("<Q16s")


class ChangedFiles(Sequence[tuple[ParsedFile, ParsedFile]]):
    """Each file a :class:`FileCache` read parsed again: ``(as the cache held it, as
    it is now)``, the former unpickled only when asked for.

    Why: a rebuild after most files changed needs only their number (too many
    to patch the last graph, :data:`graph.incremental.MAX_PATCHED_ARTICLES`),
    and unpickled every one's old entry first: 0.2 s on the real corpus with
    every title edited. Only while the files are read (see :attr:`FileCache.changes`).
    """

    def __init__(self, cache: FileCache, changed: list[tuple[str, ParsedFile]]) -> None:
        self._cache, self._changed = cache, changed

    def __len__(self) -> int:
        return len(self._changed)

    def __getitem__(self, k: int | slice) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        path, now = self._changed[k]
        return self._cache.parsed_file(path), now


def _delta(loaded: _Loaded, index: dict[str, tuple[_Signature, str, bool]]) -> _Delta:
    """The changes that make the whole file's index ``index``, from the
    index as loaded and the patch file's changes that made it.

    Why not the whole index: at 100,000 files it is 20 MB, pickled in every
    patched rebuild (0.4 s in a 6.4 s rebuild) for the few entries that differ.
    A path the loaded patch file changed stays changed (its entry in the whole
    file is not known here); any other entry differs from the whole file's
    only if it differs from the loaded one.
    """
    before, (removed_before, changed_before) = loaded.index, loaded.delta
    changed = {path: entry for path, entry in index.items()
               if path in changed_before or before.get(path) != entry}
    removed = [path for path in removed_before if path not in index]
    removed += [path for path in before if path not in index]
    return removed, changed


def _new_token() -> bytes:
    """A token for a file cache written whole: random, so that a patch file
    never names another file than the one it was written for."""
    return os.urandom(16)


def _remove_patch(path: Path) -> None:
    """Remove a patch file, which names a cache file replaced (best effort: it
    is not used; the graph snapshot's too, :mod:`graph.cache.snapshot`)."""
    with contextlib.suppress(OSError):
        os.unlink(path)


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

    def __init__(self, stack: contextlib.ExitStack, fh: BinaryIO, patch_path: Path) -> None:
        self._stack = stack
        self._fh: BinaryIO | None = fh
        self._paths: list[str] = []
        self._patch_path = patch_path

    @classmethod
    def open(cls, cache: FileCache) -> "_PackStream | None":
        from ..export.files import atomic_writer

        stack = contextlib.ExitStack()
        try:
            fh = stack.enter_context(atomic_writer(cache.path, "wb", encoding=None, owned=True))
            pickle.dump(cache._header(), fh, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:
            stack.__exit__(*_ABANDON)
            return None
        return cls(stack, fh, cache.patch_path)

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
            FileCache._write_index(self._fh, entries, _new_token())
            self._fh = None
            self._stack.close()  # flushed, synced and moved into place
        except OSError:
            self.abandon()
            return False
        _remove_patch(self._patch_path)
        return True

    def abandon(self) -> None:
        """Drop the temporary file (again: no effect)."""
        self._fh = None
        with contextlib.suppress(_Abandoned, OSError):
            self._stack.__exit__(*_ABANDON)


_ABANDON = (_Abandoned, _Abandoned(), None)


#: Save an otherwise unchanged cache when more files than this were touched.
_RESAVE_AFTER = 64




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
