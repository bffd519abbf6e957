"""How export files are written: atomically, over spares, on their way to the disk.

Every export goes through :func:`atomic_writer`: a temporary file beside its
target, synced, then moved into place, so a crash never leaves a
half-written file where a good one was. Within :func:`recycling` that
temporary file is the version replaced last time (a spare), which an
incremental build (:mod:`graph.incremental`) brings up to date by copying
only what changed (:func:`copy_range`). The system calls behind it
(``sync_file_range``, ``memcmp``, ``copy_file_range``, leases) are used
where they exist and skipped where they do not.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import os
import re
import shutil
import signal
import stat
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

try:
    import fcntl
except ImportError:  # not a POSIX system: no spares (see recycling)
    fcntl = None  # type: ignore[assignment]

from ..errors import ExportError

__all__ = ["atomic_writer", "check_replaceable", "folder_in_place", "exports_lock", "LOCK_NAME", "exchange", "remove_leftovers", "temporary_prefix", "not_a_folder", "what_is", "written_size", "recycling", "SPARE_MAX_BYTES", "open_spare_of", "sync_folder",
           "start_writeback", "mapping_address", "libc_function", "copy_range", "write_all",
           "Move", "moves_deferred", "move_into_place", "make_moves", "discard_moves"]


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", *,
                  durable: bool = True, owned: bool = False) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success move it over ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    Text mode writes ``\\n`` line ends on every platform. Within
    :func:`recycling`, the file written may instead be the version of ``path``
    replaced last time. What is written goes on its way to the disk as it is
    written (:class:`_PacedWriter`), so the sync before the move waits for little.

    ``durable=False``: not synced before the move. A crash of the program
    still leaves the old file or the new one, whole; a crash of the machine
    may leave a file whose bytes never reached the disk. Only for files
    whose reader detects that (:mod:`graph.export.offsets` checks a digest).

    ``owned=True``: a file of newsgraph's own, in the cache (safe to delete):
    whatever is in its place, or in the place of a folder of the cache holding
    it, is removed first (:func:`clear_owned_place`), where a user's file would
    be refused.
    """
    target = Path(path)
    if owned:
        clear_owned_place(target)
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    spare = _spare_of(target)
    fd = _open_spare(spare) if spare is not None else None
    reused = fd is not None
    if reused:
        tmp = os.fspath(spare)
    else:
        try:
            fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".tmp", dir=target.parent)
        except OSError as err:
            err.filename = os.fspath(target)  # the user's file, not the hidden one written first
            raise
    try:
        if "b" in mode:
            fh = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding=encoding, newline="\n")
        writer = _PacedWriter(fh, os.fspath(target), drop=not reused)  # a spare's pages are written over next time
        try:
            yield writer
        except BaseException:
            # Closing flushes what the buffer holds: on a full disk that failed
            # again, and its error, naming no file, replaced the first one.
            with contextlib.suppress(OSError):
                fh.close()
            raise
        try:
            writer.flush()
            if reused:  # written over an older version: cut what is left of it
                os.ftruncate(fd, written_size(fh))
            elif spare is not None and not _unshared(fd):
                spare = None  # no leases here: a spare kept could never be written over
            if durable:
                os.fsync(fh.fileno())
            fh.close()
        except OSError as err:
            with contextlib.suppress(OSError):
                fh.close()
            _name_file(err, writer.target)
            raise
        os.chmod(tmp, 0o644)
        move_into_place(Move(tmp, os.fspath(target), None if spare is None else os.fspath(spare), reused))
    except BaseException as err:
        if not reused:  # a spare written half way is still a spare
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(err, OSError) and err.filename == tmp:
            err.filename = os.fspath(target)
        raise


