"""rdflib's SPARQL translation, with repairs where rdflib 7 departs from SPARQL 1.1.

``newsgraph query`` runs on two engines and promises the same answers on
both; oxigraph follows the standard in these cases, rdflib does not:

* A ``FILTER`` of one constant whose Python value is false (``FILTER(false)``,
  ``FILTER(0)``, ``FILTER("")``) is dropped, so it lets every solution through
  (rdflib issue 3381: the translation asks ``if filters:`` of the expression
  itself). The repair writes such a filter as ``c && c``, which has the same
  effective boolean value (and the same error) and is never dropped.
* ``GROUP BY`` over no solutions gives one row with nothing bound, where
  SPARQL 1.1 has no group and so no row (rdflib issue 3382: the row that an
  aggregate without ``GROUP BY`` must give is given for both). The repair
  evaluates a grouped aggregate itself, through rdflib's ``CUSTOM_EVALS``
  hook, and only the nodes this module renamed: other users of rdflib in the
  process are not affected.

* ``SELECT *`` projects every variable of the pattern, also those a
  ``FILTER NOT EXISTS`` or the right side of a ``MINUS`` uses, which are not in
  scope (SPARQL 1.1, 18.2.1): columns that are always empty, which oxigraph
  does not give. The repair projects the variables in scope.

The repairs stay right once rdflib is fixed.

Examples
--------
>>> import rdflib
>>> from rdflib.plugins.sparql.parser import parseQuery
>>> g = rdflib.Graph()
>>> _ = g.add((rdflib.URIRef("urn:a"), rdflib.URIRef("urn:p"), rdflib.Literal(1)))
>>> def rows(text):
...     return len(g.query(translate_query(parseQuery(text), {})).bindings)
>>> rows("SELECT * WHERE { ?s ?p ?o FILTER(false) }"), rows("SELECT * WHERE { ?s ?p ?o FILTER(true) }")
(0, 1)
>>> rows("SELECT ?s (COUNT(*) AS ?n) WHERE { ?s <urn:nothing> ?o } GROUP BY ?s")
0
>>> rows("SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:nothing> ?o }")  # no GROUP BY: one group, one row
1
>>> q = "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { ?s <urn:q> ?x } MINUS { ?s <urn:r> ?y } }"
>>> sorted(map(str, g.query(translate_query(parseQuery(q), {})).vars))
['o', 'p', 's']
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

__all__ = ["translate_query"]

#: The name a grouped aggregate's algebra node is given, so that only this module evaluates it.
_GROUPED_AGGREGATE = "NewsgraphGroupedAggregateJoin"


def translate_query(tree: Any, prefixes: Mapping[str, str]) -> Any:
    """rdflib's ``translateQuery`` of a parsed query, repaired as the module says.

    Parameters
    ----------
    tree : pyparsing.ParseResults
        What ``rdflib.plugins.sparql.parser.parseQuery`` returned; changed in place.
    prefixes : mapping
        Prefixes the query may use undeclared.

    Returns
    -------
    rdflib.plugins.sparql.sparql.Query
        The prepared query, for ``Graph.query``.
    """
    from rdflib.plugins.sparql import CUSTOM_EVALS
    from rdflib.plugins.sparql.algebra import translateQuery, traverse

    tree[1] = traverse(tree[1], visitPost=_filter_kept)
    prepared = translateQuery(tree, None, dict(prefixes))
    traverse(prepared.algebra, visitPost=_grouped_renamed)
    if prepared.algebra.name == "SelectQuery" and "projection" not in tree[1]:  # SELECT *
        _project_in_scope(prepared.algebra)
    CUSTOM_EVALS.setdefault(_GROUPED_AGGREGATE, _evaluate_grouped)
    return prepared


def _filter_kept(node: Any) -> None:
    """A ``FILTER`` of a constant term (not an expression) becomes ``c && c``."""
    from rdflib.plugins.sparql.operators import and_
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue) and node.name == "Filter":
        term = node.expr
        # the parser wraps a term in one node per level of the grammar (ConditionalOrExpression,
        # ..., MultiplicativeExpression), each without "other"; the translation unwraps them
        while isinstance(term, CompValue) and term.name.endswith("Expression") and term.other is None:
            term = term.expr
        if not isinstance(term, CompValue) or term.name == "literal":  # falsy once translated
            node["expr"] = and_(node.expr, node.expr)


def _project_in_scope(query: Any) -> None:
    """The outer projection of a ``SELECT *`` narrowed to the variables in scope."""
    from rdflib.plugins.sparql.parserutils import CompValue

    project = query.p
    while isinstance(project, CompValue) and project.name != "Project":  # under Distinct, Slice...
        project = project.get("p")
    scope = _in_scope(project.p) if isinstance(project, CompValue) else None
    if scope is not None:
        query["PV"] = project["PV"] = [v for v in query.PV if v in scope]


def _in_scope(node: Any) -> set | None:
    """The variables in scope of a pattern (SPARQL 1.1, 18.2.1); ``None`` where this
    does not know the node (the projection is then left as rdflib made it)."""
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable

    if not isinstance(node, CompValue):
        return None
    name = node.name
    if name == "BGP":
        return {t for triple in node.triples for t in triple if isinstance(t, Variable)}
    if name in ("Join", "LeftJoin", "Union"):
        left, right = _in_scope(node.p1), _in_scope(node.p2)
        return None if left is None or right is None else left | right
    if name == "Minus":  # its right side only removes solutions
        return _in_scope(node.p1)
    if name in ("Filter", "ToMultiSet", "Distinct", "Reduced", "Slice", "OrderBy"):  # a filter's own variables: not
        return _in_scope(node.p)
    if name == "Extend":
        inner = _in_scope(node.p)
        return None if inner is None else inner | {node.var}
    if name == "Graph":
        inner = _in_scope(node.p)
        return None if inner is None else inner | ({node.term} if isinstance(node.term, Variable) else set())
    if name == "Project":
        return set(node.PV)
    if name == "values":
        return {v for row in node.res for v in row}
    return None


def _grouped_renamed(node: Any) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue) and node.name == "AggregateJoin" and node.p.expr is not None:
        node.name = _GROUPED_AGGREGATE


def _evaluate_grouped(ctx: Any, part: Any) -> Iterator[Any]:
    """rdflib's ``CUSTOM_EVALS`` hook: the renamed nodes are evaluated here, any other node by rdflib."""
    if part.name != _GROUPED_AGGREGATE:
        raise NotImplementedError  # the hook's way to say "not mine"
    return _grouped_solutions(ctx, part)


def _grouped_solutions(ctx: Any, part: Any) -> Iterator[Any]:
    """One solution per group, as rdflib's ``evalAggregateJoin`` with ``GROUP BY``, and none without groups."""
    from rdflib.plugins.sparql.aggregates import Aggregator
    from rdflib.plugins.sparql.evaluate import evalPart
    from rdflib.plugins.sparql.evalutils import _eval
    from rdflib.plugins.sparql.sparql import FrozenBindings

    groups: dict[tuple, Aggregator] = {}
    for solution in evalPart(ctx, part.p):
        key = tuple(_eval(e, solution, False) for e in part.p.expr)
        if key not in groups:
            groups[key] = Aggregator(aggregations=part.A)
        groups[key].update(solution)
    for aggregator in groups.values():
        yield FrozenBindings(ctx, aggregator.get_bindings())
