"""The ``newsgraph`` command: a thin layer over the library.

Each command calls one library function and turns :class:`NewsgraphError`
into a :class:`click.ClickException` (a one-line message, exit status 1, no
traceback).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

import click

from . import __version__
from .builder import KnowledgeGraph, ProgressCallback, build
from .errors import NewsgraphError
from .export import EXPORTERS, DEFAULT_FORMATS, write_exports

__all__ = ["cli", "main"]


@contextlib.contextmanager
def _progress(enabled: bool, label: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsgraph")
def cli() -> None:
    """Turn folders of news articles (Markdown with front matter) into a knowledge graph.

    Start with `newsgraph build`: it reads seeds/ and writes exports/.
    """


def _build_graph(paths: tuple[str, ...], catalogs: tuple[str, ...], jobs: int | None, fast_yaml: bool,
                 quiet: bool) -> KnowledgeGraph:
    with _progress(not quiet, "reading") as progress:
        return build(list(paths) or ["seeds"], catalogs=catalogs, jobs=jobs, fast_yaml=fast_yaml,
                     progress=progress)


@cli.command("build")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-o", "--output", default="exports", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the exports into.")
@click.option("-f", "--format", "formats", multiple=True, metavar="NAME",
              help="Export format (repeatable, or comma-separated): "
                   + ", ".join(sorted(EXPORTERS)) + ". Default: " + ", ".join(DEFAULT_FORMATS) + ".")
@click.option("--catalog", "catalogs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Catalogue folder with organizations/ and topics/ (found beside the input otherwise).")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any file was rejected.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Worker processes for reading (default: one per core; 1: no pool).")
@click.option("--base-iri", default=None, help="Base IRI for minted RDF identifiers.")
@click.option("--no-fast-yaml", is_flag=True, help="Parse YAML with PyYAML only.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", count=True, help="Also list warnings (-v) and skipped files (-vv).")
def build_command(paths, output, formats, catalogs, strict, jobs, base_iri, no_fast_yaml, quiet, verbose):
    """Read articles under PATHS (default: seeds/) and write the exports.

    PATHS are files or folders, read recursively: files ending .md, .markdown
    or .txt whose first line opens front matter (---, +++ or {).
    """
    chosen = [f.strip() for item in formats for f in item.split(",") if f.strip()]
    try:
        kg = _build_graph(paths, catalogs, jobs, not no_fast_yaml, quiet)
        options = {"base_iri": base_iri} if base_iri else {}
        written = write_exports(kg, output, chosen or None, **options)
    except NewsgraphError as err:
        raise click.ClickException(str(err)) from err
    report = kg.report
    if not quiet:
        click.echo(report.summary(), err=True)
        if verbose:
            for w in report.warnings:
                where = f"{w.path}:{w.line}" if w.line else w.path
                click.echo(f"warning: {where}: {w.message}", err=True)
        if verbose > 1:
            for s in report.skipped:
                click.echo(f"skipped: {s['path']}: {s['reason']}", err=True)
        click.echo("wrote: " + ", ".join(str(p) for p in written.values()), err=True)
    if strict and report.rejected:
        raise click.ClickException(f"{len(report.rejected)} file(s) rejected (--strict); see "
                                   f"{written.get('report', 'the report')}")


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="newsgraph")


if __name__ == "__main__":  # pragma: no cover
    main()
