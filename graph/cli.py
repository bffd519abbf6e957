"""The ``newsgraph`` command: a thin layer over the library.

Each command calls one library function and turns :class:`NewsgraphError`
into a :class:`click.ClickException` (a one-line message, exit status 1, no
traceback), and :class:`InvalidArgumentError`, an argument the library refuses,
into a usage error (status 2): :func:`_library_errors`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import Any, Callable, Iterator, NoReturn

import click
from click.core import ParameterSource

from . import __version__
from .builder import ProgressCallback
from .errors import InvalidArgumentError, NewsgraphError
from .namespaces import XSD
from .export import EXPORTERS, DEFAULT_FORMATS, check_exports
from .pipeline import build_exports, build_page
from .report import for_terminal


__all__ = ["cli", "main", "exit_without_teardown"]


@contextlib.contextmanager
def _progress(enabled: bool, label: str, then: str | None = None) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal, nothing otherwise; once
    the count is complete, a spinner saying ``then`` until the block ends."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    console = _stderr_console()
    if console.is_dumb_terminal:  # TERM=dumb (an editor's shell): no bar to redraw; each step once, as a line
        said: list[str] = []

        def step(done: int, total: int) -> None:
            # a cached rebuild gives its one call complete: both lines then
            lines = ([] if said else [f"{label} {total:,} files"]) + ([then] if done >= total and then else [])
            for line in lines:
                if line not in said:
                    said.append(line)
                    click.echo(for_terminal(line), err=True)

        yield step
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    after = []  # the spinner, once started
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True, console=console) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if done >= total and not after:
                bar.stop()
                after.append(console.status(for_terminal(then or "")))
                if then:
                    after[0].start()

        try:
            yield update
        finally:
            if after:
                after[0].stop()


@contextlib.contextmanager
def _status(enabled: bool, label: str) -> Iterator[None]:
    """A spinner with ``label`` on stderr while a long step without a count
    runs (validating, querying, drawing), when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield
        return
    console = _stderr_console()
    if console.is_dumb_terminal:  # no spinner to redraw (it left blank lines): the step once, as a line
        click.echo(for_terminal(label), err=True)
        yield
        return
    with console.status(for_terminal(label)):
        yield


class _IllTypedLiterals:
    """rdflib's warning for a literal its datatype refuses (``"high"^^xsd:integer``)
    as one line per datatype, not a traceback per literal: the query still
    answers (the literal compares as text) and ``validate`` names it. A boolean
    neither true nor false (``"nope"^^xsd:boolean``), which rdflib reads as false
    with a Python warning (its file, line and source line), is one such line too
    (:meth:`showwarning`)."""

    _BOOLEAN = "Parsing weird boolean, "

    def __init__(self, showwarning: Callable[..., None]) -> None:
        self.seen: set[str] = set()
        self.previous = showwarning  # what shows every other Python warning

    def filter(self, record) -> bool:  # rdflib.term's log
        from .rdflib_literals import RDFLIB_FAILED, datatype_of  # not at the CLI's import: build needs no logging

        message = record.getMessage()
        if not message.startswith(RDFLIB_FAILED):
            return True
        datatype = datatype_of(message)
        if datatype in self.seen:
            return False
        record.msg = self._line(datatype, record.exc_info[1] if record.exc_info else None, "it is compared as text")
        record.args, record.exc_info, record.exc_text = (), None, None
        return True

    def showwarning(self, message, category, filename, lineno, file=None, line=None) -> None:  # warnings.showwarning
        text = str(message)
        if not text.startswith(self._BOOLEAN):
            self.previous(message, category, filename, lineno, file, line)
        elif XSD + "boolean" not in self.seen:
            value = text[len(self._BOOLEAN):].split(" does not map", 1)[0]
            click.echo(self._line(XSD + "boolean", f"{value} is neither true nor false", "it is read as false"),
                       err=True)

    def _line(self, datatype: str, error: object, outcome: str) -> str:
        from .rdflib_literals import ill_typed_line

        self.seen.add(datatype)
        return f"warning: {ill_typed_line(datatype, error, outcome)}"


def _quiet_literal_warnings() -> None:
    import logging
    import warnings

    logger = logging.getLogger("rdflib.term")
    if not any(isinstance(f, _IllTypedLiterals) for f in logger.filters):
        once = _IllTypedLiterals(warnings.showwarning)  # one line per datatype, however rdflib says it
        logger.addFilter(once)
        warnings.showwarning = once.showwarning


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgraph")
def cli() -> None:
    """Turn folders of news articles (Markdown with front matter) into a knowledge graph.

    Start with `newsgraph build`: it reads seeds/ and writes exports/.
    """


