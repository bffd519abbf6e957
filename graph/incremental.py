"""Incremental builds: the last graph and its exports patched after small edits.

A build with a cache (``newsgraph build``; :func:`graph.build` with
``cache_dir``) that finds a few files changed since the last build usually
reads them, resolves the whole graph again and writes every export again.
When the changes only touch what articles *say* (their title, excerpt, date,
links and the other :data:`~graph.model.DESCRIPTIVE_FIELDS`) and nothing of
what they are linked to, the graph's shape stays the same, and the build
takes a shorter path:

1. :func:`patch_graph`: the last build's graph (its snapshot,
   :class:`graph.cache.GraphSnapshot`) with the changed articles replaced,
   instead of resolving every record again;
2. :func:`patch_exports`: in each export file, the changed articles' text
   swapped for their new text, made by the exporter's own code
   (:func:`graph.export.rdf.article_texts`,
   :func:`graph.export.nodelink.article_line`,
   :func:`graph.export.page_text.article_details_head`), instead of writing the
   whole file again.

Either step gives up (``None``, ``False``) whenever it cannot be sure to give
the bytes a clean build would write, and the build then takes the usual path. The
tests check that patched exports equal a clean build's, byte for byte.

When an article's new text can be swapped in
---------------------------------------------
An article takes each descriptive field from the best-ranked record that has
it, and a file's own record ranks before every related stub
(:func:`graph.resolve.resolve`). So when the article has one file, and a field
changed there from one value to another (neither missing), the new value is
the article's; every other field, edge and node stays as it was. Everything
else in the file must be as before: URL, aliases, provider, topics, images,
related stubs, warnings.

In an export file, the article's old text (made from the old article by the
exporter's code) must be where the exporter recorded it
(:mod:`graph.export.offsets`), or else occur exactly once; it is then the
exporter's text for that article, since the file is the one the last build
wrote from the old graph (:func:`graph.cache.write_exports_cached` checks this).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import itertools
import mmap
import os
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sized

from .model import DESCRIPTIVE_FIELDS, Article, ArticleRecord
from .reader import ParsedFile

__all__ = ["GraphPatch", "patch_graph", "patch_exports", "PATCHABLE_FORMATS", "MAX_PATCHED_ARTICLES"]

#: Beyond this many changed files a build takes the usual path: each changed
#: article costs finding its text in the page, and a search through every
#: export file where the positions recorded (graph.export.offsets) do not hold.
MAX_PATCHED_ARTICLES = 64

_STRUCTURAL_FIELDS = tuple(f.name for f in fields(ArticleRecord) if f.name not in DESCRIPTIVE_FIELDS)


@dataclass
class GraphPatch:
    """How a graph was made from the last build's: see :func:`patch_graph`."""

    #: The key of the graph snapshot patched (:class:`graph.cache.GraphSnapshot`).
    previous_key: str
    #: ``(before, after)`` for each article replaced.
    articles: list[tuple[Article, Article]]


def _given(value: object) -> bool:
    # what resolution counts as a value (graph.resolve.resolve)
    return value is not None and value != ""


def _description_change(old: ParsedFile, new: ParsedFile) -> dict[str, Any] | None:
    """The descriptive fields the file's record changed, with their new values;
    ``None`` when anything else changed or a field became missing or given."""
    if (old.path != new.path or old.warnings != new.warnings
            or any(getattr(f, name) is not None for f in (old, new) for name in ("catalog", "skipped", "rejected"))
            or old.record is None or new.record is None):
        return None
    before, after = old.record, new.record
    if any(getattr(before, name) != getattr(after, name) for name in _STRUCTURAL_FIELDS):
        return None
    changed = {}
    for name in DESCRIPTIVE_FIELDS:
        was, now = getattr(before, name), getattr(after, name)
        if was != now:
            if not (_given(was) and _given(now)):
                return None
            changed[name] = now
    return changed