class Move(NamedTuple):
    """A file (or folder) written in full beside its target, to be moved over it."""

    written: str
    target: str
    #: Where the version replaced is kept (:func:`recycling`), if it is.
    spare: str | None = None
    #: Whether ``written`` is that spare, written over: never removed.
    reused: bool = False
    folder: bool = False

    def make(self) -> None:
        """Move ``written`` over ``target`` (raises :class:`ExportError` for a folder in the way)."""
        if self.folder:
            _replace_folder(Path(self.written), Path(self.target))
            return
        try:
            _replace(self.written, Path(self.target), None if self.spare is None else Path(self.spare))
        except IsADirectoryError as err:
            # Found only now, not before writing: the formats written in the same
            # pass (the RDF files) are still all written but this one.
            raise ExportError(folder_in_place(self.target)) from err

    def discard(self) -> None:
        """Remove ``written`` (a spare stays: one written half way is still a spare)."""
        if self.reused:
            return
        with contextlib.suppress(OSError):
            if self.folder:
                shutil.rmtree(self.written)
            else:
                os.unlink(self.written)


#: Inside :func:`moves_deferred`: the process that entered it and the moves it listed.
_DEFERRED: contextvars.ContextVar[tuple[int, list[Move]] | None] = contextvars.ContextVar("deferred_moves",
                                                                                         default=None)


@contextlib.contextmanager
def moves_deferred() -> Iterator[list[Move]]:
    """Within it, every file :func:`atomic_writer` writes is complete and synced
    but left beside its target: the moves are listed (the list yielded) for
    :func:`make_moves`, which makes them together at the end.

    Why: a build's exports are one set. Moved one by one as each was done,
    a build stopped part way (Ctrl-C, SIGTERM, an error) left the new page
    and ``graph.json`` beside the last build's RDF files: the page's process
    had moved its files while the other was still writing. Only this process
    defers; one it forks inside (a cache writer) moves its own files, and the
    exports' second process enters its own block and sends its list back.
    """
    moves: list[Move] = []
    token = _DEFERRED.set((os.getpid(), moves))
    try:
        yield moves
    finally:
        _DEFERRED.reset(token)


def move_into_place(move: Move) -> None:
    """Make ``move`` now, or list it for later inside :func:`moves_deferred` (in the process that entered it)."""
    deferred = _DEFERRED.get()
    if deferred is not None and deferred[0] == os.getpid():
        deferred[1].append(move)
    else:
        move.make()


def make_moves(moves: Iterable[Move]) -> None:
    """Make ``moves`` in order, Ctrl-C and SIGTERM held until the last is made.

    Each is a rename, so they take a moment together. One that fails (a folder
    put where a file was since the check before writing, an immutable file)
    has its file removed and the others are still made; the first failure is
    raised at the end, as an :class:`ExportError` naming the target.
    """
    from ..children import signals_deferred

    failed: tuple[Move, OSError | ExportError] | None = None
    with signals_deferred({signal.SIGINT, signal.SIGTERM}):
        for move in moves:
            try:
                move.make()
            except (OSError, ExportError) as err:
                move.discard()
                failed = failed or (move, err)
    if failed is not None:
        move, err = failed
        if isinstance(err, ExportError):
            raise err
        # said of the user's file, not of the hidden one written first
        raise ExportError(f"cannot write {move.target}: {err.strerror or err}") from err


def discard_moves(moves: Iterable[Move]) -> None:
    """Remove what ``moves`` would have moved into place (the targets stay as they were)."""
    for move in moves:
        move.discard()


#: The file in an exports folder that one build at a time holds (:func:`exports_lock`).
LOCK_NAME = ".newsgraph.lock"