class _StatusTwo(click.ClickException):
    """An error ending with status 2: a SPARQL syntax error (a usage error, as an
    option's value is), or ``validate`` unable to check its file (1 is kept for
    violations, as ``diff`` keeps 1 for "different" and 2 for trouble)."""

    exit_code = 2


@contextlib.contextmanager
def _library_errors(failure: type[click.ClickException] = click.ClickException) -> Iterator[None]:
    """The library's errors as the command line says them, in one line without a
    traceback: an argument it refuses (:class:`InvalidArgumentError`: ``--catalog``,
    ``--endpoint``) is a usage error, status 2; any other :class:`NewsgraphError`
    is a ``failure`` (status 1 unless ``failure`` says otherwise)."""
    try:
        yield
    except InvalidArgumentError as err:
        raise click.UsageError(_said(err)) from err
    except NewsgraphError as err:
        raise failure(_said(err)) from err


def _said(err: NewsgraphError) -> str:
    """A library error's message as the command line says it: a file name's bytes that
    are not UTF-8 as ``\\xNN`` (:func:`graph.report.undecoded_as_bytes`), as the report shows them."""
    from .report import undecoded_as_bytes

    return undecoded_as_bytes(str(err))


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (systemd, ``docker stop``, ``timeout``, a CI's cancel) stops the
    command as Ctrl-C does: the files being written are removed and the last good
    exports stay. It ended the process at once, leaving hidden temporary files
    (and the cache's) behind."""
    import signal

    def stop(signum: int, frame: object) -> None:
        # here and in the forked exporting and cache-writing processes (timeout, systemd and
        # a CI signal the whole group): each removes what it was writing; reading workers,
        # which write nothing, leave it to this process, which stops their pool (graph.builder)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _QueryThread:
    """A query run, then its result written, in a thread of its own, while the
    main thread waits where a Ctrl-C (or SIGTERM, with :func:`_sigterm_as_ctrl_c`)
    ends the wait; the command then ends, and the thread with it.

    Why a thread: oxigraph evaluates a query without coming back to Python, so
    Python ran the signal's handler only when it was done: a query of minutes (a
    path over every node, a thousand patterns) ignored Ctrl-C. Why one thread for
    both: the rows are streamed (computed as they are written), and oxigraph's
    solutions can be read only in the thread that asked for them.
    """

    def __init__(self, run_query: Callable[[], Any]) -> None:
        import threading

        self._run_query = run_query
        self._asked = threading.Event()  # the query has its first row, or failed
        self._write = threading.Event()  # the main thread's go-ahead to write
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._out: Callable[[Any], None] | None = None
        self._thread = threading.Thread(target=self._run, name="newsgraph-query", daemon=True)

    def _run(self) -> None:
        try:
            result = self._run_query()
        except BaseException as err:  # noqa: BLE001 - raised in the waiting thread
            self._error = err
            return
        finally:
            self._asked.set()
        self._write.wait()
        if self._out is None:
            return
        try:
            result.rows = self._until_stopped(result.rows)
            self._out(result)
        except BaseException as err:  # noqa: BLE001 - raised in the waiting thread
            # The error's frames hold the result: dropped in the waiting thread, oxigraph's
            # solutions would be freed outside their own, which it refuses (a RuntimeError
            # said as "Exception ignored"). The frames keep their lines, not their locals.
            import traceback

            del result
            traceback.clear_frames(err.__traceback__)
            self._error = err

    def _until_stopped(self, rows: Any) -> Any:
        # a row at a time, so that after a Ctrl-C the thread stops between two writes:
        # one holding stdout's lock as the process ends would be a fatal error
        for row in rows:
            if self._stopped.is_set():
                raise KeyboardInterrupt
            yield row

    def _wait(self, done: Callable[[], Any]) -> None:
        try:
            done()  # a lock's wait, which a signal's handler interrupts
        except KeyboardInterrupt:
            self._stopped.set()
            self._write.set()
            if self._asked.is_set():  # it may be writing a row: let it stop between two
                self._thread.join(2)
            # else still in oxigraph, holding no lock of ours: waiting 2 s for it to come back
            # was what stopping a long query took (the README says it stops at once)
            raise
        if self._error is not None:
            raise self._error

    def ask(self) -> None:
        """Run the query until its first row (or its error, raised here)."""
        self._thread.start()
        self._wait(self._asked.wait)

    def write(self, out: Callable[[Any], None]) -> None:
        """``out(result)`` in the query's thread, and wait for its end."""
        self._out = out
        self._write.set()
        self._wait(self._thread.join)


@contextlib.contextmanager
def _ended_quietly_by_a_closed_pipe() -> Iterator[None]:
    """Within the block, end as other Unix tools do when what reads the output goes
    (``| head``): by SIGPIPE, quietly (status 141 in a shell). Python's BrokenPipeError
    gave status 1, which ``set -o pipefail`` could not tell from a failed query. Only
    around writing the output, which is all that is left to do, and restored after
    (the CLI may run inside another program: a notebook, a test)."""
    import signal

    if not hasattr(signal, "SIGPIPE"):
        yield
        return
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        yield
        click.get_text_stream("stdout").flush()  # all of it through the pipe while SIGPIPE ends it
    finally:
        signal.signal(signal.SIGPIPE, previous)


def _say(message: str) -> None:
    """A line for the person at the terminal (on stderr, as every note is)."""
    click.echo(for_terminal(message), err=True)


def _check_output(output: str, *, folder: bool) -> None:
    """A usage error, before anything is read, for an output that cannot be
    written: empty, or under a file (``-o afile/sub``). ``folder``: ``output``
    is the folder the exports go into (else the file to write); its first
    file written would be the cache's, and the error would name that."""
    from pathlib import Path

    from .export.files import not_a_folder, what_is

    if not output:  # an unset $OUT in a script: it wrote into the current folder
        raise click.BadParameter("an empty path" + (" (it would write into the current folder)" if folder else ""),
                                 param_hint="'-o' / '--output'")
    blocking = not_a_folder(os.path.join(output, "x") if folder else output)
    if blocking is not None:
        # output itself (a broken link, which click's check let by), or a folder it is in
        where = f"{output!r} is" if blocking == Path(output) else f"{output!r} is under {str(blocking)!r}, which is"
        raise click.BadParameter(f"{where} {what_is(blocking)}, not a folder", param_hint="'-o' / '--output'")


def _check_loudness(quiet: bool, verbose: int) -> None:
    if quiet and verbose:  # quiet won without a word: -v's warnings, asked for, were not shown
        raise click.UsageError("-q prints nothing and -v adds warnings to what is printed: give one or the other")


#: The options that say how much a reading command tells (build and html share them).
_strict_option = click.option("--strict", is_flag=True, help="Exit with status 1 when any file was rejected.")
_quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
_verbose_option = click.option("-v", "--verbose", count=True,
                               help="Also list warnings (-v) and skipped files (-vv).")


def _tell_report(report: Any, verbose: int) -> None:
    """What was read and rejected, and with ``-v`` the warnings (``-vv``: the skipped files)."""
    click.echo(report.summary(), err=True)
    if verbose:
        for w in report.warnings:
            where = f"{w.path}:{w.line}" if w.line else w.path
            click.echo(for_terminal(f"warning: {where}: {w.message}"), err=True)
    if verbose > 1:
        for s in report.skipped:
            click.echo(for_terminal(f"skipped: {s['path']}: {s['reason']}"), err=True)


def _fail_when_strict(report: Any, report_file: Any = None) -> None:
    """``--strict``: status 1 when a file was rejected, naming the first three."""
    if report.rejected:
        # named here too: -q hides them, and without -f report no report says them
        first = "; ".join(for_terminal(f"{r['path']}: {r['reason']}") for r in report.rejected[:3])
        more = f"; and {len(report.rejected) - 3:,} more" if len(report.rejected) > 3 else ""
        where = f" (all in {report_file})" if report_file is not None else ""
        raise click.ClickException(f"{len(report.rejected):,} file(s) rejected (--strict): {first}{more}{where}")


@cli.command("build")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", default="exports", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the exports into.")
@click.option("-f", "--format", "formats", multiple=True, metavar="NAME",
              help="Export format (repeatable, or comma-separated): "
                   + ", ".join(sorted(EXPORTERS)) + ". Default: " + ", ".join(DEFAULT_FORMATS) + ".")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Catalogue folder with organizations/ and topics/ (found beside the input otherwise).")
@_strict_option
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes for reading, and for writing the exports in two halves at once "
                   "(default: one per core this process may use; 0 or 1: no extra processes).")