def patch_graph(previous: Any, changes: Iterable[tuple[ParsedFile, ParsedFile]], previous_key: str,
                find: Callable[[set[str]], list[Article]] | None = None) -> Any | None:
    """``previous`` (a :class:`~graph.builder.KnowledgeGraph`) after files changed, or ``None``.

    Parameters
    ----------
    previous : KnowledgeGraph
        The graph the last build made from the files as they were (it is modified).
    changes : iterable of (ParsedFile, ParsedFile)
        Each changed file as it was read then and as it is read now.
    previous_key : str
        The key of ``previous``'s snapshot, kept in the result's ``_patch``
        (a :class:`GraphPatch`) for :func:`patch_exports`.
    find : callable, optional
        ``find(paths)``: the articles of ``previous`` whose first file is one
        of ``paths`` (:meth:`graph.cache.GraphSnapshot.find_previous_articles`,
        which leaves the others unpickled); by default, they are looked for
        among all of ``previous.articles``.

    Returns
    -------
    KnowledgeGraph or None
        The graph a full build of the files as they are now gives, or
        ``None`` when the changes are not only descriptive (see the module).

    Examples
    --------
    >>> import dataclasses, graph
    >>> from graph.reader import read_file
    >>> path = "seeds/000_661d67e696f09288.txt"
    >>> before = read_file(path)
    >>> retitled = dataclasses.replace(before, record=dataclasses.replace(before.record, title="New title"))
    >>> kg = patch_graph(graph.build([path]), [(before, retitled)], previous_key="last")
    >>> [a.title for a in kg.articles.values() if a.files == (path,)]
    ['New title']
    >>> moved = dataclasses.replace(before, record=dataclasses.replace(before.record, topics=("Elsewhere",)))
    >>> patch_graph(graph.build([path]), [(before, moved)], previous_key="last") is None  # a new topic
    True
    """
    # Too many to patch: said before any file's old entry is unpickled (graph.cache.parsed.ChangedFiles).
    if isinstance(changes, Sized) and len(changes) > MAX_PATCHED_ARTICLES:
        return None
    changes = list(itertools.islice(changes, MAX_PATCHED_ARTICLES + 1))
    if not changes or len(changes) > MAX_PATCHED_ARTICLES:
        return None
    edits: dict[str, tuple[ArticleRecord, dict[str, Any]]] = {}  # path -> (record before, changed fields)
    for old, new in changes:
        changed = _description_change(old, new)
        if changed is None:
            return None
        edits[old.path] = (old.record, changed)  # type: ignore[assignment]
    if find is not None:
        candidates = find(set(edits))
    else:
        candidates = [a for a in previous.articles.values() if a.files and a.files[0] in edits]
    replaced: list[tuple[Article, Article]] = []
    found = set()
    for a in candidates:
        path = a.files[0]
        if len(a.files) != 1 or path in found:  # merged from several files: their ranks decide
            return None
        found.add(path)
        old_record, changed = edits[path]
        if any(getattr(a, name) != getattr(old_record, name) for name in changed):
            return None  # not the record's values: the article is not what it seems
        if changed:
            replaced.append((a, dataclasses.replace(a, **changed)))
    if found != edits.keys():
        return None
    previous.replace_articles(after for _, after in replaced)
    previous._patch = GraphPatch(previous_key, replaced)
    return previous


#: Exports :func:`patch_exports` can patch, by format name.
PATCHABLE_FORMATS = ("report", "ttl", "nt", "jsonld", "trig", "json", "html")
#: The exports a patch leaves as they are: the report's counts do not change, since
#: :func:`patch_graph` keeps the graph's shape.
UNCHANGED_BY_A_PATCH = ("report",)

Edits = list[tuple[bytes, bytes]]  # (old text, new text) of one file


def _rdf_edits(kg: Any, patch: GraphPatch, options: dict[str, Any]) -> dict[str, Edits]:
    from .export.rdf import article_texts

    base_iri = options.get("base_iri")
    out: dict[str, Edits] = {}
    for before, after in patch.articles:
        old, new = article_texts(kg, before, base_iri), article_texts(kg, after, base_iri)
        for name in old:
            out.setdefault(name, []).append((old[name], new[name]))
    return out