@contextlib.contextmanager
def exports_lock(folder: str | os.PathLike, waiting: Callable[[str], None] | None = None, *,
                 create: bool = True) -> Iterator[None]:
    """Hold the exports folder ``folder`` for one build at a time: a second
    build into it waits (``waiting`` is told so first) until the first is done.

    Two builds at once into one folder mixed their files (one's RDF, the other's
    page), and the cache then recorded the mix as up to date. An ``flock`` on
    :data:`LOCK_NAME`: the system releases it when its holder ends, however it
    ends. A build that made the folder and wrote nothing removes both, under the
    lock; a waiter that then holds a removed file takes the new one. Without
    ``create`` (a page written into a folder), only a folder a build has locked
    before is held. A folder that cannot be made or written, or a system
    without ``flock``, is not held: the writes say why.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, exports_lock(tmp):
    ...     os.listdir(tmp)
    ['.newsgraph.lock']
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        yield
        return
    lock = os.path.join(folder, LOCK_NAME)
    if not create and not os.path.isfile(lock):
        yield
        return
    made = not os.path.isdir(folder)
    fd = None
    try:
        while True:
            os.makedirs(folder, exist_ok=True)
            try:  # never through a link: one put there made the file at its target, anywhere
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
            except OSError as err:
                if err.errno == errno.ELOOP:
                    raise ExportError(f"{lock} is a symbolic link: newsgraph never writes through a link; "
                                      "remove it") from err
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting(f"another build is writing {os.fspath(folder)}: waiting for it to end")
                    waiting = None
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                held = os.stat(lock)
            except FileNotFoundError:
                held = None
            mine = os.fstat(fd)
            if held is not None and (held.st_dev, held.st_ino) == (mine.st_dev, mine.st_ino):
                break
            os.close(fd)  # its holder removed it on leaving: the folder's lock is a new file
            fd = None
    except OSError:
        if fd is not None:
            os.close(fd)
        yield
        return
    except BaseException:  # Ctrl-C while waiting: a descriptor left open would hold the lock for good
        if fd is not None:
            os.close(fd)
        raise
    try:
        yield
    finally:
        try:
            if made and os.listdir(folder) == [LOCK_NAME]:  # a build that wrote nothing leaves nothing
                os.unlink(lock)
                os.rmdir(folder)
        except OSError:
            pass
        os.close(fd)  # forked helpers still holding it keep the folder until they end


def temporary_prefix(target: Path) -> str:
    """The start of the name of a file or folder written beside ``target`` before
    it takes its place: hidden, and holding the writer's pid, by which
    :func:`remove_leftovers` knows one a killed build left behind."""
    return f".{target.name}.{os.getpid()}-"


#: A name :func:`temporary_prefix` began: the target's name, the writer's pid, and
#: tempfile's eight random characters.
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.(?P<pid>[0-9]+)-[a-z0-9_]{8}\.(?:tmp|old)")


def remove_leftovers(folder: str | os.PathLike, targets: Iterable[str] | None = None, *,
                     ours_too: bool = False) -> list[Path]:
    """Remove what builds killed while writing left in ``folder``: the temporary
    files and folders of :func:`temporary_prefix` whose writer is no longer
    running (a running one's, another build's at work, stay), of the files named
    in ``targets`` (any name, in a folder only newsgraph writes). With
    ``ours_too``, this process's own as well: for a build stopped by Ctrl-C or
    SIGTERM, once none of its writers is left (one interrupted between making its
    temporary file and standing in its ``try`` could not remove it). What was removed.

    >>> import tempfile
    >>> gone = 2 ** 22 + 1  # no process has this pid (Linux's pid_max is at most 2 ** 22)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     mine, notes = f".graph.nt.{os.getpid()}-abcd1234.tmp", f".notes.{gone}-abcd1234.tmp"
    ...     for name in (f".graph.ttl.{gone}-abcd1234.tmp", mine, notes, "graph.ttl"):
    ...         open(os.path.join(tmp, name), "w").close()
    ...     removed = remove_leftovers(tmp, ["graph.ttl", "graph.nt"])
    ...     [p.name for p in removed], sorted(os.listdir(tmp)) == sorted([mine, notes, "graph.ttl"])
    (['.graph.ttl.4194305-abcd1234.tmp'], True)
    """
    removed = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return removed
    targets = None if targets is None else set(targets)
    for entry in entries:
        found = _TEMPORARY.fullmatch(entry.name)
        if found is None or (targets is not None and found["target"] not in targets):
            continue  # a user's file that looks alike is no leftover of ours
        pid = int(found["pid"])
        if not (ours_too and pid == os.getpid()) and _running(pid):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2 ** 31  # another user's process: running
    return True


def written_size(file: IO) -> int:
    """The bytes written so far to ``file`` (open for writing from its start),
    its buffer flushed: the size the file will have, even when it is written
    over a longer one (a spare, cut to length only when closed)."""
    file.flush()
    return os.lseek(file.fileno(), 0, os.SEEK_CUR)


class _PacedWriter:
    """A file written by :func:`atomic_writer`, whose bytes are sent on their way
    to the disk as they are written: every :data:`_WRITEBACK_EVERY` bytes (or
    characters), :func:`start_writeback`; and, for a new file (``drop=True``),
    whose pages are dropped from the page cache behind the writing: those sent
    on their way one step before, by then on the disk (``posix_fadvise``'s
    ``DONTNEED``, which leaves a page still being written where it is). A
    file under two steps keeps every page.

    Why write-back: the ``fsync`` that makes a file durable before it replaces
    the last one would otherwise find the whole file still to write, and wait
    for it (0.2 s for the real corpus's RDF files, while the disk had been
    idle during their rendering). Started early, the writing goes on beside
    the work.

    Why drop: a new file's every page is memory the kernel must find and
    clear, and on a virtual machine whose host hands the guest its memory as
    it is first touched (and takes back what the guest frees), that costs far
    more than the copy: here, 3 GB written and synced took 7.9 s of which
    7.1 s in the kernel, and 1.7 s dropped behind, the same few megabytes of
    pages used again and again; 300 MB, 0.42 s against 0.12 s. The 100,000
    articles' build writes 4 GB of exports and caches (its RDF pass alone: 10 s
    in the kernel, 4.5 s dropped behind). A file written over a spare keeps its
    pages: the spare's are the ones the next version is written into.
    """

    __slots__ = ("_file", "_unsent", "target", "_drop", "_sent_to", "_dropped_to")

    def __init__(self, file: IO, target: str, drop: bool = False) -> None:
        self._file = file
        self._unsent = 0
        #: The file this one will replace (the one a failed write names).
        self.target = target
        self._drop = drop and _CAN_DROP
        self._sent_to = self._dropped_to = 0  # bytes sent on their way, and dropped, from the file's start

    def write(self, data: Any) -> int:
        try:
            count = self._file.write(data)
        except OSError as err:
            _name_file(err, self.target)
            raise
        self._unsent += count
        if self._unsent >= _WRITEBACK_EVERY:
            self._unsent = 0
            fd = self._file.fileno()
            start_writeback(fd)
            if self._drop:
                self._drop_sent(fd)
        return count

    def _drop_sent(self, fd: int) -> None:
        """Drop the pages sent on their way last time; note those just sent."""
        try:
            if self._sent_to > self._dropped_to:
                os.posix_fadvise(fd, self._dropped_to, self._sent_to - self._dropped_to, os.POSIX_FADV_DONTNEED)
                self._dropped_to = self._sent_to
            self._sent_to = os.lseek(fd, 0, os.SEEK_CUR)
        except OSError:  # advice a file system does not take: the pages stay, as they did
            self._drop = False

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as err:
            _name_file(err, self.target)
            raise

    def __getattr__(self, name: str) -> Any:  # the rest is the file's
        return getattr(self._file, name)


def _name_file(err: OSError, name: str) -> None:
    """Name ``name`` in ``err`` when it names no file: a full disk fails a write
    (``ENOSPC``) without one, and the error named only the exports' folder."""
    if err.filename is None:
        err.filename = name