@click.option("--base-iri", default=None, help="Base IRI for minted RDF identifiers.")
@click.option("--no-fast-yaml", is_flag=True, help="Parse YAML with PyYAML only.")
@click.option("--cache/--no-cache", default=True, show_default=True,
              help="Incremental build: keep parsed files, the graph and the exports' previous versions in "
                   "OUTPUT/.cache, parse again only files whose content changed, and patch the exports in place "
                   "of writing them when only articles' descriptions changed (safe to delete; the output is the "
                   "same either way).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Read the files on this Dask scheduler's workers (e.g. tcp://10.0.0.5:8786); "
                   "needs newsgraph[dask] and the inputs at the same path on every worker.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Read the files on a local Dask cluster of N worker processes (needs newsgraph[dask]).")
@_quiet_option
@_verbose_option
def build_command(paths, output, formats, catalogs, strict, jobs, base_iri, no_fast_yaml, quiet, verbose,
                  scheduler=None, workers=None, cache=True):
    """Read articles under PATHS (default: seeds/) and write the exports.

    PATHS are files or folders. In a folder (read recursively), files ending
    .md, .markdown or .txt whose first line opens front matter (---, +++ or
    {); a file named here is read whatever its name.
    """
    chosen = [f.strip() for item in formats for f in item.split(",") if f.strip()]
    if formats and not chosen:  # -f "$FORMATS" unset: it wrote every default format
        raise click.BadParameter("no format named (an empty value); give one or more of "
                                 f"{', '.join(EXPORTERS)}", param_hint="'-f' / '--format'")
    _check_output(output, folder=True)
    _check_loudness(quiet, verbose)
    if base_iri == "":  # --base-iri "$BASE" unset: it minted under the default without a word
        raise click.BadParameter("an empty IRI", param_hint="'--base-iri'")
    options = {"base_iri": base_iri} if base_iri else {}
    try:  # the options, as usage errors, before the library checks them again and reads
        check_exports(chosen or None, **options)
    except NewsgraphError as err:
        raise click.UsageError(_said(err)) from err
    if scheduler and workers:
        raise click.UsageError("give either --scheduler or --workers, not both")
    with _sigterm_as_ctrl_c(), _progress(not quiet, "reading", f"writing the exports into {output}") as progress:
        with _library_errors():
            run = build_exports(paths, output, chosen or None, catalogs=catalogs, jobs=jobs,
                                fast_yaml=not no_fast_yaml, cache=cache, scheduler=scheduler, workers=workers,
                                progress=progress, waiting=None if quiet else _say, **options)
    report, written = run.report, run.written
    if not quiet:
        _tell_report(report, verbose)
        if run.cache is not None:
            click.echo(run.cache.summary(), err=True)
        unchanged = run.unchanged
        changed = [path for path in written.values() if path not in unchanged]
        for verb, paths in (("patched" if run.patched else "wrote", changed), ("unchanged", unchanged)):
            if paths:  # a patched report was said to be written, though the patch leaves it alone
                click.echo(for_terminal(f"{verb}: " + ", ".join(str(p) for p in paths)), err=True)
        if run.stale:
            click.echo(for_terminal(f"left from an earlier build (not in --format, so they may not match): "
                                    f"{', '.join(str(p) for p in run.stale)}"), err=True)
    if strict:
        _fail_when_strict(report, written.get("report"))


