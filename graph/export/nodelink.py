"""networkx node-link JSON (``graph.json``): the export :func:`graph.load` reads back.

The file is what :func:`networkx.node_link_data` gives for :attr:`KnowledgeGraph.nx
<graph.builder.KnowledgeGraph.nx>` (``"edges"`` as the edge list's name), with
``graph`` naming the producer and the format version. Attribute values keep
their JSON types (lists stay lists); dates are ISO 8601 strings. One node or
edge per line keeps the file diffable; keys are sorted, so the same graph
always gives the same bytes.

>>> import json, tempfile, os, graph
>>> kg = graph.build(["seeds/"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_nodelink(kg, os.path.join(tmp, "graph.json"))
...     data = json.load(open(os.path.join(tmp, "graph.json"), encoding="utf-8"))
>>> len(data["nodes"]) == kg.nx.number_of_nodes(), data["graph"]["format"]
(True, 'newsgraph-nodelink/1')
"""

from __future__ import annotations

import os
from typing import Any

from . import atomic_writer
from .flatten import to_json

__all__ = ["write_nodelink", "NODELINK_FORMAT"]

#: Value of ``graph.format`` in the file; :func:`graph.load` checks it.
NODELINK_FORMAT = "newsgraph-nodelink/1"


def write_nodelink(kg: Any, path: str | os.PathLike, **options: Any) -> None:
    """Write ``kg`` as node-link JSON to ``path`` (atomically).

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph to write.
    path : path
        The file to (over)write, normally ``exports/graph.json``.
    **options
        Ignored (the registry passes every format the same options).
    """
    from .. import __version__

    g = kg.nx
    header = {"directed": True, "multigraph": True,
              "graph": {"format": NODELINK_FORMAT, "generator": f"newsgraph {__version__}"}}
    with atomic_writer(path) as fh:
        fh.write(to_json(header)[:-1])  # reopen the object to append the two lists
        fh.write(',\n"nodes": [')
        for i, (node, attrs) in enumerate(g.nodes(data=True)):
            fh.write(("\n" if i == 0 else ",\n") + to_json({"id": node, **attrs}))
        fh.write('\n],\n"edges": [')
        for i, (src, dst, key, attrs) in enumerate(g.edges(keys=True, data=True)):
            fh.write(("\n" if i == 0 else ",\n") + to_json({"source": src, "target": dst, "key": key, **attrs}))
        fh.write("\n]}\n")