#: Bytes written between two starts of the write-back (see :class:`_PacedWriter`).
_WRITEBACK_EVERY = 8 << 20
#: Whether pages can be dropped from the page cache (POSIX's ``posix_fadvise``; not on macOS).
_CAN_DROP = hasattr(os, "posix_fadvise") and hasattr(os, "POSIX_FADV_DONTNEED")


def not_a_folder(path: str | os.PathLike) -> Path | None:
    """The nearest of ``path``'s folders that exists but is not one (a file,
    a broken link), so nothing can be written at ``path``; ``None`` when the
    path's folders are, or can be made.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = open(os.path.join(tmp, "afile"), "w").close()
    ...     not_a_folder(os.path.join(tmp, "afile", "sub", "x.html")).name, not_a_folder(os.path.join(tmp, "new", "x"))
    ('afile', None)
    """
    for folder in Path(path).parents:
        if os.path.isdir(folder):
            return None
        if os.path.lexists(folder):
            return folder
    return None


def what_is(path: str | os.PathLike) -> str:
    """What is at ``path``, in words, for a message saying it is in the way.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.symlink("gone", os.path.join(tmp, "link"))
    ...     what_is(os.path.join(tmp, "link")), what_is(tmp), what_is("/dev/null")
    ("a link to 'gone', which does not exist", 'a folder', 'a device')
    """
    try:
        st = os.lstat(path)
    except OSError:
        return "nothing"
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        return f"a link to {target!r}" + (", which does not exist" if not os.path.exists(path) else "")
    return ("a folder" if stat.S_ISDIR(st.st_mode) else "a file" if stat.S_ISREG(st.st_mode)
            else "a pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device")


