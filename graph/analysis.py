"""News analytics: each function takes a graph and returns a DataFrame.

Every function accepts a :class:`~graph.builder.KnowledgeGraph` or its
networkx graph (``kg.nx``, or :func:`graph.load`'s), is deterministic (ties are
broken by id, Louvain takes a seed) and returns an empty DataFrame, with the
same columns, for an empty graph.

* :func:`top_articles`: most central articles of the related graph (how many
  articles cite each, PageRank);
* :func:`top_providers`: most central providers of the co-coverage graph;
* :func:`communities`: Louvain communities of related articles, with their
  dominant topics and providers;
* :func:`topic_timeline`: articles per topic per month;
* :func:`provider_topic_matrix`: articles per provider and topic;
* :func:`missing_stubs`: articles cited most often but absent from the corpus.

Examples
--------
>>> import graph
>>> kg = graph.build(["seeds/"])
>>> top = top_articles(kg, n=3)
>>> list(top.columns)
['title', 'provider_name', 'stub', 'cited_by', 'pagerank']
>>> bool(top["pagerank"].is_monotonic_decreasing)
True
>>> parts = communities(kg, seed=1)
>>> int(parts["size"].sum()) == len(kg.articles)
True
"""

from __future__ import annotations

import numbers
import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

import networkx as nx

from .errors import InvalidArgumentError, check_count
from .frames import articles_frame, as_nx, providers_frame, utc_dates
from .projections import provider_graph, related_graph

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["top_articles", "top_providers", "communities", "topic_timeline", "MAX_TIMELINE_CELLS", "provider_topic_matrix",
           "missing_stubs"]

Measure = Literal["pagerank", "degree"]


def _ranking_column(by: str, degree_column: str, n: int | None) -> str:
    """The column ``by`` ranks on, once ``by`` and ``n`` are checked.

    >>> _ranking_column("degree", "links", 5)
    'links'
    >>> _ranking_column("cited_by", "cited_by", 5)
    Traceback (most recent call last):
    ...
    graph.errors.InvalidArgumentError: by must be 'pagerank' or 'degree', not 'cited_by'
    """
    if by not in ("pagerank", "degree"):
        raise InvalidArgumentError(f"by must be 'pagerank' or 'degree', not {by!r}")
    check_count("n", n, none=True)
    return degree_column if by == "degree" else "pagerank"


def _ranked(df: "pd.DataFrame", column: str, n: int | None) -> "pd.DataFrame":
    """Rows by ``column`` descending, ties by id ascending; the first ``n``."""
    df = df.sort_index(kind="stable").sort_values(column, ascending=False, kind="stable")
    return df if n is None else df.head(n)


def _pagerank(g: nx.Graph, weight: str | None = None) -> dict:
    # networkx's default tolerance (1e-6 per node, summed) leaves errors above
    # the gaps between close ranks; converged further and rounded to 12
    # decimals, symmetric nodes tie exactly (and are then ordered by id).
    if not g.number_of_nodes():
        return {}
    return {n: round(r, 12) for n, r in nx.pagerank(g, weight=weight, tol=1e-13, max_iter=1000).items()}


def top_articles(graph_or_kg: Any, n: int | None = 10, by: Measure = "pagerank") -> "pd.DataFrame":
    """The most central articles of the related graph.

    Parameters
    ----------
    graph_or_kg : KnowledgeGraph or networkx graph
    n : int or None
        How many rows (``None``: every article).
    by : {"pagerank", "degree"}
        ``degree`` ranks by ``cited_by``, the number of articles listing the
        article as related (its in-degree); ``pagerank`` by PageRank
        (networkx, damping 0.85, converged to 1e-13) of the directed
        related graph, rounded to 12 decimals. Ties are ordered by id.

    Returns
    -------
    DataFrame
        Indexed by article id: ``title``, ``provider_name``, ``stub``,
        ``cited_by``, ``pagerank``.
    """
    column = _ranking_column(by, "cited_by", n)
    related = related_graph(graph_or_kg)
    df = articles_frame(graph_or_kg)[["title", "provider_name", "stub", "cited_by"]].copy()
    rank = _pagerank(related)
    df["pagerank"] = [float(rank.get(i, 0.0)) for i in df.index]
    return _ranked(df, column, n)


