"""Reloading a previous build from its exports (graph.load).

The round trip is checked on the real corpus: every entity equal, the same
nodes, edges and attributes in networkx, the same report. Broken exports are
the crafted files under tests/data/load/.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS_DIR

import graph
from graph.errors import LoadError, NewsgraphError
from graph.export import write_exports
from graph.reload import load, load_report

BROKEN = Path(__file__).parent / "data" / "load"


@pytest.fixture(scope="module")
def corpus_exports(corpus_kg, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus-json")
    write_exports(corpus_kg, folder, ["json", "report"])
    return folder


@pytest.fixture(scope="module")
def reloaded(corpus_exports):
    return load(corpus_exports)


def test_round_trip_gives_equal_entities(corpus_kg, reloaded):
    assert reloaded.articles == corpus_kg.articles
    assert reloaded.providers == corpus_kg.providers
    assert reloaded.topics == corpus_kg.topics
    assert list(reloaded.articles) == list(corpus_kg.articles)
    assert list(reloaded.edges()) == list(corpus_kg.edges())


def test_round_trip_gives_the_same_networkx_graph(corpus_kg, reloaded):
    before, after = corpus_kg.nx, reloaded.nx
    assert list(after.nodes(data=True)) == list(before.nodes(data=True))
    assert list(after.edges(keys=True, data=True)) == list(before.edges(keys=True, data=True))
    # The seed document, through its AMP alias: a date-time, lists, images.
    seed = reloaded.article_by_url("https://www.wired.com/story/baltimore-ban-facial-recognition-everyone-but-cops/amp")
    attrs = reloaded.nx.nodes[seed.id]
    assert attrs == corpus_kg.nx.nodes[seed.id]
    assert attrs["published"].tzinfo is not None and attrs["images"] and not attrs["stub"]
    assert len(seed.related_ids) == 2


def test_one_schema_names_every_field_of_every_entity_once():
    """graph.builder.NODE_ATTRIBUTES is what the attributes are written from and read
    back by: a field missing from it would be lost in graph.json without an error.
    Expected: the dataclasses' own fields (but the id, and an article's related ids,
    which are its edges)."""
    import dataclasses

    from graph.builder import NODE_ATTRIBUTES, REQUIRED_NODE_ATTRIBUTES
    from graph.model import Article, Provider, Topic

    for kind, cls, not_attributes in (("article", Article, {"id", "related_ids"}),
                                      ("provider", Provider, {"id"}), ("topic", Topic, {"id"})):
        fields = [f for _, f, _ in NODE_ATTRIBUTES[kind]]
        assert sorted(fields) == sorted(f.name for f in dataclasses.fields(cls) if f.name not in not_attributes)
        names = [n for n, _, _ in NODE_ATTRIBUTES[kind]]
        assert len(set(names)) == len(names) and not {"kind", "id"} & set(names)
        assert set(REQUIRED_NODE_ATTRIBUTES[kind]) <= set(names)


@pytest.mark.parametrize("kind, name", [("article", "url"), ("article", "stub"), ("provider", "domain"),
                                        ("provider", "name"), ("topic", "key"), ("topic", "label")])
def test_a_node_without_a_required_attribute_is_refused_naming_it(seeds_kg, tmp_path, kind, name):
    import json

    write_exports(seeds_kg, tmp_path, ["json"])
    data = json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))
    node = next(n for n in data["nodes"] if n["kind"] == kind)
    del node[name]
    (tmp_path / "graph.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LoadError, match=f"lacks the field '{name}'"):
        load(tmp_path)
    # an optional one is only missing: None, or an empty list
    node[name] = "x" if name != "stub" else False
    optional = next(n for n, _, held in graph.builder.NODE_ATTRIBUTES[kind] if held == "list")
    del node[optional]
    (tmp_path / "graph.json").write_text(json.dumps(data), encoding="utf-8")
    back = load(tmp_path)
    field = next(f for n, f, _ in graph.builder.NODE_ATTRIBUTES[kind] if n == optional)
    entity = {"article": back.articles, "provider": back.providers, "topic": back.topics}[kind][node["id"]]
    assert getattr(entity, field) == ()


@pytest.mark.parametrize("kind, name, value", [
    ("article", "stub", "no"),  # a string where a flag belongs: true, and the counts broke
    ("article", "topics", "topic/ai"),  # read as its letters: topics 't', 'o', 'p'...
    ("article", "quality", True), ("article", "quality", "5"), ("article", "title", 5),
    ("article", "files", [1]), ("article", "images", ["https://e.example/a.jpg"]),
    ("provider", "alt_names", "PR Newswire"), ("topic", "keywords", [None]), ("topic", "label", ["x"]),
    # these were loaded (written into the RDF as schema:width "big"), or failed with Python's
    # own message naming neither node nor field, or in an AttributeError from the RDF writer
    ("article", "published", 20210618), ("article", "published", "junk"),
    ("article", "images", [{"href": "https://e.example/a.jpg"}]), ("article", "images", [{"url": 5}]),
    ("article", "images", [{"url": "https://e.example/a.jpg", "width": "big"}]),
    ("provider", "images", [{"url": "https://e.example/a.jpg", "height": 1.5}]),
    ("provider", "images", [{"url": "https://e.example/a.jpg", "width": True}]),
])
def test_a_value_of_a_kind_its_field_does_not_hold_is_refused_naming_node_and_field(seeds_kg, tmp_path, kind, name,
                                                                                     value):
    import json

    write_exports(seeds_kg, tmp_path, ["json"])
    data = json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))
    node = next(n for n in data["nodes"] if n["kind"] == kind)
    node[name] = value
    (tmp_path / "graph.json").write_text(json.dumps(data), encoding="utf-8")
    message = _error(tmp_path)
    assert message.startswith(f"{tmp_path / 'graph.json'}: node {node['id']!r}: {name} ") and \
        message.endswith("; the file is corrupt"), message


@pytest.mark.parametrize("path", [None, 5, b"exports"])
def test_a_path_of_another_kind_is_an_argument_type_error(path):
    with pytest.raises(graph.ArgumentTypeError, match="^path must be an exports folder or its graph.json"):
        load(path)
    with pytest.raises(TypeError, match="^path must be a report.json"):
        load_report(path)


def test_round_trip_keeps_the_report(corpus_kg, reloaded):
    assert reloaded.report.as_dict() == corpus_kg.report.as_dict()
    assert reloaded.report.summary() == corpus_kg.report.summary()


def test_reloaded_graph_exports_the_same_bytes(reloaded, corpus_exports, tmp_path):
    write_exports(reloaded, tmp_path, ["json", "report"])
    for name in ("graph.json", "report.json"):
        assert (tmp_path / name).read_bytes() == (corpus_exports / name).read_bytes(), name


def test_load_accepts_the_file_itself_and_works_without_report(seeds_kg, tmp_path):
    write_exports(seeds_kg, tmp_path, ["json"])
    kg = load(tmp_path / "graph.json")
    assert kg.articles == seeds_kg.articles
    r = kg.report
    assert (r.articles, r.articles_stub, r.providers, r.topics, r.edges) == (
        seeds_kg.report.articles, seeds_kg.report.articles_stub, seeds_kg.report.providers,
        seeds_kg.report.topics, seeds_kg.report.edges)
    assert graph.load is load


def _error(path) -> str:
    with pytest.raises(LoadError) as info:
        load(path)
    assert isinstance(info.value, NewsgraphError)
    return str(info.value)


def test_missing_export_names_the_file(tmp_path):
    message = _error(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere" / "graph.json") in message and "no such file" in message


def test_an_rdf_export_is_refused_with_what_to_give_instead(seeds_kg, tmp_path):
    from graph.export import write_exports

    write_exports(seeds_kg, tmp_path, ["nt", "jsonld"])
    for name in ("graph.nt", "graph.jsonld"):
        message = _error(tmp_path / name)  # it said "graph.nt/graph.json: cannot read: Not a directory"
        assert message.startswith(f"{tmp_path / name}: expected an exports folder or its graph.json"), message


def test_truncated_file_names_file_and_line():
    message = _error(BROKEN / "truncated")
    assert re.search(re.escape(str(BROKEN / "truncated" / "graph.json")) + r":4: not valid JSON", message), message


def test_not_a_newsgraph_file():
    message = _error(BROKEN / "not-newsgraph")
    assert "graph.json" in message and "not a newsgraph node-link graph" in message


def test_node_without_kind():
    message = _error(BROKEN / "missing-field")
    assert "missing-field/graph.json" in message and "'kind'" in message


def test_edge_to_unknown_node():
    message = _error(BROKEN / "unknown-node")
    assert "unknown-node/graph.json" in message and "names a node that is not in the file" in message


def test_corrupt_report_names_the_report():
    message = _error(BROKEN / "bad-report")
    assert "bad-report/report.json" in message and "not valid JSON" in message


def test_other_files_under_the_name(tmp_path, seeds_kg):
    write_exports(seeds_kg, tmp_path, ["graphml"])
    shutil.copy(tmp_path / "graph.graphml", tmp_path / "graph.json")
    assert "not valid JSON" in _error(tmp_path)
    (tmp_path / "graph.json").write_bytes(b"\xff\xfe{}")
    assert "not UTF-8" in _error(tmp_path)
    (tmp_path / "graph.json").write_text("[1, 2]")
    assert "not a newsgraph node-link graph" in _error(tmp_path)


def test_report_from_another_build(seeds_kg, tmp_path):
    write_exports(seeds_kg, tmp_path, ["json", "report"])
    small = graph.build([Path(__file__).parent / "data" / "formats"])
    write_exports(small, tmp_path, ["json"])  # graph.json replaced, report.json stale
    message = _error(tmp_path)
    assert "report.json" in message and "different build" in message


def test_a_report_from_another_build_with_the_same_counts_is_refused(tmp_path):
    """A build writing graph.json only, after a file was added that it rejects: the
    counts of the graph are the same, the report left beside it is not this build's."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.md").write_text("---\ntitle: A\nwebUrl: https://e.example/a\n---\n", encoding="utf-8")
    out = tmp_path / "out"
    write_exports(graph.build([corpus]), out, ["json", "report"])
    assert load(out).report.rejected == []
    (corpus / "bad.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    again = graph.build([corpus])
    assert [r["path"] for r in again.report.rejected] == [str(corpus / "bad.md")]
    write_exports(again, out, ["json"])
    message = _error(out)
    assert message.startswith(f"{out / 'report.json'}: does not describe {out / 'graph.json'} (a different build")
    write_exports(again, out, ["report"])  # the two files of one build again
    assert load(out).report == again.report
    # a graph.json of an older version, without the digest: the counts only, as before
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    del data["graph"]["report"]
    (out / "graph.json").write_text(json.dumps(data), encoding="utf-8")
    assert load(out).report == again.report


def test_load_report_rejects_other_json(tmp_path):
    (tmp_path / "report.json").write_text('{"nodes": []}')
    with pytest.raises(LoadError, match="not a newsgraph build report"):
        load_report(tmp_path / "report.json")


def test_empty_build_round_trips_and_analyses_to_empty_results(tmp_path):
    from graph import analysis

    (tmp_path / "no-articles").mkdir()
    kg = graph.build([tmp_path / "no-articles"])
    write_exports(kg, tmp_path / "out", ["json", "report", "graphml", "gexf", "neo4j"])
    again = load(tmp_path / "out")
    assert again.articles == {} and again.nx.number_of_nodes() == 0
    for result in (analysis.top_articles(again), analysis.top_providers(again), analysis.communities(again),
                   analysis.topic_timeline(again), analysis.provider_topic_matrix(again),
                   analysis.missing_stubs(again)):
        assert result.empty
    # no rows, and the header any corpus has (the columns of the data model, typed)
    write_exports(graph.build(["seeds/"]), tmp_path / "seeds", ["neo4j"])
    seeds_header = (tmp_path / "seeds" / "neo4j" / "articles.csv").read_text().splitlines()[0]
    assert (tmp_path / "out" / "neo4j" / "articles.csv").read_text() == seeds_header + "\n"


def test_without_report_json_the_report_has_what_the_graph_tells_and_says_so(corpus_kg, tmp_path):
    """The article files and the duplicates merged, as the build counted them
    while reading (18 articles of the corpus have several files); the summary
    says what only report.json knows, instead of 'files: 0'."""
    write_exports(corpus_kg, tmp_path, ["json"])
    r = load(tmp_path).report
    assert r.article_files == corpus_kg.report.article_files > 3000
    assert r.duplicates_merged == corpus_kg.report.duplicates_merged and len(r.duplicates_merged) > 10
    first, *rest = r.summary().splitlines()
    assert first == (f"files: {corpus_kg.report.article_files:,} article files (a graph without its build's report: "
                     "the catalogue, skipped and rejected files and the warnings are not known here)")
    assert rest[-1] == f"duplicates merged: {len(corpus_kg.report.duplicates_merged)}"
    assert "graph_only" not in corpus_kg.report.to_json() and not corpus_kg.report.graph_only


def test_a_part_of_the_graph_exports_and_loads_back_and_a_broken_one_is_refused(corpus_kg, tmp_path):
    """kg.subgraph keeps the chosen articles, their providers and topics and
    the related links among them; a KnowledgeGraph put together by hand with
    links to articles left out is refused by write_exports, where it used to
    write a graph.json that load called corrupt."""
    from graph import KnowledgeGraph
    from graph.errors import ExportError

    chosen = {a.id for a in corpus_kg.articles.values() if "topic/security" in a.topic_ids}
    part = corpus_kg.subgraph(chosen)
    assert set(part.articles) == chosen
    # independently: the networkx subgraph induced by the chosen articles and what they point at
    induced = corpus_kg.nx.subgraph(chosen | {t for a in chosen for t in corpus_kg.nx.successors(a)
                                                if not t.startswith("article/")})
    assert set(part.nx.nodes) == set(induced.nodes)
    assert sorted(part.nx.edges(keys=True)) == sorted(induced.edges(keys=True))
    write_exports(part, tmp_path / "part", ["json"])
    back = load(tmp_path / "part")
    assert back.articles == part.articles and back.report.articles == len(chosen)
    with pytest.raises(KeyError, match="not an article of this graph: 'article/nope'"):
        corpus_kg.subgraph(["article/nope"])
    one = sorted(chosen)[0]
    assert list(corpus_kg.subgraph(one).articles) == [one]  # an id, not its letters

    by_hand = KnowledgeGraph({i: corpus_kg.articles[i] for i in sorted(chosen)}, corpus_kg.providers, corpus_kg.topics)
    assert by_hand.dangling() is not None
    with pytest.raises(ExportError, match="related edge to article/.*, which is not in the graph"):
        write_exports(by_hand, tmp_path / "broken", ["json"])
    assert not (tmp_path / "broken" / "graph.json").exists()


def test_a_report_shows_as_one_line(corpus_kg):
    """Typed in Jupyter, the dataclass's own repr printed every warning and file (18 KB)."""
    shown = repr(corpus_kg.report)
    assert "\n" not in shown and len(shown) < 200
    assert f"{corpus_kg.report.articles:,} articles" in shown and f"{len(corpus_kg.report.skipped):,} skipped" in shown


@pytest.mark.parametrize("name, text", [
    ("graph.json", "[" * 100_000 + "]" * 100_000),
    ("graph.json", '{"nodes": [], "edges": [], "graph": {"format": ' + "9" * 5000 + "}}"),
    ("report.json", '{"articles": ' + "9" * 5000 + "}"),
    ("report.json", '{"articles": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
])
def test_json_too_deep_or_with_too_long_a_number_is_a_load_error_naming_the_file(seeds_kg, tmp_path, name, text):
    """json.loads raised RecursionError and ValueError (4,300 digits), not LoadError."""
    write_exports(seeds_kg, tmp_path, ["json", "report"])
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(LoadError, match=re.escape(str(tmp_path / name))):
        load(tmp_path)


def test_loading_a_folder_of_articles_says_to_build_it(tmp_path):
    """graph.load("seeds") said only "seeds/graph.json: no such file": a folder
    holding article files (here, or one folder down) is told apart from one
    holding nothing, and the message says what reads articles."""
    seed = next(SEEDS_DIR.glob("*.txt"))
    articles = tmp_path / "articles" / "2021"
    articles.mkdir(parents=True)
    shutil.copy(seed, articles / "a.txt")
    for folder in (tmp_path / "articles", articles):
        with pytest.raises(LoadError) as info:
            graph.load(folder)
        assert str(info.value) == (f"{folder}: no graph.json here but article files (.md, .txt): "
                                   f"graph.build({str(folder)!r}) reads articles; graph.load reads the exports "
                                   f"that `newsgraph build {folder}` writes")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="graph.json: no such file"):
        graph.load(tmp_path / "empty")
    (tmp_path / "deep" / "a" / "b").mkdir(parents=True)  # two folders down: not looked for
    shutil.copy(seed, tmp_path / "deep" / "a" / "b" / "a.md")
    with pytest.raises(LoadError, match="graph.json: no such file"):
        graph.load(tmp_path / "deep")


def test_a_report_that_counts_other_edges_names_them(seeds_kg, tmp_path):
    """A graph.json whose related edges are not those its report counts was refused with
    "(a different build: 1465 vs 1465 articles)": the counts that differ are named."""
    write_exports(seeds_kg, tmp_path, ["json", "report"])
    data = json.loads((tmp_path / "graph.json").read_text(encoding="utf-8"))
    related = [e for e in data["edges"] if e["kind"] == "related"]
    data["edges"] = [e for e in data["edges"] if e is not related[0]]  # one related edge fewer
    (tmp_path / "graph.json").write_text(json.dumps(data), encoding="utf-8")
    n = seeds_kg.report.edges["related"]
    message = _error(tmp_path)
    assert f"the report counts {n:,} vs {n - 1:,} related edges in the graph" in message, message
    assert "articles" not in message.split("(a different build")[1].split(")")[0], message


def test_replaced_articles_export_and_load_back(tmp_path):
    """replace_articles left the report's counts as they were: exports written after a
    change of related articles were refused by graph.load (the report counted the old
    edges). Arguments that are not articles of the graph are refused."""
    import dataclasses

    from graph.errors import ArgumentTypeError, UnknownIdError

    kg = graph.build(["seeds/"])
    a = next(a for a in sorted(kg.articles.values(), key=lambda a: a.id) if len(a.related_ids) > 2)
    kg.replace_articles([dataclasses.replace(a, related_ids=a.related_ids[:1])])
    related = sum(1 for _, _, kind in kg.nx.edges(keys=True) if kind == "related")  # counted by networkx
    assert kg.report.edges["related"] == related
    write_exports(kg, tmp_path, ["json", "report"])
    back = load(tmp_path)
    assert back.articles == kg.articles and back.report.edges == kg.report.edges
    for wrong in ([1], None, "article/x", a):
        with pytest.raises(ArgumentTypeError):
            kg.replace_articles(wrong)
    with pytest.raises(UnknownIdError, match="article/nope"):
        kg.replace_articles([dataclasses.replace(a, id="article/nope")])
    assert "article/nope" not in kg.articles


def test_a_parts_report_says_what_it_does_not_know_after_a_round_trip(seeds_kg, tmp_path):
    """A part's report (kg.subgraph) says the skipped and rejected files and the warnings
    are not known; written and read back, it stated zeros of them as facts."""
    part = seeds_kg.subgraph(sorted(seeds_kg.articles)[:50])
    assert part.report.graph_only
    write_exports(part, tmp_path / "part", ["json", "report"])
    back = load(tmp_path / "part")
    assert back.report.graph_only and back.report.summary() == part.report.summary()
    assert "not known here" in back.report.summary()
    write_exports(seeds_kg, tmp_path / "all", ["report"])  # a build's report: as it always was
    assert "graph_only" not in json.loads((tmp_path / "all" / "report.json").read_text(encoding="utf-8"))