#: The name of the cache's folder in an exports folder: what :func:`clear_owned_place` may clear.
CACHE_FOLDER = ".cache"


def clear_owned_place(target: Path) -> None:
    """Remove what is in the place of the cache file ``target`` and is not a regular
    file (a symbolic link, a folder, a pipe), and what is in the place of the folders
    holding it, up to the ``.cache`` folder, and is not a folder. A cache file made a
    link to /dev/zero, or a folder, failed every later build until it was deleted by
    hand (the cache is documented as safe to delete, so the build deletes it). Above
    ``.cache`` (or, for a cache folder of another name, above the file) nothing is
    touched: the exports folder is the user's.
    """
    parents = list(target.parents)
    names = [folder.name for folder in parents]
    ancestors = parents[:names.index(CACHE_FOLDER) + 1] if CACHE_FOLDER in names else []
    for folder in reversed(ancestors):  # from .cache down; a link to a folder (a cache on another disk) stays
        if os.path.lexists(folder) and not os.path.isdir(folder):
            os.unlink(folder)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        st = os.lstat(target)
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(target)
        elif not stat.S_ISREG(st.st_mode):
            os.unlink(target)


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes;
    ``OSError`` otherwise. For the cache's small records: one made a link to
    /dev/zero was read until memory ran out. Opened without waiting (a pipe in
    its place would have waited for a writer for ever)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise OSError(errno.EINVAL, f"not a regular file of at most {limit:,} bytes", os.fspath(path))
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"more than {limit:,} bytes", os.fspath(path))
    return data


def check_replaceable(target: Path, folder: bool = False) -> None:
    """Refuse to replace what is not a regular file (or, with ``folder``, a folder):
    a symbolic link would be replaced, not written through (writing through one,
    a link planted in a shared folder could aim a build at any file), a pipe or
    device (say ``/dev/stdout``) would be replaced by a file, and a user's folder
    (or file) in the place of an export's is theirs. A file in place of one of
    its folders is named here: ``mkdir`` would say only "File exists".

    Raises
    ------
    ExportError
        Saying what is in the way.
    """
    blocking = not_a_folder(target)
    if blocking is not None:
        raise ExportError(f"cannot write {target}: {blocking} is {what_is(blocking)}, not a folder")
    try:
        st = os.lstat(target)
    except OSError:
        return  # nothing there yet (or the write says why)
    if stat.S_ISLNK(st.st_mode):
        real = os.path.realpath(target)
        raise ExportError(f"{target} is a symbolic link: newsgraph replaces its {'folders' if folder else 'files'} "
                          f"whole, so it would replace the link; give the path of a {'folder' if folder else 'file'}"
                          + (f" (this one points to {real})" if os.path.isfile(real) else ""))
    if stat.S_ISDIR(st.st_mode) and not folder:
        raise ExportError(folder_in_place(target))
    if stat.S_ISREG(st.st_mode) and folder:
        raise ExportError(f"cannot write {target}: a file is in the place of the folder it writes; "
                          "move the file")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise ExportError(f"{target} is not a regular file (a pipe, device or socket): give a file's path")


def folder_in_place(target: Path) -> str:
    """The message for a folder found where a file is to be written."""
    return f"cannot write {target}: a folder is in its place; give a file's path or move the folder"


#: Within :func:`recycling`: (the folder whose files keep spares, where they are kept).
_RECYCLING: contextvars.ContextVar[tuple[Path, Path] | None] = contextvars.ContextVar("recycling", default=None)

#: Larger files are not kept as spares (a million articles make tens of GB of exports).
SPARE_MAX_BYTES = 2 << 30


