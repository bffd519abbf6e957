"""GraphML (``graph.graphml``) for Cytoscape, yEd and every GraphML reader.

Nodes keep their ids (``article/<hex>``, ``provider/<domain>``, ``topic/<slug>``)
and edges get ids ``e0``, ``e1``, ... in the graph's stable edge order, with the
edge kind in the ``kind`` attribute. Attribute values are flattened by
:mod:`graph.export.flatten` (lists as JSON arrays, dates as ISO 8601, missing
values omitted; a carriage return written ``&#13;``, the one form an XML
reader gives back as it was, and characters XML forbids replaced by U+FFFD);
GraphML keys are ``d0``, ``d1``, ... with ``attr.name`` the
attribute's name.

>>> import os, tempfile, networkx as nx, graph
>>> kg = graph.build(["seeds/"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_graphml(kg, os.path.join(tmp, "graph.graphml"))
...     back = nx.read_graphml(os.path.join(tmp, "graph.graphml"))
>>> back.number_of_nodes() == kg.nx.number_of_nodes(), back.number_of_edges() == kg.nx.number_of_edges()
(True, True)
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable

import networkx as nx
from networkx.readwrite.graphml import GraphMLWriter

from .files import atomic_writer
from .flatten import flatten_attributes

__all__ = ["write_graphml", "flat_graph", "xml_safe"]

# Characters XML 1.0 cannot hold at all (a reader refuses the whole file).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    r"""``text`` without the characters XML 1.0 forbids (each becomes U+FFFD).

    >>> xml_safe("a\x00b\tc") == "a\ufffdb\tc"
    True
    """
    return _NOT_XML.sub("\ufffd", text)


class _CarriageReturnsKept:
    """A binary file whose carriage returns are written ``&#13;``: XML readers
    turn a raw CR (and CR LF) in element text into LF, so an excerpt's line
    ends would come back changed. ElementTree writes no CR of its own, and a
    CR byte in UTF-8 is only ever that character."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def write(self, data: bytes) -> int:
        self._file.write(data.replace(b"\r", b"&#13;"))
        return len(data)


class _GraphMLWriter(GraphMLWriter):
    """networkx's writer, with booleans spelled as XML Schema wants (``true``, not ``True``)
    and the edge id only as the ``id`` of ``<edge>``, not repeated as data."""

    def add_attributes(self, scope, xml_obj, data, default):
        if scope == "edge":
            data = {k: v for k, v in data.items() if k != "id"}
        super().add_attributes(scope, xml_obj, data, default)

    def add_data(self, name, element_type, value, scope="all", default=None):
        element = super().add_data(name, element_type, value, scope, default)
        if element_type is bool:
            element.text = element.text.lower()
        return element


def flat_graph(kg: Any, text: Callable[[str], str] = xml_safe) -> nx.DiGraph | nx.MultiDiGraph:
    """A copy of ``kg.nx`` with scalar attributes only and unique edge ids (``id``: ``e0``, ...).

    A ``DiGraph``: two nodes are joined by at most one edge, since each edge
    kind leads to its own kind of node (a ``MultiDiGraph`` in the unexpected
    case that they are not), so readers see no multigraph keys. ``text`` is
    applied to every string value. Shared by the GraphML and GEXF writers.
    """
    source = kg.nx

    def flat(attrs: dict) -> dict:
        return {k: text(v) if isinstance(v, str) else v for k, v in flatten_attributes(attrs).items()}

    edges = [(s, t, {"id": f"e{i}", **flat(d)}) for i, (s, t, d) in enumerate(source.edges(data=True))]
    for cls in (nx.DiGraph, nx.MultiDiGraph):
        g = cls()
        g.add_nodes_from((n, flat(d)) for n, d in source.nodes(data=True))
        g.add_edges_from(edges)
        if g.number_of_edges() == len(edges):
            break
    return g


def write_graphml(kg: Any, path: str | os.PathLike, **options: Any) -> None:
    """Write ``kg`` as GraphML to ``path`` (atomically, deterministic bytes).

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph to write.
    path : path
        The file to (over)write, normally ``exports/graph.graphml``.
    **options
        Ignored (the registry passes every format the same options).
    """
    writer = _GraphMLWriter(encoding="utf-8", prettyprint=True, named_key_ids=False, edge_id_from_attribute="id")
    writer.add_graph_element(flat_graph(kg, xml_safe))
    with atomic_writer(path, "wb") as fh:
        writer.dump(_CarriageReturnsKept(fh))