@cli.command("serve")
@click.argument("source", default="exports", type=click.Path())
@click.option("--store", type=click.Path(file_okay=False), default=None,
              help="Oxigraph store folder (default: sparql-store/ beside the RDF file); reused while the "
                   "RDF file is unchanged.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update and Graph Store writes (read-only otherwise).")
@click.option("--reload", is_flag=True, help="Load the RDF file into the store again even if unchanged.")
@click.option("--cors", is_flag=True, help="Allow requests from pages on other web sites (browser tools such as "
              "YASGUI) and under host names other than localhost; refused without it.")
def serve_command(source, store, host, port, allow_update, reload, cors):
    """Serve a build as a SPARQL 1.1 endpoint (the Oxigraph server) until Ctrl-C.

    SOURCE is an exports folder holding graph.nt (or graph.ttl), written by
    `newsgraph build -f nt`, or an RDF file. Default: exports/.
    """
    import signal

    from .serve import SparqlServer, check_host, curl_example, may_hold_updates, prepare_store

    try:
        check_host(host)  # before the store is loaded, which may take minutes
    except NewsgraphError as err:  # an option's bad value: a usage error (status 2), as build -o "" is
        raise click.BadParameter(str(err), param_hint="'--host'") from err
    # From the start, not once the server is up: a SIGTERM while the store loaded or the
    # server started ended this process at once and left the oxigraph process running,
    # holding the store and the port (the load's and the server's are stopped with it).
    with _sigterm_as_ctrl_c():
        with _library_errors():
            store_dir = prepare_store(source, store, reload=reload)
            updated_before = may_hold_updates(store_dir)  # before this server marks it so
            server = SparqlServer(store_dir, host=host, port=port, allow_update=allow_update, cors=cors).start()
        try:
            try:
                triples = f"{server.triple_count():,} triples"
            except NewsgraphError:
                triples = "triple count unavailable"
            click.echo(f"SPARQL endpoint: {server.query_url} "
                       f"({'read-write' if allow_update else 'read-only'}; {triples})")
            if allow_update:
                click.echo(f"SPARQL Update: {server.update_url}")
            click.echo(f"Graph Store: {server.store_url}")
            click.echo(f"store: {store_dir}")
            if updated_before:
                click.echo("note: this store was served with --allow-update since its RDF file was loaded: it may "
                           "hold changes the file does not (--reload loads the file again)", err=True)
            click.echo("try:\n" + curl_example(server.query_url))
            click.echo("Press Ctrl-C to stop.")
            status = server.wait()
            if status != -signal.SIGINT:  # -SIGINT: Ctrl-C reached the server first
                raise click.ClickException(f"the oxigraph server stopped by itself (exit status {status})")
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            server.stop()  # before saying so
            click.echo(f"stopped; the store {store_dir} is kept for the next `newsgraph serve`", err=True)
        finally:
            server.stop()


