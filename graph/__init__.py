"""newsgraph: turn a corpus of news articles into a knowledge graph.

The pipeline, one module per step::

    reader  (files -> front matter -> records)      graph.reader, graph.model
    resolve (records -> articles, providers, topics) graph.resolve, graph.catalog
    build   (entities -> KnowledgeGraph, networkx)   graph.builder, graph.report
    export  (RDF, HTML, GraphML, ...)                graph.export
    the whole job (read, build, export)              graph.pipeline (newsgraph build, html)
    query   (SPARQL, DataFrames)                     graph.query
    reload  (exports/graph.json -> KnowledgeGraph)   graph.reload (graph.load)
    analyse (DataFrames, projections, analytics)     graph.frames, graph.projections, graph.analysis

>>> import graph
>>> kg = graph.build(["seeds/"])
>>> kg.nx.number_of_nodes() > 0
True
"""

from typing import TYPE_CHECKING, Any

from .errors import (ArgumentTypeError, CacheError, DistributedError, EmptyInputError, ExportError, FrontMatterError,
                     InputError, InvalidArgumentError, InvalidURLError, LoadError, MissingInputError, NewsgraphError,
                     PushError, QueryError, ResultFormatError, SchedulerAddressError, ServeError, UnknownFormatError,
                     UnknownIdError, ViewError)

# Everything else loads on first use: `import graph` stays a few milliseconds,
# so that the console script (graph.console) can catch a Ctrl-C while the
# rest loads (0.1 s) and the analysis modules (networkx: ~0.4 s, ~15 MB) are
# paid for only by what uses them. Submodules load the same way
# (``graph.validate.validate(...)`` after ``import graph``).
_NAMES = {"build": "builder", "KnowledgeGraph": "builder", "BuildReport": "report", "load": "reload"}

if TYPE_CHECKING:  # what type checkers and editors see: the names __getattr__ gives
    from .builder import KnowledgeGraph, build
    from .reload import load
    from .report import BuildReport


def __getattr__(name: str) -> Any:  # PEP 562: a submodule, or one of _NAMES
    import importlib.util

    module = _NAMES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # looked up once
        return value
    if name.isidentifier() and not name.startswith("_"):
        try:
            spec = importlib.util.find_spec(f"{__name__}.{name}")
        except ImportError:
            spec = None
        if spec is not None and spec.origin is not None:  # a module or package, not a folder of data (graph/data)
            return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES, *__all__})


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
