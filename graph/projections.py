"""Projections of the knowledge graph onto one kind of node, as plain networkx graphs.

* :func:`related_graph`: articles linked by ``related`` edges (a ``DiGraph``,
  or an undirected ``Graph`` whose ``weight`` counts the directions linked);
* :func:`provider_graph`: providers linked when an article of one lists an
  article of the other as related (``Graph``, ``weight`` = number of such
  links, either direction; a provider's links to itself are left out);
* :func:`topic_graph`: topics linked when an article is about both
  (``Graph``, ``weight`` = number of such articles).

Each takes a :class:`~graph.builder.KnowledgeGraph` or its networkx graph;
nodes keep the ``label`` of the full graph. Node and edge order is stable.

Examples
--------
>>> import graph
>>> kg = graph.build(["seeds/"])
>>> related_graph(kg).number_of_edges() == kg.report.edges["related"]
True
>>> g = topic_graph(kg)
>>> all(d["weight"] >= 1 for _, _, d in g.edges(data=True))
True
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any

import networkx as nx

from .errors import check_flag
from .frames import as_nx

__all__ = ["related_graph", "provider_graph", "topic_graph"]


def _add_nodes(target: nx.Graph, g: nx.Graph, kind: str, *attrs: str) -> None:
    target.add_nodes_from((n, {a: d.get(a) for a in ("label", *attrs)})
                          for n, d in g.nodes(data=True) if d.get("kind") == kind)


def related_graph(graph_or_kg: Any, directed: bool = True) -> nx.DiGraph | nx.Graph:
    """Every article, with an edge for each ``related`` link.

    Parameters
    ----------
    graph_or_kg : KnowledgeGraph or networkx graph
    directed : bool
        ``True``: a ``DiGraph``, edge ``a -> b`` when ``a`` lists ``b``
        (``weight`` 1). ``False``: a ``Graph`` whose edge ``weight`` is 2 when
        the two articles list each other, 1 otherwise.

    Returns
    -------
    networkx.DiGraph or networkx.Graph
        Nodes carry ``label``, ``provider``, ``stub`` and ``published``.
    """
    check_flag("directed", directed)
    g = as_nx(graph_or_kg)
    out = nx.DiGraph() if directed else nx.Graph()
    _add_nodes(out, g, "article", "provider", "stub", "published")
    for s, t, k in g.edges(data="kind"):
        if k != "related":
            continue
        if directed or not out.has_edge(s, t):
            out.add_edge(s, t, weight=1)
        else:
            out[s][t]["weight"] += 1
    return out


def provider_graph(graph_or_kg: Any) -> nx.Graph:
    """Providers linked by related articles (co-coverage), weighted.

    The weight of ``p -- q`` is the number of ``related`` links between an
    article published by ``p`` and one published by ``q``, in either
    direction. Every provider is a node, linked or not.
    """
    g = as_nx(graph_or_kg)
    out = nx.Graph()
    _add_nodes(out, g, "provider", "domain")
    provider = {n: d.get("provider") for n, d in g.nodes(data=True) if d.get("kind") == "article"}
    weights: Counter = Counter()
    for s, t, k in g.edges(data="kind"):
        if k != "related":
            continue
        p, q = provider.get(s), provider.get(t)
        if p and q and p != q:
            weights[tuple(sorted((p, q)))] += 1
    out.add_edges_from((p, q, {"weight": w}) for (p, q), w in sorted(weights.items()))
    return out


def topic_graph(graph_or_kg: Any) -> nx.Graph:
    """Topics linked when they share articles; ``weight`` = number of shared articles.

    Every topic is a node, with ``articles``: how many articles are about it.
    """
    g = as_nx(graph_or_kg)
    out = nx.Graph()
    _add_nodes(out, g, "topic")
    per_article: dict[str, list[str]] = {}
    for s, t, k in g.edges(data="kind"):
        if k == "about":
            per_article.setdefault(s, []).append(t)
    counts: Counter = Counter(t for ts in per_article.values() for t in set(ts))
    for n in out:
        out.nodes[n]["articles"] = counts[n]
    weights: Counter = Counter()
    for ts in per_article.values():
        weights.update(combinations(sorted(set(ts)), 2))
    out.add_edges_from((a, b, {"weight": w}) for (a, b), w in sorted(weights.items()))
    return out