#: The most --retries: 20 wait about 8 minutes (the backoff stops growing at 30 s); a
#: mistyped 99999999999999999999 retried for ever.
MAX_RETRIES = 20


@cli.command("push")
@click.argument("source", default="exports", type=click.Path())
@click.option("--endpoint", required=True, metavar="URL",
              help="SPARQL 1.1 Graph Store HTTP Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph), "
                   "http://host:3030/ds/data (Fuseki).")
@click.option("--graph", "graph_iri", default=None, metavar="IRI",
              help="Named graph to replace [default: urn:newsgraph:build].")
@click.option("--default-graph", is_flag=True, help="Replace the store's default graph instead of a named graph.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="Triples per request.")
@click.option("--retries", type=click.IntRange(min=0, max=MAX_RETRIES), default=5, show_default=True,
              help=f"Retries per request on connection errors and 5xx answers (with exponential backoff "
                   f"up to 30 s; at most {MAX_RETRIES}).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=86_400),  # graph.push.MAX_TIMEOUT
              default=300, show_default=True,
              metavar="SECONDS", help="How long each request waits for the store's answer (a store may take "
                                      "minutes to load a chunk; at most a day).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def push_command(source, endpoint, graph_iri, default_graph, chunk_size, retries, timeout, quiet):
    """Upload a build into a SPARQL 1.1 store, replacing one graph.

    SOURCE is an exports folder holding graph.nt (or graph.ttl) or an RDF
    file. Default: exports/. Pushing again replaces the graph (no duplicates).
    Basic auth: set NEWSGRAPH_PUSH_USER and NEWSGRAPH_PUSH_PASSWORD in the
    environment (never on the command line).
    """
    from .push import DEFAULT_GRAPH_IRI, push

    if graph_iri == "":  # --graph "$GRAPH" unset: it replaced the default graph IRI's graph
        raise click.BadParameter("an empty IRI", param_hint="'--graph'")
    if default_graph and graph_iri:
        raise click.UsageError("give either --graph or --default-graph, not both")
    target = None if default_graph else (graph_iri or DEFAULT_GRAPH_IRI)

    def report(done: int, total: int, triples: int) -> None:
        click.echo(f"chunk {done}/{total}: {triples:,} triples stored", err=True)

    def retrying(reason: str, delay: float) -> None:
        click.echo(for_terminal(f"retrying in {delay:g} s: {reason}"), err=True)

    with _library_errors(), _sigterm_as_ctrl_c():
        try:
            result = push(source, endpoint, target, chunk_size=chunk_size, retries=retries, timeout=timeout,
                          progress=None if quiet else report, retrying=None if quiet else retrying)
        except KeyboardInterrupt as stop:  # what the store holds, then click's "Aborted!"
            for note in getattr(stop, "__notes__", ()):
                click.echo(for_terminal(note), err=True)
            raise
    if not quiet:
        where = "the default graph" if target is None else f"graph <{target}>"
        click.echo(f"pushed {result.triples:,} triples in {result.chunks} chunk(s) to {where} at {endpoint}"
                   + (f" ({result.retries} retries)" if result.retries else ""), err=True)


@cli.command("html")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", "output", default=None, type=click.Path(),
              help="HTML file to write, or a folder to write it into under its usual name (one that exists, "
                   "or a path ending in /) [default: exports/graph.html, exports/overview.html or "
                   "exports/ego.html].")
@click.option("--view", type=click.Choice(["full", "overview"]), default="full", show_default=True,
              help="full: every article, provider and topic; overview: providers and topics, "
                   "edges weighted by article counts.")
@click.option("--topic", default=None, help="Ego view around this topic (name).")
@click.option("--provider", default=None, help="Ego view around this provider (domain, or a name no other provider has).")
@click.option("--article", "article", default=None, metavar="URL", help="Ego view around the article with this URL (or id, article/...).")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
              help="Steps from the centre of an ego view (edges of every kind, both directions).")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Catalogue folder with organizations/ and topics/ (found beside the input otherwise).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes for reading (default: one per core this process may use; 0 or 1: no extra "
                   "processes).")