def _json_edits(patch: GraphPatch) -> Edits:
    from .export.nodelink import article_line

    return [(article_line(b).encode("utf-8"), article_line(a).encode("utf-8")) for b, a in patch.articles]


def _html_edits(kg: Any, patch: GraphPatch, page: Path) -> tuple[Edits, list[str], tuple[int, dict[str, int]]]:
    """The page's edits, the article of each, and where the page read holds
    each old text (its size, and the positions by article id). The page must
    be of the full view (:func:`_page_patchable`)."""
    from .export.page_text import article_details_head

    edits, drawn, at = [], [], {}
    # Mapped, not read: a page draws 20,000 articles at most, a few MB, which
    # reading copied (1.4-2.4 ms of a 0.17 s rebuild on the real corpus).
    with open(page, "rb") as fh, contextlib.ExitStack() as stack:
        try:
            text: bytes | mmap.mmap = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
        except ValueError:  # an empty file, which no mapping holds
            text = b""
        for before, after in patch.articles:
            old = article_details_head(kg, before).encode("utf-8")
            start = text.find(old)
            if start < 0 and text.find(b'{"id":"' + before.id.encode("utf-8") + b'","x":') < 0:
                continue  # not drawn (a full view draws the most connected articles only)
            edits.append((old, article_details_head(kg, after).encode("utf-8")))
            drawn.append(before.id)
            # Found here once: the patch need not search the file again (see _patch_file);
            # found twice or not at all, it searches, and refuses the patch.
            if start >= 0 and text.find(old, start + 1) < 0:
                at[before.id] = start
        size = len(text)
    return edits, drawn, (size, at)


def _page_patchable(options: dict[str, Any]) -> bool:
    """Whether the page is the full view, the only one patched (others: not worth the special cases)."""
    return all(options.get(name) in (None, default) for name, default in
               (("view", "full"), ("topic", None), ("provider", None), ("article", None), ("seed", 0)))


#: Bytes of a file searched at a time (a multiple of ``mmap.ALLOCATIONGRANULARITY``).
_WINDOW = 1 << 22


class _Unpatchable(Exception):
    """An old text is missing from a file, or repeated, or overlaps another."""


def _libc_memmem() -> Any:
    """The C library's ``memmem`` (:func:`graph.export.files.libc_function`), or
    ``False``. Why: ``mmap.find`` holds the GIL, and searching the real
    corpus's 150 MB of exports took 70 ms that way against 30 ms in threads.
    """
    from .export.files import libc_function

    return libc_function("memmem", "c_void_p", ("c_void_p", "c_size_t", "c_char_p", "c_size_t"))


def _starts(window: mmap.mmap, needle: bytes, limit: int) -> list[int]:
    """Where ``needle`` occurs in ``window`` starting before ``limit``; two at
    most (one more is never needed)."""
    from .export.files import mapping_address

    found: list[int] = []
    memmem = _libc_memmem()
    if memmem and needle:
        size, base = len(window), mapping_address(window)  # a copy-on-write mapping: never copied
        at = 0
        while len(found) < 2 and at < limit:
            hit = memmem(base + at, size - at, needle, len(needle))
            if hit is None or hit - base >= limit:
                break
            found.append(hit - base)
            at = hit - base + 1
        return found
    at = window.find(needle)
    while 0 <= at < limit and len(found) < 2:
        found.append(at)
        at = window.find(needle, at + 1)
    return found


@dataclass
class _Positions:
    """Where an export's writer put each article's text (:mod:`graph.export.offsets`)."""

    name: str  # the format
    size: int  # of the file it wrote
    at: Mapping[str, int]  # article id -> where its text starts
    ids: list[str]  # the article of each edit
    save_to: tuple[str, str] | None  # (folder, key) to record the positions after the patch under, if any