@contextlib.contextmanager
def recycling(folder: str | os.PathLike, spares: str | os.PathLike) -> Iterator[None]:
    """Within it, :func:`atomic_writer` keeps the version of each file of
    ``folder`` that it replaces as a spare in ``spares``, and writes the
    file's next version over that spare before moving it into place.

    Why: moving a new file over an old one frees the old one's blocks and
    cached pages there and then. Of the 0.2 s that rewriting the real
    corpus's 150 MB of exports took in an edited-file rebuild
    (:mod:`graph.incremental`), 0.15 s was that freeing; writing over a spare
    neither frees nor allocates. The price is disk space: a second copy of
    each file up to :data:`SPARE_MAX_BYTES` (``newsgraph build`` keeps them
    in its cache folder, which is safe to delete).

    A spare is written over only when no other process has it open (a reader
    of that version, two builds old): this is checked with a write lease
    (Linux's ``F_SETLEASE``); where there are none, this does nothing.
    Writes stay atomic: the spare is not the file until it is complete and
    synced, and the file replaced is kept by a second link made before.
    ``spares`` must be on the same file system as ``folder`` (else no spare is kept).
    """
    if not hasattr(fcntl, "F_SETLEASE"):
        yield
        return
    token = _RECYCLING.set((Path(folder).resolve(), Path(spares)))
    try:
        yield
    finally:
        _RECYCLING.reset(token)


def _spare_of(target: Path) -> Path | None:
    """Where the spare of ``target`` is kept, if it keeps one."""
    recycling = _RECYCLING.get()
    if recycling is None or target.parent.resolve() != recycling[0]:
        return None
    return recycling[1] / target.name


def _unshared(fd: int) -> bool:
    """Whether no other open file or mapping shares ``fd``'s file: a write
    lease is granted only then. ``False`` also where leases are not supported."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    except OSError:
        return False
    return True


def _open_spare(spare: Path) -> int | None:
    """A descriptor to write ``spare`` over, if it is a spare no other process has open."""
    try:
        # Not truncated (written over, and read to skip what it holds already); never through a symbolic link.
        fd = os.open(spare, os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and _unshared(fd):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def open_spare_of(path: str | os.PathLike, inode: int) -> int | None:
    """Within :func:`recycling`: a descriptor to write the spare of ``path``
    over, if that spare is the file ``inode`` (say, the version just
    replaced) and no other process has it open; else ``None``."""
    spare = _spare_of(Path(path))
    fd = _open_spare(spare) if spare is not None else None
    if fd is None:
        return None
    try:
        if os.fstat(fd).st_ino == inode:
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def sync_folder(folder: str | os.PathLike) -> None:
    """Sync ``folder`` itself (POSIX): the files moved into it are there for
    good, even if the machine stops (elsewhere nothing)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # a folder that cannot be synced (some file systems): as before
    finally:
        os.close(fd)


def start_writeback(fd: int) -> None:
    """Have the kernel start writing file ``fd``'s changed pages to disk, without
    waiting (Linux's ``sync_file_range``; elsewhere nothing): a later
    ``fsync`` of it then finds them written, or on their way."""
    sync_file_range = libc_function("sync_file_range", None, ("c_int", "c_int64", "c_int64", "c_uint"))
    if sync_file_range:
        sync_file_range(fd, 0, 0, 2)  # SYNC_FILE_RANGE_WRITE


def mapping_address(mapped: Any) -> int:
    """The address of the bytes of ``mapped``, a writable :class:`mmap.mmap`
    (``ACCESS_COPY`` will do), for the C library's functions: valid while it
    stays open."""
    import ctypes

    view = (ctypes.c_char * len(mapped)).from_buffer(mapped)
    try:
        return ctypes.addressof(view)
    finally:
        del view  # a mapping shared with a ctypes object could not close


_LIBC: dict[str, Any] = {}


def libc_function(name: str, restype: str | None, argtypes: Sequence[str]) -> Any:
    """The C library's function ``name`` through :mod:`ctypes` (types named as
    in it, say ``"c_size_t"``), looked up once; ``False`` where there is none.

    A foreign call releases the GIL: the threads that patch files
    (:mod:`graph.incremental`) search and sync them on every core at once.
    """
    if name not in _LIBC:
        try:
            import ctypes

            function = getattr(ctypes.CDLL(None), name)
            function.restype = getattr(ctypes, restype) if restype else None
            function.argtypes = [getattr(ctypes, t) for t in argtypes]
            _LIBC[name] = function
        except (ImportError, OSError, AttributeError, TypeError):  # no ctypes, no C library, or not this function
            _LIBC[name] = False
    return _LIBC[name]


