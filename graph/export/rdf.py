"""RDF exports: Turtle, N-Triples, JSON-LD and TriG, written by streaming.

The graph is described once, by :func:`describe`, as a sequence of subject
descriptions in a fixed order (providers, topics, articles, images, source
files; each sorted by IRI; every multi-valued property sorted). Each writer
renders that sequence as text directly: rdflib's serializers take many
seconds on the ~300,000 triples of the real corpus and refuse some real URLs,
while the text itself is simple to write correctly.

Escaping follows the specifications: strings in N-Triples' canonical form
(``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``, other controls as
``\\uXXXX``, everything else verbatim UTF-8), so every string round-trips
exactly; IRIs pass :func:`graph.namespaces.iri_safe`. Image and logo URLs from
the input are not canonical URLs, so they are typed literals
(``schema:contentUrl "…"^^xsd:anyURI``) rather than IRIs.

The vocabulary (``graph/data/ontology.ttl``) in short:

=================  ==========================================================
node               properties
=================  ==========================================================
article            ``a schema:NewsArticle`` (``schema:VideoObject`` for
                   ``type: video``), ``schema:headline``, ``schema:abstract``,
                   ``schema:datePublished``, ``schema:url``, ``schema:sameAs``,
                   ``ng:originalUrl``, ``schema:articleSection``, ``ng:isStub``,
                   ``ng:quality``, ``ng:heat``, ``ng:isPublished``,
                   ``ng:removed``, ``ng:featuredContent``, ``schema:publisher``,
                   ``schema:about``, ``schema:image``, ``ng:related``,
                   ``dct:source``
provider           ``a schema:Organization``, ``schema:name``,
                   ``schema:alternateName``, ``ng:domain``, ``schema:logo``,
                   ``dct:source``
topic              ``a skos:Concept``, ``skos:prefLabel``, ``skos:altLabel``,
                   ``ng:keyword``, ``ng:hashtag``, ``skos:inScheme``,
                   ``schema:image``, ``dct:source``
image              ``a schema:ImageObject``, ``schema:contentUrl``,
                   ``schema:width``, ``schema:height``
source file        ``a prov:Entity``, ``rdfs:label`` (its relative path)
=================  ==========================================================

Examples
--------
>>> import graph, io
>>> kg = graph.build(["seeds/000_661d67e696f09288.txt"])
>>> text = ntriples(kg)
>>> '<https://schema.org/headline> "Baltimore May Soon Ban Facial Recognition' in text
True
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import defaultdict
from typing import IO, Any, Iterable, Iterator, NamedTuple

from ..model import Image
from ..namespaces import DCT, NG, PREFIXES, PROV, RDF, RDFS, SCHEMA, SKOS, XSD, IRIMinter, iri_safe
from . import atomic_writer

__all__ = [
    "Description",
    "describe",
    "data_prefixes",
    "ntriples",
    "write_ntriples",
    "write_turtle",
    "write_trig",
    "write_jsonld",
    "escape_string",
]

RDF_TYPE = RDF + "type"
XSD_INTEGER = XSD + "integer"
XSD_BOOLEAN = XSD + "boolean"
XSD_DATETIME = XSD + "dateTime"
XSD_DATE = XSD + "date"
XSD_ANYURI = XSD + "anyURI"

# An object is ("i", iri) or ("l", lexical form, datatype IRI or None).
Obj = tuple


class Description(NamedTuple):
    """Everything said about one subject.

    ``graph`` is the source file whose named graph holds the statements in
    TriG (``None``: the default graph); ``props`` is a list of
    ``(predicate IRI, [objects])`` where an object is ``("i", iri)`` or
    ``("l", lexical form, datatype IRI or None)``.
    """

    graph: str | None
    subject: str
    props: list[tuple[str, list[Obj]]]


# Lone surrogates cannot be encoded as UTF-8 nor written as \u escapes in RDF.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _text(value: str) -> Obj:
    if _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return ("l", value, None)


def _typed(value: Any) -> Obj:
    if isinstance(value, bool):
        return ("l", "true" if value else "false", XSD_BOOLEAN)
    if isinstance(value, int):
        return ("l", str(value), XSD_INTEGER)
    if isinstance(value, dt.datetime):
        return ("l", value.isoformat(), XSD_DATETIME)
    if isinstance(value, dt.date):
        return ("l", value.isoformat(), XSD_DATE)
    return _text(str(value))


def _iri(value: str) -> Obj:
    return ("i", iri_safe(value))


_ARTICLE_TYPES = {"video": SCHEMA + "VideoObject"}


_LAST: list = []  # [(weakref to kg, base IRI, fingerprint, descriptions)]: one entry


def _fingerprint(kg: Any) -> tuple:
    return (len(kg.articles), len(kg.providers), len(kg.topics),
            sum(len(a.related_ids) + len(a.topic_ids) + len(a.sources) for a in kg.articles.values()))


def _descriptions(kg: Any, base_iri: str | None) -> list[Description]:
    """:func:`describe` as a list, remembered for the last graph.

    ``newsgraph build`` writes several RDF formats of one graph in a row; the
    description is most of each writer's work, so it is made once.
    """
    import weakref

    key = _fingerprint(kg)
    if _LAST:
        ref, base, fp, found = _LAST[0]
        if ref() is kg and base == base_iri and fp == key:
            return found
    found = list(describe(kg, base_iri))
    _LAST[:] = [(weakref.ref(kg), base_iri, key, found)]
    return found


def describe(kg: Any, base_iri: str | None = None) -> Iterator[Description]:
    """Describe ``kg`` as RDF, subject by subject, in a deterministic order.

    Parameters
    ----------
    kg : KnowledgeGraph
    base_iri : str, optional
        Base of minted IRIs (:data:`graph.namespaces.DEFAULT_BASE_IRI`).

    Yields
    ------
    Description
    """
    mint = IRIMinter(base_iri, kg.report.inputs)
    images: dict[str, Image] = {}
    sources: dict[str, str] = {}

    def image_objs(imgs: Iterable[Image]) -> list[Obj]:
        out = set()
        for im in imgs:
            iri = mint.image(im.url, im.width, im.height)
            images.setdefault(iri, im)
            out.add(iri)
        return [("i", i) for i in sorted(out)]

    def source_objs(paths: Iterable[str]) -> list[Obj]:
        out = set()
        for p in paths:
            iri = sources.get(p)
            if iri is None:
                iri = sources[p] = mint.source(p)
            out.add(iri)
        return [("i", i) for i in sorted(out)]

    def add(props: list, pred: str, objs: list[Obj]) -> None:
        if objs:
            props.append((pred, objs))

    for p in kg.providers.values():
        props: list = [(RDF_TYPE, [("i", SCHEMA + "Organization")]), (SCHEMA + "name", [_text(p.name)])]
        add(props, SCHEMA + "alternateName", [_text(n) for n in sorted(p.alt_names)])
        props.append((NG + "domain", [_text(p.domain)]))
        add(props, SCHEMA + "logo", image_objs(p.images))
        add(props, DCT + "source", source_objs([p.catalog] if p.catalog else []))
        yield Description(None, mint.node(p.id), props)

    if kg.topics:
        yield Description(None, mint.topic_scheme, [
            (RDF_TYPE, [("i", SKOS + "ConceptScheme")]), (SKOS + "prefLabel", [("l", "Topics", None)])])
    for t in kg.topics.values():
        props = [(RDF_TYPE, [("i", SKOS + "Concept")]), (SKOS + "prefLabel", [_text(t.label)])]
        add(props, SKOS + "altLabel", [_text(s) for s in sorted(t.alt_labels)])
        add(props, NG + "keyword", [_text(s) for s in sorted(set(t.keywords))])
        add(props, NG + "hashtag", [_text(s) for s in sorted(set(t.hashtags))])
        props.append((SKOS + "inScheme", [("i", mint.topic_scheme)]))
        add(props, SCHEMA + "image", image_objs(t.images))
        add(props, DCT + "source", source_objs([t.catalog] if t.catalog else []))
        yield Description(None, mint.node(t.id), props)

    for a in kg.articles.values():
        props = [(RDF_TYPE, [("i", _ARTICLE_TYPES.get((a.type or "").strip().lower(), SCHEMA + "NewsArticle"))])]
        if a.title is not None:
            props.append((SCHEMA + "headline", [_text(a.title)]))
        if a.excerpt is not None:
            props.append((SCHEMA + "abstract", [_text(a.excerpt)]))
        if a.published is not None:
            props.append((SCHEMA + "datePublished", [_typed(a.published)]))
        props.append((SCHEMA + "url", [_iri(a.url)]))
        add(props, SCHEMA + "sameAs", sorted({_iri(u) for u in a.aliases}))
        if a.original_url and a.original_url != a.url:
            props.append((NG + "originalUrl", [_iri(a.original_url)]))
        if a.category is not None:
            props.append((SCHEMA + "articleSection", [_text(a.category)]))
        props.append((NG + "isStub", [_typed(bool(a.is_stub))]))
        for pred, value in ((NG + "quality", a.quality), (NG + "heat", a.heat),
                            (NG + "isPublished", a.is_published), (NG + "removed", a.removed)):
            if value is not None:
                props.append((pred, [_typed(value)]))
        if a.featured_content is not None:
            props.append((NG + "featuredContent", [_text(a.featured_content)]))
        if a.provider_id:
            props.append((SCHEMA + "publisher", [("i", mint.node(a.provider_id))]))
        add(props, SCHEMA + "about", [("i", mint.node(t)) for t in sorted(a.topic_ids)])
        add(props, SCHEMA + "image", image_objs(a.images))
        add(props, NG + "related", [("i", mint.node(r)) for r in sorted(a.related_ids)])
        add(props, DCT + "source", source_objs(a.sources))
        # The statements about an article come from its own file when it has
        # one, else from the first file (by path) that lists it as related.
        home = (a.files or a.sources or (None,))[0]
        yield Description(sources.get(home) if home else None, mint.node(a.id), props)

    for iri in sorted(images):
        im = images[iri]
        props = [(RDF_TYPE, [("i", SCHEMA + "ImageObject")]), (SCHEMA + "contentUrl", [("l", _text(im.url)[1], XSD_ANYURI)])]
        if im.width is not None:
            props.append((SCHEMA + "width", [_typed(im.width)]))
        if im.height is not None:
            props.append((SCHEMA + "height", [_typed(im.height)]))
        yield Description(None, iri, props)

    for path, iri in sorted(sources.items(), key=lambda kv: kv[1]):
        yield Description(None, iri, [(RDF_TYPE, [("i", PROV + "Entity")]),
                                      (RDFS + "label", [_text(mint.relative_source(path))])])


# --------------------------------------------------------------------------
# Term rendering
# --------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def _escape_char(m: re.Match) -> str:
    ch = m.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def escape_string(value: str) -> str:
    """``value`` escaped for a ``"…"`` literal in N-Triples, Turtle and TriG.

    >>> print(escape_string('say "hi"\\n\\\\ \\x01 caf\\u00e9'))
    say \\"hi\\"\\n\\\\ \\u0001 caf\u00e9
    """
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def _nt_term(obj: Obj) -> str:
    if obj[0] == "i":
        return f"<{obj[1]}>"
    if obj[2] is None:
        return f'"{escape_string(obj[1])}"'
    return f'"{escape_string(obj[1])}"^^<{obj[2]}>'


def data_prefixes(base_iri: str | None = None) -> dict[str, str]:
    """Prefixes of minted IRIs (``article:``, ``provider:``, ``topic:``, ``img:``, ``src:``).

    >>> data_prefixes("https://kg.example.com/")["article"]
    'https://kg.example.com/article/'
    """
    mint = IRIMinter(base_iri)
    return {"article": mint.node("article/"), "provider": mint.node("provider/"), "topic": mint.node("topic/"),
            "img": mint.base + "image/", "src": mint.base + "source/"}


# Local names written as prefix:name only when plainly valid in Turtle 1.1
# (rapper included); anything else is written as a full <IRI>.
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


class _TurtleTerms:
    """Renders IRIs as prefixed names where possible, with a cache."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        # Longest namespace first so "…/id/article/" wins over "…/id/".
        self.namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
        self.cache: dict[str, str] = {RDF_TYPE: "a"}

    def iri(self, iri: str) -> str:
        out = self.cache.get(iri)
        if out is None:
            out = f"<{iri}>"
            for ns, prefix in self.namespaces:
                if iri.startswith(ns) and _SAFE_LOCAL.match(iri[len(ns):]):
                    out = f"{prefix}:{iri[len(ns):]}"
                    break
            self.cache[iri] = out
        return out

    def obj(self, obj: Obj) -> str:
        if obj[0] == "i":
            return self.iri(obj[1])
        lex, dtype = obj[1], obj[2]
        if dtype is None:
            return f'"{escape_string(lex)}"'
        if dtype == XSD_INTEGER or dtype == XSD_BOOLEAN:
            return lex  # Turtle's bare integer and boolean literals
        return f'"{escape_string(lex)}"^^{self.iri(dtype)}'


