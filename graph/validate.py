"""SHACL validation of newsgraph RDF with the shapes shipped in the package.

:func:`validate` checks an exported file (or a built graph) against
``graph/data/shapes.ttl`` with pySHACL and returns a :class:`ValidationReport`
whose violations are plain data, sorted, and printable one per line
(:meth:`ValidationReport.format`), which is what ``newsgraph validate`` shows.

Examples
--------
>>> import graph
>>> report = validate(graph.build(["seeds/000_661d67e696f09288.txt"]))
>>> report.conforms, report.violations
(True, [])
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from .errors import NewsgraphError
from .namespaces import PREFIXES, SH

if TYPE_CHECKING:
    import rdflib

__all__ = ["Violation", "ValidationReport", "shapes_graph", "validate"]


@dataclass(frozen=True)
class Violation:
    """One SHACL result: which node, which property, what was wrong.

    ``component`` is the constraint component without its namespace
    (``MinCountConstraintComponent``, ``DatatypeConstraintComponent``, …).
    ``value`` is the offending value: an IRI as it is, a literal as written
    in N-Triples (``"no"^^xsd:boolean``, ``"https://x.example/"``), so the
    two are told apart; ``focus`` too (a shape that targets the objects of a
    property checks a literal written where an IRI belongs).
    """

    focus: str
    path: str | None
    component: str
    message: str
    value: str | None = None
    severity: str = "Violation"
    shape: str | None = None

    def format(self) -> str:
        """One readable line: ``node  property: message (value) [component]``."""
        where = _short(self.focus) + (f"  {_short(self.path)}" if self.path else "")
        value = f" (value: {_short(self.value)})" if self.value is not None and self.value != self.focus else ""
        kind = self.component.removesuffix("ConstraintComponent")
        return f"{self.severity.lower()}: {where}: {self.message}{value} [{kind}]"


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    triples: int = 0
    #: The shapes file checked against, when not the shipped shapes.
    shapes: str | None = None

    def format(self, limit: int | None = None) -> str:
        """All violations, one per line, then a summary line."""
        shown = self.violations if limit is None else self.violations[:limit]
        lines = [v.format() for v in shown]
        if limit is not None and len(self.violations) > limit:
            lines.append(f"... and {len(self.violations) - limit:,} more")
        if self.conforms:
            against = "the newsgraph shapes" if self.shapes is None else f"the shapes in {self.shapes}"
            lines.append(f"valid: {self.triples:,} triples conform to {against}")
        else:
            against = "" if self.shapes is None else f" against the shapes in {self.shapes}"
            lines.append(f"invalid: {len(self.violations):,} violation(s) in {self.triples:,} triples{against}")
        return "\n".join(lines)


def _value_text(value: Any, rdflib: Any) -> str | None:
    r"""An IRI as it is; a literal as N-Triples writes it, its datatype shortened.

    >>> import rdflib
    >>> _value_text(rdflib.Literal("1", datatype=rdflib.XSD.boolean, normalize=False), rdflib)
    '"1"^^xsd:boolean'
    >>> _value_text(rdflib.Literal('say "hi"'), rdflib), _value_text(rdflib.URIRef("https://x.example/"), rdflib)
    ('"say \\"hi\\""', 'https://x.example/')
    """
    from .query import _XSD_STRING, _from_rdflib

    if value is None:
        return None
    if not isinstance(value, rdflib.Literal):
        return str(value)
    term = _from_rdflib(value)  # written as query's results and the exports write it
    text = term.ntriples()
    if term.datatype and term.datatype != _XSD_STRING:  # the datatype shortened: "89"^^xsd:integer
        text = text[:text.rindex("^^")] + "^^" + _short(term.datatype)
    return text


def _short(iri: str | None) -> str:
    if iri is None:
        return ""
    if iri.startswith("^"):
        return "^" + _short(iri[1:])
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri if not iri.startswith(("http://", "https://", "urn:")) else f"<{iri}>"


def shapes_graph() -> rdflib.Graph:
    """The shipped SHACL shapes (``graph/data/shapes.ttl``) as an ``rdflib.Graph``."""
    import rdflib

    text = (resources.files("graph") / "data" / "shapes.ttl").read_text(encoding="utf-8")
    return rdflib.Graph().parse(data=text, format="turtle")


def validate(data: Any, *, shapes: str | os.PathLike | None = None, base_iri: str | None = None) -> ValidationReport:
    """Validate RDF data against the newsgraph SHACL shapes.

    Parameters
    ----------
    data : path, KnowledgeGraph or rdflib.Graph
        An exported RDF file (``.ttl``, ``.nt``, ``.jsonld``, ``.trig``), a
        built graph, or a loaded graph (not modified).
    shapes : path, optional
        Other shapes to use instead of the shipped ones.
    base_iri : str, optional
        Base IRI when ``data`` is a KnowledgeGraph.

    Returns
    -------
    ValidationReport

    Raises
    ------
    NewsgraphError
        When the data or the shapes cannot be read (the message names the file).
    """
    import pyshacl
    import rdflib

    from .query import load_rdflib

    graph = load_rdflib(data, base_iri=base_iri)
    if len(graph) == 0:  # an empty file, or JSON-LD of null: "valid: 0 triples conform" told a script all was well
        where = os.fspath(data) if isinstance(data, (str, os.PathLike)) else "the graph"
        raise NewsgraphError(f"{where} holds no triples: nothing to check")
    if shapes is None:
        shacl = shapes_graph()
    else:
        try:
            shacl = load_rdflib(shapes)
        except NewsgraphError as err:
            raise NewsgraphError(f"shapes: {err}") from err
        sh = rdflib.Namespace(SH)
        if not any((None, rdflib.RDF.type, kind) in shacl for kind in (sh.NodeShape, sh.PropertyShape)) and \
                not any(str(p).startswith(SH + "target") for p in set(shacl.predicates())):
            # an empty file, or another RDF file given by mistake: everything "conformed"
            raise NewsgraphError(f"shapes: {shapes} holds no SHACL shapes (no sh:NodeShape, sh:PropertyShape "
                                 "or sh:target...): nothing to check against")
    if not _targets_met(graph, shacl, rdflib):
        # unrelated RDF (another tool's export, a vocabulary) "conformed": no node was checked
        where = os.fspath(data) if isinstance(data, (str, os.PathLike)) else "the graph"
        against = ("the newsgraph shapes check (no article, provider, topic or image)" if shapes is None
                   else f"the shapes in {os.fspath(shapes)} target")
        raise NewsgraphError(f"{where}: none of its {len(graph):,} triples is about a node {against}: nothing was "
                             "checked" + ("; is it a newsgraph export?" if shapes is None else ""))
    try:
        # inplace: pySHACL would otherwise copy the data graph first; with no
        # inference it does not change it.
        conforms, results, _ = pyshacl.validate(graph, shacl_graph=shacl, inference="none", inplace=True,
                                                advanced=False, allow_warnings=True)
    except Exception as err:  # pySHACL reports bad shapes with assorted exceptions
        raise NewsgraphError(f"SHACL validation failed: {err}") from err
    if not isinstance(results, rdflib.Graph):
        # a pyshacl.errors.ValidationFailure, returned: a SPARQL constraint with SERVICE, MINUS...
        where = "" if shapes is None else f" (shapes: {os.fspath(shapes)})"
        raise NewsgraphError(f"SHACL validation failed{where}: {results}")
    return ValidationReport(bool(conforms), _violations(results, rdflib), len(graph),
                            None if shapes is None else os.fspath(shapes))


def _targets_met(graph: rdflib.Graph, shacl: rdflib.Graph, rdflib: Any) -> bool:
    """Whether ``graph`` holds a node some shape of ``shacl`` targets (SHACL 2.1's
    targets: class, with subclasses the data declares, implicit class, subjects and
    objects of a property; a node target, checked whatever the data, and a
    SPARQL-based one, which this cannot tell, count as met)."""
    sh, rdf, rdfs = rdflib.Namespace(SH), rdflib.RDF, rdflib.RDFS
    classes = set(shacl.objects(None, sh.targetClass))
    classes |= {s for s in shacl.subjects(rdf.type, sh.NodeShape) if (s, rdf.type, rdfs.Class) in shacl}
    seen: set = set()
    while classes - seen:  # SHACL counts instances of subclasses, as the data graph declares them
        seen |= classes
        classes |= {sub for c in seen for sub in graph.subjects(rdfs.subClassOf, c)}
    if any((None, rdf.type, c) in graph for c in classes):
        return True
    if any((None, p, None) in graph for p in shacl.objects(None, sh.targetSubjectsOf)) or \
            any((None, p, None) in graph for p in shacl.objects(None, sh.targetObjectsOf)):
        return True
    # a node named by sh:targetNode is checked whether or not the data mentions it
    return (None, sh.targetNode, None) in shacl or (None, sh.target, None) in shacl


def _violations(results: Any, rdflib: Any) -> list[Violation]:
    sh = rdflib.Namespace(SH)
    out = []
    for r in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        def one(pred):
            v = results.value(r, pred)
            return None if v is None else str(v)

        component = one(sh.sourceConstraintComponent) or ""
        path = results.value(r, sh.resultPath)
        inverse = results.value(path, sh.inversePath) if path is not None else None
        if isinstance(path, rdflib.URIRef):
            path_text = str(path)
        elif isinstance(inverse, rdflib.URIRef):
            path_text = "^" + str(inverse)  # SPARQL's inverse path
        else:
            path_text = None if path is None else "(path)"
        out.append(Violation(
            focus=_value_text(results.value(r, sh.focusNode), rdflib) or "",
            path=path_text,
            component=component.removeprefix(SH),
            message=one(sh.resultMessage) or "",
            value=_value_text(results.value(r, sh.value), rdflib),
            severity=(one(sh.resultSeverity) or SH + "Violation").removeprefix(SH),
            shape=one(sh.sourceShape) if isinstance(results.value(r, sh.sourceShape), rdflib.URIRef) else None,
        ))
    return sorted(out, key=lambda v: (v.focus, v.path or "", v.component, v.message, v.value or ""))
