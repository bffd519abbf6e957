"""The full view's limit for very large graphs (graph.views.full_view)."""

from __future__ import annotations

import graph
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


def test_ego_views_are_whole_when_the_full_view_is_capped(seeds_kg, monkeypatch):
    import networkx as nx

    from graph import views

    monkeypatch.setattr(views.full_view, "__defaults__", (2,))  # as if the corpus had 10,000 times more
    undirected = nx.Graph(seeds_kg.nx)
    capped = {i for i, n in views.full_view(seeds_kg).nodes.items() if n["kind"] == "article"}
    article = next(a for a in sorted(seeds_kg.articles.values(), key=lambda a: a.id)
                   if a.id not in capped and not a.is_stub)
    for centre, kwargs in ((article.id, {"article": article.url}),):
        view = views.ego_view(seeds_kg, depth=1, **kwargs)
        assert set(view.nodes) == set(nx.ego_graph(undirected, centre, radius=1))  # networkx, independently
    topic = max(seeds_kg.topics.values(), key=lambda t: (undirected.degree(t.id), t.id))
    view = views.ego_view(seeds_kg, topic=topic.label, depth=1)
    assert set(view.nodes) == set(nx.ego_graph(undirected, topic.id, radius=1))


def test_a_date_out_of_range_in_utc_is_shown_as_its_own_day(tmp_path):
    import graph
    from graph.views import full_view

    (tmp_path / "a.md").write_text("---\ntitle: t\nwebUrl: https://a.example.com/x\n"
                                   "publishedDateTime: 9999-12-31T23:59:59-05:00\n---\n")
    (tmp_path / "b.md").write_text("---\ntitle: t\nwebUrl: https://a.example.com/y\n"
                                   "publishedDateTime: 0001-01-01T00:00:00+05:00\n---\n")
    kg = graph.build([tmp_path])
    dates = {n["link"]: n.get("date") for n in full_view(kg).nodes.values() if n["kind"] == "article"}
    assert dates["https://a.example.com/x"] == "9999-12-31"
    # ISO 8601's four digits (strftime gave "1-01-01" here, which sorted after every other date as text)
    assert dates["https://a.example.com/y"] == "0001-01-01"
    assert sorted(dates.values()) == ["0001-01-01", "9999-12-31"]


def test_an_ego_view_takes_an_article_id_as_the_frames_give_it(seeds_kg):
    import pytest

    from graph.frames import articles_frame
    from graph.views import ViewError, ego_view

    frame = articles_frame(seeds_kg)
    article_id = frame.index[frame["related"].argmax()]  # the article with the most related links
    by_id = ego_view(seeds_kg, article=article_id, depth=1)
    by_url = ego_view(seeds_kg, article=frame.loc[article_id, "url"], depth=1)
    assert by_id.centre == by_url.centre == article_id
    assert set(by_id.nodes) == set(by_url.nodes) == {article_id, *seeds_kg.nx.successors(article_id),
                                                     *seeds_kg.nx.predecessors(article_id)}
    # arguments it cannot take: ValueErrors and TypeErrors, as the rest of the API raises
    # (ViewError, neither, is for a centre the graph does not have)
    for depth in (1.5, -1, True, "2"):
        with pytest.raises(ValueError, match="depth must be a whole number") as info:
            ego_view(seeds_kg, article=article_id, depth=depth)
        assert isinstance(info.value, graph.InvalidArgumentError)
    for limit in (-1, 2.5):
        with pytest.raises(graph.InvalidArgumentError, match="max_articles must be a whole number"):
            full_view(seeds_kg, max_articles=limit)
    with pytest.raises(graph.InvalidArgumentError, match="give exactly one of topic, provider or article"):
        ego_view(seeds_kg, article=article_id, topic="x")
    with pytest.raises(TypeError, match="topic must be text") as info:
        ego_view(seeds_kg, topic=5)
    assert isinstance(info.value, graph.ArgumentTypeError)
    with pytest.raises(ViewError, match="no topic 'nothing like it' in the graph"):
        ego_view(seeds_kg, topic="nothing like it")


def test_a_centre_not_found_suggests_names_close_to_it(seeds_kg):
    """A misspelt topic or provider is answered with the graph's closest names,
    found here by a second method: every label, name and domain scored with
    SequenceMatcher, case aside, those scoring 0.7 or more, best first."""
    from difflib import SequenceMatcher

    import pytest

    from graph.views import ViewError, ego_view

    def closest(given, names):
        # best first; a tie, the later name in code point order first (as difflib.get_close_matches)
        scored = sorted(((SequenceMatcher(None, given.casefold(), n.casefold()).ratio(), n.casefold(), n)
                         for n in {n.casefold(): n for n in reversed(names)}.values()), reverse=True)
        return [n for score, _, n in scored if score >= 0.7][:3]

    topic = max((t.label for t in seeds_kg.topics.values()), key=len)
    misspelt = topic[:-1]  # its last letter lost
    expected = closest(misspelt, [t.label for t in seeds_kg.topics.values()])
    assert topic in expected
    with pytest.raises(ViewError) as info:
        ego_view(seeds_kg, topic=misspelt)
    said = str(info.value)
    assert said.startswith(f"no topic {misspelt!r} in the graph; did you mean ")
    assert [part.strip(" '?") for part in said.split("did you mean ")[1].replace(" or ", ", ").split(", ")] == expected
    provider = max(seeds_kg.providers.values(), key=lambda p: len(p.domain))
    typo = provider.domain[1:]  # its first letter lost
    names = [x for p in seeds_kg.providers.values() for x in (p.domain, p.name)]
    with pytest.raises(ViewError) as info:
        ego_view(seeds_kg, provider=typo)
    said = str(info.value)
    assert [part.strip(" '?") for part in said.split("did you mean ")[1].replace(" or ", ", ").split(", ")] \
        == closest(typo, names)
    with pytest.raises(ViewError) as info:
        ego_view(seeds_kg, topic="qqqqqqqqqq")
    assert "did you mean" not in str(info.value)


