"""Reading input files: find them, decode them, parse their front matter.

:func:`scan` walks the given files and folders (symlink loops and unreadable
folders are reported, never followed forever). :func:`read_file` turns one file
into a :class:`ParsedFile`: the article record(s) it describes, a catalogue
entry, a reason to skip it, or a reason to reject it, plus warnings.

Front matter goes through python-frontmatter's handlers
(:mod:`graph.frontmatter_formats`): YAML (``---``), TOML (``+++``) and JSON
(``{ ... }``). YAML is loaded safely only: the fast Rust
loader ``yaml_rs`` when installed, falling back to PyYAML's C safe loader
whenever the fast one refuses a document (so errors keep PyYAML's line
numbers). Both refuse ``!!python/...`` tags; alias expansion is bounded.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import itertools
import os
import re
import stat
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, NoReturn

from .catalog import TOPIC_FILES, is_catalog_folder
from .errors import FrontMatterError, InputError, InvalidURLError
from .model import ArticleRecord, StubText, Warning_, pickled_by_fields, records_from_front_matter
from .resolve import canonical_url

try:  # optional, for speed; guarded by a differential test over the corpus
    import yaml_rs

    _ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=100_000)
except ImportError:  # pragma: no cover - exercised when yaml_rs is absent
    yaml_rs = None

__all__ = [
    "INPUT_SUFFIXES",
    "TOOL_FOLDERS",
    "MAX_EXPANDED_NODES",
    "ScanResult",
    "ParsedFile",
    "scan",
    "iter_read",
    "chunked",
    "read_file",
    "load_yaml",
    "load_front_matter",
    "cut_related",
    "split_front_matter",
    "decode",
    "FrontMatter",
    "front_matter_error",
    "shown_path",
]

#: Hidden folders of tools that :func:`scan` skips without a word (other hidden
#: folders are skipped with a warning): version control, caches, editors.
TOOL_FOLDERS = frozenset({".git", ".hg", ".svn", ".cache", ".github", ".ipynb_checkpoints", ".jekyll-cache",
                          ".sass-cache", ".venv", ".tox", ".pytest_cache", ".mypy_cache", ".idea", ".vscode"})
#: File endings that are read as articles.
INPUT_SUFFIXES = (".md", ".markdown", ".txt")
#: Upper bound on the number of values a front matter may expand to through
#: YAML aliases; more is an alias-expansion bomb.
MAX_EXPANDED_NODES = 1_000_000


# --------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------

@dataclass
class ScanResult:
    """Files found by :func:`scan`, plus problems met on the way."""

    files: list[tuple[str, bool]] = field(default_factory=list)  # (path, named explicitly)
    rejected: list[dict] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    ignored: int = 0  # files with other endings (not the catalogue's topics, which it reads)
    catalog_dirs: list[str] = field(default_factory=list)  # _data/ or data/ folders met
    #: Each file's ``os.stat`` as the scan saw it (the cache compares signatures with it).
    stats: dict[str, os.stat_result] = field(default_factory=dict, repr=False)
    #: Which of ``rejected`` are paths given to :func:`scan` that lead to nothing (their index).
    missing: list[int] = field(default_factory=list)


def _identity(path: str) -> tuple[int, int] | None:
    """The (device, inode) of ``path``, or ``None`` when it cannot be reached."""
    try:
        st = os.stat(path or ".")
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _is_input(name: str) -> bool:
    return name.lower().endswith(INPUT_SUFFIXES)


def scan(paths: Iterable[str | os.PathLike], catalogs: Iterable[str | os.PathLike] = ()) -> ScanResult:
    """Find input files under ``paths`` (files or folders), sorted, each once.

    ``catalogs``: catalogue folders given besides (``build(catalogs=...)``), whose
    ``topics/`` files are read by :mod:`graph.catalog` when met under ``paths``,
    not "other files" (they were counted both ways).

    Symbolic links are followed, but a folder already visited (a loop, or two
    links to one place) is reported once as a warning and not entered again.
    Folders reached through a link are entered after every other, so a folder
    that is also reached without one is read under its own path, whatever the
    link is called (as a file is, by :func:`scan`'s ``add_file``).
    """
    result = ScanResult()
    seen_files: dict[tuple[int, int], tuple[tuple[bool, str], int]] = {}  # (is a link, path), place in files
    seen_dirs: dict[tuple[int, int], str] = {}  # the path each folder was read under
    linked: list[str] = []  # folder links met, entered once the walks without them are done
    # the catalogue folders given, as (device, inode); one that cannot be reached is said by the builder
    given_catalogs = {_identity(os.fspath(folder)) for folder in catalogs} - {None}

    def add_file(path: str, explicit: bool, entry: os.DirEntry | None = None) -> None:
        try:
            st = entry.stat() if entry is not None else os.stat(path)  # both follow links
        except OSError as err:
            result.rejected.append({"path": path, "reason": f"cannot read: {err.strerror or err}", "line": None})
            return
        if not stat.S_ISREG(st.st_mode):  # reading a FIFO would wait for a writer for ever
            result.rejected.append({"path": path, "reason": "not a regular file (a pipe, device or socket)",
                                    "line": None})
            return
        ident = (st.st_dev, st.st_ino)
        is_link = entry.is_symlink() if entry is not None else os.path.islink(path)
        kept = seen_files.get(ident)
        if kept is not None:
            # One file reached by two paths (a symbolic or hard link, a file named and
            # inside a named folder): read once, under its own path rather than a link's.
            (kept_is_link, kept_path), at = kept
            if path == kept_path:  # a file named, and found in a folder named too
                result.files[at] = (path, explicit or result.files[at][1])
                return
            if (is_link, path) < (kept_is_link, kept_path):
                result.files[at] = (path, explicit or result.files[at][1])
                del result.stats[kept_path]
                result.stats[path] = st
                seen_files[ident] = ((is_link, path), at)
                path, kept_path = kept_path, path
            result.warnings.append(Warning_(path, f"the same file as {shown_path(kept_path)}; read once, as that"))
            return
        seen_files[ident] = ((is_link, path), len(result.files))
        result.files.append((path, explicit))
        result.stats[path] = st

    def enter(folder: str) -> tuple[Iterator[os.DirEntry], bool] | None:
        """The folder's entries, sorted, and whether it is a catalogue's topics/; ``None``
        when it cannot be listed or was visited already (the reason is recorded)."""
        try:
            st = os.stat(folder)
        except OSError as err:
            result.rejected.append({"path": folder, "reason": f"cannot open folder: {err.strerror or err}",
                                    "line": None})
            return None
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            result.warnings.append(Warning_(folder, f"the same folder as {shown_path(seen_dirs[ident])}, read "
                                                    "there (a symbolic link loop or a second link to it); "
                                                    "not read again"))
            return None
        seen_dirs[ident] = folder
        if os.path.basename(folder) in ("_data", "data") and is_catalog_folder(folder):
            result.catalog_dirs.append(folder)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            result.rejected.append({"path": folder, "reason": f"cannot list folder: {err.strerror or err}",
                                    "line": None})
            return None
        # A catalogue's topics/*.yaml have no input ending but are read, by graph.catalog.
        in_topics = os.path.basename(folder) == "topics" and (os.path.dirname(folder) in result.catalog_dirs
                                                             or _identity(os.path.dirname(folder)) in given_catalogs)
        return iter(entries), in_topics

    def walk(top: str) -> None:
        # Depth first, each folder's entries by name, as a recursion would go, with a
        # stack of its own: 1,100 nested folders exceeded Python's recursion limit.
        opened = enter(top)
        stack = [opened] if opened else []
        while stack:
            entries, in_topics = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            path = entry.path  # os.path.join(folder, entry.name)
            try:
                is_dir = entry.is_dir()  # follows links
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name.startswith("."):  # a hidden folder: not read
                    if entry.name not in TOOL_FOLDERS:  # a user's .drafts/ is said, a .git/ is not
                        result.warnings.append(Warning_(path, "hidden folder (its name starts with a dot); "
                                                              "not read, name it to read it"))
                    continue
                link = entry.is_symlink()
                refused = _folder_link_refused(path) if link else None
                if refused:
                    result.warnings.append(Warning_(path, refused))
                    continue
                if _is_input(entry.name):
                    result.warnings.append(Warning_(path, "a folder named like an input file; read as a folder"))
                if link:
                    linked.append(path)
                    continue
                opened = enter(path)
                if opened:
                    stack.append(opened)
            elif _is_input(entry.name):
                if entry.is_symlink():
                    dead = missing_reason(path)
                    if dead:
                        result.rejected.append({"path": path, "reason": dead, "line": None})
                        continue
                    target = os.path.realpath(path)
                    if _in_system_folder(target):  # /proc's files are "regular", and /proc/kmsg is read for ever
                        result.rejected.append({"path": path, "line": None, "reason":
                                                f"a symbolic link into a system folder ({target}); not read"})
                        continue
                add_file(path, False, entry)
            elif not (in_topics and fnmatch.fnmatchcase(entry.name, TOPIC_FILES)):
                result.ignored += 1

    for path in dict.fromkeys(os.fspath(given) for given in paths):  # each once, even if given twice
        if os.path.isdir(path):
            walk(path)
        elif os.path.exists(path):
            add_file(path, True)
        else:
            result.rejected.append({"path": path, "reason": missing_reason(path) or NO_SUCH_FILE, "line": None})
            result.missing.append(len(result.rejected) - 1)
    for path in linked:  # grows as links are met inside linked folders
        walk(path)
    result.files.sort()
    _reject_shown_alike(result)
    # As the report says them: a name that is not valid UTF-8 shows \xff escapes.
    for rejected in result.rejected:
        rejected["path"] = shown_path(rejected["path"])
    result.warnings = [replace(w, path=shown_path(w.path)) for w in result.warnings]
    return result


def _reject_shown_alike(result: ScanResult) -> None:
    """Reject each file of ``result`` whose name is not valid UTF-8 and shows as
    another file's path does (:func:`shown_path`): ``caf\\xe9.md``, its byte
    0xE9 escaped, and a file named ``caf\\xe9.md`` with a real backslash.

    Why: the graph and the report name a file by its shown path (its source
    node, its named graph in TriG), so the two files became one source, each
    article saying it came from both. The file with the undecodable name
    gives way, with a reason saying why (the report shows its path as the
    other's). Only names that are not valid UTF-8 are escaped, so without one
    this costs a check of the non-ASCII names. (A file also reached through a
    link under another name was read under its own, which is then refused:
    the link's warning and the rejection both say so.)
    """
    escaped = [path for path, _ in result.files if not path.isascii() and not _utf8_name(path)]
    if not escaped:
        return
    undecodable = set(escaped)
    taken = {shown_path(path) for path, _ in result.files if path not in undecodable}
    refused = set()
    for path in escaped:  # in path order, so which of two undecodable names gives way is fixed
        shown = shown_path(path)
        if shown in taken:
            refused.add(path)
            result.rejected.append({"path": path, "line": None, "reason": (
                "its name is not valid UTF-8, and with its bytes shown as \\xNN escapes it reads as the "
                "name of another file read: files are named by what they show; rename one of them")})
        else:
            taken.add(shown)
    if refused:
        result.files = [entry for entry in result.files if entry[0] not in refused]
        for path in refused:
            del result.stats[path]


def _utf8_name(path: str) -> bool:
    """Whether the bytes of ``path`` are valid UTF-8 (Python holds those that are not with surrogate escapes)."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


NO_SUCH_FILE = "no such file or folder"


def missing_reason(path: str) -> str | None:
    """Why ``path`` leads to no file or folder (``None`` when it leads to one).

    A symbolic link whose target is missing is a ``broken symbolic link``; links
    that lead to links until the system gives up (``a.md -> b.md -> a.md``; ELOOP
    also says a chain of over 40 links) are a ``symbolic link loop``, which was said
    to be a broken link, or, named on the command line, a missing file. Any other
    failure is said as the system says it (``File name too long``).

    >>> missing_reason(__file__), missing_reason("/nonexistent/x.md")
    (None, 'no such file or folder')
    """
    try:
        os.stat(path)  # what os.path.exists does, with the reason kept
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symbolic link loop (too many levels of symbolic links: it leads to no file)"
        if os.path.islink(path):
            return "broken symbolic link"
        if err.errno in (errno.ENOENT, errno.ENOTDIR) or not err.strerror:
            return NO_SUCH_FILE
        return err.strerror[:1].lower() + err.strerror[1:]
    except ValueError:  # a NUL in the name
        return NO_SUCH_FILE
    return None


#: Linux's folders of the running system, not of files: /proc/self/root leads back to /,
#: so a link into one walked the whole file system.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")
#: Under /dev, but a folder of ordinary files (a RAM disk some put a corpus on): followed.
SHARED_MEMORY = "/dev/shm"


def _in_system_folder(target: str) -> bool:
    """Whether the resolved path ``target`` is in one of :data:`SYSTEM_FOLDERS` (but
    :data:`SHARED_MEMORY`). A link met inside an input folder is not followed there,
    to a folder or to a file alike.

    >>> _in_system_folder("/proc/kmsg"), _in_system_folder("/dev/shm/corpus"), _in_system_folder("/tmp")
    (True, False, False)
    """
    return any(target == f or target.startswith(f + "/") for f in SYSTEM_FOLDERS) and not (
        target == SHARED_MEMORY or target.startswith(SHARED_MEMORY + "/"))


def _folder_link_refused(link: str) -> str | None:
    """Why a symbolic link to a folder, met inside an input folder, is not followed;
    ``None`` when it is. A folder named on the command line is always read.

    Refused: a link to a folder holding the link (``/``, ``..``: every folder
    under it would be read before the loop closed) and a link into
    :data:`SYSTEM_FOLDERS` (but :data:`SHARED_MEMORY`).
    """
    target = os.path.realpath(link)
    here = os.path.realpath(os.path.dirname(link))
    if _in_system_folder(target):
        return f"a symbolic link into a system folder ({target}); not followed"
    if here == target or here.startswith(target.rstrip("/") + "/"):
        return f"a symbolic link to a folder that holds it ({target}); not followed"
    return None


# --------------------------------------------------------------------------
# Front matter
# --------------------------------------------------------------------------

_FORMATS: Any = None


def _formats() -> Any:
    """:mod:`graph.frontmatter_formats`, imported on first use: it imports
    python-frontmatter and PyYAML (0.03 s), which a rebuild that parses no
    file never needs."""
    global _FORMATS
    if _FORMATS is None:  # kept: an import statement costs microseconds, three times per file
        from . import frontmatter_formats

        _FORMATS = frontmatter_formats
    return _FORMATS


_TAG = re.compile(r"(?:^|[\s\[{,:-])!")


def _has_tag(text: str) -> bool:
    """``bool(_TAG.search(text))``, visiting only the ``!`` characters.

    The regex tries every position of the text (about 1.5 s over the corpus);
    this finds each ``!`` with ``str.find`` and looks at the character before
    it (``str.isspace`` is what ``\\s`` matches in a str pattern).
    """
    at = text.find("!")
    while at != -1:
        if at == 0 or text[at - 1].isspace() or text[at - 1] in "[{,:-":
            return True
        at = text.find("!", at + 1)
    return False


def load_yaml(text: str, *, fast: bool = True) -> tuple[Any, list[tuple[str, int]], bool]:
    """Load YAML safely; return the data, the duplicate keys ``(key, 0-based line)``
    and whether the fast loader (which bounds alias expansion itself) read it.

    The fast loader is tried first when ``fast``; any refusal falls back to
    PyYAML, whose errors carry line numbers and which reports duplicate keys.

    Raises
    ------
    yaml.YAMLError
        From PyYAML, when the text is not valid YAML or uses unsafe tags.
    """
    # yaml_rs ignores tags it does not know (it would load a !!python/... tag
    # as plain data); any explicit tag goes to PyYAML, which refuses unsafe ones.
    # So does a merge key ("<<: *base"), which yaml_rs keeps as a key named "<<".
    # PyYAML types plain scalars as yaml_rs does (frontmatter_formats.StrictSafeLoader).
    if fast and yaml_rs is not None and not _has_tag(text) and "<<" not in text and _fast_can_read(text):
        try:
            return yaml_rs.loads(text, alias_limits=_ALIAS_LIMITS), [], True
        except Exception:  # noqa: BLE001 - any refusal: let PyYAML say why
            pass
    _check_nesting(text)
    text, restore = _yaml12_characters(text)
    loader = _formats().StrictSafeLoader(text)
    try:
        data = loader.get_single_data()
        return (data if restore is None else restore(data)), loader.duplicates, False
    finally:
        loader.dispose()


#: Stand-ins for NEL, U+2028 and U+2029 on PyYAML's path: the Control Pictures
#: (printable to YAML 1.1), the first three a text holds in no form.
_STAND_INS = [chr(c) for c in range(0x2400, 0x2427)]
_YAML11_BREAKS = "\x85\u2028\u2029"


def _yaml12_characters(text: str) -> tuple[str, Callable[[Any], Any] | None]:
    r"""``text`` for PyYAML with NEL, U+2028 and U+2029 read as YAML 1.2 (and
    yaml_rs) reads them, as characters, and the function that puts them back in
    the data; ``(text, None)`` when it holds none. YAML 1.1 breaks lines there,
    so a duplicate key or a tag elsewhere in a file, which sends it to PyYAML,
    changed what another field said (``"a   b"`` read ``a b``).

    >>> text, restore = _yaml12_characters('e: "a   b"')
    >>> import yaml; restore(yaml.safe_load(text))
    {'e': 'a   b'}
    """
    if text.isascii() or not any(c in text for c in _YAML11_BREAKS):
        return text, None
    folded = text.casefold()
    free = [c for c in _STAND_INS if c not in text and f"{ord(c):04x}" not in folded]  # nor as an escape
    if len(free) < 3:
        return text, None  # a text that holds them all: read as YAML 1.1
    stand_in = dict(zip(_YAML11_BREAKS, free))
    back = {ord(c): b for b, c in stand_in.items()}
    done: dict[int, Any] = {}  # each container once: aliases share them (and may nest one in itself)

    def restore(value: Any) -> Any:
        if isinstance(value, str):
            return value.translate(back)
        if not isinstance(value, (list, dict)):
            return value
        if id(value) in done:
            return done[id(value)]
        out: Any = [] if isinstance(value, list) else {}
        done[id(value)] = out
        if isinstance(value, list):
            out.extend(map(restore, value))
        else:
            out.update((restore(k), restore(v)) for k, v in value.items())
        return out

    return text.translate({ord(b): c for b, c in stand_in.items()}), restore


#: Deepest flow nesting (``[`` and ``{``) handed to PyYAML: its C loader recurses
#: with no limit of its own and crashed the whole build (a segmentation fault) on
#: 50,000 levels. yaml_rs refuses more than 256 levels, and at 1,000 what walks the
#: data (the alias check) met Python's recursion limit, without a line: 256 for both.
#: The same bound holds for block indicators opening levels on one line (``- - - x``,
#: ``? - ? x``), which crashed yaml_rs at 20,000 levels and PyYAML at 50,000.
MAX_NESTING = 256
_BRACKET = re.compile(r"[\[\]{}]")
#: A run of block indicators, counted whole: a search for 257 in a row retried from
#: every indicator of each shorter run (2 µs a character on lines of 256).
_INDICATOR_RUN = re.compile(r"(?:[-?][ \t]+)+")
_FIRST_LEVELS = re.compile(r"(?:[-?][ \t]+){%d}" % MAX_NESTING)
_SPACES = re.compile(" *")
#: Block nesting also grows with indentation, a level per column at most (a block
#: sequence may share its mapping's column: two levels): a line indented this far is
#: refused, which keeps any nesting PyYAML is given under 40,000 levels.
MAX_INDENT = 16_384
#: A line indented this far is read by PyYAML only (its nesting then walked, and
#: refused past Python's recursion limit): it keeps what yaml_rs is given under
#: 3,000 levels, where its stack held 10,000.
_FAST_MAX_INDENT = 1_024
#: A block level takes two characters at least (``- ``), so a shorter text cannot nest
#: the 10,000 levels that crash yaml_rs: it goes to yaml_rs unchecked. Every text the
#: real corpus loads is (2,400 characters at most), and each check reads the whole
#: text several times (60 ms for the corpus's 7.7 million characters).
_FAST_UNCHECKED = 4_000


def _check_nesting(text: str, max_indent: int = MAX_INDENT) -> None:
    r"""Raise a YAML error where the text nests deeper than either parser can take:
    at the bracket that opens level ``MAX_NESTING + 1``, at the block indicator that
    does on one line, or at a line indented more than ``max_indent`` columns.

    Brackets inside quotes count too: a text needs 257 of them open at once
    to be refused (as a scalar needs 257 ``- `` in a row).

    >>> _check_nesting("a: " + "[" * MAX_NESTING + "]" * MAX_NESTING)
    >>> _check_nesting("title: x\nextra: " + "[" * (MAX_NESTING + 1))
    Traceback (most recent call last):
    ...
    yaml.error.MarkedYAMLError: nesting deeper than 256 levels of [ and {
      in "<front matter>", line 2, column 264
    >>> _check_nesting("title: x\nextra:\n" + "- " * (MAX_NESTING + 1) + "x")
    Traceback (most recent call last):
    ...
    yaml.error.MarkedYAMLError: nesting deeper than 256 levels of block indicators (- and ?) on one line
      in "<front matter>", line 3, column 513
    """
    if text.count("[") + text.count("{") > MAX_NESTING:
        depth = 0
        for bracket in _BRACKET.finditer(text):
            if bracket.group() in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    _nesting_error(text, bracket.start(), f"nesting deeper than {MAX_NESTING:,} levels of [ and {{")
            elif depth:
                depth -= 1
    # The search only where enough indicators are found at all (it reads 30 ns a character).
    if _indicators(text) > MAX_NESTING:
        for run in _INDICATOR_RUN.finditer(text):
            if run.end() - run.start() > 2 * MAX_NESTING and _indicators(run.group()) > MAX_NESTING:
                at = _FIRST_LEVELS.match(text, run.start()).end()  # the indicator opening one level more
                _nesting_error(text, at, f"nesting deeper than {MAX_NESTING:,} levels of block indicators "
                                         "(- and ?) on one line")
    at = _indented_line(text, max_indent)
    if at != -1:
        _nesting_error(text, at, f"a line indented over {max_indent:,} columns: block nesting that deep is "
                                 "more than the YAML parsers can take")


def _indicators(text: str) -> int:
    return text.count("- ") + text.count("-\t") + text.count("? ") + text.count("?\t")


#: What PyYAML also takes as a line break (YAML 1.1); ``decode`` has made every other one "\n".
_OTHER_BREAKS = str.maketrans("\x85\u2028\u2029", "\n\n\n")


def _indented_line(text: str, columns: int) -> int:
    """Where the first line indented more than ``columns`` spaces, with something after
    them, starts, or -1. Lines end at NEL, U+2028 and U+2029 too: PyYAML nested
    through them."""
    if not text.isascii() and ("\x85" in text or "\u2028" in text or "\u2029" in text):
        text = text.translate(_OTHER_BREAKS)  # the same length: the offsets hold
    spaces = " " * (columns + 1)
    at = 0 if text.startswith(spaces) else _line_starting(text, spaces, 0)
    while at != -1:
        end = _SPACES.match(text, at).end()
        if end < len(text) and text[end] != "\n":
            return at
        at = _line_starting(text, spaces, end)  # a line of spaces only nests nothing
    return -1


def _line_starting(text: str, prefix: str, start: int) -> int:
    """Where the first line from ``start`` on that starts with ``prefix`` starts, or -1."""
    found = text.find("\n" + prefix, start)
    return found if found == -1 else found + 1


def _nesting_error(text: str, at: int, problem: str) -> NoReturn:
    yaml = _formats().yaml
    line = text.count("\n", 0, at)
    raise yaml.error.MarkedYAMLError(problem=problem, problem_mark=yaml.error.Mark(
        "<front matter>", at, line, at - (text.rfind("\n", 0, at) + 1), None, None))


def _fast_can_read(text: str) -> bool:
    """Whether ``text`` may go to yaml_rs: nothing :func:`_check_nesting` refuses, and no
    line indented past :data:`_FAST_MAX_INDENT` (both would crash it, deep enough).
    Below :data:`_FAST_UNCHECKED` characters, nothing is checked: yaml_rs may then read
    nesting PyYAML refuses (over 256 levels of ``- `` on one line)."""
    if len(text) < _FAST_UNCHECKED:
        return True
    try:
        _check_nesting(text, _FAST_MAX_INDENT)  # the tighter bound on indentation: one search
    except _formats().yaml.error.MarkedYAMLError:
        return False
    return True


# --------------------------------------------------------------------------
# Related stubs: each distinct item loaded once
# --------------------------------------------------------------------------
# The ``related`` list is most of a front matter (the real corpus: 94,527
# stubs of 3,375 URLs, a copy of one stub's text in 28 files on average), so
# the fast path cuts the block under a top-level ``related:`` key into the
# text of each item, loads the rest, and loads an item only the first time
# its exact text is seen (graph.model memoises stubs by text). An item of a
# block sequence means the same alone as in its document as long as no alias
# crosses the cut, which is why anything this cannot vouch for (an alias, a
# tag, a block that is not a plain ``- `` sequence followed by a top-level key,
# an item that does not load alone as one item) goes to the whole-document
# loader instead; tests/test_fast_yaml.py compares both ways on every file.

_FIRST_ITEM = re.compile(r"\n( *)- ")
_BLOCK_END = re.compile(r"\n[^ \n#]")  # a line less indented than the items
_BLOCK_END_0 = re.compile(r"\n[^ \n#-]")  # the same when the items are not indented
_TOP_LEVEL_KEY = re.compile(r"[A-Za-z_][\w-]*:(?: |\n|$)")


class _CutRefused(Exception):
    """An item of a cut ``related`` block did not load alone as one item."""


def _has_alias(text: str) -> bool:
    """Whether ``text`` may hold a YAML alias: a ``*`` where a node can start,
    followed by a name (found with ``str.find``, as in :func:`_has_tag`)."""
    at = text.find("*")
    while at != -1:
        before, after = text[at - 1:at] if at else " ", text[at + 1:at + 2]
        if (before.isspace() or before in "[{,") and after and not after.isspace() and after not in ",]}":
            return True
        at = text.find("*", at + 1)
    return False


def cut_related(text: str) -> tuple[str, list[str]] | None:
    r"""Cut the items of a top-level ``related:`` block sequence out of a YAML text.

    Returns the text without the items (the ``related:`` line stays, so the
    key keeps its place and loads as null) and each item's text, indentation
    and ``- `` included; or ``None`` when the text has no such block or one
    this cannot vouch for.

    Examples
    --------
    >>> rest, items = cut_related("title: a\nrelated:\n  - title: b\n  - title: c\n    quality: 1\nheat: 2\n")
    >>> rest
    'title: a\nrelated:\nheat: 2\n'
    >>> items
    ['  - title: b', '  - title: c\n    quality: 1']
    >>> cut_related("related: []\n") is None
    True
    """
    if text.startswith("related:"):
        at = 0
    else:
        at = text.find("\nrelated:") + 1
        if not at:
            return None
    if text.find("\nrelated:", at) != -1:  # twice: the loader decides what that means
        return None
    line_end = text.find("\n", at)
    if line_end == -1 or text[at + len("related:"):line_end].strip():
        return None  # an inline value, a comment, an anchor or a tag
    first = _FIRST_ITEM.match(text, line_end)
    if first is None:
        return None
    end_match = (_BLOCK_END if first.group(1) else _BLOCK_END_0).search(text, line_end)
    end = len(text) if end_match is None else end_match.start()
    if end_match is not None and not _TOP_LEVEL_KEY.match(text, end + 1):
        return None
    separator = first.group(0)
    items = [separator[1:] + part for part in text[line_end + len(separator):end].split(separator)]
    return text[:line_end] + text[end:], items


def _load_cut(text: str) -> dict | None:
    """The front matter loaded with its ``related`` items as :class:`StubText`
    (loaded later, once per distinct text); ``None`` when it cannot be cut."""
    cut = cut_related(text)
    if cut is None or _has_tag(text) or _has_alias(text):  # a merge key's alias too ("<<: *base")
        return None
    rest, items = cut
    if "<<" in rest or not _fast_can_read(rest):  # a merge key, which yaml_rs keeps as a key: PyYAML merges it
        return None
    try:
        data = yaml_rs.loads(rest, alias_limits=_ALIAS_LIMITS)
    except Exception:  # noqa: BLE001 - the whole-document loader says why
        return None
    if type(data) is not dict or "related" not in data or data["related"] is not None:
        return None
    data["related"] = [StubText(item) for item in items]
    return data


def _load_stub_text(text: str) -> Any:
    # A merge key, or nesting too deep (checked once per distinct item text): the whole document's loader.
    if "<<" in text or not _fast_can_read(text):
        raise _CutRefused(text)
    try:
        value = yaml_rs.loads(text, alias_limits=_ALIAS_LIMITS)
    except Exception as err:  # noqa: BLE001 - refused alone: load the whole document
        raise _CutRefused(text) from err
    if type(value) is not list or len(value) != 1:
        raise _CutRefused(text)
    return value[0]


def _expanded_size(value: Any, limit: int) -> int:
    """Number of values ``value`` expands to, counting shared objects each time.

    Memoised by object identity, so it is linear in the distinct objects even
    for an alias bomb; stops counting once ``limit`` is passed.
    """
    memo: dict[int, int] = {}

    def size(v: Any) -> int:
        if isinstance(v, (list, dict)):
            key = id(v)
            if key in memo:
                return memo[key]
            memo[key] = limit + 1  # a cycle counts as too big
            items = v.values() if isinstance(v, dict) else v
            total = 1
            for item in items:
                total += size(item)
                if total > limit:
                    break
            memo[key] = total
            return total
        return 1

    return size(value)


#: The YAML and TOML fences (python-frontmatter's ``YAMLHandler.FM_BOUNDARY``,
#: and :class:`graph.frontmatter_formats.TOMLHandler`'s) and their three characters.
FENCES: dict[str, tuple[re.Pattern[str], str]] = {
    "yaml": (re.compile(r"^-{3,}\s*$", re.MULTILINE), "---"),
    "toml": (re.compile(r"^\+{3,}\s*$", re.MULTILINE), "+++"),
}


#: YAML's end-of-document line, which closes front matter in Jekyll and Pandoc.
YAML_DOCUMENT_END = re.compile(r"^\.\.\.[^\S\n]*$", re.MULTILINE)


@dataclass
class FrontMatter:
    """The raw front matter of a file and where it sits."""

    kind: str  # "yaml", "toml" or "json"
    text: str
    first_line: int  # 1-based line of the front matter's first line

    @property
    def handler(self) -> Any:
        """The python-frontmatter handler of :attr:`kind` (:mod:`graph.frontmatter_formats`)."""
        return _formats().HANDLER_OF[self.kind]


def _closing_fence(text: str, pos: int, kind: str) -> re.Match | None:
    """``FENCES[kind][0].search(text, pos)``, without scanning every character.

    A multi-line ``^`` regex is tried at each position of a front matter that
    can be 140 KB long; instead only the line starts that begin with the
    fence's three characters are tried, with the same regex, in order (the
    YAML and TOML fences, ``^-{3,}\\s*$`` and ``^\\+{3,}\\s*$``, can start
    nowhere else), so the first match is the same.
    """
    boundary, fence = FENCES[kind]
    if pos == 0 and text.startswith(fence):
        found = boundary.match(text, 0)
        if found:
            return found
    needle = "\n" + fence
    at = text.find(needle, max(pos - 1, 0))
    while at != -1:
        found = boundary.match(text, at + 1)
        if found:
            return found
        at = text.find(needle, at + 1)
    return None


def split_front_matter(text: str, path: str) -> FrontMatter | None:
    """Find the front matter in ``text``; ``None`` when the file has none.

    YAML opens with ``---`` and closes with the next ``---`` line or, where
    none follows, with a ``...`` line (as Jekyll and Pandoc allow).

    >>> split_front_matter("---\\ntitle: a\\n---\\nbody", "a.md").text
    'title: a\\n'
    >>> split_front_matter("---\\ntitle: a\\n...\\nbody", "a.md").text
    'title: a\\n'

    Raises
    ------
    FrontMatterError
        When a fence is opened but never closed.
    """
    # YAML's handler is tried first: a file opening with its fence is YAML,
    # found without importing python-frontmatter (graph.frontmatter_formats),
    # which a rebuild parsing only YAML files then never needs.
    if FENCES["yaml"][0].match(text):
        kind = "yaml"
    else:
        formats = _formats()
        handler = formats.detect_format(text)  # one whose fence matches at the very start
        if handler is None:
            return None
        kind = formats.KIND_OF[type(handler)]
    if kind == "json":
        # The JSON handler's "fence" is the object itself: from "{" to the
        # first line that is just "}".
        end = re.search(r"^}\s*$", text, re.MULTILINE)
        if end is None:
            raise FrontMatterError(path, "JSON front matter opened at line 1 is never closed", 1)
        return FrontMatter(kind, text[: end.end()], 1)
    first = FENCES[kind][0].match(text)
    second = _closing_fence(text, first.end(), kind)
    if second is None and kind == "yaml":
        # Jekyll and Pandoc also close YAML with "...", YAML's own end of a
        # document; python-frontmatter does not. Taken only where no "---"
        # follows, so every file python-frontmatter splits is split as it does.
        second = YAML_DOCUMENT_END.search(text, first.end())
    if second is None:
        raise FrontMatterError(path, f"front matter opened at line 1 is never closed (with a line that is just "
                                     f"{FENCES[kind][1]})", 1)
    start = first.end()
    if text[start:start + 1] == "\n":
        start += 1
    return FrontMatter(kind, text[start:second.start()], text.count("\n", 0, start) + 1)


_TOP_KEY = re.compile(r'^["\']?([A-Za-z_][\w-]*)["\']?\s*[:=]', re.MULTILINE)


class _KeyLines:
    """Lazily maps top-level front-matter keys to file lines (for warnings)."""

    def __init__(self, fm: FrontMatter) -> None:
        self.fm = fm
        self.lines: dict[str, int] | None = None

    def __call__(self, key: str) -> int | None:
        if self.lines is None:
            self.lines = {}
            for m in _TOP_KEY.finditer(self.fm.text):
                self.lines.setdefault(m.group(1), self.fm.first_line + self.fm.text.count("\n", 0, m.start()))
        return self.lines.get(key)


# --------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------

@pickled_by_fields
@dataclass
class ParsedFile:
    """What one input file turned out to be.

    Exactly one of ``record`` (an article), ``catalog`` (a catalogue entry),
    ``skipped`` (not an article, with the reason) or ``rejected`` (an article
    that could not be read, with the reason) is set. ``sha256`` is the digest
    of the bytes read (``None`` when the file could not be read): the
    incremental cache (:mod:`graph.cache`) keys the result by it, and hashing
    the bytes here, where they are in memory already, saves reading every
    file a second time.
    """

    path: str
    record: ArticleRecord | None = None
    catalog: dict | None = None
    skipped: str | None = None
    rejected: dict | None = None
    warnings: list[Warning_] = field(default_factory=list)
    sha256: str | None = None
    #: Rejected for how its reading ended rather than for what it holds (the process
    #: reading it died): not kept by the incremental cache, so the next build reads it again.
    transient: bool = False


def decode(raw: bytes, path: str, warnings: list[Warning_]) -> str:
    """A file's bytes as text, for articles and catalogue files alike: a UTF-8,
    UTF-16 or UTF-32 byte-order mark read, bytes that are not UTF-8 replaced with
    U+FFFD, NULs and byte-order marks opening a line removed, each with a warning
    for ``path``; line ends as ``\\n``.

    Raises
    ------
    FrontMatterError
        For a file that opens with UTF-32's byte-order mark and is not UTF-32
        (:func:`_utf32`): read as anything else, its text would be garbled.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        if raw.startswith(_UTF16_32_BOMS):  # UTF-16 with its BOM: Windows Notepad's "Unicode"; or UTF-32
            if raw.startswith(_UTF32_BOMS):  # UTF-32-LE's BOM begins with UTF-16-LE's: looked for first
                text = _utf32(raw, path)
            else:
                try:
                    text = raw.decode("utf-16")
                except UnicodeDecodeError:
                    text = raw.decode("utf-8")  # not UTF-16 after all: the usual way, and its warning
        else:
            text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        warnings.append(Warning_(path, "not valid UTF-8: undecodable bytes replaced with U+FFFD "
                                       f"(first at byte {err.start})", line))
        text = raw.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        warnings.append(Warning_(path, f"{text.count(chr(0))} NUL character(s) removed", line))
        text = text.replace("\x00", "")
    # A byte-order mark opening a line (files joined end to end): in front matter it
    # made "topics" the key "\ufefftopics", which the fast loader kept and nothing
    # read (the topics lost without a word) and PyYAML refused. Free in ASCII text:
    # Python finds no U+FEFF in a string whose widest character is narrower. In
    # other text the character alone is looked for first: a search for one
    # character runs through the text six times faster than one for two (18
    # against 116 ms over the real corpus's 82 million characters).
    first = text.find("\ufeff")
    if first != -1:
        first = text.find("\n\ufeff", max(first - 1, 0))
    if first != -1:
        line = text.count("\n", 0, first) + 2
        warnings.append(Warning_(path, f"{text.count(chr(10) + chr(0xFEFF))} byte-order mark(s) (U+FEFF) "
                                       "at the start of a line removed", line))
        text = text.replace("\n\ufeff", "\n")
    return text


#: The byte-order marks of UTF-32 (little-endian, big-endian), and those of UTF-16 and UTF-32 together:
#: a file opening with one is decoded whole as what it says (``decode``, ``_without_front_matter``).
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _utf32(raw: bytes, path: str) -> str:
    r"""``raw``, which opens with a UTF-32 byte-order mark, decoded as UTF-32.

    UTF-32-LE's mark (``FF FE 00 00``) begins with UTF-16-LE's (``FF FE``): read
    as UTF-16, every character became two, with NULs between (removed with a
    warning), and the characters past U+FFFF were garbled (``\U0001f600`` read
    ``\uf600\x01``). Bytes that are not UTF-32 after its mark (a file cut short, a
    value past U+10FFFF, a surrogate) are no text this can vouch for: the file is
    rejected, saying where, rather than read as UTF-16 (which reads almost any
    bytes, garbled) or as UTF-8. So is a UTF-16 file whose first character is a
    NUL (``FF FE`` then ``00 00``), which no editor writes.

    >>> text = "title: caf\u00e9 \U0001f600\n"
    >>> [_utf32(("\ufeff" + text).encode(order), "a.md") == text for order in ("utf-32-le", "utf-32-be")]
    [True, True]
    >>> _utf32("\ufeffa\nb".encode("utf-32-le")[:-1], "a.md")  # cut short in its third character, at byte 12
    Traceback (most recent call last):
    ...
    graph.errors.FrontMatterError: a.md:2: not valid UTF-32 after UTF-32's byte-order mark (FF FE 00 00): truncated...
    """
    try:
        return raw.decode("utf-32")  # the mark says which byte order, and is left out
    except UnicodeDecodeError as err:
        start = err.start - err.start % 4  # the character it is in
        line = raw[:start].decode("utf-32").count("\n") + 1  # the characters before it decode
        raise FrontMatterError(path, f"not valid UTF-32 after UTF-32's byte-order mark ({raw[:4].hex(' ').upper()}): "
                                     f"{err.reason} at byte {start}", line) from None


def front_matter_error(err: Exception, fm: FrontMatter, path: str) -> FrontMatterError:
    """The :class:`FrontMatterError` for ``err``, raised loading ``fm`` of file
    ``path``: what is wrong, in words, at its line in the file."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    formats = _formats()
    if fm.kind == "yaml" and isinstance(err, formats.YAMLError):
        # PyYAML refuses a second document ("expected a single document", or "expected
        # <document start>" after "..."): said as yaml_rs's list of them is, where the
        # first document loads alone (else the error is in it, and said as it is).
        separator = _document_separator(fm.text)
        if separator is not None and _loads_alone(fm.text[:separator[2]]):
            return _several_documents(fm, path, separator)
    line = fm.first_line + formats.mark_line(mark, fm.text) if mark is not None else fm.first_line
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if isinstance(err, formats.UnsafeTagError) and "python/" in str(err):
        problem = "unsafe YAML tag (e.g. !!python/...) refused; nothing was executed"
    elif isinstance(err, formats.TOMLDecodeError):
        message = str(err)
        m = re.search(r"line (\d+)", message)
        if m:  # tomllib counts from the front matter's first line: the file's line, as said before it
            line = fm.first_line + int(m.group(1)) - 1
            message = message[:m.start()] + f"line {line}" + message[m.end():]
        else:
            line = fm.first_line
        problem = f"invalid TOML: {message}"
    elif isinstance(err, ValueError) and "integer string conversion" in str(err):
        # tomllib reads every number with int(), which refuses more digits than
        # sys.get_int_max_str_digits(); Python's advice was for programmers.
        limit = sys.get_int_max_str_digits()
        long = re.search(r"\d{%d,}" % (limit + 1), fm.text.replace("_", ""))
        line = fm.first_line + fm.text.replace("_", "").count("\n", 0, long.start()) if long else fm.first_line
        problem = f"a whole number of more than {limit:,} digits, more than Python reads as a number"
    elif not isinstance(err, formats.YAMLError):
        if isinstance(getattr(err, "lineno", None), int):  # JSON's error: its line in the front matter
            line = fm.first_line + err.lineno - 1  # type: ignore[attr-defined]
        problem = f"invalid front matter: {err}"
    else:
        problem = f"invalid YAML: {problem}"
    return FrontMatterError(path, problem, line)


#: A YAML document marker: ``---`` (a document starts) or ``...`` (one ends), at the
#: start of a line, alone or before a space or a tab. A line starting so is one
#: wherever it is: YAML forbids it inside a scalar, quoted or not.
_DOCUMENT_MARKER = re.compile(r"(---|\.\.\.)(?=[ \t]|$)")


def _document_separator(text: str) -> tuple[str, int, int] | None:
    r"""Where the first of several YAML documents in ``text`` ends: the marker line
    (``---`` or ``...``), its line (from 0) and its offset; ``None`` when ``text`` holds
    one document or none. Read line by line, by YAML's rules for markers alone (which
    hold whatever else the text holds), and called only where a loader has met more
    than one document (yaml_rs reads them as a list, PyYAML refuses them).

    A ``---`` before anything else of the first document opens it, and a ``...``
    there ends nothing (yaml_rs skips it); a ``...`` followed only by blank lines,
    comments and other ``...`` lines ends the only document.

    >>> _document_separator("title: a\nwebUrl: b\n...\n\nFirst paragraph.\n")
    ('...', 2, 19)
    >>> _document_separator("# c\n---\nname: A\n--- # B\nname: B\n")
    ('---', 3, 16)
    >>> [_document_separator(t) for t in ("---\n- a\n...\n# end\n...\n", "- a\n- b\n", "...\n---\na: 1\n", "")]
    [None, None, None, None]
    """
    begun = False  # the first document has begun: its "---", or a line of its content
    ended = None  # the "..." that ended it
    offset = 0
    for number, line in enumerate(text.split("\n")):
        marker = _DOCUMENT_MARKER.match(line)
        blank = not line.strip() or line.lstrip().startswith("#")
        if ended is not None:
            if not blank and not (marker and marker.group() == "..."):
                return ended  # a directive, a "---" or content: a document more
        elif marker is not None:
            if begun:
                ended = (marker.group(), number, offset)
                if marker.group() == "---":
                    return ended  # it starts the second
            elif marker.group() == "---":
                begun = True  # it opens the first
        elif not (blank or line.startswith("%")):  # a "%" directive comes before a document's "---"
            begun = True
        offset += len(line) + 1
    return None


def _several_documents(fm: FrontMatter, path: str, separator: tuple[str, int, int]) -> FrontMatterError:
    """The error for YAML front matter ``fm`` (or a catalogue's ``.yaml`` file) that
    holds more than one document, the first ending at ``separator``
    (:func:`_document_separator`), at the separator's line in the file: the one reason
    for both loaders. yaml_rs's list of the documents was said to be ``front matter is
    a list`` (a catalogue's ``holding no fields (a list)``), and PyYAML's refusal after
    a ``...`` was ``did not find expected <document start>``, lines below it."""
    marker, line, _ = separator
    return FrontMatterError(path, f"more than one YAML document: {marker!r} at line {fm.first_line + line} ends "
                                  "the first, and another follows (one mapping of fields is expected)",
                            fm.first_line + line)


def _loads_alone(text: str) -> bool:
    """Whether the YAML ``text`` loads, by PyYAML (for an error's message only)."""
    try:
        load_yaml(text, fast=False)
    except (*_formats().PARSE_ERRORS, ValueError, RecursionError):
        return False
    return True


#: A JSON escape of a UTF-16 surrogate: half of a pair (an emoji, say) or,
#: alone, a code point no UTF-8 text can hold. YAML and TOML refuse the lone
#: ones; JSON loads them, and every export would then fail to encode them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(data: Any, warnings: list[Warning_], fm: FrontMatter, path: str) -> Any:
    r"""``data`` with each lone surrogate in its texts (keys too) replaced by
    U+FFFD, and a warning giving how many at the first escape's line.

    >>> import json
    >>> fm = split_front_matter('{\n"title": "a \\ud800 b \\ud83d\\ude00"\n}\n', "a.md")
    >>> warnings = []
    >>> _without_lone_surrogates(json.loads(fm.text), warnings, fm, "a.md")
    {'title': 'a � b 😀'}
    >>> warnings[0].line, warnings[0].message
    (2, 'lone UTF-16 surrogate escape(s) (\\ud800-\\udfff): 1 replaced with U+FFFD')
    """
    replaced = 0

    def clean(value: Any) -> Any:
        nonlocal replaced
        if isinstance(value, str):
            if value.isascii() or not _LONE_SURROGATE.search(value):
                return value
            new, n = _LONE_SURROGATE.subn("\ufffd", value)
            replaced += n
            return new
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data = clean(data)
    if replaced:
        # The first escape in the text: a pair's first half when one comes
        # first, which still points the reader at the right kind of thing.
        at = _SURROGATE_ESCAPE.search(fm.text).start()  # type: ignore[union-attr]
        warnings.append(Warning_(path, f"lone UTF-16 surrogate escape(s) (\\ud800-\\udfff): {replaced} replaced "
                                       "with U+FFFD", fm.first_line + fm.text.count("\n", 0, at)))
    return data


def _load_json(fm: FrontMatter, path: str, warnings: list[Warning_]) -> Any:
    r"""JSON front matter, with a warning for each key given twice in one object
    (JSON keeps the last, as YAML does, where it warns too), and its lone
    surrogate escapes replaced (:func:`_without_lone_surrogates`).

    >>> fm = split_front_matter('{\n"title": "a",\n"title": "b"\n}\n', "a.md")
    >>> warnings = []
    >>> _load_json(fm, "a.md", warnings), [(w.line, w.message) for w in warnings]
    ({'title': 'b'}, [(3, "duplicate key 'title': the last value is used")])
    """
    import json
    from collections import Counter

    twice: list[str] = []

    def mapping(pairs: list[tuple[str, Any]]) -> dict:
        out = dict(pairs)
        if len(out) < len(pairs):
            twice.extend(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        return out

    data = json.loads(fm.text, object_pairs_hook=mapping, parse_int=_json_int)
    for key in dict.fromkeys(twice):
        last = None
        for last in re.finditer(re.escape(json.dumps(key)) + r"\s*:", fm.text):
            pass  # the last time the key is written: the value used
        warnings.append(_duplicate_key(path, key, fm.first_line + fm.text.count("\n", 0, last.start())
                                       if last else None))
    if _SURROGATE_ESCAPE.search(fm.text):
        data = _without_lone_surrogates(data, warnings, fm, path)
    return data


def _json_int(digits: str) -> int | str:
    """A JSON whole number; kept as its text when longer than Python reads as a
    number (``sys.get_int_max_str_digits()``), as a field of the wrong type is
    (the article is kept, the field warned about), rather than the file rejected.

    >>> _json_int("-12"), len(_json_int("9" * 5000))
    (-12, 5000)
    """
    limit = sys.get_int_max_str_digits()
    return digits if limit and len(digits.lstrip("-")) > limit else int(digits)


def _duplicate_key(path: str, key: str, line: int | None) -> Warning_:
    return Warning_(path, f"duplicate key {key!r}: the last value is used", line)


def _looks_like_catalog(data: Any) -> bool:
    return isinstance(data, dict) and data.get("taxonomy") in ("organization", "topic")


def load_front_matter(fm: FrontMatter, path: str, warnings: list[Warning_], *, fast: bool = True) -> Any:
    r"""The data of front matter ``fm`` of ``path``, as articles and catalogue files both load it
    (``None`` when it is empty).

    Duplicate keys and lone surrogate escapes are added to ``warnings``.

    Raises
    ------
    FrontMatterError
        With its line when the text does not parse, when YAML aliases expand it
        past :data:`MAX_EXPANDED_NODES` (an alias bomb), and when its block
        nesting is too deep to walk.

    Examples
    --------
    >>> fm = split_front_matter("---\ntitle: a\ntitle: b\n---\n", "a.md")
    >>> warnings = []
    >>> load_front_matter(fm, "a.md", warnings), [(w.line, w.message) for w in warnings]
    ({'title': 'b'}, [(3, "duplicate key 'title': the last value is used")])
    >>> load_front_matter(split_front_matter("---\n[a\n---\n", "b.md"), "b.md", [])
    Traceback (most recent call last):
    ...
    graph.errors.FrontMatterError: b.md:3: invalid YAML: ...
    """
    try:
        if fm.kind == "yaml":
            data, duplicates, bounded = load_yaml(fm.text, fast=fast)
            # yaml_rs reads several documents as the list of them (PyYAML refuses them, and a
            # list of one document has no separator)
            if type(data) is list:
                separator = _document_separator(fm.text)
                if separator is not None:
                    raise _several_documents(fm, path, separator)
            warnings.extend(_duplicate_key(path, key, fm.first_line + line) for key, line in duplicates)
        elif fm.kind == "json":  # JSON and TOML have no aliases
            data, bounded = _load_json(fm, path, warnings), True
        else:
            data, bounded = fm.handler.load(fm.text), True
    except (*_formats().PARSE_ERRORS, ValueError, RecursionError) as err:  # evaluated on an error only
        raise front_matter_error(err, fm, path) from err
    try:
        expanded = 0 if bounded else _expanded_size(data, MAX_EXPANDED_NODES)
    except RecursionError as err:  # block nesting, which the bracket count does not see
        raise FrontMatterError(path, "front matter nested too deeply", fm.first_line) from err
    if expanded > MAX_EXPANDED_NODES:
        raise FrontMatterError(path, "front matter expands to over "
                                     f"{MAX_EXPANDED_NODES:,} values through YAML aliases (alias bomb)",
                               fm.first_line)
    return data


def _interpret(result: ParsedFile, fm: FrontMatter, path: str, fast: bool, cut: bool) -> None:
    """Load ``fm`` into ``result``: a catalogue entry or an article record.

    ``cut``: load the ``related`` items one by one (:func:`cut_related`);
    raises ``_CutRefused``, having changed nothing, when that was not possible.
    """
    data = _load_cut(fm.text) if cut and fm.kind == "yaml" else None
    if data is not None:
        if _looks_like_catalog(data):
            raise _CutRefused(path)  # a catalogue keeps its mapping as loaded
    else:
        data = load_front_matter(fm, path, result.warnings, fast=fast)
    if data is None:
        raise FrontMatterError(path, "front matter is empty", fm.first_line)
    if _looks_like_catalog(data):
        result.catalog = data
    else:
        record, warnings = records_from_front_matter(data, path, _KeyLines(fm), canonical_url, _load_stub_text,
                                                     fm.kind.upper())
        result.record = record
        result.warnings.extend(warnings)


def read_file(path: str, explicit: bool = False, *, fast: bool = True) -> ParsedFile:
    """Read one input file into a :class:`ParsedFile`. Never raises for bad input.

    Parameters
    ----------
    path : str
        The file.
    explicit : bool
        Whether the user named this file (rather than a folder holding it).
        A named file without front matter is rejected; one found in a folder
        is skipped (folders hold READMEs and notes too).
    fast : bool
        Use the fast YAML loader when installed.
    """
    result = ParsedFile(path)  # the path as given: the cache finds the file by it
    shown = shown_path(path)  # the path as the graph and the report say it
    try:
        with open(path, "rb") as fh:
            # read(16 MB) would allocate 16 MB for every small file: its size decides first
            long = os.fstat(fh.fileno()).st_size >= READ_WHOLE_BELOW
            raw = fh.read(READ_WHOLE_BELOW) if long else fh.read()
            if long and len(raw) == READ_WHOLE_BELOW:
                # A log, a dump or a file of zeros among the articles: its hash, never its
                # whole text in memory (a 654 MB .txt took 1.95 GB to be skipped).
                without = _without_front_matter(raw, fh)
                if without is not None:
                    result.sha256, reason = without
                    _skip_or_reject(result, reason, explicit)
                    return result
                fh.seek(0)  # it may hold front matter: read whole (the search may have read on)
                raw = fh.read()
            elif long:
                raw += fh.read()
    except OSError as err:
        result.rejected = {"path": shown, "reason": f"cannot read: {err.strerror or err}", "line": None}
        return result
    result.sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = decode(raw, shown, result.warnings)  # raises for a UTF-32 mark on bytes that are not UTF-32
        if not text.strip():
            raise _Skip("empty file")
        fm = split_front_matter(text, shown)
        if fm is None:
            raise _Skip(_NO_FRONT_MATTER_JSON if text.startswith("{") else _NO_FRONT_MATTER)
        try:
            _interpret(result, fm, shown, fast, cut=fast and yaml_rs is not None)
        except _CutRefused:
            _interpret(result, fm, shown, fast, cut=False)
    except _Skip as skip:
        _skip_or_reject(result, skip.reason, explicit)
    except InputError as err:
        result.rejected = {"path": shown, "reason": err.reason, "line": err.line}
    except (InvalidURLError, RecursionError, TypeError, ValueError) as err:
        # Shapes no coercion foresaw: still a clear, per-file rejection.
        result.rejected = {"path": shown, "reason": f"unreadable front matter: {err}", "line": None}
    return result


#: Files this long are read whole only when their first bytes may open front matter.
READ_WHOLE_BELOW = 16 << 20


def _without_front_matter(head: bytes, fh: Any) -> tuple[str, str] | None:
    """For a file too long to read whole on a guess, whose first bytes are
    ``head`` (``fh`` reads on from there): ``None`` when it may hold front
    matter, else its SHA-256 and why it holds none, found reading a bounded
    part of it at a time.

    Front matter opens at the very start of the text (:func:`split_front_matter`),
    which :func:`decode` makes without a leading byte-order mark and without
    NULs: so the first byte that is not a NUL decides, wherever it is (a file
    of zeros held 1.26 GB for its 600 MB to be skipped). A file with nothing
    but NULs and white space is empty, as when read whole.
    """
    body = head.removeprefix(b"\xef\xbb\xbf")
    if body.startswith(_UTF16_32_BOMS):
        return None  # UTF-16 or UTF-32: decoded whole
    digest = hashlib.sha256()

    def rest_of_file() -> Iterator[bytes]:
        # The head is hashed once it is read through: a long article is found at its
        # first byte, and read_file hashes it whole
        digest.update(head)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            yield chunk

    # A megabyte at a time: decoded whole, the head's 16 MB could take 64 MB as text
    chunks = itertools.chain((body[i:i + (1 << 20)] for i in range(0, len(body), 1 << 20)), rest_of_file())
    first = b""  # the first byte that is not a NUL
    blank = True  # only white space so far, as str.strip() sees it once decoded
    text_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    line_ended = False  # the text so far ends a line: a byte-order mark after it is removed (decode)
    for chunk in chunks:
        if not blank:
            continue  # only its hash is left to make
        if not first:
            first = chunk.lstrip(b"\x00")[:1]
            if first and first in b"-+{":
                return None
        text = text_decoder.decode(chunk).replace("\x00", "")  # as decode: NULs go once decoded
        if line_ended and text.startswith("\ufeff"):
            text = text[1:]
        text = text.replace("\n\ufeff", "\n").replace("\r\ufeff", "\r")
        blank = not text or text.isspace()
        line_ended = text.endswith(("\n", "\r")) if text else line_ended
    if blank:
        rest = text_decoder.decode(b"", final=True)  # a sequence cut short: U+FFFD
        blank = not rest or rest.isspace()
    return digest.hexdigest(), "empty file" if blank else _NO_FRONT_MATTER


def _skip_or_reject(result: ParsedFile, reason: str, explicit: bool) -> None:
    """A file without an article: rejected when the user named it, skipped in a folder."""
    if explicit:
        result.rejected = {"path": shown_path(result.path), "reason": reason, "line": None}
    else:
        result.skipped = reason


_NO_FRONT_MATTER = "no front matter: the file does not open with ---, +++ or {"
_NO_FRONT_MATTER_JSON = ("no front matter: JSON front matter opens with a line that is just { and closes "
                         "with a line that is just }")


def shown_path(path: str) -> str:
    """``path`` as text that can be written as UTF-8, the same in every locale: the
    name's bytes read as UTF-8, and a name that is not valid UTF-8 (which Python
    holds with surrogate escapes) shows its undecodable bytes as ``\\xff`` escapes.

    >>> shown_path("news/a.md"), shown_path(os.fsdecode(b"news/caf\\xe9.md"))
    ('news/a.md', 'news/caf\\\\xe9.md')
    """
    if path.isascii():
        return path
    # The name's bytes, read as UTF-8 whatever the locale: under a Latin-1 locale Python
    # decodes "café" as "cafÃ©", and the exports then differed from a UTF-8 locale's.
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def iter_read(files: list[tuple[str, bool]], *, fast: bool = True) -> Iterator[ParsedFile]:
    """Read ``(path, explicit)`` files one after another, in order: the one loop
    every reader runs (one process, each pool worker's chunk, each Dask task)."""
    for path, explicit in files:
        yield read_file(path, explicit, fast=fast)


def chunked(files: list[tuple[str, bool]], workers: int) -> list[list[tuple[str, bool]]]:
    """Split ``files`` into consecutive chunks for ``workers`` to read: about 8 per
    worker (one slow chunk then holds up little), 16 to 256 files each (fewer and the
    sending costs more than the reading; more and the last chunks leave workers idle).

    >>> [len(c) for c in chunked([("f", False)] * 100, 2)]
    [16, 16, 16, 16, 16, 16, 4]
    """
    size = max(16, min(256, len(files) // (max(1, workers) * 8) or 1))
    return [files[i:i + size] for i in range(0, len(files), size)]
