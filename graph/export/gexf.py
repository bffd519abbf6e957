"""GEXF 1.2 (``graph.gexf``) for Gephi.

The same flattened graph as the GraphML export (:func:`graph.export.graphml.flat_graph`):
node ids kept, the node ``label`` as GEXF label, edges ``e0``, ``e1``, ... with
their ``kind``; lists as JSON arrays in ``string`` attributes (GEXF's
``liststring`` leaves the syntax of its values open, and readers differ: the
sigma.js exporter, for one, writes arrays as ``string`` for Gephi's sake), dates as ISO 8601 text, missing values
omitted, characters XML forbids replaced by U+FFFD. Directed, static (no time slices). A topic's ``key`` is called
``topic_key`` here (networkx's GEXF writer reserves ``key``), and the file has
no ``lastmodifieddate``, so the same graph always gives the same bytes.

>>> import os, tempfile, networkx as nx, graph
>>> kg = graph.build(["seeds/"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_gexf(kg, os.path.join(tmp, "graph.gexf"))
...     back = nx.read_gexf(os.path.join(tmp, "graph.gexf"))
>>> back.number_of_nodes() == kg.nx.number_of_nodes(), back.number_of_edges() == kg.nx.number_of_edges()
(True, True)
"""

from __future__ import annotations

import os
from typing import Any

from .files import atomic_writer
from .graphml import flat_graph

__all__ = ["write_gexf"]


def write_gexf(kg: Any, path: str | os.PathLike, **options: Any) -> None:
    """Write ``kg`` as GEXF 1.2 to ``path`` (atomically, deterministic bytes).

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph to write.
    path : path
        The file to (over)write, normally ``exports/graph.gexf``.
    **options
        Ignored (the registry passes every format the same options).
    """
    from networkx.readwrite.gexf import GEXFWriter

    from .. import __version__

    g = flat_graph(kg)
    # networkx would rename a node attribute "key" to "networkx_key".
    for _, attrs in g.nodes(data=True):
        if "key" in attrs:
            attrs["topic_key"] = attrs.pop("key")
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    meta.attrib.pop("lastmodifieddate", None)  # today's date would make the bytes differ daily
    meta.find("creator").text = f"newsgraph {__version__}"
    writer.add_graph(g)
    # networkx writes name="", which GEXF 1.2draft's schema (the one the file declares)
    # has no attribute for: a validating reader refused the file
    writer.graph_element.attrib.pop("name", None)
    with atomic_writer(path, "wb") as fh:
        writer.write(fh)