@_strict_option
@_quiet_option
@_verbose_option
def html_command(paths, output, view, topic, provider, article, depth, catalogs, jobs, strict, quiet, verbose):
    """Write an interactive HTML graph of the articles under PATHS (default: seeds/).

    One self-contained file: it opens offline from file://. Give --topic,
    --provider or --article (one of them) for an ego view.
    """
    centres = [name for name, given in (("--topic", topic), ("--provider", provider), ("--article", article))
               if given is not None]
    if len(centres) > 1:  # before reading: the view could not be drawn anyway
        raise click.UsageError(f"an ego view has one centre: give one of {', '.join(centres)}")
    for name, given in (("--topic", topic), ("--provider", provider), ("--article", article)):
        if given is not None and not given.strip():  # --topic "$TOPIC" unset: as -o "" is
            raise click.BadParameter("an empty name", param_hint=f"'{name}'")
    ego = bool(centres)
    if not ego and click.get_current_context().get_parameter_source("depth") != ParameterSource.DEFAULT:
        raise click.UsageError("--depth is the size of an ego view: give --topic, --provider or --article too")
    if ego and view == "overview":
        raise click.UsageError(f"--view overview draws every provider and topic; {centres[0]} draws an ego "
                               "view: give one or the other")
    usual = f"{'ego' if ego else 'graph' if view == 'full' else 'overview'}.html"
    if output is None:
        output = f"exports/{usual}"
    elif output.endswith(tuple(filter(None, (os.sep, os.altsep)))) or os.path.isdir(output):
        # a folder: -o site/ wrote a file named "site" (and -o site, site being a folder, was refused)
        output = os.path.join(output, usual)
    elif output == "-":  # it wrote a file named "-" into the current folder
        raise click.BadParameter("'-': the page is written to a file (atomically), not to standard output; "
                                 "give its path", param_hint="'-o' / '--output'")
    _check_output(output, folder=False)  # before reading: a large corpus was read, then not drawn
    _check_loudness(quiet, verbose)
    with _library_errors(), _sigterm_as_ctrl_c(), _progress(not quiet, "reading", f"drawing {output}") as progress:
        kg = build_page(paths, output, catalogs=catalogs, jobs=jobs, progress=progress,
                        waiting=None if quiet else _say, view=view, topic=topic,
                        provider=provider, article=article, depth=depth if ego else None)
    if not quiet:
        _tell_report(kg.report, verbose)  # what was read, and what was rejected, as build says
        click.echo(for_terminal(f"wrote: {output}"), err=True)
    if strict:
        _fail_when_strict(kg.report)


def _rdf_file(path: str) -> str:
    """``path``, or for a folder the RDF file serve and push take from it (graph.nt, else graph.ttl)."""
    if not os.path.isdir(path):
        return path
    from .serve import find_rdf_source

    return str(find_rdf_source(path))


@cli.command("query")
@click.argument("arguments", nargs=-1, metavar="[DATA] QUERY_OR_FILE")
@click.option("-d", "--data", default="exports", show_default=True, type=click.Path(),
              help="RDF file to query (.ttl, .nt, .jsonld, .trig), or an exports folder: its graph.nt, "
                   "else graph.ttl (as serve and push take).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json", "tsv", "nt"]), default="table",
              show_default=True, help="Output: a table (values cut to fit only on a terminal), SPARQL 1.1 "
                                      "CSV/JSON/TSV results, or N-Triples for a CONSTRUCT or DESCRIBE.")
