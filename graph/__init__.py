"""newsgraph: turn a corpus of news articles into a knowledge graph.

The pipeline, one module per step::

    reader  (files -> front matter -> records)      graph.reader, graph.model
    resolve (records -> articles, providers, topics) graph.resolve, graph.catalog
    build   (entities -> KnowledgeGraph, networkx)   graph.builder, graph.report
    export  (RDF, HTML, GraphML, ...)                graph.export
    query   (SPARQL, DataFrames)                     graph.query

>>> import graph
>>> kg = graph.build(["seeds/"])
>>> kg.nx.number_of_nodes() > 0
True
"""

from .builder import KnowledgeGraph, build
from .errors import (ExportError, FrontMatterError, InputError, InvalidURLError, LoadError,
                     NewsgraphError, QueryError)
from .report import BuildReport

__all__ = [
    "build",
    "KnowledgeGraph",
    "BuildReport",
    "NewsgraphError",
    "InputError",
    "FrontMatterError",
    "InvalidURLError",
    "ExportError",
    "LoadError",
    "QueryError",
]

__version__ = "0.1.0"
