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
import re
from typing import IO, Any

from .files import atomic_writer, written_size
from .flatten import to_json
from .offsets import OFFSETS_OPTION
from .offsets import save as save_offsets

__all__ = ["write_nodelink", "article_line", "NODELINK_FORMAT"]

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
    from ..builder import provider_attributes, topic_attributes

    # the report's digest: graph.load refuses a report.json another build left beside it
    header = {"directed": True, "multigraph": True,
              "graph": {"format": NODELINK_FORMAT, "generator": f"newsgraph {__version__}",
                        "report": kg.report.digest()}}
    # The nodes and edges of kg.nx, in its order, written straight from the
    # entities: building the networkx graph first would double time and memory.
    nodes = ([(p.id, provider_attributes(p)) for p in kg.providers.values()],
             [(t.id, topic_attributes(t)) for t in kg.topics.values()])
    known = set(kg.providers) | set(kg.topics) | set(kg.articles)
    dangling: dict[str, None] = {}  # edge ends with no entity: networkx adds them last, bare
    # Per group of edges, not per edge (see KnowledgeGraph.edge_groups):
    # set.issuperset runs over the ids in C.
    if not all(known.issuperset(targets) for _, _, targets in kg.edge_groups()):
        for _, d, _ in kg.edges():  # rare (graphs not made by graph.build): each edge
            if d not in known:
                dangling.setdefault(d, None)
    # Ids that JSON writes as they are, in quotes (all ids graph.resolve makes)
    # let each article's edges be joined in C; otherwise each id is quoted.
    plain = all(map(_is_plain, known)) and all(map(_is_plain, dangling))

    where = options.get(OFFSETS_OPTION)
    offsets: dict[str, int] = {}
    with atomic_writer(path) as fh:
        head = [to_json(header)[:-1], ',\n"nodes":[']  # the object reopened to append the two lists
        sep = "\n"
        for group in nodes:
            for node, attrs in group:
                head.append(sep + to_json({"id": node, **attrs}))
                sep = ",\n"
        text = "".join(head)
        fh.write(text)
        at = _utf8_length(text) if where else 0  # bytes before the articles
        buf: list[str] = []
        for a in kg.articles.values():
            line = article_line(a)
            buf.append(sep)
            buf.append(line)
            if where:  # where each line starts (graph.export.offsets): only an article with a file is patched
                if a.files:
                    offsets[a.id] = at + len(sep)
                at += len(sep) + _utf8_length(line)
            sep = ",\n"
            if len(buf) >= 1000:
                fh.write("".join(buf))
                buf.clear()
        for node in dangling:
            buf.append(sep + to_json({"id": node}))
            sep = ",\n"
        fh.write("".join(buf))
        buf.clear()
        fh.write('\n],\n"edges":[')
        write_edges = _write_edges_plain if plain else _write_edges_quoted
        write_edges(kg, fh)
        fh.write("\n]}\n")
        size = written_size(fh)
    if where:
        save_offsets(where, "json", size, offsets)


def _utf8_length(text: str) -> int:
    """The length of ``text`` in UTF-8 (without encoding it when it is ASCII: most is)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def article_line(a: Any) -> str:
    """The line of ``graph.json`` that holds article ``a`` (without the separator before it).

    An incremental build (:mod:`graph.incremental`) swaps one article's line for a new one.
    """
    from ..builder import article_attributes

    return to_json({"id": a.id, **article_attributes(a)})


_NOT_PLAIN = re.compile(r'["\\\x00-\x1f]')


def _is_plain(node_id: str) -> bool:
    """Whether JSON writes ``node_id`` as it is (``to_json`` escapes only these)."""
    return _NOT_PLAIN.search(node_id) is None


def _write_edges_plain(kg: Any, fh: IO[str]) -> None:
    """The edge list, every id plain (see :func:`_is_plain`): one join per group of edges."""
    buf: list[str] = []
    sep = "\n"
    for source, kind, targets in kg.edge_groups():
        head = f'{{"key":"{kind}","kind":"{kind}","source":"{source}","target":"'
        buf.append(sep + head + ('"},\n' + head).join(targets) + '"}')
        sep = ",\n"
        if len(buf) >= 4500:
            fh.write("".join(buf))
            buf.clear()
    fh.write("".join(buf))


def _write_edges_quoted(kg: Any, fh: IO[str]) -> None:
    """The edge list, each id quoted by :func:`~graph.export.flatten.to_json`."""
    quoted: dict[str, str] = {}

    def q(node_id: str) -> str:
        out = quoted.get(node_id)
        if out is None:
            out = quoted[node_id] = to_json(node_id)
        return out

    buf: list[str] = []
    sep = "\n"
    for s, d, kind in kg.edges():
        k = q(kind)
        buf.append(f'{sep}{{"key":{k},"kind":{k},"source":{q(s)},"target":{q(d)}}}')
        sep = ",\n"
        if len(buf) >= 5000:
            fh.write("".join(buf))
            buf.clear()
    fh.write("".join(buf))
