"""SHACL validation: the real corpus conforms; a broken graph yields exactly the expected violations."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

import graph
from graph.cli import cli
from graph.errors import NewsgraphError
from graph.export import write_exports
from graph.validate import shapes_graph, validate

DATA = Path(__file__).parent / "data" / "rdf"
EX = "https://example.org/broken/"
SCHEMA = "https://schema.org/"
NG = "https://example.org/newsgraph/ns#"

# Read off the comments in tests/data/rdf/broken.ttl, one per planted problem.
EXPECTED_BROKEN = {
    (EX + "a1", SCHEMA + "url", "MinCountConstraintComponent"),
    (EX + "a1", None, "OrConstraintComponent"),
    (EX + "a2", SCHEMA + "url", "MaxCountConstraintComponent"),
    (EX + "a2", SCHEMA + "datePublished", "OrConstraintComponent"),
    (EX + "a2", NG + "quality", "DatatypeConstraintComponent"),
    (EX + "a2", SCHEMA + "publisher", "ClassConstraintComponent"),
    (EX + "notAnOrganization", None, "ClassConstraintComponent"),
    (EX + "a3", SCHEMA + "url", "PatternConstraintComponent"),
    (EX + "nowhere", SCHEMA + "url", "MinCountConstraintComponent"),
    (EX + "p2", SCHEMA + "name", "MinCountConstraintComponent"),
    (EX + "nowhere", None, "OrConstraintComponent"),
    (EX + "a4", None, "OrConstraintComponent"),
    ("https://a.example/4", "^" + SCHEMA + "url", "MaxCountConstraintComponent"),
    (EX + "a5", SCHEMA + "datePublished", "OrConstraintComponent"),
    (EX + "notAnArticle", None, "OrConstraintComponent"),
}


def test_shapes_ship_with_the_package():
    shapes = shapes_graph()
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    targets = set(shapes.objects(None, sh.targetClass))
    assert {rdflib.URIRef(SCHEMA + "NewsArticle"), rdflib.URIRef(SCHEMA + "Organization")} <= targets


def test_broken_graph_yields_the_planted_violations():
    report = validate(DATA / "broken.ttl")
    assert not report.conforms
    assert {(v.focus, v.path, v.component) for v in report.violations} == EXPECTED_BROKEN
    assert len(report.violations) == len(EXPECTED_BROKEN)
    text = report.format()
    assert "an article that is not a stub needs a headline" in text
    assert f"invalid: {len(EXPECTED_BROKEN)} violation(s)" in text


def test_hostile_build_conforms(tmp_path):
    kg = graph.build([DATA / "hostile"])
    for fmt in ("ttl", "nt", "jsonld", "trig"):
        write_exports(kg, tmp_path, [fmt])
        report = validate(tmp_path / f"graph.{fmt}")
        assert report.conforms and report.violations == [], (fmt, report.format())


def test_missing_or_bad_file_is_a_clear_error(tmp_path):
    with pytest.raises(NewsgraphError, match="no such file"):
        validate(tmp_path / "nothing.ttl")
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix x: <http://x/> .\nx:a x:b \"unterminated .\n", encoding="utf-8")
    with pytest.raises(NewsgraphError, match="bad.ttl"):
        validate(bad)


def test_cli_validate(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(DATA / "broken.ttl")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    n = len(EXPECTED_BROKEN)
    assert len(lines) == n + 1 and lines[-1].startswith(f"invalid: {n} violation(s)")
    assert "violation: <https://example.org/broken/p2>  schema:name: a provider has exactly one name [MinCount]" in lines
    limited = runner.invoke(cli, ["validate", str(DATA / "broken.ttl"), "--limit", "2"])
    assert limited.exit_code == 1 and f"... and {n - 2} more" in limited.output
    # Could not check: status 2, never 1, which a script reads as "violations" (pySHACL
    # users asked for the same: RDFLib/pySHACL#131)
    missing = runner.invoke(cli, ["validate", str(tmp_path / "nothing.ttl")])
    assert missing.exit_code == 2 and "no such file" in missing.output and "Traceback" not in missing.output
    (tmp_path / "bad.ttl").write_text("x:a x:b .\n", encoding="utf-8")
    unreadable = runner.invoke(cli, ["validate", str(tmp_path / "bad.ttl")])
    assert unreadable.exit_code == 2 and "bad.ttl" in unreadable.output and "Traceback" not in unreadable.output
    (tmp_path / "empty").mkdir()
    no_rdf = runner.invoke(cli, ["validate", str(tmp_path / "empty")])  # a folder without graph.nt or graph.ttl
    assert no_rdf.exit_code == 2 and str(tmp_path / "empty") in no_rdf.output, no_rdf.output
    build = runner.invoke(cli, ["build", str(DATA / "hostile"), "-o", str(tmp_path), "-f", "ttl", "-q"])
    assert build.exit_code == 0, build.output
    ok = runner.invoke(cli, ["validate", str(tmp_path / "graph.ttl")])
    assert ok.exit_code == 0 and ok.output.startswith("valid: 46 triples"), ok.output


def test_cli_validate_has_help():
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0 and "SHACL" in result.output


@pytest.mark.corpus
def test_corpus_build_has_zero_violations(corpus_rdflib):
    before = len(corpus_rdflib)
    report = validate(corpus_rdflib)
    assert report.violations == [] and report.conforms, report.format(limit=20)
    assert len(corpus_rdflib) == before == report.triples  # validation left the shared graph alone


def test_a_violation_shows_a_value_as_written_and_a_literal_apart_from_an_iri(tmp_path):
    """A URL written as a string is not an IRI: its value is shown quoted, and
    "no"^^xsd:boolean as written (rdflib rewrote it to false)."""
    nt = tmp_path / "graph.nt"
    a, sch, ng = "<https://example.org/broken/a>", "https://schema.org/", NG
    nt.write_text("\n".join([
        f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{sch}NewsArticle> .",
        f'{a} <{sch}url> "https://x.example/a" .',
        f'{a} <{ng}isStub> "no"^^<http://www.w3.org/2001/XMLSchema#boolean> .',
    ]) + "\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="weird boolean"):  # rdflib's, for the planted value
        report = validate(nt)
    values = {(v.path, v.component): v.value for v in report.violations}
    assert values[(SCHEMA + "url", "NodeKindConstraintComponent")] == '"https://x.example/a"'
    assert values[(NG + "isStub", "DatatypeConstraintComponent")] == '"no"^^xsd:boolean'
    assert '(value: "https://x.example/a")' in report.format()


def test_a_literal_focus_node_is_shown_quoted_not_as_the_iri_it_spells(tmp_path):
    """A related edge written to a string, not an IRI: the shape for related targets
    checks the string, which was shown as <https://...>, blaming the real article
    of that IRI (typed, with a URL) for a missing type and URL."""
    nt = tmp_path / "graph.nt"
    a, b, sch = "https://example.org/broken/a", "https://example.org/broken/b", "https://schema.org/"
    nt.write_text("\n".join([
        *(f"<{x}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{sch}NewsArticle> .\n"
          f'<{x}> <{sch}url> <https://x.example/{x[-1]}> .\n'
          f'<{x}> <{NG}isStub> "false"^^<http://www.w3.org/2001/XMLSchema#boolean> .' for x in (a, b)),
        f'<{a}> <{NG}related> "{b}" .',
    ]) + "\n", encoding="utf-8")
    report = validate(nt)
    assert not report.conforms
    on_target = [v for v in report.violations if v.message.startswith("a related edge points at an article")]
    assert len(on_target) == 2 and {v.focus for v in on_target} == {f'"{b}"'}  # not the article <b>
    lines = [line for line in report.format().splitlines() if "a related edge points at an article" in line]
    assert len(lines) == 2 and all(line.startswith(f'violation: "{b}"') for line in lines)


def test_a_value_with_control_characters_is_escaped_in_the_output(tmp_path):
    nt = tmp_path / "graph.nt"
    a = "<https://example.org/broken/a>"
    nt.write_text(f'{a} <https://schema.org/headline> "one\\r\\u001b[31mred"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
                  encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(nt)])
    assert result.exit_code == 2 and "nothing was checked" in result.output  # no article here; now one that is
    nt.write_text(f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/NewsArticle> .\n"
                  + nt.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(nt)])
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "schema:headline" in x)
    assert r'(value: "one\r\u001B[31mred"^^xsd:integer)' in line and "\x1b" not in result.output


def test_other_shapes_are_named_and_a_file_without_shapes_is_refused(tmp_path):
    """With --shapes, "valid" named the newsgraph shapes; an empty shapes file (or any
    RDF without shapes) let everything conform: could not check, status 2."""
    runner = CliRunner()
    mine = tmp_path / "mine.ttl"
    mine.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix schema: <https://schema.org/> .\n"
                    "<https://a.example/shapes#org> a sh:NodeShape ; sh:targetClass schema:Organization ;\n"
                    "  sh:property [ sh:path schema:name ; sh:minCount 1 ] .\n", encoding="utf-8")
    ok = runner.invoke(cli, ["validate", str(DATA / "broken.ttl"), "--shapes", str(mine)])
    # broken.ttl's one nameless provider (p2) is all that these shapes see
    assert ok.exit_code == 1, ok.output
    # the summary names the shapes whatever the outcome (it did only when the data was valid)
    triples = len(rdflib.Graph().parse(DATA / "broken.ttl"))  # counted by rdflib
    assert ok.output.strip().splitlines()[-1] == \
        f"invalid: 1 violation(s) in {triples} triples against the shapes in {mine}"
    (tmp_path / "named.ttl").write_text("<https://a.example/o> a <https://schema.org/Organization> ;\n"
                                        "  <https://schema.org/name> \"O\" .\n", encoding="utf-8")
    valid = runner.invoke(cli, ["validate", str(tmp_path / "named.ttl"), "--shapes", str(mine)])
    assert valid.exit_code == 0 and valid.output == f"valid: 2 triples conform to the shapes in {mine}\n"
    for content in ("", "<https://a.example/x> <https://a.example/p> 1 .\n"):
        empty = tmp_path / "empty.ttl"
        empty.write_text(content, encoding="utf-8")
        refused = runner.invoke(cli, ["validate", str(tmp_path / "named.ttl"), "--shapes", str(empty)])
        assert refused.exit_code == 2 and "holds no SHACL shapes" in refused.output, refused.output


@pytest.mark.parametrize("clause", ["SERVICE <http://127.0.0.1:9/sparql> { ?a ?b ?c }", "MINUS { $this ?p 1 }"])
def test_a_sparql_constraint_pyshacl_cannot_run_is_an_error_naming_the_shapes(tmp_path, clause):
    """pySHACL returns (not raises) a ValidationFailure for a SPARQL constraint
    it refuses (SERVICE, MINUS, VALUES): validate read it as a results graph and
    ended in an AttributeError's traceback."""
    shapes = tmp_path / "sparql-shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix schema: <https://schema.org/> .\n"
                      "<https://a.example/shapes#s> a sh:NodeShape ; sh:targetClass schema:Organization ;\n"
                      f'  sh:sparql [ sh:select """SELECT $this WHERE {{ $this ?p ?o . {clause} }}""" ] .\n',
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(DATA / "broken.ttl"), "--shapes", str(shapes)])
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, AttributeError) and "Traceback" not in result.output
    assert result.output.startswith(f"Error: SHACL validation failed (shapes: {shapes}): A SPARQL Constraint "
                                    "must not contain"), result.output


