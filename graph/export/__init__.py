"""Exports: one module per format, one registry, atomic writes.

Each format is an :class:`Exporter`: a file name and a function
``write(kg, path, **options)``. :func:`write_exports` writes the chosen
formats into a folder; every file is written to a temporary file beside its
target and moved into place only when complete (:func:`atomic_writer`), so a
crash never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from ..errors import ExportError

__all__ = ["Exporter", "EXPORTERS", "DEFAULT_FORMATS", "atomic_writer", "write_exports", "exporter"]


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

    def write(self, kg: Any, path: str | os.PathLike, **options: Any) -> None:
        _load(self.target)(kg, path, **options)


def _load(target: str) -> Callable[..., None]:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


_REGISTRY: dict[str, Exporter] = {}


def exporter(name: str, filename: str, target: str, description: str, joint: str | None = None) -> None:
    """Register a format (done once, below, for every built-in format)."""
    _REGISTRY[name] = Exporter(name, filename, target, description, joint)


_RDF = "graph.export.rdf:write_rdf"  # the RDF formats share one pass over the graph


exporter("report", "report.json", "graph.export.report:write_report", "build report (JSON)")
exporter("ttl", "graph.ttl", "graph.export.rdf:write_turtle", "RDF Turtle, prefixed", _RDF)
exporter("nt", "graph.nt", "graph.export.rdf:write_ntriples", "RDF N-Triples", _RDF)
exporter("jsonld", "graph.jsonld", "graph.export.rdf:write_jsonld", "RDF JSON-LD with a compact @context", _RDF)
exporter("trig", "graph.trig", "graph.export.rdf:write_trig", "RDF TriG, one named graph per source file", _RDF)
exporter("html", "graph.html", "graph.export.html:write_html", "self-contained interactive graph page")
exporter("json", "graph.json", "graph.export.nodelink:write_nodelink",
         "networkx node-link JSON (also what `graph.load` reads back)")
exporter("graphml", "graph.graphml", "graph.export.graphml:write_graphml", "GraphML (Cytoscape, yEd)")
exporter("gexf", "graph.gexf", "graph.export.gexf:write_gexf", "GEXF (Gephi)")
exporter("neo4j", "neo4j", "graph.export.neo4j:write_neo4j",
         "CSV node and edge files for neo4j-admin database import (a folder)")

#: Every registered format by name.
EXPORTERS = _REGISTRY
#: What ``newsgraph build`` writes when no ``--format`` is given.
DEFAULT_FORMATS: tuple[str, ...] = ("report", "ttl", "nt", "jsonld", "trig", "json", "html")


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success move it over ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    Text mode writes ``\\n`` line ends on every platform.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if "b" in mode:
            fh = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding=encoding, newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_exports(kg: Any, folder: str | os.PathLike, formats: tuple[str, ...] | list[str] | None = None,
                  **options: Any) -> dict[str, Path]:
    """Write ``formats`` (default :data:`DEFAULT_FORMATS`) of ``kg`` into ``folder``.

    Returns the written paths by format name.

    Raises
    ------
    ExportError
        For an unknown format or a file that cannot be written.
    """
    folder = Path(folder)
    chosen = list(dict.fromkeys(formats or DEFAULT_FORMATS))
    unknown = [f for f in chosen if f not in EXPORTERS]
    if unknown:
        raise ExportError(f"unknown format(s): {', '.join(unknown)}; known: {', '.join(sorted(EXPORTERS))}")
    # Formats sharing a joint writer are written together, where the first of them is.
    jobs: list[tuple[str | None, dict[str, Path]]] = []
    joint_job: dict[str, dict[str, Path]] = {}
    for name in chosen:
        exp = EXPORTERS[name]
        path = folder / exp.filename
        if exp.joint is None:
            jobs.append((None, {name: path}))
        elif exp.joint in joint_job:
            joint_job[exp.joint][name] = path
        else:
            joint_job[exp.joint] = {name: path}
            jobs.append((exp.joint, joint_job[exp.joint]))
    written: dict[str, Path] = {}
    for joint, paths in jobs:
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
        written.update(paths)
    return written
