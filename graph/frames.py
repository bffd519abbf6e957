"""pandas DataFrames of the graph: articles, providers, topics, edges.

Every function takes a :class:`~graph.builder.KnowledgeGraph` or its networkx
graph (``kg.nx``, or one reloaded by :func:`graph.load`) and returns one row
per node or edge, indexed by node id, with typed columns: text as pandas
``string``, counts as ``int64``, optional numbers as nullable ``Int64``, flags
as ``bool``/``boolean``, dates as ``datetime64[us, UTC]`` (microseconds: any
year from 1 to 9999, where nanoseconds stop at 1677 and 2262), lists as Python
lists. An empty graph gives empty frames with the same columns.

Examples
--------
>>> import graph
>>> kg = graph.build(["seeds/"])
>>> df = articles_frame(kg)
>>> len(df) == len(kg.articles), str(df["published"].dtype)
(True, 'datetime64[us, UTC]')
>>> int(providers_frame(kg)["articles"].sum()) == kg.report.edges["published_by"]
True
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable

import networkx as nx

from .errors import ArgumentTypeError, InvalidArgumentError

if TYPE_CHECKING:  # pandas is imported on first use: `import graph` stays fast
    import pandas as pd

__all__ = ["as_nx", "articles_frame", "providers_frame", "topics_frame", "edges_frame", "to_utc", "utc_dates",
           "DateOutOfRangeWarning"]


def as_nx(graph_or_kg: Any) -> nx.MultiDiGraph:
    """The networkx graph of a KnowledgeGraph, or the graph itself.

    Raises
    ------
    ArgumentTypeError
        For anything else (a ``TypeError`` too).
    InvalidArgumentError
        For a graph with nodes but no ``kind`` on any of them, such as a
        projection (:mod:`graph.projections`): every frame and analysis
        would find nothing in it; or for an undirected graph
        (``kg.nx.to_undirected()``), whose edges no longer say which article
        cites which or which provider published which article, or a reversed
        one (``kg.nx.reverse()``), whose edges say it the other way round.

    A graph read back from the GraphML or GEXF export (``nx.read_graphml``,
    ``nx.read_gexf``), whose lists are JSON text, is given as a copy with its
    lists as lists (and GEXF's ``topic_key`` as ``key``), as ``kg.nx`` has them.
    """
    if isinstance(graph_or_kg, nx.Graph):
        g = graph_or_kg
    else:
        g = getattr(graph_or_kg, "nx", None)
        if not isinstance(g, nx.Graph):
            raise ArgumentTypeError(f"expected a KnowledgeGraph or a networkx graph, got {type(graph_or_kg).__name__}"
                                    + (" (a path: graph.build() or graph.load() it first)"
                                       if isinstance(graph_or_kg, (str, os.PathLike)) else ""))
    if g.number_of_nodes() and not any(kind is not None for _, kind in g.nodes(data="kind")):
        raise InvalidArgumentError("this graph's nodes have no 'kind' (article, provider, topic): give the KnowledgeGraph "
                         "or its .nx, not a projection of it")
    if not g.is_directed():
        # Counted as they were, the edges' ends in either order gave 0 articles per provider
        # and empty timelines, without a word: refused, as a projection is.
        raise InvalidArgumentError("an undirected graph: its edges no longer say which article cites which, nor which "
                                   "provider published an article; give the KnowledgeGraph or its .nx (directed), "
                                   "and make it undirected only for what needs it")
    for source, target, kind in g.edges(data="kind"):  # the first edge that has an article at one end says
        if kind in ("published_by", "about"):
            if g.nodes[source].get("kind") != "article" and g.nodes[target].get("kind") == "article":
                # kg.nx.reverse() (a step before in-degree analyses) gave 0 articles per provider
                raise InvalidArgumentError(f"a reversed graph: its {kind!r} edges go to the article, where the "
                                           "KnowledgeGraph's go from it; give the KnowledgeGraph or its .nx, and "
                                           "reverse it only for what needs it")
            break
    return _as_built(g)


#: Node attributes that are lists in ``kg.nx``, and JSON text in a graph read back
#: from GraphML or GEXF (:mod:`graph.export.flatten`; an empty list is left out).
LIST_ATTRIBUTES = ("aliases", "files", "sources", "topics", "images", "alt_names", "alt_labels", "hashtags",
                   "keywords")


def _as_built(g: nx.Graph) -> nx.Graph:
    """``g``, or, when its lists are JSON text (GraphML, GEXF), a copy with them as
    lists and its dates as dates (as ``kg.nx`` holds them: the projections kept
    ``published`` as text)."""
    import json

    from .model import coerce_datetime

    flattened = False
    for _, attrs in g.nodes(data=True):  # the first node holding a list says how they all are
        value = next((attrs[name] for name in LIST_ATTRIBUTES if name in attrs), None)
        if value is not None or "topic_key" in attrs:
            flattened = isinstance(value, str) or "topic_key" in attrs
            break
    if not flattened:
        return g
    g = g.copy()  # a new dict per node: the caller's graph is left as it is
    for _, attrs in g.nodes(data=True):
        for name in LIST_ATTRIBUTES:
            text = attrs.get(name)
            if isinstance(text, str) and text.startswith("["):
                try:
                    attrs[name] = json.loads(text)
                except ValueError:
                    pass  # not what the export wrote: kept as it is
        if isinstance(attrs.get("published"), str):
            try:
                attrs["published"] = coerce_datetime(attrs["published"])
            except (ValueError, TypeError):
                pass  # not what the export wrote: kept as it is
        if "topic_key" in attrs and "key" not in attrs:  # networkx's GEXF writer reserves "key"
            attrs["key"] = attrs.pop("topic_key")
    return g


#: The dtype of every date column, here and in :meth:`graph.query.QueryResult.to_dataframe`.
#: Microseconds: a messy corpus has dates in year 1 or 9999, past nanoseconds' range.
DATES = "datetime64[us, UTC]"


def to_utc(value: dt.date | dt.datetime | str | None) -> dt.datetime | None:
    """A date or date-time as an aware UTC date-time (a date is its midnight UTC).

    ISO 8601 text (what ``graph.json`` holds, when read without
    :func:`graph.load`) is parsed first.

    >>> to_utc(dt.date(2021, 6, 18))
    datetime.datetime(2021, 6, 18, 0, 0, tzinfo=datetime.timezone.utc)
    >>> to_utc("2021-06-30T23:30:00-05:00"), to_utc("2021-06-18")
    (datetime.datetime(2021, 7, 1, 4, 30, tzinfo=datetime.timezone.utc), datetime.datetime(2021, 6, 18, 0, 0, tzinfo=datetime.timezone.utc))

    ``None`` for a date-time whose UTC instant is outside years 1 to 9999
    (``9999-12-31T23:00-05:00`` is in year 10000 in UTC): Python's datetime
    cannot hold it, nor can pandas print it. The exports keep it as written;
    :func:`utc_dates` says how many it left out.

    >>> to_utc("9999-12-31T23:00:00-05:00") is None
    True

    Raises
    ------
    InvalidArgumentError
        Text that is no ISO 8601 date or date-time (a ``ValueError`` too).
    ArgumentTypeError
        A value that is neither a date nor text (a number, numpy's ``datetime64``).
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:  # a date is 10 characters or fewer (2021-06-18, 20210618); a date-time more, "T" or " " between
            value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
        except ValueError as err:
            raise InvalidArgumentError(f"not an ISO 8601 date or date-time: {value[:100]!r}") from err
    elif not isinstance(value, dt.date):  # a pandas Timestamp is a datetime
        raise ArgumentTypeError(f"expected a date, a date-time or ISO 8601 text, got {type(value).__name__}: "
                                f"{value!r:.100}")
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if not value.tzinfo:
        return value.replace(tzinfo=dt.timezone.utc)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:
        return None


def utc_dates(values: Iterable[Any]) -> list[dt.datetime | None]:
    """:func:`to_utc` of each value, with one warning (:class:`DateOutOfRangeWarning`)
    saying how many dates it left empty for being outside years 1 to 9999 in UTC.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     dates = utc_dates(["2021-06-18", None, "0001-01-01T00:30:00+01:00"])
    >>> dates[1:], str(caught[0].message)
    ([None, None], '1 date is outside years 1 to 9999 in UTC and left empty here (the exports keep it as written)')
    """
    out, lost = [], 0
    for value in values:
        utc = to_utc(value)
        lost += utc is None and value is not None
        out.append(utc)
    if lost:
        warnings.warn(f"{lost:,} date{'s are' if lost != 1 else ' is'} outside years 1 to 9999 in UTC and left "
                      "empty here (the exports keep it as written)", DateOutOfRangeWarning, stacklevel=3)
    return out


class DateOutOfRangeWarning(UserWarning):
    """Dates left out of a DataFrame: their UTC instant is outside years 1 to 9999."""


def _nodes(g: nx.Graph, kind: str) -> list[tuple[str, dict]]:
    return [(n, d) for n, d in g.nodes(data=True) if d.get("kind") == kind]


def _edge_counts(g: nx.Graph, kind: str) -> tuple[Counter, Counter]:
    """(out-degree, in-degree) per node over edges of ``kind``."""
    out, into = Counter(), Counter()
    for s, t, k in g.edges(data="kind"):
        if k == kind:
            out[s] += 1
            into[t] += 1
    return out, into


def _frame(columns: dict[str, list], dtypes: dict[str, str], index: list[str]) -> "pd.DataFrame":
    import pandas as pd

    # Nullable integers made as such: a column of ints and Nones would pass through
    # float64 first, where a number above 2**53 loses its last digits (or, near 2**63,
    # cannot be cast back at all).
    columns = {name: pd.array(values, dtype="Int64") if dtypes.get(name) == "Int64" else values
               for name, values in columns.items()}
    df = pd.DataFrame(columns, index=pd.Index(index, name="id", dtype="string"))
    return df.astype(dtypes)


def articles_frame(graph_or_kg: Any) -> "pd.DataFrame":
    """One row per article.

    Columns: ``title``, ``excerpt``, ``url`` (canonical: the article's
    key), ``web_url`` (the file's ``webUrl``, in the same canonical form: the
    page to open; ``url`` can come from ``originalUrl`` instead; to join data
    keyed by URLs as published, pass them through
    :func:`graph.resolve.canonical_url`), ``original_url`` (the file's
    ``originalUrl``, in the same form: a video item's only address, where it
    has no ``webUrl``), ``provider`` (id), ``provider_name``,
    ``published`` (UTC), ``type``, ``category``, ``quality``, ``heat``,
    ``stub`` (known only from ``related`` lists), ``is_published``,
    ``removed``, ``topics`` (list of topic labels), ``related`` (number of
    articles it lists), ``cited_by`` (number of articles listing it),
    ``files`` (number of files that are this article).
    """
    g = as_nx(graph_or_kg)
    nodes = _nodes(g, "article")
    out, into = _edge_counts(g, "related")
    label = {n: d.get("label") for n, d in g.nodes(data=True)}
    cols = {
        "title": [d.get("title") for _, d in nodes],
        "excerpt": [d.get("excerpt") for _, d in nodes],
        "url": [d.get("url") for _, d in nodes],
        "web_url": [d.get("web_url") for _, d in nodes],
        "original_url": [d.get("original_url") for _, d in nodes],
        "provider": [d.get("provider") for _, d in nodes],
        "provider_name": [label.get(d.get("provider")) for _, d in nodes],
        "published": utc_dates(d.get("published") for _, d in nodes),
        "type": [d.get("type") for _, d in nodes],
        "category": [d.get("category") for _, d in nodes],
        "quality": [d.get("quality") for _, d in nodes],
        "heat": [d.get("heat") for _, d in nodes],
        "stub": [bool(d.get("stub")) for _, d in nodes],
        "is_published": [d.get("is_published") for _, d in nodes],
        "removed": [d.get("removed") for _, d in nodes],
        "topics": [[label.get(t, t) for t in d.get("topics", ())] for _, d in nodes],
        "related": [out[n] for n, _ in nodes],
        "cited_by": [into[n] for n, _ in nodes],
        "files": [len(d.get("files", ())) for _, d in nodes],
    }
    dtypes = {"title": "string", "excerpt": "string", "url": "string", "web_url": "string",
              "original_url": "string", "provider": "string",
              "provider_name": "string",
              "published": DATES, "type": "string", "category": "string", "quality": "Int64",
              "heat": "Int64", "stub": "bool", "is_published": "boolean", "removed": "boolean",
              "topics": "object", "related": "int64", "cited_by": "int64", "files": "int64"}
    return _frame(cols, dtypes, [n for n, _ in nodes])


def providers_frame(graph_or_kg: Any) -> "pd.DataFrame":
    """One row per provider: ``name``, ``domain``, ``catalog`` (file it was
    enriched from), ``articles`` (all articles it published), ``full_articles``
    (of those, the ones read from a file, not stubs)."""
    g = as_nx(graph_or_kg)
    nodes = _nodes(g, "provider")
    published, full = Counter(), Counter()
    for s, t, k in g.edges(data="kind"):
        if k == "published_by":
            published[t] += 1
            full[t] += not g.nodes[s].get("stub")
    cols = {
        "name": [d.get("name") for _, d in nodes],
        "domain": [d.get("domain") for _, d in nodes],
        "catalog": [d.get("catalog") for _, d in nodes],
        "articles": [published[n] for n, _ in nodes],
        "full_articles": [full[n] for n, _ in nodes],
    }
    dtypes = {"name": "string", "domain": "string", "catalog": "string", "articles": "int64",
              "full_articles": "int64"}
    return _frame(cols, dtypes, [n for n, _ in nodes])


def topics_frame(graph_or_kg: Any) -> "pd.DataFrame":
    """One row per topic: ``label``, ``key``, ``keywords`` (list),
    ``catalog``, ``articles`` (number of articles about it)."""
    g = as_nx(graph_or_kg)
    nodes = _nodes(g, "topic")
    _, about = _edge_counts(g, "about")
    cols = {
        "label": [d.get("label") for _, d in nodes],
        "key": [d.get("key") for _, d in nodes],
        "keywords": [list(d.get("keywords", ())) for _, d in nodes],
        "catalog": [d.get("catalog") for _, d in nodes],
        "articles": [about[n] for n, _ in nodes],
    }
    dtypes = {"label": "string", "key": "string", "keywords": "object", "catalog": "string",
              "articles": "int64"}
    return _frame(cols, dtypes, [n for n, _ in nodes])


def edges_frame(graph_or_kg: Any) -> "pd.DataFrame":
    """One row per edge: ``source``, ``target``, ``kind`` (categorical:
    ``published_by``, ``about``, ``related``), ``source_kind``, ``target_kind``.
    The index is a plain range."""
    import pandas as pd

    from .model import EDGE_KINDS, NODE_KINDS

    g = as_nx(graph_or_kg)
    kinds = dict(g.nodes(data="kind"))
    edges = list(g.edges(data="kind"))
    df = pd.DataFrame({
        "source": pd.array([s for s, _, _ in edges], dtype="string"),
        "target": pd.array([t for _, t, _ in edges], dtype="string"),
        "kind": pd.Categorical([k for _, _, k in edges], categories=EDGE_KINDS),
        "source_kind": pd.Categorical([kinds[s] for s, _, _ in edges], categories=NODE_KINDS),
        "target_kind": pd.Categorical([kinds[t] for _, t, _ in edges], categories=NODE_KINDS),
    })
    return df
