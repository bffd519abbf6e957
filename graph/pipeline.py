"""The whole job, as ``newsgraph build`` and ``newsgraph html`` run it: read the
inputs, build the graph, write its exports.

:func:`build_exports` is ``newsgraph build``: :func:`graph.build` then
:func:`graph.export.write_exports` (or, with the cache,
:func:`graph.cache.write_exports_cached`), with the collector paused and the
cache files written off the critical path. :func:`build_page` is
``newsgraph html``. Both refuse input paths that do not exist before anything
is read or written: a mistyped folder must not replace good exports with
empty ones.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as out:
...     run = build_exports(["seeds/"], out, ["nt", "json"], cache=False)
...     sorted(run.written), run.report.rejected
(['json', 'nt'], [])
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .builder import KnowledgeGraph, ProgressCallback, build
from .catalog import is_catalog_folder
from .errors import EmptyInputError, InvalidArgumentError, MissingInputError
from .report import BuildReport

if TYPE_CHECKING:
    from .cache import CacheStats

__all__ = ["ExportRun", "build_exports", "build_page", "DEFAULT_INPUT"]

#: What is read when no path is given.
DEFAULT_INPUT = "seeds"


@dataclass
class ExportRun:
    """What :func:`build_exports` did."""

    #: The build report (the graph itself is freed before the function returns).
    report: BuildReport
    #: Each format written, and its file (or folder).
    written: dict[str, Path]
    #: Exports of other formats left in the folder by an earlier build.
    stale: list[Path]
    #: What the caches did (``None`` without the cache).
    cache: CacheStats | None
    #: Whether the exports were left as the last build wrote them (nothing changed).
    @property
    def kept(self) -> bool:
        return self.cache is not None and self.cache.exports == "kept"

    @property
    def patched(self) -> bool:
        """Whether the exports were patched (:mod:`graph.incremental`), not written whole."""
        return self.cache is not None and self.cache.exports == "patched"

    @property
    def unchanged(self) -> list[Path]:
        """The files of :attr:`written` this run left as they were: all of them when
        the exports were kept, those a patch leaves alone when they were patched."""
        if self.kept:
            return list(self.written.values())
        if self.patched:
            from .incremental import UNCHANGED_BY_A_PATCH  # imported already: it patched them

            return [path for name, path in self.written.items() if name in UNCHANGED_BY_A_PATCH]
        return []


Paths = Iterable[str | os.PathLike] | str | os.PathLike


def _listed(paths: Paths) -> list[str]:
    """One path or several, as :func:`graph.build` takes them, as a list of strings."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [os.fspath(p) for p in paths]


def _existing(paths: Paths, catalogs: Paths) -> tuple[list[str], list[str]]:
    """``paths`` (or the default input) and ``catalogs`` as lists of strings, once each exists.

    Raises
    ------
    MissingInputError
        Naming every path that does not exist.
    """
    given, folders = _listed(paths) or [DEFAULT_INPUT], _listed(catalogs)
    missing = [p for p in given + folders if not os.path.exists(p)]
    if missing:
        from .reader import NO_SUCH_FILE, missing_reason

        raise MissingInputError(missing, [missing_reason(p) or NO_SUCH_FILE for p in missing])
    # A catalogue folder holding neither list was read as an empty catalogue, without a word
    empty = [f for f in folders if not is_catalog_folder(f)]
    if empty:
        raise InvalidArgumentError(f"not a catalogue folder (it holds no organizations/ or topics/ folder): "
                                   f"{', '.join(empty)} (nothing was written)")
    return given, folders


def _check_output(output: str | os.PathLike) -> None:
    """Refuse an empty output path: an unset ``$OUT`` in a script wrote into the current folder."""
    if not os.fspath(output):
        raise InvalidArgumentError("the output path is empty (it would write into the current folder); "
                                   "give a folder's path, such as exports")


def _check_page_output(output: str | os.PathLike, given: list[str], catalogs: list[str]) -> None:
    """Refuse a page written over one of the files it is drawn from (``-o news/a.md``):
    the article was replaced by HTML, and the next build skipped it as a file
    without front matter, losing it without a word.

    Raises
    ------
    InvalidArgumentError
        When ``output`` is an existing input file, or one inside an input or catalogue folder.
    """
    from .reader import TOPIC_FILES, _is_input

    target = os.path.realpath(output)
    name = os.path.basename(target)
    if not os.path.isfile(target) or not (_is_input(name) or fnmatch.fnmatch(name.lower(), TOPIC_FILES)):
        return
    for path in given + catalogs:
        inside = os.path.realpath(path)
        if target == inside or target.startswith(inside.rstrip(os.sep) + os.sep):
            raise InvalidArgumentError(f"{os.fspath(output)} is one of the input files (under {path}); the page "
                                       "would replace it: write it elsewhere, such as exports/graph.html "
                                       "(nothing was written)")


def _holds_no_file(given: list[str]) -> bool:
    """Whether the paths ``given`` (each one that exists) hold no file at all, at any depth:
    only folders, empty ones. Stops at the first file found (the first entry, mostly)."""
    stack = list(given)
    while stack:
        path = stack.pop()
        if not os.path.isdir(path):
            return False
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if not entry.is_dir(follow_symlinks=False):
                        return False
                    stack.append(entry.path)
        except OSError:
            return False  # unreadable: the build says so
    return True