def _turtle_block(d: Description, terms: _TurtleTerms, indent: str = "") -> str:
    parts = []
    for pred, objs in d.props:
        parts.append(f"{terms.iri(pred)} {', '.join(terms.obj(o) for o in objs)}")
    sep = f" ;\n{indent}    "
    return f"{indent}{terms.iri(d.subject)} {sep.join(parts)} .\n"


def _prefix_lines(prefixes: dict[str, str]) -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())


def _all_prefixes(base_iri: str | None) -> dict[str, str]:
    return {**PREFIXES, **data_prefixes(base_iri)}


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


def _write_ntriples(descriptions: Iterable[Description], fh: IO[str]) -> None:
    cache: dict[str, str] = {}
    buf: list[str] = []
    for d in descriptions:
        s = f"<{d.subject}> "
        for pred, objs in d.props:
            p = cache.get(pred)
            if p is None:
                p = cache[pred] = f"<{pred}> "
            for o in objs:
                if o[0] == "i":
                    t = cache.get(o[1])
                    if t is None:
                        t = cache[o[1]] = f"<{o[1]}>"
                else:
                    t = _nt_term(o)
                buf.append(f"{s}{p}{t} .\n")
        if len(buf) > 20000:
            fh.write("".join(buf))
            buf.clear()
    fh.write("".join(buf))