def exchange(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Swap the names of ``a`` and ``b`` in one step (Linux's ``renameat2`` with
    ``RENAME_EXCHANGE``): a folder replaces a folder with no moment when neither
    is there. ``False`` where the system or the file system cannot; nothing moved then.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("a", "b"):
    ...         os.mkdir(os.path.join(tmp, name)); open(os.path.join(tmp, name, name), "w").close()
    ...     swapped = exchange(os.path.join(tmp, "a"), os.path.join(tmp, "b"))
    ...     (not swapped) or os.listdir(os.path.join(tmp, "a")) == ["b"]
    True
    """
    renameat2 = libc_function("renameat2", "c_int", ["c_int", "c_char_p", "c_int", "c_char_p", "c_uint"])
    if not renameat2:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _replace(written: str, target: Path, spare: Path | None) -> None:
    """Move ``written`` over ``target``, keeping the version replaced as ``spare``.

    Keeping it is best effort: a concurrent build, a full disk or another
    file system only cost the next build its spare.
    """
    kept = None
    if spare is not None:
        try:
            st = os.lstat(target)  # a symbolic link is replaced, never kept
            if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size <= SPARE_MAX_BYTES:
                spare.parent.mkdir(parents=True, exist_ok=True)
                kept = spare.with_name(spare.name + ".next")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(kept)  # left by a crash
                os.link(target, kept)  # a second name: replacing the file does not free it
        except OSError:
            kept = None  # no such file, or another file system: nothing kept
    os.replace(written, target)
    if kept is not None:
        with contextlib.suppress(OSError):
            os.replace(kept, spare)  # type: ignore[arg-type]


def _replace_folder(written: Path, target: Path) -> None:
    """Move the folder ``written`` over the folder ``target`` (made if missing)."""
    if target.is_dir() and not target.is_symlink() and exchange(written, target):
        shutil.rmtree(written, ignore_errors=True)  # the old folder, now under the temporary name
        return
    # Without an exchange, a folder cannot replace a non-empty folder in one step: the old
    # one moves aside, the new one in, then the old one goes (a crash between the two
    # moves left no folder at all: the exchange above has no such moment).
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=temporary_prefix(target), suffix=".old", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(written, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def copy_range(src: int, dst: int, offset: int, count: int, *, at: int | None = None, held: int = 0) -> None:
    """Copy ``count`` bytes of file ``src`` from ``offset`` to file ``dst``
    (descriptors), in the kernel where it can (``os.copy_file_range``, Linux):
    appended at ``dst``'s position, or written at offset ``at`` of it.

    With ``at``, blocks that ``dst`` already holds, among its first ``held``
    bytes, are not written again (``dst`` must then be readable). Why: an
    incremental build writes each export over its spare, the version before
    last (:func:`recycling`), most of which is often the same; every byte
    written is one the disk must take before the file can replace the last
    (``fsync``), and that took most of an edited-file rebuild's time.

    Incremental builds copy the unchanged parts of their files this way
    (:mod:`graph.incremental`, :class:`graph.cache.FileCache`). The bytes
    written at offsets are sent on their way to the disk as they are
    (:func:`start_writeback`, every :data:`_WRITEBACK_COPIED`): such a file is synced next.
    """
    if at is None:
        while count > 0:
            moved = _copy_some(src, dst, count, offset, None)
            offset, count = offset + moved, count - moved
        return
    compared = max(0, min(count, held - at))  # the bytes dst may hold already
    done = unsent = 0
    block = _COMPARED_BLOCK
    while done < count:
        # Compared through mappings of at most _MAPPED bytes each (they are private, writable ones).
        part = min(count - done, _MAPPED)
        with _comparing(src, offset + done, dst, at + done, max(0, min(part, compared - done))) as holds:
            stop, start = done + part, done
            while done < stop:
                n = min(stop - done, block)
                if done + n <= compared and holds(done - start, n):
                    block = _COMPARED_BLOCK
                else:
                    n = _copy_some(src, dst, n, offset + done, at + done)
                    # Blocks that differ one after another (the bytes after an edit that
                    # changed a length have all moved) are taken in ever larger steps: each
                    # call waits for the GIL again, behind the other files' threads.
                    block = min(2 * block, _LARGEST_BLOCK)
                    unsent += n
                    if unsent >= _WRITEBACK_COPIED:
                        start_writeback(dst)
                        unsent = 0
                done += n


#: Bytes :func:`copy_range` writes at offsets before it starts their write-back (:func:`start_writeback`).
#: Why: such a file is synced next, and the disk then takes its bytes while the
#: copy goes on; more often than :data:`_WRITEBACK_EVERY`, as the kernel copies far
#: faster than the writers render (a rebuild after a retitled article, whose bytes
#: after it move in every export: 0.197 s against 0.214 s, alternated, with the
#: records of :mod:`graph.export.offsets` saved before the sync).
_WRITEBACK_COPIED = 2 << 20
#: Bytes compared at a time by :func:`copy_range` (a block found different is written whole).
_COMPARED_BLOCK = 1 << 18
#: The most :func:`copy_range` compares or copies at a time (a multiple of :data:`_COMPARED_BLOCK`):
#: reached after blocks that differ one after another (a retitled article's rebuild, 16
#: alternated runs each: 0.198 s median against 0.201 s with every block the smallest).
_LARGEST_BLOCK = 2 << 20
#: Bytes of each file mapped at a time by :func:`copy_range` (a multiple of :data:`_COMPARED_BLOCK`).
_MAPPED = 1 << 26


@contextlib.contextmanager
def _comparing(src: int, offset: int, dst: int, at: int, count: int) -> Iterator[Callable[[int, int], bool]]:
    """``holds(i, n)``: whether file ``dst`` holds at ``at + i`` the ``n`` bytes
    of ``src`` at ``offset + i`` (``i + n <= count``).

    Both files are mapped and compared by the C library's ``memcmp``, which
    releases the GIL and copies nothing: reading both into Python took 35 ms
    per export of the real corpus, against 5. Elsewhere they are read.
    """
    def read(i: int, n: int) -> bool:
        return os.pread(dst, n, at + i) == os.pread(src, n, offset + i)

    memcmp = libc_function("memcmp", "c_int", ("c_void_p", "c_void_p", "c_size_t")) if count else False
    if not memcmp:
        yield read
        return
    import mmap

    with contextlib.ExitStack() as stack:
        bases = []
        try:
            for fd, start in ((src, offset), (dst, at)):
                skip = start % mmap.ALLOCATIONGRANULARITY
                # ACCESS_COPY: writable for ctypes, though nothing is written
                mapped = stack.enter_context(mmap.mmap(fd, skip + count, access=mmap.ACCESS_COPY,
                                                       offset=start - skip))
                bases.append(mapping_address(mapped) + skip)
        except (OSError, ValueError):  # no memory for the mapping, or a file shorter than it was
            bases = []
        if not bases:
            yield read
            return
        src_base, dst_base = bases
        yield lambda i, n: memcmp(src_base + i, dst_base + i, n) == 0


def _copy_some(src: int, dst: int, count: int, offset: int, at: int | None) -> int:
    """Copy up to ``count`` bytes (see :func:`copy_range`); how many were."""
    try:
        n = os.copy_file_range(src, dst, count, offset, at)
    except (AttributeError, OSError) as err:  # not Linux, or not between these two files
        if isinstance(err, OSError) and err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL,
                                                           errno.EOPNOTSUPP, errno.EPERM):
            raise
        n = write_all(dst, os.pread(src, min(count, 1 << 22), offset), at)
    if n == 0:
        raise OSError(errno.EIO, "the file is shorter than it was", None)
    return n


def write_all(fd: int, data: bytes, at: int | None = None) -> int:
    """Write all of ``data`` to file descriptor ``fd`` (at its position, or at
    offset ``at``); its length."""
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view) if at is None else os.pwrite(fd, view, at + len(data) - len(view)):]
    return len(data)