def _refuse_to_empty(output: str | os.PathLike, given: list[str]) -> None:
    """Raise :class:`EmptyInputError` when ``output`` holds a build's exports with articles.

    Why: inputs that hold no file at all are most often a source that is not there
    (an unmounted share, a cron job's folder emptied by another): written, the empty
    graph replaced good exports, and ``newsgraph push`` then emptied the store's graph,
    where a missing path is refused for the same reason. A folder of exports without
    articles, or none, takes the empty graph.
    """
    from .errors import LoadError
    from .reload import REPORT_FILE, load_report

    try:
        articles = load_report(os.path.join(output, REPORT_FILE)).articles
    except LoadError:  # none, or not a build's: nothing to keep
        return
    if articles > 0:
        raise EmptyInputError(given, os.fspath(output), articles)


def build_exports(paths: Paths = (), output: str | os.PathLike = "exports",
                  formats: Iterable[str] | None = None, *, catalogs: Paths = (),
                  jobs: int | None = None, fast_yaml: bool = True, cache: bool = True,
                  scheduler: str | None = None, workers: int | None = None,
                  progress: ProgressCallback | None = None, waiting: Callable[[str], None] | None = None,
                  **options: Any) -> ExportRun:
    """Read ``paths``, build the graph and write its exports into ``output``.

    One build at a time writes a folder: another build into it waits for it to end
    (:func:`graph.export.files.exports_lock`; ``waiting`` is told so).

    Parameters
    ----------
    paths : path or paths
        Files or folders to read (default: ``seeds/``).
    output : path
        The exports' folder; the cache is ``output/.cache`` (``cache=False``: none).
    formats : names, optional
        Export formats (:data:`graph.export.DEFAULT_FORMATS` when ``None``).
    catalogs, jobs, fast_yaml, progress
        As :func:`graph.build` takes them; ``jobs`` also writes the exports in two processes.
    scheduler, workers
        Read the files on a Dask cluster (:func:`graph.distributed.cluster_reader`), one or the other.
    **options
        Export options (``base_iri``).

    Returns
    -------
    ExportRun

    Raises
    ------
    MissingInputError
        An input or catalogue path does not exist (nothing is read or written).
    EmptyInputError
        The inputs hold no file at all while ``output`` holds a build's exports
        with articles (nothing is written; see :func:`_refuse_to_empty`).
    InvalidArgumentError
        An empty ``output``, or a catalogue folder without ``organizations/`` or ``topics/``.
    ExportError
        An unknown format or option, checked before reading, or a file that cannot be written.
    DistributedError
        Both ``scheduler`` and ``workers``, or a cluster that cannot be used.
    """
    from .cache import BackgroundWrites, CacheStats, write_exports_cached
    from .distributed import DistributedError, cluster_reader
    from .export import check_exports, stale_exports, write_exports
    from .export.files import exports_lock
    from .gc_pause import gc_paused

    _check_output(output)
    chosen = list(formats) if formats is not None else None
    check_exports(chosen, **options)  # before reading: a bad option must not cost a whole read
    if scheduler and workers:
        raise DistributedError("give either a scheduler or a number of workers, not both")
    given, folders = _existing(paths, catalogs)
    cache_dir = os.path.join(output, ".cache") if cache else None
    stats = CacheStats() if cache else None
    # One pause from reading to the last export, and the graph freed inside it:
    # re-enabling the collector while the graph lives makes it walk every object
    # of the graph (0.4 s at 10,000 articles, 10 times more objects at 100,000).
    # The cache files are written off the critical path (no forking with jobs=1,
    # nor beside a Dask cluster's threads); leaving the block finishes them.
    forking = jobs != 1 and not (scheduler or workers)
    with exports_lock(output, waiting), gc_paused(), BackgroundWrites(enabled=forking) as background:
        if _holds_no_file(given):
            _refuse_to_empty(output, given)
        with cluster_reader(scheduler, workers) as reader:
            kg = build(given, catalogs=folders, jobs=jobs, fast_yaml=fast_yaml, progress=progress,
                       reader=reader, cache_dir=cache_dir, background=background, cache_stats=stats)
        if cache_dir is not None:
            # Skips writing when the graph and the exports are as last time.
            written = write_exports_cached(kg, output, chosen, cache_dir, jobs=jobs, background=background,
                                           stats=stats, **options)
        else:
            written = write_exports(kg, output, chosen, jobs=jobs, **options)
        report = kg.report
        del kg
    return ExportRun(report, written, stale_exports(output, written), stats)


def build_page(paths: Paths = (), output: str | os.PathLike = "exports/graph.html", *,
               catalogs: Paths = (), jobs: int | None = None, progress: ProgressCallback | None = None,
               waiting: Callable[[str], None] | None = None, **view_options: Any) -> KnowledgeGraph:
    """Read ``paths`` and write the interactive page of their graph (or of a view of it) to ``output``.

    ``view_options`` are :func:`graph.export.html.write_html`'s (``view``, ``topic``,
    ``provider``, ``article``, ``depth``, ``seed``). Returns the graph. Into a folder a
    build writes, the page waits for that build to end (``waiting`` is told so).

    Raises
    ------
    MissingInputError
        A path does not exist (nothing is read or written).
    ExportError, ViewError
        As :func:`~graph.export.html.write_html` raises them.
    """
    from .export.files import exports_lock
    from .export.html import write_html
    from .gc_pause import gc_paused

    _check_output(output)
    given, folders = _existing(paths, catalogs)
    _check_page_output(output, given, folders)
    # One pause from reading to the page, as build_exports holds: the collector,
    # woken between the two, walked the whole graph as the page was made.
    with gc_paused():
        kg = build(given, catalogs=folders, jobs=jobs, progress=progress)
        # Into a build's exports folder (exports/graph.html): not while a build writes there
        with exports_lock(os.path.dirname(os.fspath(output)) or os.curdir, waiting, create=False):
            write_html(kg, output, **view_options)
    return kg