def _patch_file(path: Path, edits: Edits, spares: dict[str, list[int]] | None = None,
                positions: _Positions | None = None, later: list[Callable[[], None]] | None = None) -> bool:
    """Write ``path`` again (atomically), each edit's old text replaced by its
    new text; ``False`` (and the file left as it is) unless each old text is
    found (where ``positions`` say, or else exactly once) and none overlap.
    Once the file written is in place, the spare is brought up to it
    (:func:`_catch_up_spare`) and that is recorded in ``spares``: at once, or,
    given the list ``later`` (inside :func:`graph.export.files.moves_deferred`,
    where the move is made later), by the function it is given.

    ``spares`` maps paths to what :func:`_catch_up_spare` recorded: the
    signatures (size, mtime, inode, ctime) of their spare and of themselves,
    then how many of the spare's first bytes are those of ``path`` (all of
    them once it was brought up to it). While both files still have these
    signatures, those bytes are neither compared nor written; the entry of
    ``path`` is replaced by the new record, or dropped.

    ``positions``: where the writer of ``path`` put each article's text. When
    the file has the size it recorded and each old text is where it says,
    nothing is searched, and the positions after the patch are recorded.
    Otherwise the file is searched (:func:`_search`). The bytes between the
    texts are copied by the kernel where it can
    (:func:`graph.export.files.copy_range`), and only where the file written (a
    spare: the version before last) does not hold them yet.
    """
    from .export.files import atomic_writer, copy_range, write_all
    from .export.offsets import save, shifted

    spares = {} if spares is None else spares
    known = spares.pop(str(path), None)
    applied: list[tuple[int, int, bytes]] = []  # (where in the file read, old length, new text)
    try:
        with open(path, "rb") as src, atomic_writer(path, "wb", encoding=None) as out:
            out.flush()  # written unbuffered from here on
            source, target = src.fileno(), out.fileno()
            read, written = os.fstat(source), os.fstat(target)
            size = read.st_size
            found = _recorded_starts(source, size, edits, positions)
            if found is None:
                positions = None  # not to be trusted, nor recorded again
                found = _search(source, size, edits)
            # A spare (the version before last) holds bytes: only those that differ are
            # written; those it is known to share with the file read, where they have not
            # moved, are not even compared.
            held = written.st_size
            equal = _known_equal(known, written, read)
            same = equal == size == held  # the whole spare is the file read
            done = 0  # the bytes of the file before this are written (or replaced)
            end = 0  # where they end in the file written

            def copy(count: int) -> None:
                nonlocal done, end
                if done == end < equal:  # the spare holds these already
                    skip = min(count, equal - done)
                    done, end, count = done + skip, end + skip, count - skip
                if count:
                    copy_range(source, target, done, count, at=end, held=0 if same else held)
                    done, end = done + count, end + count

            for start, k in found:
                if start < done:
                    raise _Unpatchable  # overlaps the text replaced before
                copy(start - done)
                end += write_all(target, edits[k][1], end)
                done += len(edits[k][0])
                applied.append((start, len(edits[k][0]), edits[k][1]))
            if done < size:
                copy(size - done)
            os.lseek(target, end, os.SEEK_SET)  # where the writer cuts what is left of a spare
            if positions is not None and positions.save_to is not None:
                # Recorded before the file is synced, while the disk takes its bytes: a
                # record is trusted only for a file of its size and key, with each text
                # where it says (_recorded_starts), so one left by a failed patch is harmless.
                save(positions.save_to, positions.name, end, shifted(positions.at, applied))
    except _Unpatchable:
        return False

    def catch_up() -> None:
        caught_up = _catch_up_spare(path, read.st_ino, written.st_ino, applied)
        if caught_up is not None:
            spares[str(path)] = caught_up

    if later is None:
        catch_up()
    else:
        later.append(catch_up)
    return True


