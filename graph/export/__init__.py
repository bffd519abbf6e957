"""Exports: one module per format, one registry, and the writing of several at once.

Each format is an :class:`Exporter`: a file name and a function
``write(kg, path, **options)``. :func:`write_exports` writes the chosen
formats into a folder, in two processes where it pays; every file is
written to a temporary file beside its target and moved into place only when
complete (:func:`atomic_writer`, from :mod:`graph.export.files`, which also
holds the spares and system calls that incremental builds use), so a crash
never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from .. import views
from ..errors import ExportError, UnknownFormatError
from ..children import usable_cores
from .files import (SPARE_MAX_BYTES, Move, atomic_writer, check_replaceable, copy_range, discard_moves, libc_function,
                    make_moves, mapping_address, moves_deferred, open_spare_of, recycling, remove_leftovers,
                    start_writeback, sync_folder, write_all, written_size)

__all__ = ["Exporter", "EXPORTERS", "DEFAULT_FORMATS", "atomic_writer", "recycling", "SPARE_MAX_BYTES",
           "copy_range", "write_all", "write_exports", "check_exports", "stale_exports", "exporter", "open_spare_of",
           "start_writeback",
           "libc_function", "mapping_address", "sync_folder", "written_size"]


@dataclass(frozen=True)
class Exporter:
    """A format: its name, output file name, and ``module:function`` writer."""

    name: str
    filename: str
    target: str  # "graph.export.module:function", imported on first use
    description: str
    #: "module:function" writing this format together with others of the same
    #: ``joint`` in one pass: ``function(kg, {name: path}, **options)``.
    joint: str | None = None
    #: Rough relative cost of writing it: the costliest are handed out first.
    cost: float = 1.0
    #: Whether it writes a folder (its files replaced together) rather than a file.
    folder: bool = False

    def write(self, kg: Any, path: str | os.PathLike, **options: Any) -> None:
        _load(self.target)(kg, path, **options)


def _load(target: str) -> Callable[..., None]:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


_REGISTRY: dict[str, Exporter] = {}


def exporter(name: str, filename: str, target: str, description: str, joint: str | None = None,
             cost: float = 1.0, folder: bool = False) -> None:
    """Register a format (done once, below, for every built-in format)."""
    _REGISTRY[name] = Exporter(name, filename, target, description, joint, cost, folder)


_RDF = "graph.export.rdf:write_rdf"  # the RDF formats share one pass over the graph


# Costs: CPU seconds on the real corpus, roughly (only their ratios matter),
# in a process that has not imported what the writer needs (the page's
# numpy, igraph and pyvis: about 0.25 s of the page's 1.7 s).
exporter("report", "report.json", "graph.export.report:write_report", "build report (JSON)", cost=0.01)
exporter("ttl", "graph.ttl", "graph.export.rdf:write_turtle", "RDF Turtle, prefixed", _RDF, 0.3)
exporter("nt", "graph.nt", "graph.export.rdf:write_ntriples", "RDF N-Triples", _RDF, 0.3)
exporter("jsonld", "graph.jsonld", "graph.export.rdf:write_jsonld", "RDF JSON-LD with a compact @context",
         _RDF, 0.3)
exporter("trig", "graph.trig", "graph.export.rdf:write_trig", "RDF TriG, one named graph per source file",
         _RDF, 0.3)
exporter("html", "graph.html", "graph.export.html:write_html", "self-contained interactive graph page",
         cost=1.7)
exporter("json", "graph.json", "graph.export.nodelink:write_nodelink",
         "networkx node-link JSON (also what `graph.load` reads back)", cost=0.45)
exporter("graphml", "graph.graphml", "graph.export.graphml:write_graphml", "GraphML (Cytoscape, yEd)")
exporter("gexf", "graph.gexf", "graph.export.gexf:write_gexf", "GEXF (Gephi)")
exporter("neo4j", "neo4j", "graph.export.neo4j:write_neo4j",
         "CSV node and edge files for neo4j-admin database import (a folder)", folder=True)

#: Every registered format by name.
EXPORTERS = _REGISTRY
#: The file (or folder) names of every format, in the exports' folder.
EXPORT_FILES = frozenset(exp.filename for exp in _REGISTRY.values())
#: What ``newsgraph build`` writes when no ``--format`` is given.
DEFAULT_FORMATS: tuple[str, ...] = ("report", "ttl", "nt", "jsonld", "trig", "json", "html")


Task = tuple[str | None, dict[str, Path]]  # (joint writer or None, {format: path})


def _run(kg: Any, task: Task, folder: Path, options: dict[str, Any]) -> None:
    joint, paths = task
    try:
        if joint is not None:
            _load(joint)(kg, paths, **options)
        else:
            (name, path), = paths.items()
            EXPORTERS[name].write(kg, path, **options)
    except ImportError as err:
        raise ExportError(f"format(s) {', '.join(paths)} not available: {err}") from err
    except OSError as err:
        raise ExportError(f"cannot write {err.filename or folder}: {err.strerror or err}") from err


def _do(kg: Any, work: Task | Callable[[], object], folder: Path, options: dict[str, Any]) -> None:
    """Write one task's formats, or do other work (its ``OSError`` ignored)."""
    if callable(work):
        with contextlib.suppress(OSError):
            work()
    else:
        _run(kg, work, folder, options)


