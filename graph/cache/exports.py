"""The last exports' record: skipped when they would be written the same, patched when they can be."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .fingerprints import FORMAT, _exports_code_fingerprint, _input_signature

#: The exports' record (a few hundred bytes) is read only up to this size.
_RECORD_LIMIT = 16 << 20

if TYPE_CHECKING:
    from .background import BackgroundWrites
    from .parsed import CacheStats

__all__ = ["EXPORTS_FILE", "SPARES_DIR", "OFFSETS_DIR", "write_exports_cached"]


#: File name of the record of the last exports, beside the caches.
EXPORTS_FILE = "exports.json"
#: Folder of the exports' previous versions, written over by the next build (:func:`graph.export.files.recycling`).
SPARES_DIR = "spares"
#: Folder of the positions of the articles' texts in the exports (:mod:`graph.export.offsets`).
OFFSETS_DIR = "offsets"


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]



def write_exports_cached(kg: object, folder: str | os.PathLike, formats: list[str] | tuple[str, ...] | None,
                         cache_dir: str | os.PathLike, *, jobs: int | None = 1,
                         background: BackgroundWrites | None = None, stats: CacheStats | None = None,
                         **options: object) -> dict[str, Path]:
    """:func:`graph.export.write_exports`, skipped when it would write the same files.

    When ``kg`` is a graph snapshot (:class:`GraphSnapshot`: nothing it was
    built from changed) and the last exports into ``folder`` were written
    from the same snapshot, formats, options and code, and every file they
    wrote is still there untouched (size, mtime, inode), the files are left
    as they are. When ``kg`` is that snapshot patched
    (:func:`graph.incremental.patch_graph`), the files are patched the same
    way if they can be (:func:`graph.incremental.patch_exports`). Otherwise
    the exports are written, and the writes ``background`` deferred are done
    beside them. What was written is recorded, and ``stats.exports`` says
    which it was: ``"kept"``, ``"patched"`` or ``"written"``.
    """
    from ..export import EXPORTERS, check_exports, write_exports
    from ..export.files import atomic_writer, read_regular, recycling, remove_leftovers
    from ..export.offsets import OFFSETS_OPTION

    chosen = check_exports(formats, **options)
    folder = Path(folder)
    from ..export import EXPORT_FILES

    # What builds killed while writing left behind (write_exports, if it is called below,
    # finds the exports' folder clean already: one listing of a few names).
    remove_leftovers(folder, EXPORT_FILES)
    for ours in (Path(cache_dir), Path(cache_dir) / SPARES_DIR, Path(cache_dir) / OFFSETS_DIR):  # only newsgraph's
        remove_leftovers(ours)
    record = Path(cache_dir) / EXPORTS_FILE
    snapshot = getattr(kg, "_snapshot_key", None)
    patch = getattr(kg, "_patch", None)  # made by graph.incremental.patch_graph
    fingerprint = _exports_code_fingerprint() if snapshot is not None else ""

    def key_of(snapshot_key: str) -> str:
        # the formats as a set: their order changes no file (-f ttl,nt then -f nt,ttl rewrote them all)
        return hashlib.sha256(repr((FORMAT, snapshot_key, sorted(chosen), sorted(options.items()), str(folder.resolve()),
                                    fingerprint)).encode()).hexdigest()

    key = last_key = None
    boot = _boot_id()
    spares: dict[str, list[int]] = {}  # what their spares share with the files (graph.incremental._patch_file)
    if snapshot is not None:
        key = key_of(snapshot)
        try:
            last = _checked(json.loads(read_regular(record, _RECORD_LIMIT).decode("utf-8")))
            if last.get("files") and all(list(_input_signature(os.stat(p))) == sig for p, sig in last["files"].items()):
                last_key = last.get("key")  # the files are still those it wrote
                if last.get("boot") == boot is not None:  # see _boot_id
                    spares = {str(p): list(sig) for p, sig in last.get("spares", {}).items()}
            if last_key == key:
                if stats is not None:
                    stats.exports = "kept"
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
            how = "patched"
        else:
            spares = {}  # written whole: no spare is known to equal its file
            recording = {OFFSETS_OPTION: (str(offsets_dir), key)} if key is not None else {}
            written = write_exports(kg, folder, chosen, jobs=jobs, beside=background.take() if background else (),
                                    **options, **recording)
            how = "written"
    if stats is not None:
        stats.exports = how
    if key is not None:
        files = {str(p): list(_input_signature(os.stat(p))) for w in written.values() for p in _files_under(Path(w))}
        try:
            body = {"key": key, "files": files, "spares": {p: spares[p] for p in files if p in spares}, "boot": boot}
            with atomic_writer(record, owned=True) as fh:
                json.dump({**body, "check": _digest(body)}, fh, indent=1, sort_keys=True)
        except OSError as err:  # said: every later build wrote all its exports again, without a word
            if stats is not None:
                said = (f"the exports' record not saved: {err.strerror or err}, so the next build writes "
                        "them all again")
                stats.problem = f"{stats.problem}; {said}" if stats.problem else said
    return written


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _checked(record: object) -> dict:
    """The exports' record read, without its ``check``; empty unless that is its digest.

    Why: a record damaged but still valid JSON (a digit of the bytes a spare is
    known to share with its file) made the next patch skip bytes that differ,
    and an export then differed from a clean build's.

    >>> _checked({"key": "k", "check": _digest({"key": "k"})})
    {'key': 'k'}
    >>> _checked({"key": "K", "check": _digest({"key": "k"})})
    {}
    """
    if not isinstance(record, dict):
        return {}
    body = {k: v for k, v in record.items() if k != "check"}
    return body if record.get("check") == _digest(body) else {}


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
    from ..incremental import patch_exports

    try:
        return patch_exports(kg, folder, chosen, filenames, options, started=started, spares=spares,
                             offsets=offsets)
    except OSError:
        return False  # written again in full, which reports the problem if it lasts
    finally:
        if started is not None:
            started()  # if patch_exports did not get that far
