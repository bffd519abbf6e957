"""News analytics (graph.analysis) on the real corpus.

The citation counts the rankings rest on are recomputed independently: the
corpus files are parsed here with a plain YAML loader, ``related`` links are
collected, and articles are identified by the project's identity rule (the
canonical URL, with AMP URLs as aliases: a union-find written here). PageRank
is recomputed with a power iteration in numpy.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter, defaultdict

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from graph.analysis import (communities, missing_stubs, provider_topic_matrix, top_articles, top_providers,
                            topic_timeline)
from graph.errors import InvalidURLError, NewsgraphError
from graph.frames import to_utc
from graph.projections import related_graph
from graph.resolve import canonical_url

ARTICLE_FOLDERS = ("seed", "azure/news", "powerapps/news")


def _front_matter(path: str):
    text = open(path, encoding="utf-8").read()
    if not text.startswith("---"):
        return None
    return yaml.load(text[3:text.find("\n---", 3)], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture(scope="module")
def raw_citations(corpus_dir, corpus_kg):
    """{article id: set of ids of the articles listing it}, straight from the files."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def canon(url):
        try:
            return canonical_url(url) if isinstance(url, str) and url else None
        except InvalidURLError:
            return None

    def record(d: dict):
        main = canon(d.get("webUrl")) or canon(d.get("originalUrl"))
        for alias in (canon(d.get("ampWebUrl")), canon(d.get("cdnAmpWebUrl"))):
            if main and alias:
                parent[find(alias)] = find(main)
        return main

    links = []
    for folder in ARTICLE_FOLDERS:
        for dirpath, _, names in os.walk(corpus_dir / folder):
            for name in names:
                if name.endswith((".md", ".txt")):
                    data = _front_matter(os.path.join(dirpath, name))
                    if isinstance(data, dict) and (src := record(data)):
                        links += [(src, dst) for r in data.get("related") or [] if isinstance(r, dict)
                                  if (dst := record(r))]
    cites = defaultdict(set)
    for src, dst in links:
        if find(src) != find(dst):
            cites[find(dst)].add(find(src))
    @functools.cache
    def to_id(url: str) -> str:  # a look-up of the node id, not a count
        return corpus_kg.article_by_url(url).id

    return {to_id(dst): {to_id(s) for s in srcs} for dst, srcs in cites.items()}