def _run_in_child(kg: Any, work: list, taken: Any, folder: Path, options: dict[str, Any], conn: Any,
                  parent: int) -> None:
    # In a forked process: report failure as text (exceptions may not pickle). Killed with
    # the build: it replaced files after the next build had said they were up to date.
    import signal

    from ..children import die_with_parent, let_through

    die_with_parent(parent)
    moves: list[Move] = []
    try:
        let_through({signal.SIGTERM})  # held while it was forked (graph.children.signals_held)
        with moves_deferred() as moves:  # its own list: the parent moves these files with its own
            for item in _take(work, 0, taken):
                _do(kg, item, folder, options)
        conn.send(moves)
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
        import traceback

        discard_moves(moves)
        known = isinstance(err, ExportError)
        conn.send(str(err) if known else "".join(traceback.format_exception(err)).rstrip())
        raise SystemExit(1)


def _costliest_first(tasks: list[Task]) -> list[Task]:
    """``tasks`` by falling cost (ties keep their order)."""
    return sorted(tasks, key=lambda task: sum(EXPORTERS[name].cost for name in task[1]), reverse=True)


def _take(work: list, first: int, taken: Any) -> Iterator:
    """``work[first]``, then each item no process has taken yet (``taken``:
    a shared counter of the items handed out), until none is left."""
    yield work[first]
    while True:
        with taken.get_lock():
            i = taken.value
            taken.value += 1
        if i >= len(work):
            return
        yield work[i]


def check_exports(formats: tuple[str, ...] | list[str] | None = None, **options: Any) -> list[str]:
    """The formats :func:`write_exports` would write, in order, once the
    request is checked: called before anything is read or written, so that a
    bad option cannot leave some files of a folder new and the rest old.

    >>> check_exports(["ttl", "nt", "ttl"])
    ['ttl', 'nt']
    >>> check_exports(["ttl"], base_iri="http://example.org/no-slash")
    Traceback (most recent call last):
    ...
    graph.errors.NewsgraphError: base IRI must end with '/' or '#': 'http://example.org/no-slash'

    Raises
    ------
    UnknownFormatError
        For an unknown format (an :class:`ExportError` and a ``ValueError``).
    NewsgraphError
        For a ``base_iri`` that is not a usable base IRI.
    """
    chosen = list(dict.fromkeys(formats or DEFAULT_FORMATS))
    unknown = [f for f in chosen if f not in EXPORTERS]
    if unknown:
        named = ", ".join(f"{f} (did you mean {_known_as(f)}?)" if _known_as(f) else f for f in unknown)
        raise UnknownFormatError(f"unknown format(s): {named}; known: {', '.join(sorted(EXPORTERS))}")
    if options.get("base_iri") is not None:
        from ..namespaces import check_base_iri

        check_base_iri(options["base_iri"])
    return chosen