def top_providers(graph_or_kg: Any, n: int | None = 10, by: Measure = "pagerank") -> "pd.DataFrame":
    """The most central providers of the co-coverage graph (:func:`graph.projections.provider_graph`).

    Parameters
    ----------
    graph_or_kg : KnowledgeGraph or networkx graph
    n : int or None
        How many rows (``None``: every provider).
    by : {"pagerank", "degree"}
        ``degree`` ranks by ``links``, the weighted degree (related links to
        other providers' articles); ``pagerank`` by weighted PageRank.

    Returns
    -------
    DataFrame
        Indexed by provider id: ``name``, ``articles`` (published),
        ``partners`` (providers linked), ``links`` (weighted degree),
        ``pagerank``.
    """
    column = _ranking_column(by, "links", n)
    cover = provider_graph(graph_or_kg)
    df = providers_frame(graph_or_kg)[["name", "articles"]].copy()
    rank = _pagerank(cover, "weight")
    df["partners"] = [cover.degree(i) if i in cover else 0 for i in df.index]
    df["links"] = [cover.degree(i, weight="weight") if i in cover else 0 for i in df.index]
    df["pagerank"] = [float(rank.get(i, 0.0)) for i in df.index]
    df = df.astype({"partners": "int64", "links": "int64"})
    return _ranked(df, column, n)


def _dominant(counts: Counter, k: int) -> list[str]:
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def communities(graph_or_kg: Any, seed: int = 0, resolution: float = 1.0, min_size: int = 1,
                top: int = 3) -> "pd.DataFrame":
    """Communities of related articles (networkx's Louvain), largest first.

    Louvain runs on the undirected related graph (:func:`related_graph` with
    ``directed=False``, weighted); every article belongs to exactly one
    community (an article without related links is a community of one).

    Parameters
    ----------
    graph_or_kg : KnowledgeGraph or networkx graph
    seed : int or None
        Louvain's random seed: the same seed gives the same communities
        (``None``: a random one, as in networkx).
    resolution : float
        Louvain's resolution, above 0 (above 1: smaller communities).
    min_size : int
        Leave out communities with fewer articles (numbers stay those of the
        full list).
    top : int
        How many dominant topics and providers to list.

    Returns
    -------
    DataFrame
        Indexed by ``community`` (0 = largest; ties by smallest article id):
        ``size``, ``articles`` (sorted ids), ``topics`` and ``providers`` (the
        most frequent topic labels and provider names among its articles,
        most frequent first), ``example`` (title of its most cited article).
    """
    import pandas as pd

    check_count("min_size", min_size)
    check_count("top", top)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        # networkx's own ValueError came from deep inside; None is its fresh, unrepeatable seed
        raise InvalidArgumentError(f"seed must be a whole number (or None, for a random one), not {seed!r}")
    seed = None if seed is None else int(seed)  # networkx refuses numpy's integers
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Real) or not resolution > 0:
        # 0 or less put every article in one community or none: Louvain's modularity needs it above 0
        raise InvalidArgumentError(f"resolution must be a number above 0, not {resolution!r}")
    g = as_nx(graph_or_kg)
    undirected = related_graph(g, directed=False)
    parts = nx.community.louvain_communities(undirected, weight="weight", resolution=resolution, seed=seed) \
        if undirected.number_of_nodes() else []
    parts = sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p[0]))
    arts = articles_frame(g)
    # One pass over the articles for every community (a lookup per community took 2 s of 3 on the corpus).
    kept = [number for number, members in enumerate(parts) if len(members) >= min_size]
    community_of = {a: number for number in kept for a in parts[number]}
    topics: dict[int, Counter] = {number: Counter() for number in kept}
    providers: dict[int, Counter] = {number: Counter() for number in kept}
    example: dict[int, tuple] = {}
    for article, article_topics, provider, cited, title in zip(
            arts.index, arts["topics"], arts["provider_name"], arts["cited_by"], arts["title"]):
        number = community_of.get(article)
        if number is None:
            continue
        topics[number].update(article_topics)
        if not pd.isna(provider):
            providers[number][provider] += 1
        rank = (-cited, article)  # its most cited article, ties by smallest id
        if number not in example or rank < example[number][0]:
            example[number] = (rank, title)
    rows = [{"community": number, "size": len(parts[number]), "articles": parts[number],
             "topics": _dominant(topics[number], top), "providers": _dominant(providers[number], top),
             "example": example[number][1]} for number in kept]
    columns = ["community", "size", "articles", "topics", "providers", "example"]
    df = pd.DataFrame(rows, columns=columns).astype({"community": "int64", "size": "int64", "example": "string"})
    return df.set_index("community")