def test_look_alike_domains_are_shown_as_the_reference_drawing_shows_them(corpus_kg):
    """graph.views.shown_domain against the reference drawing's own version (Unicode
    blocks by code point, the standard library's punycode codec), over every domain of
    the real corpus and a set of look-alikes and honest non-Latin domains."""
    from reference_drawing import _shown_domain

    from graph.views import shown_domain

    crafted = ["\u0430pple.com", "\u0430\u0440\u0440\u04cf\u0435.com", "p\u0430yp\u0430l.com", "mix\u03b5d.org",
               "\u0430\u0440\u0440\u04cf\u04351.com", "\u0455\u0441\u043e\u0440\u0435-2.com", "b\u00fccher.example", "\u044f\u043d\u0434\u0435\u043a\u0441.\u0440\u0444", "\u4f8b\u3048.jp",
               "\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3\u03bc\u03b1.\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae"]
    # look-alikes the page showed in Unicode (found by the page's security review): Latin
    # with Armenian, an IPA g, small capitals, a dotless i, Greek and Cherokee drawn as Latin
    lookalikes = ["g\u0585\u0585gle.com", "\u0261oogle.com", "g\u1d0f\u1d0fgle.com", "g\u0131thub.com",
                  "\u03bf\u03bf\u03bf.com", "\u13aa\u13b3\u13a1.com"]
    honest = ["stra\u00dfe.de", "s\u00f8ren.dk", "\ud55c\uad6d.kr", "\u4f8b\u3048\u3070.\u30c6\u30b9\u30c8",
              "m\u00fcnchen.de", "\u0645\u062b\u0627\u0644.com"]
    domains = [p.domain for p in corpus_kg.providers.values()] + crafted + lookalikes + honest
    assert [shown_domain(d) for d in domains] == [_shown_domain(d) for d in domains]
    changed = {d for d in domains if shown_domain(d) != d}
    # the look-alikes only: no real provider's domain is rewritten, nor an honest one
    assert changed == set(crafted[:6]) | set(lookalikes)


def test_an_unknown_article_id_is_said_to_be_an_id_not_a_bad_url(seeds_kg):
    """An article id that is in no graph was read as a URL: "not an article URL:
    'article/0000000000000000': not an absolute http(s) URL: 'article/0000000000000000'"."""
    import pytest

    from graph.views import ViewError, ego_view

    missing = "article/0000000000000000"
    assert missing not in seeds_kg.articles
    with pytest.raises(ViewError) as info:
        ego_view(seeds_kg, article=missing)
    assert str(info.value) == f"no article with id '{missing}' in the graph"
    with pytest.raises(ViewError) as info:
        ego_view(seeds_kg, article="no-scheme.example/a")
    assert str(info.value).startswith("not an article id (article/...) or URL: ")
    with pytest.raises(ViewError, match="no article with URL 'https://example.com/nope' in the graph"):
        ego_view(seeds_kg, article="https://example.com/nope")


def test_arguments_checked_before_the_work_that_would_trip_on_them(seeds_kg, tmp_path):
    """Each raised a bare error from deep inside: a seed too large for the page's JSON
    (orjson's TypeError) or given as text (layout's "can only concatenate str"), a
    progress that is no function ("'int' object is not callable"), ids given as bytes
    (their numbers taken for ids: "not an article of this graph: 101")."""
    import pytest

    from graph.export.html import render_html

    for seed in (2**70, "x", True, 1.5):
        with pytest.raises(graph.InvalidArgumentError, match="seed must be a whole number"):
            render_html(seeds_kg, seed=seed)
    assert render_html(graph.build(["seeds/000_661d67e696f09288.txt"]), seed=-3).startswith("<!DOCTYPE html>")
    with pytest.raises(graph.ArgumentTypeError, match="progress must be a function or None, not 5"):
        graph.build(["seeds/000_661d67e696f09288.txt"], progress=5)
    article = sorted(seeds_kg.articles)[0]
    with pytest.raises(graph.ArgumentTypeError, match="not bytes"):
        seeds_kg.subgraph(article.encode())
    assert list(seeds_kg.subgraph(article).articles) == [article]