def _by_count_then_id(counts: dict[str, int], n: int) -> list[str]:
    return [i for i, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def test_top_articles_by_degree_match_an_independent_count(corpus_kg, raw_citations):
    top = top_articles(corpus_kg, n=15, by="degree")
    counts = {i: len(s) for i, s in raw_citations.items()}
    assert list(top.index) == _by_count_then_id(counts, 15)
    assert top["cited_by"].tolist() == [counts[i] for i in top.index]
    every = top_articles(corpus_kg, n=None, by="degree")
    assert len(every) == len(corpus_kg.articles)
    assert {i: c for i, c in every["cited_by"].items() if c} == counts


def _pagerank(nodes: list[str], edges: list[tuple[str, str]], alpha: float = 0.85) -> dict[str, float]:
    """PageRank by power iteration; dangling nodes spread their rank evenly."""
    index = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    src = np.array([index[s] for s, _ in edges])
    dst = np.array([index[t] for _, t in edges])
    out = np.bincount(src, minlength=n).astype(float)
    rank = np.full(n, 1.0 / n)
    for _ in range(1000):
        share = np.where(out[src] > 0, rank[src] / out[src], 0.0)
        new = np.bincount(dst, weights=share, minlength=n)
        new = alpha * (new + rank[out == 0].sum() / n) + (1 - alpha) / n
        if np.abs(new - rank).sum() < 1e-14:
            break
        rank = new
    return {node: round(float(r), 12) for node, r in zip(nodes, new)}


def test_top_articles_by_pagerank_match_a_power_iteration(corpus_kg, raw_citations):
    edges = [(s, t) for t, srcs in raw_citations.items() for s in srcs]
    expected = _pagerank(sorted(corpus_kg.articles), edges)
    top = top_articles(corpus_kg, n=10)
    assert list(top.index) == _by_count_then_id(expected, 10)
    assert np.allclose(top["pagerank"].to_numpy(), [expected[i] for i in top.index], rtol=1e-4)
    # A ranking that is not just the citation count.
    assert list(top.index) != list(top_articles(corpus_kg, n=10, by="degree").index)


def test_top_providers(corpus_kg):
    top = top_providers(corpus_kg, n=5, by="degree")
    links: Counter = Counter()
    for a in corpus_kg.articles.values():
        for r in a.related_ids:
            p, q = a.provider_id, corpus_kg.articles[r].provider_id
            if p != q:
                links[p] += 1
                links[q] += 1
    assert list(top.index) == _by_count_then_id(links, 5)
    assert top["links"].tolist() == [links[p] for p in top.index]
    assert top.index[0] == "provider/microsoft.com"
    by_rank = top_providers(corpus_kg, n=None)
    assert by_rank["pagerank"].sum() == pytest.approx(1.0)
    assert by_rank["pagerank"].is_monotonic_decreasing


@pytest.fixture(scope="module")
def corpus_communities(corpus_kg):
    return communities(corpus_kg, seed=7)


@pytest.mark.parametrize("options, message", [
    ({"by": "bogus"}, "by must be 'pagerank' or 'degree', not 'bogus'"),
    ({"by": "cited_by"}, "by must be 'pagerank' or 'degree', not 'cited_by'"),  # a column, not a measure
    ({"n": -1}, "n must be a whole number, 0 or more, or None, not -1"),  # head(-1) dropped the last row
    ({"n": 2.5}, "n must be a whole number"),
])
def test_rankings_refuse_what_they_cannot_rank_by(seeds_kg, options, message):
    for ranking in (top_articles, top_providers):
        with pytest.raises(ValueError, match=re.escape(message)) as raised:
            ranking(seeds_kg, **options)
        # a ValueError as Python's own functions raise, and one of the library's: one except catches it
        assert isinstance(raised.value, NewsgraphError)
    assert len(top_articles(seeds_kg, n=0)) == 0


def test_communities_partition_the_articles(corpus_kg, corpus_communities):
    members = [i for group in corpus_communities["articles"] for i in group]
    assert len(members) == len(set(members)) == len(corpus_kg.articles)
    assert set(members) == set(corpus_kg.articles)
    assert corpus_communities["size"].tolist() == [len(g) for g in corpus_communities["articles"]]
    assert corpus_communities["size"].is_monotonic_decreasing
    # Louvain found structure: the partition's modularity, computed by networkx
    # on the undirected related graph, is far above a random split's (about 0).
    undirected = related_graph(corpus_kg, directed=False)
    modularity = nx.community.modularity(undirected, [set(g) for g in corpus_communities["articles"]])
    assert modularity > 0.3


def test_communities_are_deterministic_for_a_seed(seeds_kg):
    first = communities(seeds_kg, seed=7)
    pd.testing.assert_frame_equal(communities(seeds_kg, seed=7), first)
    assert len(first) > 1 and first["size"].iloc[0] > 10


def test_community_dominant_topics_and_providers(corpus_kg, corpus_communities):
    for number in corpus_communities.index[:5]:
        row = corpus_communities.loc[number]
        arts = [corpus_kg.articles[i] for i in row["articles"]]
        topics = Counter(corpus_kg.topics[t].label for a in arts for t in a.topic_ids)
        providers = Counter(corpus_kg.providers[a.provider_id].name for a in arts)
        assert row["topics"] == _by_count_then_id(topics, 3)
        assert row["providers"] == _by_count_then_id(providers, 3)
    big = communities(corpus_kg, seed=7, min_size=50)
    assert (big["size"] >= 50).all() and list(big.index) == list(range(len(big)))


def test_topic_timeline_counts(corpus_kg):
    table = topic_timeline(corpus_kg)
    expected: Counter = Counter()
    for a in corpus_kg.articles.values():
        when = to_utc(a.published)
        for t in a.topic_ids if when else ():
            expected[(f"{when.year}-{when.month:02d}", corpus_kg.topics[t].label)] += 1
    got = {(str(p), t): int(v) for (p, t), v in table.stack().items() if v}
    assert got == dict(expected)
    assert list(table.index) == list(pd.period_range(table.index[0], table.index[-1], freq="M"))
    totals = table.sum()
    assert totals.is_monotonic_decreasing


@pytest.mark.parametrize("freq, months", [("2M", 2), ("Q", 3), ("2Q", 6), ("Y", 12), ("3M", 3)])
def test_topic_timeline_multiples_count_every_article_once(corpus_kg, freq, months):
    """"2M" lost about half the counts: pd.Period(x, "2M") starts at x's own month,
    and period_range's grid of every other month dropped the rest. Expected here
    from the articles by hand: months counted from the first dated article's
    (a multiple runs from there; Q and Y are calendar quarters and years)."""
    dated = [(to_utc(a.published), a) for a in corpus_kg.articles.values() if to_utc(a.published) and a.topic_ids]
    first = min(when for when, _ in dated)
    if freq in ("Q", "Y", "2Q"):  # anchored on calendar quarters / years: the first one's first month
        first_month = first.year * 12 + (first.month - 1) // (3 if "Q" in freq else 12) * (3 if "Q" in freq else 12)
    else:
        first_month = first.year * 12 + first.month - 1
    expected: Counter = Counter()
    for when, a in dated:
        start = first_month + (when.year * 12 + when.month - 1 - first_month) // months * months
        for t in a.topic_ids:
            expected[(start // 12, start % 12 + 1, corpus_kg.topics[t].label)] += 1
    table = topic_timeline(corpus_kg, freq)
    got = {(p.start_time.year, p.start_time.month, t): int(v) for (p, t), v in table.stack().items() if v}
    assert got == dict(expected)
    assert int(table.to_numpy().sum()) == sum(expected.values()) == int(topic_timeline(corpus_kg).to_numpy().sum())
    steps = [(p.start_time.year * 12 + p.start_time.month - 1) for p in table.index]
    assert all(b - a == months for a, b in zip(steps, steps[1:]))  # every period, empty ones too


@pytest.mark.parametrize("alias", ["ME", "MS", "QE", "QS", "YE", "YS", "QE-NOV"])
def test_topic_timeline_takes_resamples_month_quarter_and_year_aliases(corpus_kg, alias):
    """pandas 2.2 asks for "ME" in resample(), and topic_timeline refused it. Expected:
    pandas's own resample() of the articles' UTC dates, per topic, with the alias."""
    rows = [(to_utc(a.published).replace(tzinfo=None), corpus_kg.topics[t].label)
            for a in corpus_kg.articles.values() if to_utc(a.published) for t in a.topic_ids]
    frame = pd.DataFrame(rows, columns=["when", "topic"])
    expected = {}
    for topic, group in frame.groupby("topic"):
        counts = group.set_index("when").resample(alias)["topic"].count()
        expected.update({(stamp, topic): int(n) for stamp, n in counts.items() if n})
    table = topic_timeline(corpus_kg, alias)
    start = alias.endswith("S")  # resample labels a period by its first day, else by its last
    got = {((p.start_time if start else p.end_time.normalize()), t): int(v)
           for (p, t), v in table.stack().items() if v}
    assert got == expected
    assert table.equals(topic_timeline(corpus_kg, alias[0] + alias[2:]))  # "QE-NOV" is "Q-NOV"


def test_topic_timeline_refuses_what_is_not_a_period(seeds_kg):
    for freq in ("bogus", "-2M", 3, "QS-DEC", "BME"):  # quarters from December: no period starts them
        with pytest.raises(NewsgraphError, match="freq must be a pandas period frequency"):
            topic_timeline(seeds_kg, freq)


def test_provider_topic_matrix(corpus_kg):
    matrix = provider_topic_matrix(corpus_kg)
    expected: Counter = Counter()
    for a in corpus_kg.articles.values():
        for t in a.topic_ids:
            expected[(corpus_kg.providers[a.provider_id].domain, corpus_kg.topics[t].label)] += 1
    assert {k: int(v) for k, v in matrix.stack().items() if v} == dict(expected)
    assert int(matrix.to_numpy().sum()) == corpus_kg.report.edges["about"]
    assert matrix.index[0] == "microsoft.com"


def test_missing_stubs_are_cited_but_have_no_file(corpus_kg, raw_citations):
    stubs = missing_stubs(corpus_kg, n=None)
    with_file = {a.id for a in corpus_kg.articles.values() if a.files}
    expected = {i: len(s) for i, s in raw_citations.items() if i not in with_file}
    assert set(stubs.index) == set(expected)
    assert list(stubs.index[:10]) == _by_count_then_id(expected, 10)
    assert stubs["cited_by"].tolist()[:10] == [expected[i] for i in stubs.index[:10]]
    assert len(missing_stubs(corpus_kg, n=3)) == 3


def test_empty_graph_gives_empty_results():
    empty = nx.MultiDiGraph()
    for result in (top_articles(empty), top_providers(empty), communities(empty), topic_timeline(empty),
                   provider_topic_matrix(empty), missing_stubs(empty)):
        assert isinstance(result, pd.DataFrame) and result.empty
    assert list(communities(empty).columns) == ["size", "articles", "topics", "providers", "example"]


def test_seeds_graph_without_related_links(seeds_kg):
    """A graph of articles with no related edges: every community is one article."""
    g = seeds_kg.nx.copy()
    g.remove_edges_from([(s, t, k) for s, t, k in g.edges(keys=True) if k == "related"])
    parts = communities(g)
    assert (parts["size"] == 1).all() and len(parts) == len(seeds_kg.articles)
    assert top_articles(g, n=None)["cited_by"].eq(0).all()


def test_row_counts_are_checked_alike_and_numpy_counts_are_counts(seeds_kg):
    from graph import analysis

    import numpy as np

    stubs = sum(a.is_stub for a in seeds_kg.articles.values())
    assert stubs > 3
    assert len(analysis.missing_stubs(seeds_kg, n=np.int64(3))) == len(analysis.top_articles(seeds_kg, n=np.int64(3))) == 3
    for call in (lambda n: analysis.missing_stubs(seeds_kg, n=n), lambda n: analysis.top_articles(seeds_kg, n=n),
                 lambda n: analysis.communities(seeds_kg, top=n), lambda n: analysis.communities(seeds_kg, min_size=n)):
        for bad in (-1, 2.5, True, "3"):  # -1 took all but the last row (pandas' head(-1))
            with pytest.raises(ValueError, match="must be a whole number, 0 or more"):
                call(bad)


@pytest.mark.parametrize("call, error, message", [
    (lambda kg: __import__("graph.views").views.ego_view(kg, provider=5), "ArgumentTypeError", "provider must be text"),
    (lambda kg: __import__("graph.views").views.ego_view(kg, topic=5), "ArgumentTypeError", "topic must be text"),
    # ViewErrors, neither ValueErrors nor TypeErrors
    (lambda kg: __import__("graph.views").views.ego_view(kg, topic="AI", depth=-1), "InvalidArgumentError",
     "depth must be a whole number, 0 or more, not -1"),
    (lambda kg: __import__("graph.views").views.full_view(kg, -1), "InvalidArgumentError",
     "max_articles must be a whole number, 0 or more, or None, not -1"),
    # the string "False" is true: a directed graph
    (lambda kg: __import__("graph.projections").projections.related_graph(kg, directed="False"), "ArgumentTypeError",
     "directed must be True or False, not 'False'"),
    (lambda kg: __import__("graph").build("seeds", fast_yaml=None), "ArgumentTypeError",
     "fast_yaml must be True or False, not None"),
    (lambda kg: __import__("graph").build("seeds", detect_catalogs="no"), "ArgumentTypeError",
     "detect_catalogs must be True or False, not 'no'"),
    (lambda kg: __import__("graph").build("seeds", jobs="2"), "InvalidArgumentError",
     "jobs must be a whole number, 0 or more, or None, not '2'"),
    # its bytes were read as numbers: "(it holds 47)"
    (lambda kg: __import__("graph").build(b"seeds"), "ArgumentTypeError",
     "paths must be a path (str or os.PathLike) or a list of paths, not b'seeds'"),
    (lambda kg: __import__("graph.query").query.sparql(kg, None), "QueryError", "the query must be SPARQL text"),
    (lambda kg: communities(kg, resolution=-1), "InvalidArgumentError", "resolution must be a number above 0"),
    (lambda kg: communities(kg, resolution=0), "InvalidArgumentError", "resolution must be a number above 0"),
    (lambda kg: communities(kg, resolution="1"), "InvalidArgumentError", "resolution must be a number above 0"),
    (lambda kg: __import__("graph.export.html").export.html.notebook_html(kg, height="100%"),
     "InvalidArgumentError", "height must be a number of pixels, 0 or more, not '100%'"),
    (lambda kg: __import__("graph.export.html").export.html.notebook_html(kg, height=-1.5),
     "InvalidArgumentError", "height must be a number of pixels, 0 or more, not -1.5"),
    (lambda kg: __import__("graph.export.html").export.html.notebook_html(kg, height=float("nan")),
     "InvalidArgumentError", "height must be a number of pixels, 0 or more, not nan"),
    # networkx's ValueError from deep inside; pandas read None as days
    (lambda kg: communities(kg, seed="x"), "InvalidArgumentError", "seed must be a whole number (or None"),
    (lambda kg: communities(kg, seed=1.5), "InvalidArgumentError", "seed must be a whole number (or None"),
    (lambda kg: topic_timeline(kg, None), "InvalidArgumentError", "freq must be a pandas period frequency"),
    # AttributeError ('MultiDiGraph' object has no attribute 'edge_groups' / 'topics')
    (lambda kg: __import__("graph.views").views.full_view(kg.nx), "ArgumentTypeError",
     "a view is drawn from a KnowledgeGraph (graph.build(), graph.load()), not networkx.classes.multidigraph."
     "MultiDiGraph: give the KnowledgeGraph whose .nx this is"),
    (lambda kg: __import__("graph.views").views.overview_view(kg.nx), "ArgumentTypeError",
     "a view is drawn from a KnowledgeGraph"),
    (lambda kg: __import__("graph.views").views.ego_view(kg.nx, topic="AI"), "ArgumentTypeError",
     "a view is drawn from a KnowledgeGraph"),
    # TypeErrors, KeyErrors and "'NoneType' object is not iterable"
    (lambda kg: __import__("graph.frames").frames.articles_frame("seeds/"), "ArgumentTypeError",
     "expected a KnowledgeGraph or a networkx graph, got str (a path: graph.build() or graph.load() it first)"),
    (lambda kg: kg.subgraph(None), "ArgumentTypeError", "article_ids must be an article id or an iterable of them"),
    (lambda kg: kg.subgraph(["article/x", "article/y"]), "UnknownIdError",
     "not an article of this graph: 'article/x' (and 1 more)"),
    (lambda kg: __import__("graph").build(None), "ArgumentTypeError", "paths must be a path or a list of paths, not None"),
    (lambda kg: __import__("graph").build(["seeds", 5]), "ArgumentTypeError",
     "paths must be a path or a list of paths, not ['seeds', 5] (it holds 5)"),
    (lambda kg: __import__("graph").build("seeds", catalogs=[None]), "ArgumentTypeError",
     "catalogs must be a path or a list of paths, not [None] (it holds None)"),
])
def test_arguments_the_api_cannot_take_raise_the_librarys_error_saying_why(seeds_kg, call, error, message):
    """They raised AttributeError ('int' object has no attribute 'strip'), TypeError or
    int()'s ValueError, or (a resolution of 0 or less) ran without a word."""
    import graph

    with pytest.raises(getattr(graph, error), match=re.escape(message)) as raised:
        call(seeds_kg)
    # still the Python error such a call raises elsewhere
    python_error = {"ArgumentTypeError": TypeError, "UnknownIdError": KeyError,
                    "InvalidArgumentError": ValueError}.get(error, Exception)
    assert isinstance(raised.value, python_error) and str(raised.value).startswith(message)


def test_a_numpy_seed_is_a_seed():
    kg = __import__("graph").build(["seeds"])
    assert communities(kg, seed=np.int64(3)).equals(communities(kg, seed=3))


def _dated(*days: str) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_node("t", kind="topic", label="AI")
    for day in days:
        g.add_node(day, kind="article", published=day)
        g.add_edge(day, "t", kind="about")
    return g


def test_a_timeline_over_every_year_a_corpus_may_hold_is_made_at_once_or_refused():
    """A messy corpus has dates in year 1 and 9999. Each period was made as an
    object of its own: days over that span took 9.5 s, hours did not end in two
    minutes, seconds would need 35 GB. Days (3.65 million) are made at once;
    what would pass MAX_TIMELINE_CELLS counts is refused, saying why."""
    import datetime as dt

    from graph.analysis import MAX_TIMELINE_CELLS
    from graph.errors import InvalidArgumentError

    g = _dated("0001-01-01", "2021-06-18", "9999-12-31")
    days = (dt.date(9999, 12, 31) - dt.date(1, 1, 1)).days + 1
    table = topic_timeline(g, "D")
    assert len(table) == days and table["AI"].sum() == 3 and table.index.is_monotonic_increasing
    assert (str(table.index[0]), str(table.index[-1])) == ("0001-01-01", "9999-12-31")
    assert table.loc[pd.Period("2021-06-18", "D"), "AI"] == 1 and table.index.freqstr == "D"
    hours = (days - 1) * 24 + 1  # from the first article's hour to the last's (midnight)
    assert hours > MAX_TIMELINE_CELLS
    with pytest.raises(InvalidArgumentError, match=re.escape(
            f"freq 'h' makes {hours:,} periods x 1 topics, over {MAX_TIMELINE_CELLS:,} counts: the dates run from "
            "0001-01-01 00:00 to 9999-12-31 00:00")):
        topic_timeline(g, "h")


@pytest.mark.parametrize("freq", ["M", "2M", "3D", "W", "Q", "Y", "min", "2h"])
def test_the_timeline_has_every_period_from_the_first_to_the_last(freq):
    """Checked against pandas' own periods of each date, one by one."""
    days = ["2021-06-18T11:37:00", "2021-06-18T13:05:00", "2021-07-02T00:00:00", "2021-08-30T23:59:00"]
    table = topic_timeline(_dated(*days), freq)
    span = pd.Period("2000-01-01", freq).freq
    ordinals = [pd.Period(d, span.base).ordinal for d in days]
    first = min(ordinals)
    expected_index = [pd.Period(ordinal=o, freq=span) for o in range(first, max(ordinals) + 1, span.n)]
    assert list(table.index) == expected_index and table.index.freq == span
    assert table["AI"].sum() == len(days)


def test_empty_results_have_the_index_types_full_ones_have(seeds_kg):
    empty = nx.MultiDiGraph()
    full, none = provider_topic_matrix(seeds_kg), provider_topic_matrix(empty)
    assert (none.index.dtype, none.columns.dtype) == (full.index.dtype, full.columns.dtype)
    assert (none.index.name, none.columns.name) == (full.index.name, full.columns.name) == ("provider", "topic")
    timeline, no_timeline = topic_timeline(seeds_kg), topic_timeline(empty)
    assert no_timeline.columns.name == timeline.columns.name == "topic"
    assert no_timeline.columns.dtype == timeline.columns.dtype


def test_a_graph_shows_its_counts_as_a_person_writes_them(seeds_kg):
    """'1 articles (1 stubs), 1 providers, 0 topics' for a part of one article."""
    stub = next(a for a in seeds_kg.articles.values() if a.is_stub and a.provider_id)
    assert repr(seeds_kg.subgraph([stub.id])) == "<KnowledgeGraph: 1 article (1 stub), 1 provider, 0 topics>"
    n = len(seeds_kg.articles)
    assert repr(seeds_kg).startswith(f"<KnowledgeGraph: {n:,} articles (")