@pytest.mark.parametrize("name, content", [("empty.nt", ""), ("null.jsonld", "null"), ("list.jsonld", "[1, 2, 3]")])
def test_a_file_holding_no_triples_could_not_be_checked(tmp_path, name, content):
    """An empty file (or JSON-LD of null) was "valid: 0 triples conform", status 0:
    a script took a truncated or mistaken export for a good one. Like a shapes
    file holding no shapes, it is status 2: nothing to check."""
    data = tmp_path / name
    data.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(data)])
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {data} holds no triples: nothing to check\n"


def test_rdf_no_shape_targets_could_not_be_checked(tmp_path):
    """A file of unrelated triples (another tool's export, a vocabulary) was "valid: 1
    triples conform", status 0, though no shape looked at any of its nodes. Expected:
    status 2, nothing checked, for the shipped shapes and for others; a node the shapes
    target (by class, by a subclass the data declares, as the object of a property)
    is checked as before."""
    runner = CliRunner()
    unrelated = tmp_path / "unrelated.nt"
    unrelated.write_text('<http://a.example/s> <http://a.example/p> "x" .\n'
                         '<http://a.example/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                         '<http://a.example/Thing> .\n', encoding="utf-8")
    refused = runner.invoke(cli, ["validate", str(unrelated)])
    assert refused.exit_code == 2 and "nothing was checked" in refused.output and "Traceback" not in refused.output
    assert f"{unrelated}: none of its 2 triples" in refused.output
    mine = tmp_path / "mine.ttl"
    mine.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix schema: <https://schema.org/> .\n"
                    "<https://a.example/shapes#org> a sh:NodeShape ; sh:targetClass schema:Organization ;\n"
                    "  sh:property [ sh:path schema:name ; sh:minCount 1 ] .\n", encoding="utf-8")
    other = runner.invoke(cli, ["validate", str(unrelated), "--shapes", str(mine)])
    assert other.exit_code == 2 and f"the shapes in {mine} target: nothing was checked" in other.output
    # a nameless organization, typed through a subclass the data declares: pySHACL checks it
    sub = tmp_path / "sub.ttl"
    sub.write_text("@prefix schema: <https://schema.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                   "<https://a.example/Newsroom> rdfs:subClassOf schema:Organization .\n"
                   "<https://a.example/o> a <https://a.example/Newsroom> .\n", encoding="utf-8")
    checked = runner.invoke(cli, ["validate", str(sub), "--shapes", str(mine)])
    assert checked.exit_code == 1 and "invalid: 1 violation(s)" in checked.output, checked.output
    # a publisher alone, not typed (the shipped shapes target the objects of schema:publisher)
    url = tmp_path / "publisher.nt"
    url.write_text("<https://a.example/a> <https://schema.org/publisher> <https://a.example/p> .\n", encoding="utf-8")
    seen = runner.invoke(cli, ["validate", str(url)])
    assert seen.exit_code == 1 and "invalid:" in seen.output, seen.output
