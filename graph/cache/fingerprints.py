"""What decides whether a cache is still valid: digests of the code, signatures of the files.

A cache written by other code is not used (:func:`code_fingerprint` for the
parse cache; the whole package's digest for the graph snapshot and the
exports), nor is an entry for a file whose signature (size, modification
time, inode) and content both changed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from typing import Iterable

__all__ = ["FORMAT", "code_fingerprint"]


#: Bumped whenever the layout of the cache files changes.
FORMAT = 13

_Signature = tuple[int, ...]  # size, mtime_ns, inode (and ctime_ns for an input file)


def _package_files() -> dict[str, bytes]:
    """The SHA-256 of each file of the package (code, templates, data) by its
    path relative to it (``/``-separated), read once per process.

    Why once: the fingerprints below are asked for by every build, several
    times; reading and hashing the files each time took 17 ms of a 0.4 s
    rebuild. A process runs the code it imported, whatever the files say later.

    Why kept (:data:`DIGESTS_FILE`): reading and hashing the 63 files still
    took 3 ms of each process, a fiftieth of a rebuild after an edit. A file
    whose signature is the one kept is not read, as an input file is not
    (the same signatures and settling, so an edit within a clock tick is
    caught).
    """
    global _PACKAGE_FILES
    if _PACKAGE_FILES is None:
        here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the package, graph/
        kept_file = os.path.join(_bytecode_folder(here), DIGESTS_FILE)
        kept = _kept_digests(kept_file)
        since = time.time_ns()  # before any file is read: see _settled
        found: dict[str, bytes] = {}
        keep: dict[str, list] = {}
        start = len(os.path.join(here, ""))
        for folder, dirs, files in os.walk(here):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(folder, name)
                relative = path[start:].replace(os.sep, "/")
                sig = _signature_now(path)
                digest = _kept_digest(kept.get(relative), sig)
                if digest is None:  # read as it is now, even if it changed since its stat: the next process hashes it
                    with open(path, "rb") as fh:
                        digest = hashlib.sha256(fh.read()).digest()
                found[relative] = digest
                if sig is not None:
                    keep[relative] = [list(_settled(sig, since)), digest.hex()]
        _PACKAGE_FILES = dict(sorted(found.items()))
        if keep != kept and not sys.dont_write_bytecode:  # as Python keeps its bytecode there
            _keep_digests(kept_file, keep)
    return _PACKAGE_FILES


#: The digests of the package's files and their signatures when read, in the
#: package's ``__pycache__`` folder, beside Python's bytecode (and, like it,
#: not written under ``PYTHONDONTWRITEBYTECODE`` or where the folder is read-only).
DIGESTS_FILE = "newsgraph-digests.json"


def _bytecode_folder(package: str) -> str:
    """Where Python keeps the bytecode of ``package``'s top-level modules: its
    ``__pycache__``, or the mirror of the package's path under
    ``sys.pycache_prefix`` when one is set (``PYTHONPYCACHEPREFIX``).

    >>> import sys
    >>> sys.pycache_prefix is None and _bytecode_folder("/opt/graph") == "/opt/graph/__pycache__"
    True
    """
    if sys.pycache_prefix:  # as importlib.util.cache_from_source places it
        return os.path.join(sys.pycache_prefix, os.path.abspath(package).lstrip(os.sep))
    return os.path.join(package, "__pycache__")


def _kept_digests(path: str) -> dict[str, list]:
    """The digests :func:`_keep_digests` kept, ``{relative path: [signature, hex digest]}``;
    empty when missing, unreadable or not as written (each entry is checked as it is
    used, by :func:`_kept_digest`)."""
    import json

    from ..export.files import read_regular

    try:
        kept = json.loads(read_regular(path, 1 << 20))
    except (OSError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return {}
    if not (isinstance(kept, dict) and kept.get("format") == FORMAT and isinstance(kept.get("files"), dict)):
        return {}
    return kept["files"]


def _kept_digest(entry: object, sig: _Signature | None) -> bytes | None:
    """The digest an entry of :func:`_kept_digests` holds, if it was kept for ``sig``.

    >>> _kept_digest([[1, 2, 3, 4], "ab" * 32], (1, 2, 3, 4)) == bytes([0xab]) * 32
    True
    >>> [_kept_digest(e, (1, 2, 3, 4)) for e in ([[1, 2, 3, 5], "ab" * 32], [[1, 2, 3, 4], "xy" * 32],
    ...                                          [[1, 2, 3, 4], "ab"], [[1, 2, 3, 4], "ab " * 16],
    ...                                          "damaged", None)]
    [None, None, None, None, None, None]
    """
    try:
        if sig is not None and tuple(entry[0]) == sig:  # type: ignore[index]
            digest = bytes.fromhex(entry[1])  # type: ignore[index]
            if len(digest) == 32:  # fromhex skips spaces: "ab cd..." is not 64 digits
                return digest
    except (TypeError, ValueError, IndexError, KeyError):  # not as written
        pass
    return None


def _keep_digests(path: str, files: dict[str, list]) -> None:
    """Write ``files`` for :func:`_kept_digests`, whole or not at all; a folder
    that cannot be written leaves the digests to be computed again next time."""
    import json

    from ..errors import ExportError
    from ..export.files import atomic_writer

    try:
        with atomic_writer(path, durable=False) as fh:  # 0644, as the bytecode beside it
            fh.write(json.dumps({"format": FORMAT, "files": files}, sort_keys=True))
    except (OSError, ExportError):  # a read-only install, a full disk; a folder or link in its place
        pass


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
    return _digest_of(("reader.py", "frontmatter_formats.py", "model.py", "resolve.py"), version + _idna_version())[:16]


def _idna_version() -> bytes:
    """idna's version file, read rather than imported (2.5 ms): its UTS 46 tables decide the
    canonical hosts of the parsed records (:func:`graph.resolve.host_form`)."""
    import importlib.util

    spec = importlib.util.find_spec("idna")
    if spec is None or spec.origin is None:  # pragma: no cover
        return b""
    try:
        with open(os.path.join(os.path.dirname(spec.origin), "package_data.py"), "rb") as fh:
            return fh.read()
    except OSError:  # pragma: no cover
        return b""


def _signature(st: os.stat_result) -> _Signature:
    """Size, mtime and inode: what tells a file the caches wrote themselves from another."""
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _input_signature(st: os.stat_result) -> _Signature:
    """:func:`_signature` and the ctime, for the files a build reads: an edit that keeps
    the size and puts the mtime back (``touch -r``, a tool restoring times) still moves
    the ctime, which no one can set. A file whose signature changed is hashed, not parsed
    again when its bytes are the same."""
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


#: How long after a file's last change (its ctime) a build must have begun for
#: the file's signature to vouch for the content that build read: timestamps
#: are taken from a clock that ticks every few milliseconds, and some
#: filesystems keep whole seconds (ext3's small inodes, HFS+) or two
#: (FAT). Within that time, a second edit of the same size leaves every time
#: as it was, and the cache would serve the first edit's parse for ever.
_SETTLING_NS = {"fine": 50_000_000, "coarse": 3_000_000_000}

#: The signature recorded for a file that changed too recently to be vouched
#: for (:func:`_settled`): it equals no file's, so the next build hashes the file.
_UNSETTLED: _Signature = (-1,)


def _settles_at(ctime_ns: int) -> int:
    """When a file last changed at ``ctime_ns`` can be vouched for by its signature
    (see :func:`_settled`): a ctime in whole milliseconds is taken for a
    filesystem of coarse times.

    >>> _settles_at(1_000_000_123), _settles_at(3 * 10 ** 9)
    (1050000123, 6000000000)
    """
    return ctime_ns + _SETTLING_NS["fine" if ctime_ns % 1_000_000 else "coarse"]


def _is_settled(sig: _Signature, since_ns: int) -> bool:
    """Whether the file of ``sig`` (an :func:`_input_signature`) changed long enough
    before ``since_ns`` (when the build that read it began) for a later change to
    be sure to move one of its times (else git's "racily clean" files).

    Only the ctime counts: every change moves it to the clock's time (no one
    can set it), where an mtime may be put anywhere, even in the future.

    >>> _is_settled((10, 0, 7, 1_000_000_123), 5 * 10 ** 9)
    True
    >>> _is_settled((10, 0, 7, 4_990_000_123), 5 * 10 ** 9)   # changed 10 ms before
    False
    >>> _is_settled((10, 0, 7, 3 * 10 ** 9), 5 * 10 ** 9)     # whole seconds, 2 s before
    False
    """
    return _settles_at(sig[3]) < since_ns


def _settled(sig: _Signature, since_ns: int) -> _Signature:
    """``sig``, or :data:`_UNSETTLED` when :func:`_is_settled` says it cannot vouch
    for the content read since ``since_ns`` (the next build then hashes the file)."""
    return sig if _is_settled(sig, since_ns) else _UNSETTLED


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _signature_now(path: str, stat: os.stat_result | None = None) -> _Signature | None:
    """The input file ``path``'s :func:`_input_signature` (from ``stat`` when the scan took
    it); ``None`` when it cannot be stat'ed."""
    try:
        return _input_signature(stat or os.stat(path))
    except OSError:
        return None


def _digest_now(path: str, sig: _Signature, indexed: tuple[_Signature, str, bool]) -> str | None:
    """The SHA-256 of ``path``, whose signature is now ``sig``: that of its ``indexed`` entry
    while the signature is the entry's, else its bytes hashed (``None``: unreadable).
    What the file cache and the graph snapshot both ask of each file a build is given."""
    return indexed[1] if sig == indexed[0] else _sha256(path)


def _unchanged(path: str, sig: _Signature) -> bool:
    """Whether the input file ``path`` still has the signature ``sig``."""
    try:
        return _input_signature(os.stat(path)) == sig
    except OSError:
        return False


def _graph_code_fingerprint() -> str:
    """A digest of every module of the package except the exporters (its top-level modules and the caches')."""
    return _digest_of((name for name in _package_files()
                       if name.endswith(".py") and ("/" not in name or name.startswith("cache/"))),
                      code_fingerprint().encode())[:16]



def _exports_code_fingerprint() -> str:
    """A digest of the package's code and data files (exporters, templates)."""
    return _digest_of(_package_files())