def _recorded_starts(source: int, size: int, edits: Edits, positions: _Positions | None
                     ) -> list[tuple[int, int]] | None:
    """Where each old text starts (sorted ``(start, edit)``), as ``positions``
    say, if the file has the size they were recorded for and each text is
    there; else ``None`` (a record that says anything else is not trusted)."""
    if positions is None or positions.size != size or len(positions.ids) != len(edits):
        return None
    found = []
    for k, ((old, _), aid) in enumerate(zip(edits, positions.ids)):
        start = positions.at.get(aid)
        if type(start) is not int or not 0 <= start <= size - len(old):
            return None
        try:
            if os.pread(source, len(old), start) != old:
                return None
        except OSError:
            return None
        found.append((start, k))
    return sorted(found)


def _known_equal(known: list[int] | None, spare: os.stat_result, read: os.stat_result) -> int:
    """How many of the first bytes of ``spare`` are known to be those of the file
    ``read``: what the record ``known`` (see :func:`_catch_up_spare`) says, while
    both files keep the signatures it gives them; else 0."""
    from .cache.fingerprints import _input_signature as _signature

    if not known or len(known) != 9 or known[:8] != [*_signature(spare), *_signature(read)]:
        return 0
    return max(0, min(known[8], spare.st_size, read.st_size))


def _search(source: int, size: int, edits: Edits) -> list[tuple[int, int]]:
    """Where each old text starts (sorted ``(start, edit)``); raises
    :class:`_Unpatchable` unless each occurs exactly once.

    Over windows of the file mapped in turn (an export can be larger than
    memory, and its bytes never need to be copied into Python objects): each
    window is searched (:func:`_starts`) for the texts that start in its
    first :data:`_WINDOW` bytes, and reaches ``longest - 1`` bytes further, so
    that they lie whole in it.
    """
    keep = max(len(old) for old, _ in edits) - 1
    seen = [0] * len(edits)
    found = []
    for offset in range(0, size, _WINDOW):
        length = min(_WINDOW + keep, size - offset)
        limit = length if offset + length == size else _WINDOW
        # ACCESS_COPY: writable for ctypes, though nothing is written
        with mmap.mmap(source, length, access=mmap.ACCESS_COPY, offset=offset) as window:
            for k, (old, _) in enumerate(edits):
                for at in _starts(window, old, limit):
                    seen[k] += 1
                    if seen[k] > 1:
                        raise _Unpatchable
                    found.append((offset + at, k))
    if seen.count(1) != len(edits):
        raise _Unpatchable
    return sorted(found)


def _catch_up_spare(path: Path, read: int, written: int, applied: list[tuple[int, int, bytes]]
                    ) -> list[int] | None:
    """Record what the file :func:`_patch_file` read (now the spare of
    ``path``, see :func:`graph.export.files.recycling`) shares with the file
    it wrote, making the two equal first when every edit kept its text's
    length: the same edits, in place.

    Why: the next patch of ``path`` is written over that spare, and only
    where it differs (:func:`graph.export.files.copy_range`); left as it was, it
    would differ by this patch as well as the next, and everything written
    must reach the disk before the file can replace the last. The catching
    up writes only the edits' texts; they reach the disk when the kernel
    writes them or, at the latest, with the next patch's sync of this file.

    When an edit changed a length, the spare is left as it is: bringing it
    up would copy every byte after that edit a second time, on the critical
    path (0.96 s against 0.72 s for a rebuild after a title made longer, on
    the real corpus, alternated), while the next patch, written over the
    spare as it is, writes from the earlier of the two edits on: never more
    than this copy and its own writes together. The two files are the same
    up to the first edit, and the record says so: the next patch does not
    compare those bytes, where a rebuild after a retitled article spent
    more of its time comparing than writing (about 30 MB of the real
    corpus's exports, in 6 to 11 ms per file).

    Returns the record :func:`_patch_file` reads: the signatures (size,
    mtime, inode, ctime) of the spare and of ``path`` once it is done, then
    how many of the spare's first bytes are those of ``path`` (while both
    keep these signatures). Nothing is recorded (``None``) unless the spare
    is the very file read, nobody else has it open, and ``path`` is still
    the file written; a spare left part way is still a spare, whose bytes
    the next write compares.

    The folder is synced before the spare is written: until the move of the
    file written over ``path`` is on disk, a machine that stops would find
    ``path`` to be the file read, which must not have changed.
    """
    from .cache.fingerprints import _input_signature as _signature  # damaged in place, times put back: untrusted
    from .export.files import open_spare_of, sync_folder, write_all

    try:
        fd = open_spare_of(path, read)
    except OSError:
        return None
    if fd is None:
        return None
    try:
        with open(path, "rb") as now:
            if os.fstat(now.fileno()).st_ino != written:
                return None  # replaced since, by another build
            if all(len(new) == length for _, length, new in applied):
                sync_folder(path.parent)
                for start, _, new in applied:
                    write_all(fd, new, start)
                equal = os.fstat(now.fileno()).st_size
            else:
                equal = min(start for start, _, _ in applied)
            return [*_signature(os.fstat(fd)), *_signature(os.fstat(now.fileno())), equal]
    except OSError:
        return None
    finally:
        os.close(fd)