def ntriples(kg: Any, base_iri: str | None = None) -> str:
    """The graph as one N-Triples string (what :func:`write_ntriples` writes)."""
    import io

    out = io.StringIO()
    _write_ntriples(_descriptions(kg, base_iri), out)
    return out.getvalue()


def write_ntriples(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as N-Triples (canonical escaping, one triple per line)."""
    with atomic_writer(path) as fh:
        _write_ntriples(_descriptions(kg, base_iri), fh)


def write_turtle(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as prefixed, readable Turtle: one block per subject."""
    prefixes = _all_prefixes(base_iri)
    terms = _TurtleTerms(prefixes)
    with atomic_writer(path) as fh:
        fh.write(_prefix_lines(prefixes))
        buf: list[str] = []
        for d in _descriptions(kg, base_iri):
            buf.append("\n")
            buf.append(_turtle_block(d, terms))
            if len(buf) > 4000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def write_trig(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as TriG: one named graph per source file.

    An article's statements sit in the graph named after its own file (the
    first by path when it was merged from several), a stub's in the graph of
    the first file that lists it; providers, topics, images and the source
    files' own descriptions are in the default graph. The union of all graphs
    is exactly the graph of the other formats.
    """
    prefixes = _all_prefixes(base_iri)
    terms = _TurtleTerms(prefixes)
    default: list[Description] = []
    named: dict[str, list[Description]] = defaultdict(list)
    for d in _descriptions(kg, base_iri):
        (default if d.graph is None else named[d.graph]).append(d)
    with atomic_writer(path) as fh:
        fh.write(_prefix_lines(prefixes))
        if default:
            fh.write("\n{\n")
            fh.write("\n".join(_turtle_block(d, terms, "    ") for d in default))
            fh.write("}\n")
        for name in sorted(named):
            fh.write(f"\n{terms.iri(name)} {{\n")
            fh.write("\n".join(_turtle_block(d, terms, "    ") for d in named[name]))
            fh.write("}\n")


# JSON-LD: one term per property; IRI-valued ones coerced with "@type": "@id".
_JSONLD_TERMS: dict[str, tuple[str, str | None]] = {
    SCHEMA + "headline": ("headline", None),
    SCHEMA + "abstract": ("abstract", None),
    SCHEMA + "datePublished": ("datePublished", None),
    SCHEMA + "url": ("url", "@id"),
    SCHEMA + "sameAs": ("sameAs", "@id"),
    NG + "originalUrl": ("originalUrl", "@id"),
    SCHEMA + "articleSection": ("articleSection", None),
    NG + "isStub": ("isStub", None),
    NG + "quality": ("quality", None),
    NG + "heat": ("heat", None),
    NG + "isPublished": ("isPublished", None),
    NG + "removed": ("removed", None),
    NG + "featuredContent": ("featuredContent", None),
    SCHEMA + "publisher": ("publisher", "@id"),
    SCHEMA + "about": ("about", "@id"),
    SCHEMA + "image": ("image", "@id"),
    NG + "related": ("related", "@id"),
    DCT + "source": ("source", "@id"),
    SCHEMA + "name": ("name", None),
    SCHEMA + "alternateName": ("alternateName", None),
    NG + "domain": ("domain", None),
    SCHEMA + "logo": ("logo", "@id"),
    SKOS + "prefLabel": ("prefLabel", None),
    SKOS + "altLabel": ("altLabel", None),
    NG + "keyword": ("keyword", None),
    NG + "hashtag": ("hashtag", None),
    SKOS + "inScheme": ("inScheme", "@id"),
    SCHEMA + "contentUrl": ("contentUrl", "xsd:anyURI"),
    SCHEMA + "width": ("width", None),
    SCHEMA + "height": ("height", None),
    RDFS + "label": ("label", None),
}


def _jsonld_context(prefixes: dict[str, str]) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(prefixes)
    inverse = {ns: p for p, ns in PREFIXES.items()}
    for iri, (term, coerce) in _JSONLD_TERMS.items():
        ns = next(n for n in sorted(inverse, key=len, reverse=True) if iri.startswith(n))
        compact = f"{inverse[ns]}:{iri[len(ns):]}"
        ctx[term] = {"@id": compact, "@type": coerce} if coerce else compact
    return ctx


def _jsonld_value(obj: Obj, coerce: str | None, terms: _TurtleTerms) -> Any:
    if obj[0] == "i":
        return terms.iri(obj[1]) if coerce == "@id" else {"@id": terms.iri(obj[1])}
    lex, dtype = obj[1], obj[2]
    if dtype is None:
        return lex
    if dtype == XSD_INTEGER:
        return int(lex)
    if dtype == XSD_BOOLEAN:
        return lex == "true"
    if coerce is not None and coerce.endswith(dtype.rsplit("#", 1)[-1]):
        return lex
    return {"@value": lex, "@type": terms.iri(dtype)}


class _JsonLdTerms(_TurtleTerms):
    """Compact IRIs for JSON-LD: ``prefix:local`` or the absolute IRI."""

    def iri(self, iri: str) -> str:
        out = self.cache.get(iri)
        if out is None:
            out = iri
            for ns, prefix in self.namespaces:
                if iri.startswith(ns) and _SAFE_LOCAL.match(iri[len(ns):]):
                    out = f"{prefix}:{iri[len(ns):]}"
                    break
            self.cache[iri] = out
        return out


def write_jsonld(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as JSON-LD: a compact ``@context`` and one object per node in ``@graph``."""
    prefixes = _all_prefixes(base_iri)
    terms = _JsonLdTerms(prefixes)
    terms.cache.pop(RDF_TYPE)
    context = _jsonld_context(prefixes)
    with atomic_writer(path) as fh:
        fh.write('{\n"@context": ')
        fh.write(json.dumps(context, ensure_ascii=False, indent=1))
        fh.write(',\n"@graph": [\n')
        first = True
        buf: list[str] = []
        for d in _descriptions(kg, base_iri):
            node: dict[str, Any] = {"@id": terms.iri(d.subject)}
            for pred, objs in d.props:
                if pred == RDF_TYPE:
                    types = [terms.iri(o[1]) for o in objs]
                    node["@type"] = types[0] if len(types) == 1 else types
                    continue
                term, coerce = _JSONLD_TERMS.get(pred, (None, None))
                if term is None:  # not in the context: full IRI, explicit values
                    term, coerce = pred, None
                values = [_jsonld_value(o, coerce, terms) for o in objs]
                node[term] = values[0] if len(values) == 1 else values
            buf.append(("" if first else ",\n") + json.dumps(node, ensure_ascii=False))
            first = False
            if len(buf) > 2000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
        fh.write("\n]\n}\n")
