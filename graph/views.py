"""Views of a knowledge graph for drawing: the full graph, an overview, ego graphs.

A :class:`View` is the plain data a drawing needs: nodes (id, kind, label,
size weight and display details) and edges (source, target, kind, weight).
It knows nothing about HTML; :mod:`graph.layout` places it and
:mod:`graph.export.html` draws it.

* :func:`full_view` -- every article, provider and topic with every edge;
* :func:`overview_view` -- providers and topics only, one ``articles`` edge
  from a provider to a topic weighted by how many of its articles are about it;
* :func:`ego_view` -- what lies within ``depth`` steps of a topic, a provider
  or an article (edges taken in both directions).

>>> import graph
>>> kg = graph.build(["seeds/"])
>>> v = full_view(kg)
>>> len(v.nodes) == len(kg.articles) + len(kg.providers) + len(kg.topics)
True
>>> sum(1 for e in v.edges) == sum(1 for _ in kg.edges())
True
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from .errors import NewsgraphError

__all__ = ["View", "ViewError", "MAX_ARTICLES", "full_view", "overview_view", "ego_view", "safe_link", "VIEW_NAMES",
           "edge_arrays"]

#: Views ``newsgraph html --view`` knows.
VIEW_NAMES = ("full", "overview")


class ViewError(NewsgraphError):
    """A view cannot be made (for example: the centre of an ego view is not in the graph)."""


@dataclass
class View:
    """Nodes and edges to draw.

    Attributes
    ----------
    name : str
        ``full``, ``overview`` or ``ego``.
    title : str
        A heading for the page (plain text; escaped where shown).
    nodes : dict
        Node id -> ``{"kind", "label", "weight", ...details}``, in a stable order.
    edges : list of tuple
        ``(source id, target id, kind, weight)``, in a stable order.
    centre : str or None
        The centre of an ego view.
    """

    name: str
    title: str
    nodes: dict[str, dict[str, Any]]
    edges: list[tuple[str, str, str, int]]
    centre: str | None = None


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL, else ``None``.

    Examples
    --------
    >>> safe_link("https://example.org/a")
    'https://example.org/a'
    >>> safe_link("javascript:alert(1)") is None
    True
    >>> safe_link(" HTTP://example.org") is None   # no leading junk either
    True
    """
    if not url or not isinstance(url, str) or url != url.strip():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def edge_arrays(view: View, numbers: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ends and kinds of ``view.edges`` as arrays, in edge order.

    Ends are numbered by ``numbers`` (node id -> number; -1 for a node not
    in it). The mapping runs in C (``map`` over ``dict.get``), not one Python
    step per edge: views of large graphs have hundreds of thousands of edges.

    Returns
    -------
    sources, targets : numpy.ndarray of int64
    kinds : numpy.ndarray of str objects (comparing it with a string is quicker than making a str array)

    >>> v = View("x", "x", {}, [("a", "b", "related", 1), ("a", "p", "published_by", 1)])
    >>> sources, targets, kinds = edge_arrays(v, {"a": 0, "b": 1})
    >>> sources.tolist(), targets.tolist(), (kinds == "related").tolist()
    ([0, 0], [1, -1], [True, False])
    """
    n = len(view.edges)

    def ends(position: int) -> np.ndarray:
        ids = map(itemgetter(position), view.edges)
        return np.fromiter(map(numbers.get, ids, repeat(-1)), dtype=np.int64, count=n)

    return ends(0), ends(1), np.array(list(map(itemgetter(2), view.edges)), dtype=object)


def _date(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        day = value.astimezone(dt.timezone.utc).date()
        # isoformat is several times faster than strftime; they differ only before year 1000 ("0999", "999")
        return day.isoformat() if day.year >= 1000 else day.strftime("%Y-%m-%d")
    return value.isoformat()


def _article_node(kg, a, degree: int) -> dict[str, Any]:
    provider = kg.providers.get(a.provider_id) if a.provider_id else None
    return {
        "kind": "article",
        "label": a.title or a.url,
        "weight": degree,
        "stub": a.is_stub,
        "date": _date(a.published),
        "provider": a.provider_id,
        "provider_name": provider.name if provider else None,
        "topics": list(a.topic_ids),
        "topic_labels": [kg.topics[t].label for t in a.topic_ids if t in kg.topics],
        "excerpt": a.excerpt,
        # featured_content (raw HTML) is deliberately never carried into a view.
        "link": safe_link(a.web_url) or safe_link(a.url) or safe_link(a.original_url),
    }


def _degrees(edges: list[tuple[str, str, str]]) -> Counter:
    """Edges at each node (``edges`` as :meth:`KnowledgeGraph.edges` yields them).

    >>> _degrees([("a", "b", "related"), ("a", "p", "published_by")])
    Counter({'a': 2, 'b': 1, 'p': 1})
    """
    deg = Counter(map(itemgetter(0), edges))  # counting in C, not one `+= 1` per end
    deg.update(map(itemgetter(1), edges))
    return deg


#: Articles :func:`full_view` draws at most. A page of more is too heavy for a
#: browser (and for the build that lays it out), so beyond it the most connected
#: articles are drawn and the title says how many are left out; ego views
#: (``newsgraph html --topic/--provider/--article``) draw any part in full.
MAX_ARTICLES = 20_000


def full_view(kg, max_articles: int | None = MAX_ARTICLES) -> View:
    """Every node and every edge of ``kg``; node weight is its degree.

    With more than ``max_articles`` articles (``None``: no limit), only the
    ``max_articles`` of highest degree (ties by id) are kept, with every
    provider and topic and the edges among what is kept.

    >>> import graph
    >>> kg = graph.build(["seeds/"])
    >>> v = full_view(kg, max_articles=10)
    >>> sum(n["kind"] == "article" for n in v.nodes.values()), v.title.startswith("News graph: 10 of ")
    (10, True)
    """
    all_edges = list(kg.edges())
    deg = _degrees(all_edges)
    nodes: dict[str, dict[str, Any]] = {}
    for t in kg.topics.values():
        nodes[t.id] = {"kind": "topic", "label": t.label, "weight": deg[t.id], "detail": t.key}
    for p in kg.providers.values():
        nodes[p.id] = {"kind": "provider", "label": p.name, "weight": deg[p.id], "detail": p.domain,
                       "link": safe_link(f"https://{p.domain}/") if p.domain else None}
    articles = kg.articles.values()
    total = len(kg.articles)
    if max_articles is not None and total > max_articles:
        keep = set(sorted(kg.articles, key=lambda i: (-deg[i], i))[:max_articles])
        articles = [a for a in articles if a.id in keep]
    for a in articles:
        nodes[a.id] = _article_node(kg, a, deg[a.id])
    is_node = nodes.__contains__
    if all(map(is_node, map(itemgetter(0), all_edges))) and all(map(is_node, map(itemgetter(1), all_edges))):
        edges = [e + (1,) for e in all_edges]  # every end drawn (checked in C above): no test per edge
    else:
        edges = [(s, d, k, 1) for s, d, k in all_edges if s in nodes and d in nodes]
    n_files = kg.report.article_files
    shown = f"{total:,}" if len(articles) == total else f"{len(articles):,} of {total:,}"
    title = f"News graph: {shown} articles from {n_files:,} files"
    if len(articles) != total:
        title += " (the most connected; draw any part with newsgraph html --topic, --provider or --article)"
    return View("full", title, nodes, edges)


def overview_view(kg) -> View:
    """Providers and topics; a provider -> topic edge weighted by their shared articles."""
    full = full_view(kg, max_articles=0)  # its providers and topics
    count: Counter = Counter()
    articles_of: Counter = Counter()
    for a in kg.articles.values():
        if a.provider_id:
            articles_of[a.provider_id] += 1
        for t in a.topic_ids:
            articles_of[t] += 1
            if a.provider_id:
                count[(a.provider_id, t)] += 1
    nodes = {i: dict(n, weight=articles_of[i]) for i, n in full.nodes.items() if n["kind"] != "article"}
    edges = [(p, t, "articles", w) for (p, t), w in sorted(count.items())]
    return View("overview", f"Overview: {len(kg.providers):,} providers and {len(kg.topics):,} topics",
                nodes, edges)


def _find_centre(kg, *, topic: str | None, provider: str | None, article: str | None) -> str:
    from .resolve import provider_key, topic_key

    if sum(x is not None for x in (topic, provider, article)) != 1:
        raise ViewError("give exactly one of topic, provider or article for an ego view")
    if topic is not None:
        key = topic_key(topic)
        for t in kg.topics.values():
            if t.key == key or t.id == topic or key in (topic_key(x) for x in t.alt_labels):
                return t.id
        raise ViewError(f"no topic {topic!r} in the graph")
    if provider is not None:
        key = provider_key(provider)
        for p in kg.providers.values():
            if p.domain == key or p.id == provider or p.name.casefold() == provider.strip().casefold():
                return p.id
        raise ViewError(f"no provider {provider!r} in the graph (give its domain or name)")
    try:
        found = kg.article_by_url(article)
    except ValueError as err:  # InvalidURLError is a ValueError
        raise ViewError(f"not an article URL: {article!r}: {err}") from err
    if found is None:
        raise ViewError(f"no article with URL {article!r} in the graph")
    return found.id


def ego_view(kg, *, topic: str | None = None, provider: str | None = None, article: str | None = None,
             depth: int = 1) -> View:
    """Everything within ``depth`` steps of one topic, provider or article.

    Steps follow edges of every kind in both directions. Raises
    :class:`ViewError` when the centre is not in the graph.

    >>> import graph
    >>> kg = graph.build(["seeds/"])
    >>> v = ego_view(kg, topic=next(iter(kg.topics.values())).label, depth=1)
    >>> v.nodes[v.centre]["kind"]
    'topic'
    """
    if depth < 0:
        raise ViewError("depth must be 0 or more")
    centre = _find_centre(kg, topic=topic, provider=provider, article=article)
    adj: dict[str, set[str]] = defaultdict(set)
    for s, d, _ in kg.edges():
        adj[s].add(d)
        adj[d].add(s)
    seen = {centre: 0}
    queue = deque([centre])
    while queue:
        n = queue.popleft()
        if seen[n] >= depth:
            continue
        for m in sorted(adj[n]):
            if m not in seen:
                seen[m] = seen[n] + 1
                queue.append(m)
    full = full_view(kg)
    nodes = {i: n for i, n in full.nodes.items() if i in seen}
    edges = [e for e in full.edges if e[0] in seen and e[1] in seen]
    label = full.nodes[centre]["label"]
    return View("ego", f"{label} and what lies within {depth} step{'s' if depth != 1 else ''}", nodes, edges,
                centre=centre)
