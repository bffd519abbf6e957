"""DataFrames of the graph (graph.frames) and projections (graph.projections).

Expectations are computed a second way: from the entity dataclasses
(``kg.articles`` & co.) rather than the networkx graph the frames read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import combinations

import networkx as nx
import pandas as pd
import pytest

import graph
from conftest import SEEDS_DIR
from graph import analysis
from graph.frames import DateOutOfRangeWarning, articles_frame, as_nx, edges_frame, providers_frame, to_utc, topics_frame
from graph.projections import provider_graph, related_graph, topic_graph


@pytest.fixture(scope="module")
def corpus_frames(corpus_kg):
    return {"articles": articles_frame(corpus_kg), "providers": providers_frame(corpus_kg),
            "topics": topics_frame(corpus_kg), "edges": edges_frame(corpus_kg)}


def test_article_frame_rows_and_types(corpus_kg, corpus_frames):
    df = corpus_frames["articles"]
    assert list(df.index) == sorted(corpus_kg.articles)
    assert df.index.is_unique
    assert str(df["published"].dtype) == "datetime64[us, UTC]"
    assert str(df["quality"].dtype) == "Int64" and str(df["heat"].dtype) == "Int64"
    assert df["stub"].dtype == bool and str(df["is_published"].dtype) == "boolean"
    assert str(df["title"].dtype) == "string"
    assert int(df["stub"].sum()) == sum(a.is_stub for a in corpus_kg.articles.values())
    # Stubs are what the corpus cites but does not hold.
    assert int((~df["stub"]).sum()) == corpus_kg.report.articles_full


def test_article_frame_values_match_dataclasses(corpus_kg, corpus_frames):
    df = corpus_frames["articles"]
    cited = Counter(r for a in corpus_kg.articles.values() for r in a.related_ids)
    for art in list(corpus_kg.articles.values())[::37]:
        row = df.loc[art.id]
        assert row["title"] == art.title and row["url"] == art.url
        assert (row["excerpt"], row["web_url"]) == (art.excerpt if art.excerpt else pd.NA,
                                                    art.web_url if art.web_url else pd.NA)
        assert (None if pd.isna(row["original_url"]) else row["original_url"]) == art.original_url
        assert row["provider"] == art.provider_id
        assert row["provider_name"] == corpus_kg.providers[art.provider_id].name
        if art.published is None:
            assert pd.isna(row["published"])
        else:
            expected = art.published if isinstance(art.published, dt.datetime) else \
                dt.datetime.combine(art.published, dt.time(), dt.timezone.utc)
            assert row["published"].to_pydatetime() == expected
        assert (pd.isna(row["quality"]) and art.quality is None) or row["quality"] == art.quality
        assert row["topics"] == [corpus_kg.topics[t].label for t in art.topic_ids]
        assert row["related"] == len(art.related_ids)
        assert row["cited_by"] == cited[art.id]
        assert row["files"] == len(art.files)


def test_provider_and_topic_frames(corpus_kg, corpus_frames):
    prov, top = corpus_frames["providers"], corpus_frames["topics"]
    per_provider = Counter(a.provider_id for a in corpus_kg.articles.values())
    full_per_provider = Counter(a.provider_id for a in corpus_kg.articles.values() if not a.is_stub)
    assert list(prov.index) == sorted(corpus_kg.providers)
    assert prov["articles"].to_dict() == {p: per_provider[p] for p in corpus_kg.providers}
    assert prov["full_articles"].to_dict() == {p: full_per_provider[p] for p in corpus_kg.providers}
    assert prov.loc["provider/microsoft.com", "name"] == "Microsoft"
    per_topic = Counter(t for a in corpus_kg.articles.values() for t in a.topic_ids)
    assert top["articles"].to_dict() == {t: per_topic[t] for t in corpus_kg.topics}
    assert top["label"].to_dict() == {t: x.label for t, x in corpus_kg.topics.items()}


def test_edges_frame(corpus_kg, corpus_frames):
    edges = corpus_frames["edges"]
    assert len(edges) == sum(corpus_kg.report.edges.values())
    assert edges["kind"].value_counts().to_dict() == corpus_kg.report.edges
    assert set(edges.loc[edges["kind"] == "published_by", "target_kind"]) == {"provider"}
    assert set(edges.loc[edges["kind"] == "related", "target_kind"]) == {"article"}
    assert list(zip(edges["source"], edges["target"], edges["kind"])) == list(corpus_kg.edges())


def test_frames_accept_the_networkx_graph(seeds_kg):
    pd.testing.assert_frame_equal(articles_frame(seeds_kg.nx), articles_frame(seeds_kg))
    with pytest.raises(TypeError, match="KnowledgeGraph or a networkx graph"):
        as_nx("seeds/")


def test_frames_and_analytics_accept_graph_json_read_by_networkx(tmp_path):
    # The README's way for other tools: networkx.node_link_graph over graph.json. Its dates
    # are ISO text there, and every frame and analysis failed on them (str has no .year).
    import json

    import graph
    from graph import analysis
    from graph.export import write_exports

    kg = graph.build([SEEDS_DIR])
    write_exports(kg, tmp_path, ["json"])
    data = json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))
    assert any(isinstance(n.get("published"), str) for n in data["nodes"])
    read = nx.node_link_graph(data, edges="edges")
    for frame in (articles_frame, providers_frame, topics_frame, edges_frame):
        pd.testing.assert_frame_equal(frame(read), frame(kg))
    pd.testing.assert_frame_equal(analysis.topic_timeline(read), analysis.topic_timeline(kg))
    pd.testing.assert_frame_equal(analysis.top_articles(read), analysis.top_articles(kg))


@pytest.mark.parametrize("fmt, read", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_frames_and_analytics_read_the_graphml_and_gexf_exports_read_by_networkx(seeds_kg, tmp_path, fmt, read):
    """Their lists are JSON text (graph.export.flatten): a graph read back gave each
    article's topics as its characters ('[', '"', 't'...), its files as the length of
    that text, and from GEXF no topic keys (written as topic_key). The frames of the
    graph read back equal those of the graph built, column by column."""
    from graph import analysis
    from graph.export import write_exports

    write_exports(seeds_kg, tmp_path, [fmt])
    back = read(tmp_path / f"graph.{fmt}")
    assert any(isinstance(d.get("topics"), str) for _, d in back.nodes(data=True))
    columns = {"articles": ["title", "topics", "files", "provider", "stub"], "topics": ["key", "label", "articles"],
               "providers": ["name", "domain", "articles"]}
    for name, frame in (("articles", articles_frame), ("topics", topics_frame), ("providers", providers_frame)):
        got, want = frame(back), frame(seeds_kg)
        for column in columns[name]:
            assert got[column].tolist() == want[column].tolist(), (name, column)
    assert [sorted(t) for t in analysis.communities(back)["topics"]] == \
        [sorted(t) for t in analysis.communities(seeds_kg)["topics"]]
    assert all(isinstance(d.get("topics"), str) for _, d in back.nodes(data=True) if "topics" in d)  # left as read
    # the projections too: their nodes' dates were the text the file holds
    from graph import projections

    for project in (projections.related_graph, projections.provider_graph):
        got, want = project(back), project(seeds_kg)
        assert dict(got.nodes(data=True)) == dict(want.nodes(data=True)), project.__name__
    assert any(isinstance(d["published"], dt.datetime) for _, d in projections.related_graph(back).nodes(data=True))


def test_an_undirected_graph_is_refused_not_counted_wrong(seeds_kg):
    """``kg.nx.to_undirected()`` (the usual step before components) gave 0 articles per
    provider and empty timelines: its edges no longer say which end is the article."""
    from graph import analysis

    assert int(providers_frame(seeds_kg)["articles"].sum()) > 0
    for undirected in (seeds_kg.nx.to_undirected(), nx.Graph(seeds_kg.nx)):
        for call in (articles_frame, providers_frame, topics_frame, edges_frame, analysis.topic_timeline,
                     analysis.provider_topic_matrix, analysis.top_articles, topic_graph):
            with pytest.raises(ValueError, match="an undirected graph"):
                call(undirected)


def test_a_reversed_graph_is_refused_not_counted_wrong(seeds_kg):
    """``kg.nx.reverse()`` was taken as built: its articles published by no provider and
    about no topic, so 0 articles per provider and empty timelines, without a word."""
    from graph import analysis

    reversed_ = seeds_kg.nx.reverse()
    assert reversed_.is_directed() and reversed_.number_of_edges() == seeds_kg.nx.number_of_edges()
    for call in (articles_frame, providers_frame, topics_frame, edges_frame, analysis.topic_timeline,
                 analysis.provider_topic_matrix, analysis.top_articles, topic_graph):
        with pytest.raises(ValueError, match="a reversed graph"):
            call(reversed_)
    # reversed twice is the graph as built; a graph of related edges only has no way round to check
    assert int(providers_frame(reversed_.reverse())["articles"].sum()) == len(seeds_kg.articles)
    related_only = seeds_kg.nx.edge_subgraph([e for e in seeds_kg.nx.edges(keys=True) if e[2] == "related"])
    assert len(articles_frame(related_only)) == related_only.number_of_nodes()


def test_empty_graph_gives_empty_typed_frames():
    empty = nx.MultiDiGraph()
    arts = articles_frame(empty)
    assert arts.empty and "published" in arts.columns and str(arts["published"].dtype) == "datetime64[us, UTC]"
    assert providers_frame(empty).empty and topics_frame(empty).empty and edges_frame(empty).empty
    assert related_graph(empty).number_of_nodes() == 0 and topic_graph(empty).number_of_edges() == 0


def test_to_utc_says_what_it_cannot_read():
    """Text that is no date raised datetime's own ValueError, a number or numpy's
    datetime64 an AttributeError (no .year): a hand-made graph's dates crashed the
    frames so. A date-time with a space for its "T" is read, as Python reads it."""
    import numpy as np

    from graph.errors import ArgumentTypeError, InvalidArgumentError

    assert to_utc("2021-06-18 11:00:00") == dt.datetime(2021, 6, 18, 11, tzinfo=dt.timezone.utc)
    assert to_utc("20210618") == dt.datetime(2021, 6, 18, tzinfo=dt.timezone.utc)
    for text in ("18/06/2021", "yesterday", "2021-13-01", ""):
        with pytest.raises(InvalidArgumentError, match="not an ISO 8601 date or date-time"):
            to_utc(text)
    for value in (1623999600, np.datetime64("2021-06-18T11:00"), 2021.5):
        with pytest.raises(ArgumentTypeError, match="expected a date, a date-time or ISO 8601 text"):
            to_utc(value)


def test_article_by_url_of_no_text_is_a_type_error(seeds_kg):
    from graph.errors import ArgumentTypeError, InvalidURLError

    for value in (None, 123, b"https://example.org/a"):
        with pytest.raises(ArgumentTypeError, match="expected a URL"):
            seeds_kg.article_by_url(value)
    with pytest.raises(InvalidURLError):
        seeds_kg.article_by_url("not a url")
    assert seeds_kg.article_by_url("https://nowhere.example/x") is None


def test_to_utc_turns_offsets_into_utc():
    plus_two = dt.datetime(2021, 6, 18, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_utc(plus_two) == dt.datetime(2021, 6, 18, 11, 0, tzinfo=dt.timezone.utc)
    assert to_utc(None) is None


def test_related_projection(corpus_kg):
    directed = related_graph(corpus_kg)
    assert set(directed) == set(corpus_kg.articles)
    expected = {(a.id, r) for a in corpus_kg.articles.values() for r in a.related_ids}
    assert set(directed.edges()) == expected
    undirected = related_graph(corpus_kg, directed=False)
    mutual = sum(1 for s, t in expected if (t, s) in expected) // 2
    assert undirected.number_of_edges() == len(expected) - mutual
    assert sum(w for _, _, w in undirected.edges(data="weight")) == len(expected)


def test_provider_projection(corpus_kg):
    cover = provider_graph(corpus_kg)
    expected: Counter = Counter()
    for a in corpus_kg.articles.values():
        for r in a.related_ids:
            p, q = a.provider_id, corpus_kg.articles[r].provider_id
            if p != q:
                expected[frozenset((p, q))] += 1
    assert set(cover) == set(corpus_kg.providers)
    assert {frozenset((p, q)): w for p, q, w in cover.edges(data="weight")} == dict(expected)


def test_topic_projection(corpus_kg):
    co = topic_graph(corpus_kg)
    expected: Counter = Counter()
    for a in corpus_kg.articles.values():
        expected.update(frozenset(pair) for pair in combinations(sorted(set(a.topic_ids)), 2))
    assert {frozenset((p, q)): w for p, q, w in co.edges(data="weight")} == dict(expected)
    assert co.number_of_edges() > 0


def test_a_date_time_outside_years_1_to_9999_in_utc_is_left_empty_with_a_warning(tmp_path):
    """0001-01-01T00:30+01:00 is in year 0 in UTC, 9999-12-31T23:00-05:00 in
    year 10000: Python's datetime cannot hold them (nor can pandas print
    them). The frames and analyses leave them empty and say so; the exports
    keep them as written. 01:30+01:00 is 00:30 UTC on the first day of year
    1, which fits."""
    dates = {"y1": "0001-01-01T00:30:00+01:00", "y9": "9999-12-31T23:00:00-05:00", "ok": "0001-01-01T01:30:00+01:00"}
    for name, date in dates.items():
        (tmp_path / f"{name}.md").write_text(
            f"---\ntitle: {name}\nwebUrl: https://e.example/{name}\npublishedDateTime: '{date}'\ntopics: [T]\n---\n",
            encoding="utf-8")
    kg = graph.build([tmp_path])
    assert kg.report.warnings == []
    with pytest.warns(DateOutOfRangeWarning, match="^2 dates are outside years 1 to 9999 in UTC"):
        published = articles_frame(kg).set_index("title")["published"]
    assert published.isna().to_dict() == {"ok": False, "y1": True, "y9": True}
    assert published["ok"] == pd.Timestamp("0001-01-01T00:30:00", tz="UTC")
    with pytest.warns(DateOutOfRangeWarning, match="^2 dates"):
        timeline = analysis.topic_timeline(kg)
    assert timeline.to_dict() == {"T": {pd.Period("0001-01", "M"): 1}}
    exports = tmp_path / "out"
    graph.export.write_exports(kg, exports, ["nt"])
    written = (exports / "graph.nt").read_text(encoding="utf-8")
    for date in dates.values():
        assert f'"{date}"^^<http://www.w3.org/2001/XMLSchema#dateTime>' in written


def test_whole_numbers_of_64_bits_are_kept_exactly_beside_missing_ones(tmp_path):
    """quality and heat take any signed 64-bit whole number; a column holding one
    above 2**53 and a missing value went through float64: 2**60 + 1 came out as
    2**60, and 2**63 - 1 could not be cast back at all (pandas' TypeError)."""
    values = {"big": (2**60 + 1, 2**53 + 1), "max": (2**63 - 1, -(2**63)), "none": (None, None)}
    for name, (quality, heat) in values.items():
        fields = "" if quality is None else f"quality: {quality}\nheat: {heat}\n"
        (tmp_path / f"{name}.md").write_text(
            f"---\ntitle: {name}\nwebUrl: https://e.example/{name}\n{fields}---\n", encoding="utf-8")
    kg = graph.build([tmp_path])
    df = articles_frame(kg).set_index("title")
    for name, (quality, heat) in values.items():
        got = df.loc[name, ["quality", "heat"]].tolist()
        if quality is None:
            assert got[0] is pd.NA and got[1] is pd.NA
        else:
            assert got == [quality, heat], name
    assert analysis.top_articles(kg, n=1).index.size == 1  # the analyses read the frame too


def test_a_graph_without_kinds_is_refused_not_read_as_empty(seeds_kg):
    from graph import analysis

    related = related_graph(seeds_kg)
    assert related.number_of_nodes() > 0 and all("kind" not in d for _, d in related.nodes(data=True))
    for call in (articles_frame, providers_frame, analysis.top_articles, analysis.communities, topic_graph):
        with pytest.raises(ValueError, match="this graph's nodes have no 'kind'"):
            call(related)
    assert len(articles_frame(nx.MultiDiGraph())) == 0  # an empty graph is still an empty frame


def test_a_video_item_without_a_web_url_has_its_original_url_in_the_frame(corpus_kg, corpus_frames, corpus_dir):
    """The Power Apps videos have no webUrl: web_url, "the page to open", was empty and
    no column held their address. Expected: each such file's originalUrl, read with
    PyYAML and mapped through canonical_url."""
    import yaml

    from graph.resolve import canonical_url

    df = corpus_frames["articles"]
    single = {a.files[0]: a.id for a in corpus_kg.articles.values() if len(a.files) == 1}
    videos = 0
    for path in sorted(corpus_dir.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("---"):
            continue
        fields = yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---")) or {}
        if not isinstance(fields, dict) or fields.get("webUrl") or not fields.get("originalUrl"):
            continue
        row = df.loc[single[str(path)]]
        assert pd.isna(row["web_url"]) and row["original_url"] == canonical_url(fields["originalUrl"]), path
        videos += 1
    assert videos >= 10


def test_urls_as_published_join_web_url_through_canonical_url(corpus_kg, corpus_frames, corpus_dir):
    """The README's recipe for joining outside data keyed by published URLs: each
    file's webUrl, read here with PyYAML rather than the build's loaders and mapped
    through canonical_url, finds its article's row by web_url (which is canonical:
    it holds no URL as written, so a join on the raw URL missed most rows)."""
    import yaml

    from graph.resolve import canonical_url

    df = corpus_frames["articles"]
    by_web_url = {u: i for i, u in df["web_url"].dropna().items()}
    single = {a.files[0]: a.id for a in corpus_kg.articles.values() if len(a.files) == 1}
    joined = as_written = 0
    for path in sorted((corpus_dir / "azure" / "news").glob("*.md"))[:400]:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---")).get("webUrl")
        shown = str(path)
        if not raw or shown not in single:
            continue
        assert by_web_url.get(canonical_url(raw)) == single[shown], (shown, raw)
        joined += 1
        as_written += raw in by_web_url
    assert joined > 300
    assert as_written < joined  # the URLs as written do not all join: the recipe is needed