@click.option("-e", "--engine", type=click.Choice(["rdflib", "oxigraph"]), default="oxigraph", show_default=True,
              help="Query engine: oxigraph, or rdflib (many times slower, and departing from SPARQL 1.1 "
                   "more often: the README lists how).")
@click.option("--store", type=click.Path(file_okay=False), default=None,
              help="With --engine oxigraph: keep the store on disk in this folder (reused while the data "
                   "file is unchanged).")
@click.option("--allow-service", is_flag=True,
              help="Run a federated query: SERVICE sends part of the query over the network to the "
                   "endpoint it names and takes its rows into the answer. Refused without this flag.")
@click.option("-l", "--list", "list_examples", is_flag=True, help="List the named example queries and exit.")
def query_command(arguments, data, fmt, engine, store, allow_service, list_examples):
    """Run a SPARQL query over an exported graph and print the result.

    QUERY_OR_FILE is SPARQL text, a .rq file (or a pipe: /dev/stdin, a
    shell's <(...)), - for standard input, or the name of an example query
    (see --list). The schema:, ng:, skos:, dct:, prov:, rdf:, rdfs: and xsd:
    prefixes are predeclared, and so are article:, provider:, topic:, img:
    and src: under the base IRI the data was built with. DATA, when given
    before it, is what --data takes: `newsgraph query exports top-providers`.
    """
    from .query import example_queries, sparql

    query_or_file, data = _query_arguments(arguments, data)

    _quiet_literal_warnings()  # here and in validate, which read RDF with rdflib (logging: 5 ms a build spares)
    if list_examples:
        if query_or_file:  # it was ignored: a query meant to run did not, and the list came instead
            raise click.UsageError("--list lists the example queries and runs none: give it alone")
        with _ended_quietly_by_a_closed_pipe():
            for name, example in example_queries().items():
                click.echo(f"{name:<16} {example.description}")
        return
    if not query_or_file:
        raise click.UsageError("give a query, a .rq file or an example name (see --list)")
    if query_or_file == "-":  # a heredoc or a pipe: the query is standard input's text
        query_or_file = click.get_text_stream("stdin").read()
        if not query_or_file.strip():
            raise click.UsageError("- reads the query from standard input, which held none")
    if store is not None and engine != "oxigraph":
        raise click.UsageError("--store keeps an oxigraph store: give --engine oxigraph with it")
    with _library_errors():
        data = _rdf_file(data)
    # streamed: a SELECT's rows are written as oxigraph finds them, not all held first
    query = _QueryThread(lambda: sparql(data, query_or_file, engine=engine, store=store,
                                        allow_service=allow_service, stream=True))
    try:
        with _status(True, f"querying {data} ({engine})"), _sigterm_as_ctrl_c():
            query.ask()
    except NewsgraphError as err:
        if getattr(err, "line", None) is not None:
            raise _StatusTwo(_said(err)) from err
        raise click.ClickException(_said(err)) from err
    stdout = click.get_text_stream("stdout")
    with _library_errors(), _sigterm_as_ctrl_c(), _ended_quietly_by_a_closed_pipe():
        query.write(lambda result: result.write(fmt, stdout))


def _query_arguments(arguments: tuple[str, ...], data: str) -> tuple[str | None, str]:
    """The query and the data of ``newsgraph query [DATA] QUERY_OR_FILE``.

    Why DATA may come first: serve, push and validate take the exports as
    their argument, and ``newsgraph query exports 'SELECT ...'`` was refused
    with click's "Got unexpected extra argument".
    """
    if len(arguments) > 2:
        raise click.UsageError(f"{len(arguments)} arguments where at most two are taken, [DATA] QUERY_OR_FILE: "
                               "put the query in quotes ('SELECT ...')")
    if len(arguments) < 2:
        return (arguments[0] if arguments else None), data
    first, second = arguments
    source = click.get_current_context().get_parameter_source("data")
    if source is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError(f"the data is given twice, as {first!r} and with --data {data!r}: give one")
    if not os.path.exists(first) and (os.path.isdir(second) or second.lower().endswith(_RDF_SUFFIXES)):
        raise click.UsageError(f"the data comes before the query: newsgraph query {second} {first}")
    return second, first


_RDF_SUFFIXES = (".ttl", ".nt", ".jsonld", ".trig")


@cli.command("validate")
@click.argument("file", default="exports", type=click.Path())
@click.option("--shapes", type=click.Path(exists=True, dir_okay=False), default=None,
              help="SHACL shapes to use instead of the shipped ones.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many violations.")