def patch_exports(kg: Any, folder: str | os.PathLike, formats: Iterable[str], filenames: dict[str, str],
                  options: dict[str, Any], *, started: Callable[[], None] | None = None,
                  spares: dict[str, list[int]] | None = None,
                  offsets: tuple[str | os.PathLike, str, str] | None = None) -> bool:
    """Patch the exports in ``folder`` for ``kg`` made by :func:`patch_graph`.

    Parameters
    ----------
    kg : KnowledgeGraph
        A graph with a ``_patch``; the files in ``folder`` must be those the
        last build wrote from the graph patched.
    folder : path
    formats : iterable of str
        The formats written.
    filenames : dict
        File name of each format.
    options : dict
        The exporters' options.
    started : callable, optional
        Called once the files' threads are started (see
        :meth:`graph.cache.BackgroundWrites.release`).
    spares : dict, optional
        What is known of each file's spare, by the file's path: the
        signatures of both and how many first bytes they share (see
        :func:`_patch_file`); updated.
    offsets : tuple, optional
        ``(folder, key of the files, key of the patched files)``: where the
        writers recorded the articles' positions (:mod:`graph.export.offsets`)
        under the first key; those of the patched files are recorded under
        the second.

    Returns
    -------
    bool
        Whether the exports are now those of ``kg``. When ``False``, they are
        as they were: the caller writes them all.

    Every file is patched beside its target, then all are moved into place
    together (:func:`graph.export.files.moves_deferred`), as a full write
    does: a rebuild stopped part way (Ctrl-C, SIGTERM) left some files
    patched and the others as they were.
    """
    from .errors import ExportError
    from .export.files import discard_moves, make_moves, moves_deferred

    with moves_deferred() as moves:
        try:
            catch_ups = _patch_beside(kg, folder, formats, filenames, options, started, spares, offsets)
        except BaseException:
            discard_moves(moves)
            raise
        if catch_ups is None:
            discard_moves(moves)
            return False
    try:
        make_moves(moves)
    except ExportError:  # a move failed (a folder put in a file's place): all written whole, which says it
        return False
    _run_all(catch_ups)
    return True