#: The most counts (periods x topics) :func:`topic_timeline` makes: 400 MB of int64.
MAX_TIMELINE_CELLS = 50_000_000


#: resample()'s aliases of months, quarters and years that name the same periods as a
#: period's letter: ends, anchored or not ("2ME", "QE-NOV"), and unanchored starts
#: ("MS", "QS": "QS-DEC" starts quarters in December, which no "Q-..." period does).
_RESAMPLE_ALIAS = re.compile(r"^(\d*)([MQY])(?:E(?=$|-)|S$)")


def topic_timeline(graph_or_kg: Any, freq: str = "M") -> "pd.DataFrame":
    """Articles per topic per month (or other pandas period ``freq``).

    Counts every dated article once under each of its topics. Rows are every
    period from the first to the last (empty ones hold 0), columns the topic
    labels, most articles first. A multiple (``"2M"``, ``"3D"``) groups its
    base periods in runs of that many from the first article's: ``"2M"``
    from June is June-July, August-September... ``resample()``'s aliases of
    months, quarters and years (``"ME"``, ``"MS"``, ``"QE"``, ``"YS"``) are
    taken as their periods (``"M"``, ``"Q"``, ``"Y"``).

    Returns
    -------
    DataFrame
        Index ``period`` (a ``PeriodIndex``), one ``int64`` column per topic.

    Raises
    ------
    InvalidArgumentError
        When ``freq`` is not a pandas period frequency, or would make a table
        of more than :data:`MAX_TIMELINE_CELLS` counts (hours over a corpus
        whose dates run from year 1 to 9999, as a messy one's may).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("t", kind="topic", label="AI")
    >>> for day in ("2021-06-18", "2021-07-02", "2021-08-30"):
    ...     g.add_node(day, kind="article", published=day)
    ...     _ = g.add_edge(day, "t", kind="about")
    >>> topic_timeline(g, "2M")["AI"].to_dict()
    {Period('2021-06', '2M'): 2, Period('2021-08', '2M'): 1}
    """
    import pandas as pd

    g = as_nx(graph_or_kg)
    label = dict(g.nodes(data="label"))
    about = [(s, t) for s, t, k in g.edges(data="kind") if k == "about"]
    articles = list(dict.fromkeys(s for s, _ in about))
    utc = dict(zip(articles, utc_dates(g.nodes[s].get("published") for s in articles)))
    try:
        if freq is None:  # pandas would read None as "guess from the date": days
            raise TypeError("no frequency")
        # resample()'s month, quarter and year aliases ("ME", "QS"...), which pandas 2.2 asks
        # for there, name the same periods as "M", "Q" and "Y"
        period_freq = _RESAMPLE_ALIAS.sub(r"\1\2", freq) if isinstance(freq, str) else freq
        span = pd.Period("2000-01-01", period_freq).freq
    except (ValueError, TypeError) as err:
        raise InvalidArgumentError(f"freq must be a pandas period frequency ('M', 'W', 'Q', '2M'...), "
                                   f"not {freq!r}") from err
    # Periods of the base frequency, then runs of span.n of them: pd.Period(x, "2M")
    # starts at x's own month, so periods a month apart fell off period_range's grid
    # and half the articles went uncounted.
    base = span.base
    dated = [(pd.Period(utc[s].replace(tzinfo=None), base).ordinal, label.get(t, t))
             for s, t in about if utc[s] is not None]
    if not dated:
        return pd.DataFrame(index=pd.PeriodIndex([], freq=span, name="period"),
                            columns=pd.Index([], dtype=str, name="topic"), dtype="int64")
    first = min(ordinal for ordinal, _ in dated)
    rows = [(first + (ordinal - first) // span.n * span.n, topic) for ordinal, topic in dated]
    df = pd.DataFrame(rows, columns=["period", "topic"])
    steps = range(first, max(period for period, _ in rows) + 1, span.n)
    topics = df["topic"].nunique()
    if len(steps) * topics > MAX_TIMELINE_CELLS:
        raise InvalidArgumentError(
            f"freq {freq!r} makes {len(steps):,} periods x {topics:,} topics, over {MAX_TIMELINE_CELLS:,} counts: "
            f"the dates run from {pd.Period(ordinal=first, freq=span)} to {pd.Period(ordinal=steps[-1], freq=span)}; "
            "give a longer period, or the articles of the dates wanted (KnowledgeGraph.subgraph)")
    table = pd.crosstab(df["period"], df["topic"]).reindex(steps, fill_value=0)
    # one index for all periods at once: a Period object each took 10 s for 2.4 million minutes
    table.index = pd.period_range(pd.Period(ordinal=first, freq=span), periods=len(steps), freq=span, name="period")
    order = sorted(table.columns, key=lambda c: (-int(table[c].sum()), c))
    table = table[order].astype("int64")
    table.columns.name = "topic"
    return table


def provider_topic_matrix(graph_or_kg: Any) -> "pd.DataFrame":
    """Articles per provider (rows, by domain) and topic (columns, by label).

    Only providers with at least one article about a topic appear. Rows and
    columns are ordered by their totals, largest first (ties by name).
    """
    import pandas as pd

    g = as_nx(graph_or_kg)
    domain = dict(g.nodes(data="domain"))
    label = dict(g.nodes(data="label"))
    provider = {n: p for n, p in g.nodes(data="provider") if g.nodes[n].get("kind") == "article"}
    rows = [(domain.get(provider.get(s)) or provider.get(s), label.get(t, t))
            for s, t, k in g.edges(data="kind") if k == "about" and provider.get(s)]
    if not rows:  # indexes of the type crosstab gives a full one (str)
        return pd.DataFrame(index=pd.Index([], name="provider", dtype=str),
                            columns=pd.Index([], name="topic", dtype=str), dtype="int64")
    df = pd.DataFrame(rows, columns=["provider", "topic"])
    table = pd.crosstab(df["provider"], df["topic"])
    rows_order = sorted(table.index, key=lambda r: (-int(table.loc[r].sum()), r))
    cols_order = sorted(table.columns, key=lambda c: (-int(table[c].sum()), c))
    return table.loc[rows_order, cols_order].astype("int64")


def missing_stubs(graph_or_kg: Any, n: int | None = 20) -> "pd.DataFrame":
    """Articles cited most often as related but absent from the corpus (stubs).

    Returns
    -------
    DataFrame
        Indexed by article id, most cited first (ties by id): ``title``,
        ``url``, ``provider_name``, ``published``, ``cited_by``.
    """
    check_count("n", n, none=True)
    df = articles_frame(graph_or_kg)
    df = df.loc[df["stub"], ["title", "url", "provider_name", "published", "cited_by"]]
    return _ranked(df, "cited_by", n)
