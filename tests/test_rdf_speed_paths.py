"""The RDF writer's fast paths, each checked against a second method.

``graph.export.rdf`` renders every object's forms once per IRI (and once per
recurring literal), joins a predicate's objects in one ``str.join`` per
format, finds an IRI's prefix with one lookup, and writes encoded batches.
Here the files it writes are compared with:

* a plain N-Triples renderer kept in this file, one triple at a time from the
  rdflib-built reference graph of ``test_rdf`` (escaping written from the
  N-Triples canonical form with ``str.translate``, not the writer's regex):
  the lines must be the same strings, byte for byte;
* pyoxigraph's parse of the N-Triples, for the Turtle, TriG and JSON-LD;
* a longest-namespace-first scan, for the prefixed names (the function, and
  every IRI written in the Turtle, TriG and JSON-LD files);
* the same writer asked for one format at a time, for the joint pass.

Crafted inputs (``tests/data/rdf/speed-paths``): IRIs and literals needing
escapes inside multi-object lists, topic IRIs with no prefixed name, literal
values recurring across articles, a source file name with spaces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import URIRef, XSD

import graph
from conftest import SEEDS_DIR
from graph.export import rdf, write_exports
from graph.namespaces import DEFAULT_BASE_IRI
from test_rdf import reference_triples

DATA = Path(__file__).parent / "data" / "rdf"
CRAFTED = DATA / "speed-paths"
HOSTILE = DATA / "hostile"
FORMATS = ["ttl", "nt", "jsonld", "trig"]
OX = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
      "trig": pyoxigraph.RdfFormat.TRIG, "jsonld": pyoxigraph.RdfFormat.JSON_LD}


# --------------------------------------------------------------------------
# A plain renderer: one N-Triples line per rdflib triple
# --------------------------------------------------------------------------

# RDF 1.1 N-Triples canonical form: ECHAR for these, UCHAR (upper-case hex)
# for the other controls, every other character as itself.
_ECHAR = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_CANONICAL = str.maketrans({**{chr(c): f"\\u{c:04X}" for c in [*range(0x20), 0x7F]}, **_ECHAR})


def plain_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    text = '"' + str(term).translate(_CANONICAL) + '"'
    if term.datatype is not None and term.datatype != XSD.string:
        text += f"^^<{term.datatype}>"
    return text


def plain_lines(kg, base: str = DEFAULT_BASE_IRI) -> set[str]:
    return {f"{plain_term(s)} {plain_term(p)} {plain_term(o)} ." for s, p, o in reference_triples(kg, base)}


def test_plain_renderer_escapes_by_the_spec():
    from rdflib import Literal

    assert plain_term(Literal('a"b\\c\nd\re\tf\bg\fh\x00i\x1fj\x7fk\u2028l😀')) == (
        '"a\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0000i\\u001Fj\\u007Fk\u2028l😀"')


def ntriples_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8")
    assert text.endswith(" .\n")
    return text[:-1].split("\n")


@pytest.fixture(scope="module")
def crafted_kg():
    kg = graph.build([CRAFTED])
    assert kg.report.rejected == [] and len(kg.articles) == 7
    return kg


@pytest.mark.parametrize("base", [None, "https://kg.example.com/news#"])
def test_crafted_ntriples_are_the_plain_rendering(crafted_kg, tmp_path, base):
    write_exports(crafted_kg, tmp_path, FORMATS, base_iri=base)
    lines = ntriples_lines(tmp_path / "graph.nt")
    assert len(lines) == len(set(lines))  # no triple written twice
    assert set(lines) == plain_lines(crafted_kg, base or DEFAULT_BASE_IRI)
    # the crafted cases are really there: multi-object IRI lists with escaped
    # IRIs, escaped literals, and IRIs without a prefixed name
    text = "\n".join(lines)
    assert "%7Bbraces%7D%7Cpipe%5Ecaret%60tick>" in text and "/ä/ö/ü?q=é>" in text
    assert '\\"quoted\\", back\\\\slash, tab\\t, form feed\\f, backspace\\b, vertical tab\\u000B' in text
    related = [ln for ln in lines if "<https://example.org/newsgraph/ns#related>" in ln]
    assert len({ln.split(" ")[0] for ln in related}) < len(related)  # a subject with several related
    ttl = (tmp_path / "graph.ttl").read_text(encoding="utf-8")
    assert "topic/ends-with-dot.>" in ttl and "topic/tilde~topic>" in ttl and "topic/c%2B%2B>" in ttl
    assert "topic:version-1.0 a skos:Concept" in ttl


def test_hostile_ntriples_are_the_plain_rendering(tmp_path):
    kg = graph.build([HOSTILE])
    write_exports(kg, tmp_path, ["nt"])
    lines = ntriples_lines(tmp_path / "graph.nt")
    assert len(lines) == len(set(lines))
    assert set(lines) == plain_lines(kg)


@pytest.mark.corpus
def test_corpus_ntriples_are_the_plain_rendering(corpus_kg, corpus_rdf):
    lines = ntriples_lines(corpus_rdf / "graph.nt")
    assert len(lines) > 250_000
    assert len(lines) == len(set(lines))
    expected = plain_lines(corpus_kg)
    assert set(lines) == expected, (sorted(set(lines) - expected)[:3], sorted(expected - set(lines))[:3])


# --------------------------------------------------------------------------
# Turtle, TriG, JSON-LD: the same triples as the N-Triples (pyoxigraph)
# --------------------------------------------------------------------------


def ox_lines(path: Path, fmt: str, graphs: dict | None = None) -> list[bytes]:
    """The triples of a file, parsed and written back as N-Triples by pyoxigraph, sorted.

    For TriG, ``graphs`` collects subject -> the graphs holding its statements.
    """
    quads = pyoxigraph.parse(path=str(path), format=OX[fmt])
    if graphs is not None:
        def triples(quads=quads):
            for q in quads:
                graphs.setdefault(q.subject.value, set()).add(q.graph_name)
                yield q.triple
        quads = triples()
    return sorted(pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_TRIPLES).splitlines())


def check_formats_agree(folder: Path) -> int:
    nt = ox_lines(folder / "graph.nt", "nt")
    for fmt in ("ttl", "jsonld"):
        assert ox_lines(folder / f"graph.{fmt}", fmt) == nt, fmt
    graphs: dict = {}
    assert ox_lines(folder / "graph.trig", "trig", graphs) == nt, "trig"
    assert all(len(g) == 1 for g in graphs.values())  # all statements about a subject sit in one graph
    assert len(set().union(*graphs.values())) > 2  # the default graph and named ones
    return len(nt)


def test_crafted_formats_agree(crafted_kg, tmp_path):
    write_exports(crafted_kg, tmp_path, FORMATS)
    assert check_formats_agree(tmp_path) == len(plain_lines(crafted_kg))


@pytest.mark.corpus
def test_corpus_formats_agree(corpus_rdf):
    assert check_formats_agree(corpus_rdf) > 250_000


# --------------------------------------------------------------------------
# Prefixed names: one lookup against a scan of every namespace
# --------------------------------------------------------------------------


def scanned_prefixed_name(prefixes: dict[str, str], iri: str) -> str | None:
    # The rule as written for Turtle output: the longest namespace the IRI
    # starts with whose remainder is a plain local name (letters, digits, "_",
    # "-", "." inside; first not "-" or "."; last not ".").
    plain = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
    for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        local = iri[len(ns):]
        if (iri.startswith(ns) and local and set(local) <= plain and local[0] not in "-."
                and not local.endswith(".")):
            return f"{prefix}:{local}"
    return None


TRICKY_LOCALS = ["a", "a.b", "a.", ".a", "-a", "a-", "_", "a/b", "a#b", "", "é", "a b", "a%20b", "a~b", "1.0",
                 "article/x", "x/", "x#", "#x", "/x"]


@pytest.mark.parametrize("base", [None, "https://kg.example.com/news#", "https://schema.org/"])
def test_prefixed_names_match_a_scan(base, crafted_kg, tmp_path):
    prefixes = rdf._all_prefixes(base)
    write_exports(crafted_kg, tmp_path, ["nt"], base_iri=base)
    iris = {t for ln in ntriples_lines(tmp_path / "graph.nt") for t in ln.split(" ") if t.startswith("<")}
    iris = {t[1:-1] for t in iris} | {ns + local for ns in prefixes.values() for local in TRICKY_LOCALS}
    iris |= {ns[:-1] + local for ns in prefixes.values() for local in TRICKY_LOCALS}
    prefixed = rdf._prefixed_name(prefixes)
    assert len(iris) > 300
    for iri in sorted(iris):
        assert prefixed(iri) == scanned_prefixed_name(prefixes, iri), iri


@pytest.mark.corpus
def test_corpus_prefixed_names_match_a_scan(corpus_rdf):
    prefixes = rdf._all_prefixes(None)
    prefixed = rdf._prefixed_name(prefixes)
    iris = {t[1:-1] for ln in ntriples_lines(corpus_rdf / "graph.nt") for t in ln.split(" ")[:3:2]
            if t.startswith("<")}
    assert len(iris) > 10_000
    for iri in iris:
        assert prefixed(iri) == scanned_prefixed_name(prefixes, iri), iri


# Every IRI written in Turtle, TriG or JSON-LD is a prefixed name exactly
# where the scan finds one (a full IRI would parse to the same graph, so the
# parsers above cannot tell).
_TURTLE_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|<[^>]*>|[^\s,;"<]+')


def check_written_iri(token: str, prefixes: dict[str, str], full_form: str) -> int:
    """1 if ``token`` is an IRI (full or prefixed) written as the scan says, 0 if not an IRI."""
    if full_form == "<>" and token.startswith("<"):
        iri = token[1:-1]
    elif ":" in token and token.split(":", 1)[0] in prefixes:
        prefix, local = token.split(":", 1)
        iri = prefixes[prefix] + local
    elif full_form == "" and "://" in token:
        iri = token
    else:
        return 0
    expected = scanned_prefixed_name(prefixes, iri)
    assert token == (expected or (f"<{iri}>" if full_form == "<>" else iri)), token
    return 1


def check_turtle_iris(path: Path, prefixes: dict[str, str]) -> int:
    count = 0
    checked: dict[str, int] = {}  # an article IRI recurs ~20 times: checked once
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("@prefix"):
            continue
        for token in _TURTLE_TOKEN.findall(line):
            if not token.startswith('"'):
                if token not in checked:
                    checked[token] = check_written_iri(token.removeprefix("^^"), prefixes, "<>")
                count += checked[token]
    return count


def check_jsonld_iris(path: Path, prefixes: dict[str, str]) -> int:
    doc = json.loads(path.read_text(encoding="utf-8"))
    coerced = {term for term, spec in doc["@context"].items() if isinstance(spec, dict) and spec["@type"] == "@id"}
    count = 0
    checked: dict[str, int] = {}
    for node in doc["@graph"]:
        for key, value in node.items():
            if key in ("@id", "@type") or key in coerced:
                for v in value if isinstance(value, list) else [value]:
                    if v not in checked:
                        checked[v] = check_written_iri(v, prefixes, "")
                    count += checked[v]
            elif isinstance(value, dict) and "@type" in value:  # a typed literal's datatype
                count += check_written_iri(value["@type"], prefixes, "")
    return count


def check_jsonld_layout(path: Path) -> None:
    # One node per line between '"@graph": [' and ']'.
    text = path.read_text(encoding="utf-8")
    head, body = text.split('\n"@graph": [\n', 1)
    assert body.endswith("\n]\n}\n")
    lines = body[: -len("\n]\n}\n")].split("\n")
    assert all(ln.endswith("},") for ln in lines[:-1]) and lines[-1].endswith("}")
    nodes = json.loads(text)["@graph"]
    assert [json.loads(ln.removesuffix(","))["@id"] for ln in lines] == [n["@id"] for n in nodes]
    # one value written as it is, several as an array
    assert not any(isinstance(v, list) and len(v) < 2 for n in nodes for v in n.values())
    assert any(isinstance(v, list) for n in nodes for v in n.values())


@pytest.mark.parametrize("base", [None, "https://kg.example.com/news#"])
def test_crafted_iris_are_prefixed_where_the_scan_says(crafted_kg, tmp_path, base):
    write_exports(crafted_kg, tmp_path, FORMATS, base_iri=base)
    prefixes = rdf._all_prefixes(base)
    for fmt in ("ttl", "trig"):
        assert check_turtle_iris(tmp_path / f"graph.{fmt}", prefixes) > 100, fmt
    assert check_jsonld_iris(tmp_path / "graph.jsonld", prefixes) > 100
    check_jsonld_layout(tmp_path / "graph.jsonld")


@pytest.mark.corpus
def test_corpus_iris_are_prefixed_where_the_scan_says(corpus_rdf):
    prefixes = rdf._all_prefixes(None)
    assert check_turtle_iris(corpus_rdf / "graph.ttl", prefixes) > 250_000
    assert check_jsonld_iris(corpus_rdf / "graph.jsonld", prefixes) > 200_000
    check_jsonld_layout(corpus_rdf / "graph.jsonld")


# --------------------------------------------------------------------------
# The joint pass: each format the same as when written alone
# --------------------------------------------------------------------------


@pytest.mark.parametrize("source", [CRAFTED, SEEDS_DIR], ids=["crafted", "seeds"])
def test_joint_pass_writes_each_format_as_alone(source, tmp_path):
    kg = graph.build([source])
    rdf.write_rdf(kg, {fmt: tmp_path / f"joint.{fmt}" for fmt in FORMATS})
    for fmt in FORMATS:
        rdf.write_rdf(kg, {fmt: tmp_path / f"alone.{fmt}"})
        assert (tmp_path / f"alone.{fmt}").read_bytes() == (tmp_path / f"joint.{fmt}").read_bytes(), fmt
    assert rdf.ntriples(kg) == (tmp_path / "joint.nt").read_text(encoding="utf-8")
    if source == SEEDS_DIR:  # more subjects than one write batch: batches follow each other in order
        assert sum(1 for _ in rdf.describe(kg)) > 64


# --------------------------------------------------------------------------
# describe(): the object kinds the renderer relies on
# --------------------------------------------------------------------------


def check_description_kinds(kg) -> None:
    for d in rdf.describe(kg):
        assert isinstance(d.subject, str)
        for pred, objs in d.props:
            assert objs, (d.subject, pred)
            assert pred == rdf.RDF_TYPE or pred in rdf._JSONLD_TERMS, pred  # a compact JSON-LD term
            if pred in rdf.IRI_VALUED:
                assert all(isinstance(o, str) for o in objs), (d.subject, pred, objs)
            else:
                assert all(isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], str) for o in objs), (
                    d.subject, pred, objs)


def test_description_object_kinds(crafted_kg):
    check_description_kinds(crafted_kg)


@pytest.mark.corpus
def test_corpus_description_object_kinds(corpus_kg):
    check_description_kinds(corpus_kg)


def test_lone_surrogates_become_replacement_characters():
    assert rdf._text("a\ud800b\udfff") == ("a\ufffdb\ufffd", None)
    ascii_text = "plain"
    assert rdf._text(ascii_text)[0] is ascii_text
    assert rdf.escape_string(rdf._text("x\udc80")[0]).encode("utf-8") == "x\ufffd".encode("utf-8")