def validate_command(file, shapes, limit):
    """Check an RDF export against the SHACL shapes: FILE, or the graph.nt
    (else graph.ttl) of an exports folder (default: exports/).

    Prints each violation on one line. Exit status: 0 the file conforms, 1 it
    has violations, 2 it could not be checked (no such file, not RDF, bad shapes).
    """
    from .validate import validate

    _quiet_literal_warnings()
    with _library_errors(_StatusTwo):
        file = _rdf_file(file)
        with _status(True, f"validating {file} against the SHACL shapes"):
            report = validate(file, shapes=shapes)
    # one line per violation: a value's control characters escaped, not obeyed by the terminal
    click.echo("\n".join(map(for_terminal, report.format(limit).split("\n"))))
    if not report.conforms:
        raise SystemExit(1)


#: What writing the output fails with when nothing can take it: a closed standard
#: output (EBADF), a full disk or /dev/full (ENOSPC), a quota (EDQUOT), a device (EIO).
_OUTPUT_ERRNOS = frozenset({errno.EBADF, errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG})


class _ClosedOutput(io.TextIOBase):
    """The standard output of a command started with it closed (``>&-``): Python
    makes ``sys.stdout`` None, and a query's rows were then lost without a word or
    ended in an AttributeError. Writing here fails as writing to a closed file does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "the standard output is closed")

    def isatty(self) -> bool:
        return False


class _NotesOnly(io.TextIOBase):
    """The standard error as the command writes its notes there: text that cannot be
    written is dropped. Why: stderr closed (``2>&-``), on /dev/full or on a full disk,
    a finished build's summary failed to print and the build ended with status 1,
    its exports written; a cron job took that for a failed build. What a command
    says on stderr is also in its status (and a build's in ``report.json``)."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self._stream = stream  # None once it has failed: nothing more is tried

    def write(self, text: str) -> int:
        if self._stream is not None:
            try:
                self._stream.write(text)
            except OSError:
                self._stream = None
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            try:
                self._stream.flush()
            except OSError:
                self._stream = None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"


def _cannot_write_output(err: OSError) -> int:
    """Say on stderr that the output could not be written; the exit status (1)."""
    # What is still buffered for it could not be written either: it goes to /dev/null,
    # so that Python's own flush at exit does not fail again, with a traceback.
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    with contextlib.suppress(OSError):  # stderr may be /dev/full too: the status says it
        click.echo(f"Error: cannot write the output: {err.strerror or err}", err=True)
    return 1


def main() -> None:
    """Run the command line's command: what the console script (:func:`graph.console.main`)
    calls once this module is loaded."""
    from .drawing_deps import use_lean_imports
    from .gc_pause import never_resume

    use_lean_imports()  # this process writes files: no matplotlib or IPython behind igraph and pyvis
    never_resume()  # the process ends with its command: the collector is not woken to walk the graph
    try:
        os.getcwd()
    except FileNotFoundError:  # relative paths cannot be resolved: pathlib and rdflib raised deep inside
        click.echo("Error: the current folder no longer exists (it was deleted or moved): "
                   "run the command from a folder that exists", err=True)
        exit_without_teardown(1)
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    sys.stderr = _NotesOnly(sys.stderr)
    code: object = 0
    try:
        try:
            cli(prog_name="newsgraph")
        except SystemExit as done:
            code = done.code
        if sys.stdout is not None:
            sys.stdout.flush()  # --help, --version and a query's last rows are still buffered
    except OSError as err:  # not a library error (those are click's by now): the output's
        if err.errno not in _OUTPUT_ERRNOS:
            raise
        code = _cannot_write_output(err)
    exit_without_teardown(code)


def exit_without_teardown(code: object = 0) -> NoReturn:
    """Exit as ``sys.exit(code)`` would, but without freeing every object first.

    Why: a finished command's objects (the caches kept by its modules, a
    loaded graph) were freed one by one as the interpreter shut down, which
    took 30 ms of a 0.5 s rebuild; the kernel frees a process's memory at
    once. mypy exits the same way (its ``--fast-exit``). Exit handlers
    (:mod:`atexit`) still run and output is flushed first; while another
    thread runs, under ``python -i``, or if flushing fails, the usual exit
    is taken instead.
    """
    import atexit
    import threading

    if threading.active_count() > 1 or sys.flags.inspect:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as the interpreter does with sys.exit("message")
        print(code, file=sys.stderr)
        status = 1
    try:
        atexit._run_exitfuncs()  # each runs once: the list is emptied
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:  # noqa: BLE001 - a closed pipe, say: the usual exit reports it
        raise SystemExit(status) from None
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