def _run_all(calls: list[Callable[[], None]]) -> None:
    """Call each of ``calls`` in a thread of its own (each waits on the disk), in this
    thread's context (graph.export.files.recycling), and wait for them."""
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(call,), name="newsgraph-catch-up")
               for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _patch_beside(kg: Any, folder: str | os.PathLike, formats: Iterable[str], filenames: dict[str, str],
                  options: dict[str, Any], started: Callable[[], None] | None,
                  spares: dict[str, list[int]] | None, offsets: tuple[str | os.PathLike, str, str] | None
                  ) -> list[Callable[[], None]] | None:
    """The work of :func:`patch_exports`, its files' moves deferred: what to do
    once they are made (see :func:`_patch_file`), or ``None`` when some file
    could not be patched."""
    from .export.offsets import save as save_offsets

    patch: GraphPatch | None = getattr(kg, "_patch", None)
    formats = list(formats)
    if (patch is None or any(name not in PATCHABLE_FORMATS for name in formats)
            or ("html" in formats and not _page_patchable(options))):
        return None
    folder = Path(folder)
    rdf: dict[str, Edits] | None = None
    # The article of each edit: _rdf_edits and _json_edits follow patch.articles
    # (the page's skip the articles it does not draw).
    ids = [before.id for before, _ in patch.articles]
    recorded_to = None if offsets is None else (str(offsets[0]), offsets[2])  # the patched files' record
    # Each file in a thread of its own, started as soon as its edits are known,
    # the largest files first: reading, writing and syncing them is mostly
    # waiting for the kernel and the disk, which goes on without the GIL while
    # the next file's edits are made. A file patched before another turns out
    # not to be is written again by the caller, with every other file
    # (graph.cache.write_exports_cached).
    results: list[bool | BaseException] = []
    catch_ups: list[Callable[[], None]] = []  # made once the files are in place
    threads: list[threading.Thread] = []

    def patch_one(i: int, path: Path, edits: Edits, positions: _Positions | None,
                  context: contextvars.Context) -> None:
        try:  # in this thread's context (graph.export.files.recycling)
            results[i] = context.run(_patch_file, path, edits, spares, positions, catch_ups)
        except BaseException as err:  # noqa: BLE001 - raised below, by the calling thread
            results[i] = err

    try:
        for name in sorted(formats, key=_largest_first):
            path = folder / filenames[name]
            if name in UNCHANGED_BY_A_PATCH:
                continue
            edit_ids, save_to = ids, recorded_to
            if name == "html":  # its positions are found in the page as read, not recorded
                edits, edit_ids, recorded = _html_edits(kg, patch, path)
                save_to = None
            else:
                if name == "json":
                    edits = _json_edits(patch)
                else:  # one of the RDF formats, whose texts are made together
                    rdf = rdf if rdf is not None else _rdf_edits(kg, patch, options)
                    edits = rdf.get(name, [])  # none when no article changed (a file's body edited)
                recorded = _load_positions(offsets, name)
            changed = [k for k, (old, new) in enumerate(edits) if old != new]
            if changed:
                positions = None if recorded is None else _Positions(
                    name, recorded[0], recorded[1], [edit_ids[k] for k in changed], save_to)
                results.append(False)
                threads.append(threading.Thread(target=patch_one, args=(
                    len(threads), path, [edits[k] for k in changed], positions, contextvars.copy_context())))
                threads[-1].start()
            elif recorded is not None and save_to is not None:  # the file stays as it is: so do its positions
                save_offsets(save_to, name, *recorded)
        if started is not None:
            started()
    finally:  # every thread started is waited for, whatever happened here
        for thread in threads:
            # A Ctrl-C (or SIGTERM) landing in a thread's start() leaves it not
            # started, and join() says so with a RuntimeError, which replaced the
            # interruption; one that started after all is waited for at exit.
            with contextlib.suppress(RuntimeError):
                thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return catch_ups if all(results) else None


#: The formats whose files are largest on the real corpus come first (see :func:`patch_exports`).
_PATCH_ORDER = ("nt", "json", "trig", "ttl", "jsonld", "html")


def _largest_first(name: str) -> int:
    return _PATCH_ORDER.index(name) if name in _PATCH_ORDER else len(_PATCH_ORDER)


def _load_positions(offsets: tuple[str | os.PathLike, str, str] | None, name: str
                    ) -> tuple[int, Mapping[str, int]] | None:
    """What the writer of format ``name`` recorded under the files' key (see :func:`patch_exports`)."""
    from .export.offsets import load

    return None if offsets is None else load(offsets[0], name, offsets[1])
