"""RDF exports: correctness proven with independent parsers and an rdflib-built reference.

The reference graph below maps the entities to RDF with rdflib's own terms
(``Literal(python value)`` does its own lexical forms), so the streaming
writers are compared against a second implementation, and every file is parsed
by rdflib, pyoxigraph and Raptor's ``rapper``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
import yaml
from click.testing import CliRunner
from rdflib import RDF, RDFS, XSD, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

import graph
from conftest import SEEDS_DIR, literals_as_written
from graph.cli import cli
from graph.errors import NewsgraphError
from graph.export import write_exports
from graph.namespaces import DEFAULT_BASE_IRI

DATA = Path(__file__).parent / "data" / "rdf"
HOSTILE = DATA / "hostile"
RDF_FORMATS = ["ttl", "nt", "jsonld", "trig"]
RAPPER_SYNTAX = {"ttl": "turtle", "nt": "ntriples", "trig": "trig"}
OX_FORMAT = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
             "trig": pyoxigraph.RdfFormat.TRIG, "jsonld": pyoxigraph.RdfFormat.JSON_LD}

SCHEMA = Namespace("https://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCT = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
NG = Namespace("https://example.org/newsgraph/ns#")


# --------------------------------------------------------------------------
# The independent reference: entities -> rdflib graph
# --------------------------------------------------------------------------


def reference_graph(kg, base: str = DEFAULT_BASE_IRI) -> rdflib.Graph:
    g = rdflib.Graph()
    for triple in reference_triples(kg, base):
        g.add(triple)
    return g


def reference_triples(kg, base: str = DEFAULT_BASE_IRI) -> set:
    triples: set = set()
    add = triples.add
    root = os.path.commonpath([os.path.dirname(os.path.abspath(p.rstrip("/"))) for p in kg.report.inputs])

    def node(node_id):
        return URIRef(base + node_id)

    @functools.cache  # a source file is listed by ~25 articles: its IRI is worked out once
    def source(path):
        rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
        iri = URIRef(base + "source/" + "".join(
            c if re.match(r"[A-Za-z0-9/\-._~]", c) else "".join(f"%{b:02X}" for b in c.encode()) for c in rel))
        add((iri, RDF.type, PROV.Entity))
        add((iri, RDFS.label, Literal(rel)))
        return iri

    def image(im):
        key = f"{im.url}\n{'' if im.width is None else im.width}\n{'' if im.height is None else im.height}"
        iri = URIRef(base + "image/" + hashlib.sha256(key.encode()).hexdigest()[:16])
        add((iri, RDF.type, SCHEMA.ImageObject))
        add((iri, SCHEMA.contentUrl, Literal(im.url, datatype=XSD.anyURI)))
        if im.width is not None:
            add((iri, SCHEMA.width, Literal(im.width)))
        if im.height is not None:
            add((iri, SCHEMA.height, Literal(im.height)))
        return iri

    def url(u):  # canonical URLs only need the characters IRIs forbid escaped
        return URIRef(re.sub(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]', lambda m: "%%%02X" % ord(m.group(0)), u))

    for p in kg.providers.values():
        s = node(p.id)
        add((s, RDF.type, SCHEMA.Organization))
        add((s, SCHEMA.name, Literal(p.name)))
        add((s, NG.domain, Literal(p.domain)))
        for n in p.alt_names:
            add((s, SCHEMA.alternateName, Literal(n)))
        for im in p.images:
            add((s, SCHEMA.logo, image(im)))
        if p.catalog:
            add((s, DCT.source, source(p.catalog)))
    scheme = URIRef(base + "topics")
    if kg.topics:
        add((scheme, RDF.type, SKOS.ConceptScheme))
        add((scheme, SKOS.prefLabel, Literal("Topics")))
    for t in kg.topics.values():
        s = node(t.id)
        add((s, RDF.type, SKOS.Concept))
        add((s, SKOS.prefLabel, Literal(t.label)))
        add((s, SKOS.inScheme, scheme))
        for x in t.alt_labels:
            add((s, SKOS.altLabel, Literal(x)))
        for x in t.keywords:
            add((s, NG.keyword, Literal(x)))
        for x in t.hashtags:
            add((s, NG.hashtag, Literal(x)))
        for im in t.images:
            add((s, SCHEMA.image, image(im)))
        if t.catalog:
            add((s, DCT.source, source(t.catalog)))
    for a in kg.articles.values():
        s = node(a.id)
        add((s, RDF.type, SCHEMA.VideoObject if a.type == "video" else SCHEMA.NewsArticle))
        for pred, value in ((SCHEMA.headline, a.title), (SCHEMA.abstract, a.excerpt),
                            (SCHEMA.datePublished, a.published), (SCHEMA.articleSection, a.category),
                            (NG.isStub, a.is_stub), (NG.quality, a.quality), (NG.heat, a.heat),
                            (NG.isPublished, a.is_published), (NG.removed, a.removed),
                            (NG.featuredContent, a.featured_content)):
            if value is None:
                continue
            if hasattr(value, "utcoffset") and value.utcoffset() == dt.timedelta(0):
                # XSD's canonical UTC form, written by hand (rdflib's own says +00:00)
                text = value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{value.microsecond:06d}" if value.microsecond else "")
                add((s, pred, Literal(text + "Z", datatype=XSD.dateTime, normalize=False)))
            else:
                add((s, pred, Literal(value)))
        add((s, SCHEMA.url, url(a.url)))
        for alias in a.aliases:
            add((s, SCHEMA.sameAs, url(alias)))
        if a.original_url and a.original_url != a.url:
            add((s, NG.originalUrl, url(a.original_url)))
        add((s, SCHEMA.publisher, node(a.provider_id)))
        for t in a.topic_ids:
            add((s, SCHEMA.about, node(t)))
        for r in a.related_ids:
            add((s, NG.related, node(r)))
        for im in a.images:
            add((s, SCHEMA.image, image(im)))
        for path in a.sources:
            add((s, DCT.source, source(path)))
    return triples


def rapper_count(path: Path, fmt: str) -> int:
    proc = subprocess.run(["rapper", "-i", RAPPER_SYNTAX[fmt], "-c", str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"returned (\d+) triples", proc.stderr)
    assert m, proc.stderr
    assert "error" not in proc.stderr.lower(), proc.stderr
    return int(m.group(1))


def ox_count(path: Path, fmt: str) -> int:
    return sum(1 for _ in pyoxigraph.parse(path=str(path), format=OX_FORMAT[fmt]))


def parse(path: Path, fmt: str) -> rdflib.Graph:
    """The file's triples, their literals' text as written (so it is compared too)."""
    with literals_as_written():
        return _parse(path, fmt)


def _parse(path: Path, fmt: str) -> rdflib.Graph:
    if fmt == "trig":
        ds = rdflib.Dataset()
        ds.parse(path, format="trig")
        union = rdflib.Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            union.add((s, p, o))
        return union
    return rdflib.Graph().parse(path, format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}[fmt])


# --------------------------------------------------------------------------
# Hostile strings and URLs (crafted file)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    kg = graph.build([HOSTILE])
    assert kg.report.rejected == [] and len(kg.articles) == 2
    # The reader removes the title's escaped NUL (tests/test_reader.py); the writers must still
    # round-trip one, which a graph made otherwise can hold: the title put back as PyYAML reads it.
    title = _front_matter(HOSTILE / "news" / "2021-06-18-hostile.md")["title"]
    article = next(a for a in kg.articles.values() if a.files)
    assert "\x00" in title and article.title == title.replace("\x00", "") and kg._nx is None
    kg.articles[article.id] = dataclasses.replace(article, title=title)
    folder = tmp_path_factory.mktemp("hostile")
    write_exports(kg, folder, RDF_FORMATS)
    return kg, folder


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_hostile_strings_round_trip_exactly(hostile, fmt):
    kg, folder = hostile
    fm = _front_matter(HOSTILE / "news" / "2021-06-18-hostile.md")  # PyYAML: independent of the reader
    g = parse(folder / f"graph.{fmt}", fmt)
    headlines = {str(o) for o in g.objects(None, SCHEMA.headline)}
    assert fm["title"] in headlines
    assert "Stub with\r\ncarriage return" in headlines
    assert {"\x00", "\x07", "\x1b", "\x7f", "\u2028", "\n", "\t", "😀", '"', "\\"} <= set(fm["title"])
    assert {str(o) for o in g.objects(None, SCHEMA.abstract)} == {fm["excerpt"]}
    assert {str(o) for o in g.objects(None, NG.featuredContent)} == {fm["featuredContent"]}
    assert {str(o) for o in g.objects(None, SCHEMA.name)} == {fm["provider"]["name"], "Other"}
    # Image URLs are not canonicalised: verbatim anyURI literals.
    urls = set(g.objects(None, SCHEMA.contentUrl))
    assert urls == {Literal(fm["images"][0]["url"], datatype=XSD.anyURI),
                    Literal(fm["provider"]["images"][0]["url"], datatype=XSD.anyURI)}
    # The article URL from the issue (a space in the query) is a valid IRI.
    assert URIRef("https://news.example.com/press_showdetailsPR.asp?id=1192212&cat=PR%20News%20Wire") in set(
        g.objects(None, SCHEMA.url))
    assert set(g.objects(None, SCHEMA.datePublished)) == {
        Literal("2021-06-18T11:00:00+02:00", datatype=XSD.dateTime), Literal("2020-02-29", datatype=XSD.date)}
    assert {(str(s), o) for s, o in g.subject_objects(NG.heat)} == {
        (DEFAULT_BASE_IRI + next(iter(kg.articles.values())).id, Literal(-1))}
    assert len(g) == len(reference_graph(kg))


@pytest.mark.parametrize("fmt", ["ttl", "nt", "trig"])
def test_hostile_files_parse_in_rapper_and_oxigraph(hostile, fmt):
    kg, folder = hostile
    n = len(reference_graph(kg))
    assert rapper_count(folder / f"graph.{fmt}", fmt) == n
    assert ox_count(folder / f"graph.{fmt}", fmt) == n


def test_hostile_formats_isomorphic_to_reference(hostile):
    kg, folder = hostile
    ref = reference_graph(kg)
    for fmt in RDF_FORMATS:
        assert isomorphic(parse(folder / f"graph.{fmt}", fmt), ref), fmt


def test_jsonld_loads_in_oxigraph(hostile):
    kg, folder = hostile
    assert ox_count(folder / "graph.jsonld", "jsonld") == len(reference_graph(kg))


def test_urls_with_characters_no_iri_holds_give_files_oxigraph_reads(tmp_path):
    """A variation selector (U+E0100) or U+FFFD (an undecodable byte) in a
    path, private use in an alias, U+FFFD in a related item's host: oxigraph
    refused the whole N-Triples file over one of them. Each is written as the
    escapes of its UTF-8 bytes (worked out here from ``str.encode``), and a
    host no IRI holds leaves its item out, with a warning naming the file."""
    def escaped(char: str) -> str:
        return "".join(f"%{b:02X}" for b in char.encode("utf-8"))

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "odd.md").write_text(
        '---\ntitle: "Odd"\nwebUrl: "https://x.example/a\\U000E0100b"\n'
        'originalUrl: "https://x.example/o\\ufffd"\nampWebUrl: "https://x.example/amp\\ue000"\n'
        'related:\n  - title: "Kept"\n    webUrl: "https://y.example/r"\n'
        '  - title: "Left out"\n    webUrl: "https://z\\ufffd.example/r"\n---\n', encoding="utf-8")
    kg = graph.build([tmp_path / "in"])
    assert kg.report.rejected == []
    assert any(w.path.endswith("odd.md") and "not a valid host name" in w.message for w in kg.report.warnings)
    write_exports(kg, tmp_path / "out", RDF_FORMATS)
    n = len(reference_graph(kg))
    for fmt in RDF_FORMATS:
        assert ox_count(tmp_path / "out" / f"graph.{fmt}", fmt) == n, fmt
        if fmt != "jsonld":
            assert rapper_count(tmp_path / "out" / f"graph.{fmt}", fmt) == n, fmt
    g = parse(tmp_path / "out" / "graph.nt", "nt")
    urls = {str(o) for o in g.objects(None, SCHEMA.url)}
    assert urls == {f"https://x.example/a{escaped(chr(0xE0100))}b", "https://y.example/r"}
    same = {str(o) for o in g.objects(None, SCHEMA.sameAs)}
    assert f"https://x.example/amp{escaped(chr(0xE000))}" in same
    assert f"https://x.example/o{escaped(chr(0xFFFD))}" in same | {str(o) for o in g.objects(None, NG.originalUrl)}


# --------------------------------------------------------------------------
# Seeds: reference, determinism, stability, base IRI, TriG provenance
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds_rdf(seeds_kg, tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds-rdf")
    write_exports(seeds_kg, folder, RDF_FORMATS)
    return folder


def test_seeds_match_reference(seeds_kg, seeds_rdf):
    ref = reference_graph(seeds_kg)
    nt = parse(seeds_rdf / "graph.nt", "nt")
    assert isomorphic(nt, ref)
    assert isomorphic(parse(seeds_rdf / "graph.ttl", "ttl"), nt)
    # (JSON-LD and TriG: on the hostile file above and the corpus below.)


def test_outputs_are_byte_identical_across_builds(seeds_kg, seeds_rdf, tmp_path):
    # A second, separate build of the same input...
    write_exports(graph.build([SEEDS_DIR]), tmp_path / "again", RDF_FORMATS)
    for fmt in RDF_FORMATS:
        name = f"graph.{fmt}"
        assert (tmp_path / "again" / name).read_bytes() == (seeds_rdf / name).read_bytes(), name


def test_iris_do_not_depend_on_input_order(tmp_path):
    entries = sorted(SEEDS_DIR / d for d in os.listdir(SEEDS_DIR))
    forward, backward = graph.build(entries), graph.build(entries[::-1])
    write_exports(forward, tmp_path / "forward", ["nt"])
    write_exports(backward, tmp_path / "backward", ["nt"])

    def subjects(folder):
        # Articles, providers, topics. (Which catalogue file describes a provider
        # when two do still follows the input order: see the report.)
        lines = (folder / "graph.nt").read_text(encoding="utf-8").splitlines()
        return {s for s in (ln.split(" ", 1)[0] for ln in lines) if re.search(r"/(article|provider|topic)/", s)}

    assert subjects(tmp_path / "forward") == subjects(tmp_path / "backward")
    assert len(subjects(tmp_path / "forward")) > len(forward.articles)


def test_article_iri_does_not_depend_on_other_files(corpus_dir, seeds_rdf, tmp_path):
    kg = graph.build([corpus_dir / "seed"])
    write_exports(kg, tmp_path, ["nt"])
    wired = "<https://www.wired.com/story/baltimore-ban-facial-recognition-everyone-but-cops>"
    alone = [ln.split(" ")[0] for ln in (tmp_path / "graph.nt").read_text().splitlines()
             if f"<https://schema.org/url> {wired}" in ln]
    assert len(alone) == 1
    iri = alone[0][1:-1]
    assert iri == DEFAULT_BASE_IRI + "article/" + hashlib.sha256(wired[1:-1].encode()).hexdigest()[:16]


def test_base_iri_option(seeds_kg, tmp_path):
    base = "https://kg.example.com/news#"
    write_exports(seeds_kg, tmp_path, ["nt", "ttl"], base_iri=base)
    g = parse(tmp_path / "graph.nt", "nt")
    assert isomorphic(g, reference_graph(seeds_kg, base))
    assert isomorphic(parse(tmp_path / "graph.ttl", "ttl"), g)
    subjects = {str(s) for s in g.subjects()}
    assert subjects and all(s.startswith(base) for s in subjects)


@pytest.mark.parametrize("bad", ["not an iri", "https://x.example/no-slash", "https://x.example/a b/",
                                 # written into every export, which query, serve and validate then refused
                                 "https://x.example/%zz/", "https://[::1/"])
def test_bad_base_iri_is_a_clear_error(seeds_kg, tmp_path, bad):
    with pytest.raises(NewsgraphError, match="base IRI"):
        write_exports(seeds_kg, tmp_path, ["nt"], base_iri=bad)
    result = CliRunner().invoke(cli, ["build", str(HOSTILE), "-o", str(tmp_path), "-f", "ttl", "-q",
                                      "--base-iri", bad])
    assert result.exit_code == 2 and "base IRI" in result.output and "Traceback" not in result.output  # a usage error


def test_trig_has_one_named_graph_per_source_file(seeds_kg, seeds_rdf):
    ds = rdflib.Dataset()
    ds.parse(seeds_rdf / "graph.trig", format="trig")
    by_graph: dict[str, set[str]] = {}
    for s, p, o, c in ds.quads((None, None, None, None)):
        if p == SCHEMA.url:
            by_graph.setdefault(str(c), set()).add(str(s))
    # Expected: each article in the graph of its own file (else the first file listing it); which
    # of several files is its own is checked on the real corpus's duplicates, below.
    expected: dict[str, set[str]] = {}
    for a in seeds_kg.articles.values():
        home = (a.files or a.sources)[0]
        rel = os.path.relpath(os.path.abspath(home), SEEDS_DIR.parent).replace(os.sep, "/")
        expected.setdefault(DEFAULT_BASE_IRI + "source/" + rel, set()).add(DEFAULT_BASE_IRI + a.id)
    assert by_graph == expected
    assert len(by_graph) > 300


def test_cli_build_writes_rdf_formats(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(HOSTILE), "-o", str(tmp_path), "-f", "ttl,nt,jsonld,trig", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("graph.*")) == ["graph.jsonld", "graph.nt", "graph.trig", "graph.ttl"]


# --------------------------------------------------------------------------
# The real corpus
# --------------------------------------------------------------------------


@pytest.mark.corpus
def test_a_merged_articles_statements_are_in_the_graph_of_the_file_whose_values_they_are(corpus_kg, corpus_rdf,
                                                                                         corpus_dir):
    """An article two files describe took its values from the newest, but its statements
    went into the named graph of the first file by path, in the real corpus mostly the
    oldest: "which file said this title" was answered with the file that did not."""
    merged = corpus_kg.report.duplicates_merged
    assert len(merged) >= 10
    store = pyoxigraph.Store()
    store.load(path=str(corpus_rdf / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG)
    headline = pyoxigraph.NamedNode("https://schema.org/headline")
    checked = 0
    for m in merged:
        # Read each file's front matter here (PyYAML), not through newsgraph.
        described = []
        for path in m["files"]:
            text = Path(path).read_text(encoding="utf-8")
            front = yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---"))
            published = front.get("publishedDateTime")
            described.append((str(published) if published is not None else "", front.get("title"), path))
        dates = sorted((d for d, _, _ in described), reverse=True)
        if not dates[0] or len(dates) > 1 and dates[0] == dates[1]:
            continue  # a tie: the rank goes on to the texts, not what this test works out
        _, title, newest = max(described)
        rel = os.path.relpath(os.path.abspath(newest), os.path.dirname(os.path.abspath(corpus_dir)))
        quads = list(store.quads_for_pattern(pyoxigraph.NamedNode(DEFAULT_BASE_IRI + m["id"]), headline, None, None))
        assert [(q.object.value, q.graph_name.value) for q in quads] == \
            [(" ".join(title.split()), DEFAULT_BASE_IRI + "source/" + rel.replace(os.sep, "/"))], m
        checked += 1
    assert checked >= 10


@pytest.mark.corpus
def test_corpus_counts_agree_in_rapper_oxigraph_and_rdflib(corpus_rdf, corpus_rdflib):
    n = len(corpus_rdflib)
    assert n > 250_000
    for fmt in ("ttl", "nt", "trig"):
        assert rapper_count(corpus_rdf / f"graph.{fmt}", fmt) == n, fmt
        assert ox_count(corpus_rdf / f"graph.{fmt}", fmt) == n, fmt


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_turtle_ntriples_jsonld_isomorphic(corpus_rdf, corpus_rdflib):
    ttl = parse(corpus_rdf / "graph.ttl", "ttl")
    assert isomorphic(ttl, corpus_rdflib)
    del ttl
    jsonld = parse(corpus_rdf / "graph.jsonld", "jsonld")
    assert isomorphic(jsonld, corpus_rdflib)


@pytest.mark.corpus
def test_corpus_matches_reference(corpus_kg, corpus_rdflib):
    ref = reference_triples(corpus_kg)
    # No blank nodes anywhere, so isomorphism is set equality (and much faster).
    assert not any(isinstance(t, rdflib.BNode) for t in corpus_rdflib.all_nodes())
    missing = ref - set(corpus_rdflib)
    extra = set(corpus_rdflib) - ref
    assert not missing and not extra, (list(missing)[:3], list(extra)[:3])


@pytest.mark.corpus
def test_corpus_issue_url_is_a_valid_iri(corpus_rdf, corpus_dir):
    # The issue's example (id=1192212) is from another version of the site;
    # this corpus has the same kind of URL with id=1193724.
    raw = "https://news.webindia123.com/news/press_showdetailsPR.asp?id=1193724&cat=PR News Wire"
    assert any(raw in p.read_text(encoding="utf-8") for p in (corpus_dir / "azure" / "news").glob("*.md"))
    text = (corpus_rdf / "graph.nt").read_text(encoding="utf-8")
    assert f"<{raw.replace(' ', '%20')}>" in text
    assert f"<{raw}>" not in text


def test_ontology_defines_every_own_term_used(hostile, seeds_rdf):
    from importlib import resources

    onto = rdflib.Graph().parse(data=(resources.files("graph") / "data" / "ontology.ttl").read_text("utf-8"),
                                format="turtle")
    used = set()
    for folder in (hostile[1], seeds_rdf):
        g = parse(folder / "graph.nt", "nt")
        used |= {t for t in set(g.predicates()) | set(g.objects(None, RDF.type)) if str(t).startswith(str(NG))}
    assert len(used) >= 9
    for term in used:
        assert onto.value(term, RDFS.label) is not None and onto.value(term, RDFS.comment) is not None, term


def test_jsonld_context_is_compact(seeds_rdf):
    import json

    doc = json.loads((seeds_rdf / "graph.jsonld").read_text(encoding="utf-8"))
    keys = {k for node in doc["@graph"] for k in node}
    assert keys <= set(doc["@context"]) | {"@id", "@type"}, keys - set(doc["@context"])
    assert all(":" not in k for k in keys - {"@id", "@type"})


def test_source_paths_are_relative_to_the_inputs_folder_as_relpath_says(tmp_path, monkeypatch, corpus_dir):
    """A source file's path in its IRI and label: relative to the inputs'
    common folder, as ``os.path.relpath(os.path.abspath(path), root)`` says
    (worked out per path here; the minter works it out once per folder),
    and left as given when that would climb out of the folder."""
    from graph.namespaces import IRIMinter

    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus" / "a" / "b").mkdir(parents=True)
    cases = [
        (["corpus", str(tmp_path / "corpus" / "a")],
         ["corpus/x.md", "corpus/a/b/y.md", "./corpus/./a/../a/z.md", str(tmp_path / "corpus" / "a" / "b" / "y.md"),
          "corpus/..x.md", str(tmp_path / "corpus" / "..x.md"), "corpus/a/b/../../q.md", "elsewhere/w.md",
          "/abs/elsewhere/v.md", "x.md", "..y.md", "corpus/a/..", "corpus/a/.", "corpus/a/"]),
        (["."], ["x.md", "..y.md", "corpus/a/q.md", "../up.md"]),
        ([str(tmp_path / "corpus")], [str(tmp_path / "..y.md"), str(tmp_path / "y.md"), "corpus/x.md"]),
        ([str(corpus_dir)], [str(p) for p in sorted(corpus_dir.rglob("*.md"))]),
    ]
    for inputs, paths in cases:
        root = os.path.commonpath([os.path.dirname(os.path.abspath(p.rstrip("/") or p)) for p in inputs])
        minter = IRIMinter(inputs=inputs)
        for path in paths:
            rel = os.path.relpath(os.path.abspath(path), root)
            expected = (path if rel.startswith("..") else rel).replace(os.sep, "/")
            assert minter.relative_source(path) == expected, (inputs, path)