#: Other names of formats, which an unknown format's message suggests.
_OTHER_NAMES = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "json-ld": "jsonld", "nodelink": "json",
                "node-link": "json", "networkx": "json", "page": "html"}


def _known_as(name: object) -> str | None:
    """The format ``name`` most likely means (``None`` if none).

    >>> _known_as("TTL"), _known_as("N-Triples"), _known_as("grapml"), _known_as("xlsx")
    ('ttl', 'nt', 'graphml', None)
    """
    if not isinstance(name, str):
        return None
    import difflib

    key = name.strip().lower()
    if key in EXPORTERS:
        return key
    if key in _OTHER_NAMES:
        return _OTHER_NAMES[key]
    close = difflib.get_close_matches(key, sorted(EXPORTERS), n=1, cutoff=0.75)
    return close[0] if close else None


def write_exports(kg: Any, folder: str | os.PathLike, formats: tuple[str, ...] | list[str] | None = None,
                  *, jobs: int | None = 1, beside: Sequence[Callable[[], object]] = (),
                  **options: Any) -> dict[str, Path]:
    """Write ``formats`` (default :data:`DEFAULT_FORMATS`) of ``kg`` into ``folder``.

    Parameters
    ----------
    kg : KnowledgeGraph
    folder : path
    formats : list of str, optional
        Format names (see :data:`EXPORTERS`).
    jobs : int or None
        With 2 or more (``None``: one per core), this process and a forked
        one write at the same time: each takes the costliest format left
        when done with its last (the formats' relative costs change with the
        graph's size: the page draws at most
        :data:`graph.views.MAX_ARTICLES` articles, the RDF and JSON files
        hold all). The files are the same either way.
    beside : sequence of callables
        Other work (``newsgraph build`` saves its graph snapshot so), done
        once no format is left to take, by whichever process is free first
        (the other may still write its last format). Their ``OSError`` is
        ignored (a cache that cannot be written).
    **options
        Passed to every writer (``base_iri``).

    Returns the written paths by format name.

    Raises
    ------
    ExportError
        For an unknown format, a file that cannot be written, or a graph
        with an edge to a node it does not hold (:meth:`KnowledgeGraph.dangling`).
    """
    folder = Path(folder)
    chosen = check_exports(formats, **options)
    dangling = kg.dangling()  # 6 ms on the real corpus
    if dangling is not None:
        source, kind, target = dangling
        raise ExportError(f"{source} has a {kind} edge to {target}, which is not in the graph: its exports would "
                          "name a node they do not hold; take a part of a graph with kg.subgraph(article_ids)")
    remove_leftovers(folder, EXPORT_FILES)  # what builds killed while writing here left behind
    # What no writer can replace, refused before the first is written: a folder at
    # graph.trig was found after report.json, graph.html and graph.json were new.
    for name in chosen:
        check_replaceable(folder / EXPORTERS[name].filename, folder=EXPORTERS[name].folder)
    # Formats sharing a joint writer are written together, where the first of them is.
    tasks: list[Task] = []
    joint_task: dict[str, dict[str, Path]] = {}
    for name in chosen:
        exp = EXPORTERS[name]
        path = folder / exp.filename
        if exp.joint is None:
            tasks.append((None, {name: path}))
        elif exp.joint in joint_task:
            joint_task[exp.joint][name] = path
        else:
            joint_task[exp.joint] = {name: path}
            tasks.append((exp.joint, joint_task[exp.joint]))
    from ..gc_pause import gc_paused

    targets = [path for task in tasks for path in task[1].values()]
    before = {path: _identity(path) for path in targets}
    try:
        # Every file is written in full before the first is moved into place: stopped
        # part way, a build leaves the last build's exports, never a mix (moves_deferred).
        with gc_paused(), moves_deferred() as moves:  # gc: millions of long-lived objects, no cycles
            try:
                _write_tasks(kg, tasks, folder, options, jobs, beside, moves)
            except BaseException:
                discard_moves(moves)
                raise
        make_moves(moves)
    except BaseException as err:
        # Every writer has ended (the forked one is waited for): what an interruption
        # left between a temporary file's making and its writer's cleanup goes too.
        remove_leftovers(folder, EXPORT_FILES, ours_too=True)
        mixed = _mixed_folder(folder, before) if isinstance(err, ExportError) else None
        if mixed is not None:
            raise ExportError(f"{err}; {mixed}") from err
        raise
    written: dict[str, Path] = {}
    for task in tasks:
        written.update(task[1])
    return written


