"""Exports for other graph tools: node-link JSON, GraphML, GEXF, neo4j-admin CSV.

Each export of the real corpus is read back with an independent reader
(networkx's GraphML/GEXF readers, pandas, ``json``) and compared with the
in-memory graph: node and edge counts and a sample of attributes. GraphML and
GEXF are also checked for structure with an XML parser (ids unique, every
reference declared, edges between declared nodes, typed values parseable):
no XSD validation, as the official schemas are not available offline.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import filecmp
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

import graph
import graph.export.graphml as graphml_module
import graph.export.neo4j as neo4j_module
from graph.cli import cli
from graph.export import write_exports
from graph.export.flatten import flatten_attributes
from graph.frames import to_utc

FORMATS = ["json", "graphml", "gexf", "neo4j"]
GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"
GEXF_NS = "{http://www.gexf.net/1.2draft}"


@pytest.fixture(scope="module")
def exported(corpus_kg, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus-exports")
    write_exports(corpus_kg, folder, FORMATS + ["report"])
    return folder


def _sample(g: nx.Graph, step: int = 41) -> list:
    """Every step-th node, plus one node of each kind that has the most attributes."""
    nodes = list(g.nodes)[::step]
    for kind in ("article", "provider", "topic"):
        nodes.append(max((n for n, k in g.nodes(data="kind") if k == kind), key=lambda n: len(g.nodes[n])))
    return nodes


# --------------------------------------------------------------------------- node-link JSON

def test_nodelink_reads_back_with_networkx(corpus_kg, exported):
    data = json.loads((exported / "graph.json").read_text(encoding="utf-8"))
    back = nx.node_link_graph(data, edges="edges")
    g = corpus_kg.nx
    assert back.is_multigraph() and back.is_directed()
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), g.number_of_edges())
    assert list(back.edges(keys=True)) == list(g.edges(keys=True))
    for n in _sample(g):
        want = dict(g.nodes[n])
        if want.get("published") is not None:
            # JSON has no date type: ISO 8601 text, which parses back to the same instant.
            assert dt.datetime.fromisoformat(back.nodes[n]["published"]) == to_utc(want["published"])
            want["published"] = back.nodes[n]["published"]
        assert back.nodes[n] == want


def test_json_text_is_what_the_standard_library_writes_compact(corpus_kg):
    """graph.json and the page's data are written by orjson: the same text as
    json.dumps with compact separators, for every character and for the real
    corpus's nodes (dates made ISO 8601 first, as the writer's default does)."""
    from graph.export.flatten import iso_date, to_json
    from graph.export.page_text import json_for_script

    def stdlib(value, **kw):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, **kw)

    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = ["".join(characters[i:i + 4096]) for i in range(0, len(characters), 4096)]
    assert to_json(texts) == stdlib(texts)
    marked = stdlib(texts)
    for raw, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                        ("\u2029", "\\u2029")):
        marked = marked.replace(raw, escape)
    assert json_for_script(texts) == marked
    g = corpus_kg.nx
    nodes = [{"id": n, **g.nodes[n]} for n in g]
    assert all(not isinstance(v, float) for node in nodes for v in node.values())  # no float spellings differ
    plain = [{k: iso_date(v) if isinstance(v, (dt.date, dt.datetime)) else v for k, v in node.items()}
             for node in nodes]
    assert to_json(nodes) == stdlib(plain, sort_keys=True)
    assert to_json({"b": {"y", "x"}, "a": None}) == '{"a":null,"b":["x","y"]}'


# --------------------------------------------------------------------------- GraphML

def test_graphml_reads_back_with_networkx(corpus_kg, exported):
    back = nx.read_graphml(exported / "graph.graphml")
    g = corpus_kg.nx
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), g.number_of_edges())
    assert set(back.edges()) == set(g.edges())
    for n in _sample(g):
        assert back.nodes[n] == flatten_attributes(g.nodes[n])  # CR LF too (written &#13;)
    article = next(n for n in _sample(g) if g.nodes[n]["kind"] == "article" and g.nodes[n].get("topics"))
    assert json.loads(back.nodes[article]["topics"]) == g.nodes[article]["topics"]
    assert isinstance(back.nodes[article]["stub"], bool)
    kinds = {k: sum(1 for *_, x in back.edges(data="kind") if x == k) for k in corpus_kg.report.edges}
    assert kinds == corpus_kg.report.edges


def _check_ids(elements, what: str) -> set[str]:
    ids = [e.get("id") for e in elements]
    assert None not in ids, f"{what} without id"
    assert len(ids) == len(set(ids)), f"duplicate {what} ids"
    return set(ids)


def test_graphml_structure(exported, corpus_kg):
    root = ET.parse(exported / "graph.graphml").getroot()
    assert root.tag == f"{GRAPHML_NS}graphml"
    keys = root.findall(f"{GRAPHML_NS}key")
    key_ids = _check_ids(keys, "key")
    key_for = {k.get("id"): k.get("for") for k in keys}
    key_type = {k.get("id"): k.get("attr.type") for k in keys}
    assert set(key_type.values()) <= {"boolean", "int", "long", "float", "double", "string"}
    (graph_el,) = root.findall(f"{GRAPHML_NS}graph")
    assert graph_el.get("edgedefault") == "directed"
    node_ids = _check_ids(graph_el.findall(f"{GRAPHML_NS}node"), "node")
    edges = graph_el.findall(f"{GRAPHML_NS}edge")
    _check_ids(edges, "edge")
    assert len(node_ids) == corpus_kg.nx.number_of_nodes() and len(edges) == corpus_kg.nx.number_of_edges()
    assert all(e.get("source") in node_ids and e.get("target") in node_ids for e in edges)
    for element in graph_el:
        for data in element.findall(f"{GRAPHML_NS}data"):
            key = data.get("key")
            assert key in key_ids and key_for[key] == element.tag.removeprefix(GRAPHML_NS)
            if key_type[key] == "long":
                int(data.text)
            elif key_type[key] == "boolean":
                assert data.text in ("true", "false")


# --------------------------------------------------------------------------- GEXF

def test_gexf_reads_back_with_networkx(corpus_kg, exported):
    back = nx.read_gexf(exported / "graph.gexf")
    g = corpus_kg.nx
    assert (back.number_of_nodes(), back.number_of_edges()) == (g.number_of_nodes(), g.number_of_edges())
    assert set(back.edges()) == set(g.edges())
    for n in _sample(g):
        want = flatten_attributes(g.nodes[n])
        if "key" in want:
            want["topic_key"] = want.pop("key")
        assert back.nodes[n] == want
    assert {d["kind"] for *_, d in back.edges(data=True)} == set(corpus_kg.report.edges)


def test_gexf_structure(exported, corpus_kg):
    root = ET.parse(exported / "graph.gexf").getroot()
    assert root.tag == f"{GEXF_NS}gexf" and root.get("version") == "1.2"
    (graph_el,) = root.findall(f"{GEXF_NS}graph")
    assert graph_el.get("defaultedgetype") == "directed"
    # the attributes GEXF 1.2draft's schema (the file's xsi:schemaLocation) gives <graph>:
    # networkx's name="" made a validating reader refuse the file
    assert set(graph_el.attrib) <= {"timeformat", "start", "startopen", "end", "endopen", "defaultedgetype",
                                    "idtype", "mode"}, graph_el.attrib
    declared = {}
    for attributes in graph_el.findall(f"{GEXF_NS}attributes"):
        assert attributes.get("class") in ("node", "edge")
        for a in attributes.findall(f"{GEXF_NS}attribute"):
            assert a.get("type") in {"integer", "long", "float", "double", "boolean", "string", "liststring"}
            declared[(attributes.get("class"), a.get("id"))] = a.get("type")
    nodes = graph_el.findall(f"{GEXF_NS}nodes/{GEXF_NS}node")
    edges = graph_el.findall(f"{GEXF_NS}edges/{GEXF_NS}edge")
    node_ids = _check_ids(nodes, "node")
    _check_ids(edges, "edge")
    assert len(nodes) == corpus_kg.nx.number_of_nodes() and len(edges) == corpus_kg.nx.number_of_edges()
    assert all(e.get("source") in node_ids and e.get("target") in node_ids for e in edges)
    assert all(n.get("label") for n in nodes)
    for cls, elements in (("node", nodes), ("edge", edges)):
        for element in elements:
            for value in element.findall(f"{GEXF_NS}attvalues/{GEXF_NS}attvalue"):
                kind = declared[(cls, value.get("for"))]
                if kind == "long":
                    int(value.get("value"))
                elif kind == "boolean":
                    assert value.get("value") in ("true", "false")


# --------------------------------------------------------------------------- neo4j

HEADER_FIELD = re.compile(r"^(id:ID|:LABEL|:START_ID|:END_ID|:TYPE|[a-z_]+(:(long|boolean|datetime|double|string\[\]))?)$")


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_neo4j_files_and_headers(corpus_kg, exported):
    folder = exported / "neo4j"
    assert sorted(os.listdir(folder)) == sorted([*neo4j_module.NODE_FILES.values(), *neo4j_module.EDGE_FILES.values()])
    for name in os.listdir(folder):
        header = _read_csv(folder / name).columns
        assert all(HEADER_FIELD.match(h) for h in header), header
    counts = {kind: 0 for kind in neo4j_module.NODE_FILES}
    for _, kind in corpus_kg.nx.nodes(data="kind"):
        counts[kind] += 1
    ids = set()
    for kind, name in neo4j_module.NODE_FILES.items():
        df = _read_csv(folder / name)
        assert list(df.columns[:2]) == ["id:ID", ":LABEL"]
        assert len(df) == counts[kind]
        ids |= set(df["id:ID"])
    assert ids == set(corpus_kg.nx.nodes)
    for kind, name in neo4j_module.EDGE_FILES.items():
        df = _read_csv(folder / name)
        assert list(df.columns) == [":START_ID", ":END_ID", ":TYPE"]
        assert len(df) == corpus_kg.report.edges[kind]
        assert set(df[":TYPE"]) == {kind.upper()}
        assert set(df[":START_ID"]) | set(df[":END_ID"]) <= ids
    arts = _read_csv(folder / "articles.csv").set_index("id:ID")
    stubs = {a.id for a in corpus_kg.articles.values() if a.is_stub}
    # split as neo4j-admin splits them, given the README's --array-delimiter=U+001F
    labels = arts[":LABEL"].map(lambda cell: frozenset(cell.split("\x1f")))
    assert set(arts.index[labels == frozenset({"Article", "Stub"})]) == stubs
    assert set(labels) == {frozenset({"Article"}), frozenset({"Article", "Stub"})}


def test_neo4j_cells_read_back(corpus_kg, exported):
    g = corpus_kg.nx
    frames = {kind: _read_csv(exported / "neo4j" / name).set_index("id:ID")
              for kind, name in neo4j_module.NODE_FILES.items()}
    for n in _sample(g, 17):
        attrs = g.nodes[n]
        row = frames[attrs["kind"]].loc[n]
        for column, cell in row.items():
            if column == ":LABEL":
                continue
            name, _, kind = column.partition(":")
            value = attrs.get(name)
            if value is None or value == []:
                assert cell == "", (n, column)
            elif kind == "string[]":
                assert cell.split("\x1f") == value  # neo4j-admin --array-delimiter=U+001F
            elif kind == "datetime":
                assert pd.Timestamp(cell).to_pydatetime() == to_utc(value)
            elif kind == "long":
                assert int(cell) == value
            elif kind == "boolean":
                assert cell == str(value).lower()
            elif isinstance(value, list):
                assert json.loads(cell) == value
            else:
                assert cell == value, (n, column)


def test_neo4j_excerpts_with_line_breaks_survive(corpus_kg, exported):
    arts = _read_csv(exported / "neo4j" / "articles.csv").set_index("id:ID")
    multi = [a for a in corpus_kg.articles.values() if a.excerpt and "\n" in a.excerpt]
    for a in multi[:20]:
        assert arts.at[a.id, "excerpt"] == a.excerpt
    assert len(arts) == len(corpus_kg.articles)


def test_neo4j_headers_do_not_depend_on_which_fields_a_corpus_has(exported, tmp_path):
    """A corpus whose articles all lacked a field wrote its column untyped (``removed``,
    ``quality``) where the real corpus writes ``removed:boolean``, ``quality:long``: the
    same column imported as text from one corpus, as booleans and numbers from another."""
    news = tmp_path / "in"
    news.mkdir()
    (news / "x.md").write_text('---\ntitle: "T0"\nwebUrl: "https://ex.net/0"\n---\n', encoding="utf-8")
    kg = graph.build([news])
    write_exports(kg, tmp_path / "out", ["neo4j"])
    for name in neo4j_module.NODE_FILES.values():
        ours = list(_read_csv(tmp_path / "out" / "neo4j" / name).columns)
        corpus = list(_read_csv(exported / "neo4j" / name).columns)
        assert ours == corpus, name
        if name == "articles.csv":
            assert {"removed:boolean", "quality:long", "published:datetime"} <= set(ours)


def test_neo4j_column_types_are_the_data_models(tmp_path):
    """The column types come from the entity classes' fields. The check first met the
    ``...`` of ``tuple[Image, ...]`` in some processes (set order follows addresses) and
    raised a bare TypeError: every time after ``import pyoxigraph``. The types, as the
    README's header lists them, and an export in such a process."""
    strings = "string[]"
    assert neo4j_module._declared_types() == {
        "article": {"stub": "boolean", "published": "datetime", "quality": "long", "heat": "long",
                    "is_published": "boolean", "removed": "boolean", "aliases": strings, "topics": strings,
                    "sources": strings, "files": strings},
        "provider": {"alt_names": strings},
        "topic": {"alt_labels": strings, "keywords": strings, "hashtags": strings},
    }
    code = ("import pyoxigraph, sys\nimport graph\nfrom graph.export import write_exports\n"
            "write_exports(graph.build([sys.argv[1]]), sys.argv[2], ['neo4j'])\n")
    done = subprocess.run([sys.executable, "-c", code, str(Path(graph.__file__).parent.parent / "seeds" / "000_661d67e696f09288.txt"),
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "neo4j" / "articles.csv").is_file()


def test_neo4j_cells_hold_no_nul(tmp_path):
    """A NUL written as an escape (``"\\0"`` in YAML) reached articles.csv as a raw NUL
    byte, which many CSV readers refuse; it becomes U+FFFD, as in the XML formats."""
    news = tmp_path / "in"
    news.mkdir()
    (news / "x.md").write_text('---\ntitle: "a\\0b"\nwebUrl: "https://ex.net/0"\n---\n', encoding="utf-8")
    kg = graph.build([news])
    assert [a.title for a in kg.articles.values()] == ["ab"]  # read, it is removed (tests/test_reader.py)
    # A graph can still hold one (made in Python, or loaded from another tool's graph.json): the writer's guard
    aid, article = next(iter(kg.articles.items()))
    kg.articles[aid] = dataclasses.replace(article, title="a\x00b")
    write_exports(kg, tmp_path / "out", ["neo4j"])
    raw = (tmp_path / "out" / "neo4j" / "articles.csv").read_bytes()
    assert b"\x00" not in raw
    assert _read_csv(tmp_path / "out" / "neo4j" / "articles.csv")["title"].tolist() == ["a\ufffdb"]


@pytest.mark.skipif(os.name == "nt", reason="a carriage return in a file name")
def test_neo4j_rows_with_a_carriage_return_stay_whole(tmp_path):
    """A lone CR (in a title, an excerpt, a provider's and a topic's name, a file name) went
    out unquoted: csv readers end a row there, and articles.csv read back as rows of 25, 3,
    4, 2 and 19 cells. Read back here with Python's csv reader, every row has the header's
    cells and every value is as the graph holds it."""
    news = tmp_path / "in"
    news.mkdir()
    (news / "a\rb.md").write_text('---\ntitle: "before\\rafter"\nexcerpt: "x\\ry"\nwebUrl: https://cr.example/a\n'
                                  'provider:\n  name: "P\\rQ"\n  domain: cr.example\ntopics:\n  - "T\\rU"\n---\n')
    (news / "plain.md").write_text('---\ntitle: Plain\nwebUrl: https://cr.example/p\n---\n')
    kg = graph.build([news])
    write_exports(kg, tmp_path / "out", ["neo4j"])
    folder = tmp_path / "out" / "neo4j"
    rows = {}
    for name in [*neo4j_module.NODE_FILES.values(), *neo4j_module.EDGE_FILES.values()]:
        with open(folder / name, encoding="utf-8", newline="") as fh:
            table = list(csv.reader(fh))
        assert all(len(row) == len(table[0]) for row in table), (name, [len(row) for row in table])
        rows[name] = [dict(zip(table[0], row)) for row in table[1:]]
    article = next(r for r in rows["articles.csv"] if r["id:ID"] == next(
        a.id for a in kg.articles.values() if a.title.startswith("before")))
    assert (article["title"], article["excerpt"]) == ("before\rafter", "x\ry")
    assert article["files:string[]"] == str(news / "a\rb.md")
    assert [r["name"] for r in rows["providers.csv"]] == ["P\rQ"]
    assert [r["label"] for r in rows["topics.csv"]] == ["T\rU"]
    assert len(rows["articles.csv"]) == 2 and len(rows["about.csv"]) == 1
    # Only the cells that need quotes have them: an empty cell stays bare (neo4j-admin
    # imports a quoted "" as an empty string where a bare one is no value), here and in
    # the row without a CR.
    raw = (folder / "articles.csv").read_text(encoding="utf-8")
    assert '""' not in raw and ',"' + next(a.id for a in kg.articles.values() if a.title.startswith("before")) \
        not in raw
    assert any(line.startswith(next(a.id for a in kg.articles.values() if a.title == "Plain") + ",")
               for line in raw.split("\n"))


def test_neo4j_column_types_do_not_depend_on_the_items(tmp_path):
    """A `;` in an alias and in a file name, a date without a time."""
    news = tmp_path / "in"
    news.mkdir()
    (news / "a;b.md").write_text('---\ntitle: A\nwebUrl: "https://ex.com/a"\nampWebUrl: "https://ex.com/a;amp"\n'
                                 'publishedDateTime: 2021-06-18\n---\n')
    (news / "b.md").write_text('---\ntitle: B\nwebUrl: "https://ex.com/b"\n'
                               'publishedDateTime: "2021-06-18T11:00:00+02:00"\n---\n')
    write_exports(graph.build([news]), tmp_path / "out", ["neo4j"])
    with open(tmp_path / "out" / "neo4j" / "articles.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    a, b = sorted(rows, key=lambda r: r["title"])
    # Lists stay lists, split on U+001F, whatever their items hold.
    assert a["aliases:string[]"].split("\x1f") == ["https://ex.com/a;amp"]
    assert a["files:string[]"].split("\x1f") == [str(news / "a;b.md")]
    # A date alone is its midnight UTC (neo4j would read "2021-06-18" in the database's own zone).
    assert (a["published:datetime"], b["published:datetime"]) == ("2021-06-18T00:00:00Z", "2021-06-18T11:00:00+02:00")


def test_neo4j_headers_are_the_same_whatever_the_lists_hold(seeds_kg, tmp_path):
    """A list attribute is string[] even when every node's list is empty (the seeds
    have no topic alt_labels), images JSON text even when no node has any."""
    write_exports(seeds_kg, tmp_path, ["neo4j"])
    with open(tmp_path / "neo4j" / "topics.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    lists = {name for _, d in seeds_kg.nx.nodes(data=True) if d["kind"] == "topic"
             for name, v in d.items() if isinstance(v, (list, tuple)) and name != "images"}
    assert "alt_labels" in lists and not any(d.get("alt_labels") for _, d in seeds_kg.nx.nodes(data=True))
    assert {h.split(":")[0] for h in header if h.endswith(":string[]")} == lists
    assert "images" in header or not any("images" in d for _, d in seeds_kg.nx.nodes(data=True))


# --------------------------------------------------------------------------- all formats

def test_exports_are_byte_identical_across_runs(seeds_kg, tmp_path):
    write_exports(seeds_kg, tmp_path / "a", FORMATS)
    write_exports(seeds_kg, tmp_path / "b", FORMATS)
    for name in ("graph.json", "graph.graphml", "graph.gexf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    cmp = filecmp.dircmp(tmp_path / "a" / "neo4j", tmp_path / "b" / "neo4j")
    assert cmp.left_list == cmp.right_list and len(cmp.left_list) == 6
    assert filecmp.cmpfiles(tmp_path / "a" / "neo4j", tmp_path / "b" / "neo4j", cmp.left_list,
                            shallow=False)[0] == cmp.left_list


def test_neo4j_folder_is_replaced_whole_or_not_at_all(seeds_kg, tmp_path, monkeypatch):
    target = tmp_path / "neo4j"
    target.mkdir()
    (target / "stale.csv").write_text("old")
    neo4j_module.write_neo4j(seeds_kg, target)
    assert "stale.csv" not in os.listdir(target) and len(os.listdir(target)) == 6
    before = {p: (target / p).read_bytes() for p in os.listdir(target)}
    calls = []

    def failing(path, header, rows):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(path, header, rows)

    original = neo4j_module._write_csv
    monkeypatch.setattr(neo4j_module, "_write_csv", failing)
    with pytest.raises(OSError):
        neo4j_module.write_neo4j(seeds_kg, target)
    assert {p: (target / p).read_bytes() for p in os.listdir(target)} == before
    assert sorted(os.listdir(tmp_path)) == ["neo4j"], "temporary folders left behind"


def test_neo4j_folder_is_replaced_in_one_step(seeds_kg, tmp_path, monkeypatch):
    """Moved aside, then the new one moved in: a crash between the two moves left no
    neo4j/ at all. The folders are now exchanged in one step, so a crash at the
    moves the old way made (simulated: each raises) changes nothing."""
    target = tmp_path / "neo4j"
    target.mkdir()
    (target / "stale.csv").write_text("old")
    neo4j_module.write_neo4j(seeds_kg, tmp_path / "expected")

    def crash(*args):
        raise RuntimeError("the build died here")

    monkeypatch.setattr(neo4j_module.os, "replace", crash)
    neo4j_module.write_neo4j(seeds_kg, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "expected").iterdir()}
    assert sorted(os.listdir(tmp_path)) == ["expected", "neo4j"], "temporary folders left behind"


def test_failed_graphml_write_keeps_the_old_file(seeds_kg, tmp_path, monkeypatch):
    path = tmp_path / "graph.graphml"
    path.write_text("previous")

    def half_written(self, fh):
        fh.write(b"<graphml")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(graphml_module._GraphMLWriter, "dump", half_written)
    with pytest.raises(RuntimeError):
        graphml_module.write_graphml(seeds_kg, path)
    assert path.read_text() == "previous" and os.listdir(tmp_path) == ["graph.graphml"]


def test_cli_writes_every_tool_format(tmp_path):
    out = tmp_path / "exports"
    result = CliRunner().invoke(cli, ["build", "seeds", "-o", str(out), "-q", "-f", "json,graphml", "-f", "gexf",
                                      "--format", "neo4j"])
    assert result.exit_code == 0, result.output
    written = sorted(name for name in os.listdir(out) if not name.startswith("."))  # .cache: the build's
    assert written == ["graph.gexf", "graph.graphml", "graph.json", "neo4j"]
    assert nx.read_graphml(out / "graph.graphml").number_of_nodes() == \
        nx.read_gexf(out / "graph.gexf").number_of_nodes() > 0


def test_awkward_text_survives_every_format(tmp_path):
    """Markup, quotes, CR LF, a NUL and a bell, a `;` inside a list item (tests/data/formats)."""
    import graph

    kg = graph.build([Path(__file__).parent / "data" / "formats"])
    article = kg.article_by_url("https://example.org/news/awkward?x=1&y=2")
    # Read, the file's NUL is removed (tests/test_reader.py); a graph made otherwise can
    # hold one (in Python, or loaded from another tool's graph.json): put back, for the writers.
    assert "\0" not in article.excerpt and "NUL char" in article.excerpt and kg._nx is None
    article = kg.articles[article.id] = dataclasses.replace(article, excerpt=article.excerpt.replace("NUL", "NUL\0"))
    assert "\0" in article.excerpt and "\r\n" in article.excerpt and "\a" in article.title
    write_exports(kg, tmp_path, FORMATS)
    graphml = nx.read_graphml(tmp_path / "graph.graphml").nodes[article.id]
    gexf = nx.read_gexf(tmp_path / "graph.gexf").nodes[article.id]
    # XML cannot hold NUL or BEL: they become U+FFFD; everything else is kept
    # (GraphML writes CR as &#13;: an XML reader would give a raw one back as LF).
    assert graphml["title"] == gexf["title"] == article.title.replace("\a", "\ufffd")
    assert gexf["excerpt"] == article.excerpt.replace("\0", "\ufffd")
    assert graphml["excerpt"] == gexf["excerpt"]
    arts = _read_csv(tmp_path / "neo4j" / "articles.csv").set_index("id:ID")
    assert arts.at[article.id, "excerpt"] == article.excerpt.replace("\0", "\ufffd")  # a NUL, as in XML
    assert arts.at[article.id, "topics:string[]"].split("\x1f") == list(article.topic_ids)
    # A list item holding a `;` (neo4j-admin's default delimiter) stays a list item.
    topics = _read_csv(tmp_path / "neo4j" / "topics.csv").set_index("id:ID")
    topic = next(t for t in kg.topics.values() if t.alt_labels)
    assert ";" in topic.alt_labels[0]
    assert topics.at[topic.id, "alt_labels:string[]"].split("\x1f") == list(topic.alt_labels)
    back = graph.load(tmp_path)
    assert back.articles == kg.articles


def test_a_build_removes_what_killed_builds_left_half_written(seeds_kg, tmp_path):
    """Temporary files and folders whose writer is gone are removed; those of a
    writer still running (another build at work) and any other file stay."""
    import subprocess

    from graph.export import write_exports

    ended = subprocess.Popen(["true"])
    ended.wait()
    dead, alive = ended.pid, os.getpid()
    for name in (f".graph.ttl.{dead}-k1d2e3f4.tmp", f".report.json.{dead}-aaaa1111.tmp",
                 f".graph.nt.{alive}-bbbb2222.tmp", ".graph.nt.nopid123.tmp", "notes.txt",
                 ".my notes.2024-draft.tmp", f".notes.{dead}-dddd4444.tmp"):  # a user's, not ours
        (tmp_path / name).write_text("half")
    for folder in (f".neo4j.{dead}-cccc3333.tmp", ".backup.20240101-nightly.old"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "kept.txt").write_text("half")
    write_exports(seeds_kg, tmp_path, ["nt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".graph.nt.{alive}-bbbb2222.tmp", ".graph.nt.nopid123.tmp", "notes.txt", "graph.nt",
         ".my notes.2024-draft.tmp", f".notes.{dead}-dddd4444.tmp", ".backup.20240101-nightly.old"])
