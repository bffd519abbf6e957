"""newsgraph: turn a corpus of news articles into a knowledge graph.

The pipeline, one module per step::

    reader  (files -> front matter -> records)      graph.reader, graph.model
    resolve (records -> articles, providers, topics) graph.resolve, graph.catalog
    build   (entities -> KnowledgeGraph, networkx)   graph.builder, graph.report
    export  (RDF, HTML, GraphML, ...)                graph.export
    the whole job (read, build, export)              graph.pipeline (newsgraph build, html)
    query   (SPARQL, DataFrames)                     graph.query
    reload  (exports/graph.json -> KnowledgeGraph)   graph.load
    analyse (DataFrames, projections, analytics)     graph.frames, graph.projections, graph.analysis

>>> import graph
>>> kg = graph.build(["seeds/"])
>>> kg.nx.number_of_nodes() > 0
True
"""

from .builder import KnowledgeGraph, build
from .errors import (ArgumentTypeError, CacheError, DistributedError, EmptyInputError, ExportError, FrontMatterError,
                     InputError, InvalidArgumentError, InvalidURLError, LoadError, MissingInputError, NewsgraphError,
                     PushError, QueryError, ResultFormatError, SchedulerAddressError, ServeError, UnknownFormatError,
                     UnknownIdError, ViewError)
from .report import BuildReport
from .load import load

# The analysis modules import networkx (~0.4 s, ~15 MB): loaded on first use,
# so `newsgraph build` does not pay for them. So are the modules the README
# calls through the package (``graph.validate.validate(...)``).
_LAZY = ("pipeline", "analysis", "frames", "projections", "views", "layout", "export", "query", "validate", "push", "serve",
         "cache", "incremental", "distributed", "cli", "origin_guard", "children")


def __getattr__(name: str):  # PEP 562
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "build",
    "load",
    "frames",
    "projections",
    "analysis",
    "KnowledgeGraph",
    "BuildReport",
    "NewsgraphError",
    "InputError",
    "FrontMatterError",
    "InvalidURLError",
    "ExportError",
    "LoadError",
    "CacheError",
    "QueryError",
    "MissingInputError",
    "EmptyInputError",
    "InvalidArgumentError",
    "UnknownFormatError",
    "ResultFormatError",
    "ArgumentTypeError",
    "UnknownIdError",
    "ViewError",
    "ServeError",
    "PushError",
    "DistributedError",
    "SchedulerAddressError",
]

__version__ = "0.1.0"
