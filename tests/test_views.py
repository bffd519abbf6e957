"""The full view's limit for very large graphs (graph.views.full_view)."""

from __future__ import annotations

from graph.views import MAX_ARTICLES, full_view


def test_full_view_keeps_the_most_connected_articles(corpus_kg):
    limit = 500
    v = full_view(corpus_kg, max_articles=limit)
    # independently: degrees from networkx, ties broken by id
    g = corpus_kg.nx
    articles = [n for n, d in g.nodes(data=True) if d["kind"] == "article"]
    expected = set(sorted(articles, key=lambda n: (-g.degree(n), n))[:limit])
    assert {n for n, d in v.nodes.items() if d["kind"] == "article"} == expected
    assert sum(d["kind"] != "article" for d in v.nodes.values()) == len(corpus_kg.providers) + len(corpus_kg.topics)
    kept = expected | set(corpus_kg.providers) | set(corpus_kg.topics)
    assert sorted(e[:3] for e in v.edges) == sorted((s, d, k) for s, d, k in g.edges(keys=True)
                                                   if s in kept and d in kept)
    assert f"{limit:,} of {len(corpus_kg.articles):,} articles" in v.title


def test_full_view_draws_everything_below_the_limit(corpus_kg):
    assert len(corpus_kg.articles) < MAX_ARTICLES
    v = full_view(corpus_kg)
    assert len(v.nodes) == corpus_kg.nx.number_of_nodes()
    assert len(v.edges) == corpus_kg.nx.number_of_edges()
    assert " of " not in v.title.split(" articles")[0]