def _identity(path: Path) -> tuple[int, int] | None:
    """The inode and modification time of ``path``; ``None`` if missing (a file replaced has new ones)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _mixed_folder(folder: Path, before: dict[Path, tuple[int, int] | None]) -> str | None:
    """What to say of ``folder`` when a write that failed replaced some of the
    files in ``before`` and left others as the last build wrote them; ``None``
    if it did not.

    Why: each file is replaced whole, but a build that failed half way left
    one build's RDF beside another's page and node-link file, and said only
    which file it could not write; ``query`` and ``serve`` read the old RDF.
    """
    now = {p: _identity(p) for p in before}
    new = [p.name for p, was in before.items() if now[p] not in (was, None)]
    old = [p.name for p, was in before.items() if was is not None and now[p] == was]
    if not new or not old:
        return None
    return (f"{folder} now holds this build's {', '.join(new)} beside the last build's {', '.join(old)}: "
            "build again before using them")


def stale_exports(folder: str | os.PathLike, written: Mapping[str, Path]) -> list[Path]:
    """The export files in ``folder`` that the write that gave ``written`` did
    not replace: of other formats, from an earlier build, so they may no
    longer match the ones written (``newsgraph build -f nt`` names them).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = open(os.path.join(tmp, "graph.ttl"), "w").close()
    ...     [p.name for p in stale_exports(tmp, {"nt": Path(tmp, "graph.nt")})]
    ['graph.ttl']
    """
    folder = Path(folder)
    return [folder / exp.filename for name, exp in EXPORTERS.items()
            if name not in written and os.path.lexists(folder / exp.filename)]


def _write_tasks(kg: Any, tasks: list[Task], folder: Path, options: dict[str, Any], jobs: int | None,
                 beside: Sequence[Callable[[], object]], moves: list[Move]) -> None:
    """Do ``tasks`` then ``beside``, in this process and a forked one where it pays;
    the moves the forked one deferred (:func:`moves_deferred`) are added to ``moves``."""
    workers = usable_cores() if jobs is None else jobs
    # Handed out while the writing goes on rather than split beforehand: at
    # 100,000 synthetic articles a split by the costs measured on the real
    # corpus left the page's process idle for 42 of the exports' 56 s.
    ordered = _costliest_first(tasks)
    work: list[Task | Callable[[], object]] = [*ordered, *beside]
    if len(kg.articles) > views.MAX_ARTICLES:
        # The page is capped and its process has time to spare: the work
        # beside goes right after the two first formats, where the snapshot's
        # pickling memo is freed before that process touches the whole graph
        # for graph.json (100,000 articles: 1,880 MB summed peak RSS, against
        # 1,984 MB with the snapshot last).
        work = [*ordered[:2], *beside, *ordered[2:]]
    if workers < 2 or not hasattr(os, "fork") or len(tasks) < 2:
        for item in work:
            _do(kg, item, folder, options)
        return
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # the child shares kg without pickling it
    taken = ctx.Value("i", 2)  # items 0 and 1 are the two processes' first
    conn, child_end = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_run_in_child, args=(kg, work, taken, folder, options, child_end, os.getpid()),
                        daemon=True)
    import signal

    from ..children import signals_held

    with signals_held({signal.SIGTERM}):  # until the child stands in its try
        child.start()
    child_end.close()
    done: list = []
    try:
        for item in _take(work, 1, taken):
            _do(kg, item, folder, options)
            done.append(item)
    finally:
        failure = conn.recv() if conn.poll(None) else None
        if isinstance(failure, list):  # done: the moves it left for the end
            moves += failure
            failure = None
        child.join()
        conn.close()
    if failure is not None or child.exitcode != 0:
        others = ", ".join(n for t in tasks if not any(t is d for d in done) for n in t[1])
        raise ExportError(failure or f"the export process for {others} died (exit status {child.exitcode})")
