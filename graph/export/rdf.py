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

import contextlib
import datetime as dt
import functools
import itertools
import json
import os
import re
import tempfile
from collections import defaultdict
from typing import IO, Any, Iterable, Iterator, NamedTuple

from ..errors import InvalidArgumentError
from ..model import Image
from ..namespaces import DCT, NG, PREFIXES, PROV, RDF, RDFS, SCHEMA, SKOS, XSD, IRIMinter, iri_safe
from ..namespaces import prefixed_name as _prefixed_name
from .files import atomic_writer, start_writeback, written_size
from .flatten import iso_date
from .offsets import OFFSETS_OPTION
from .offsets import save as save_offsets

__all__ = [
    "article_texts",
    "Description",
    "describe",
    "data_prefixes",
    "ntriples",
    "write_ntriples",
    "write_turtle",
    "write_trig",
    "write_jsonld",
    "write_rdf",
    "RDF_FORMATS",
    "escape_string",
    "IRI_VALUED",
]

RDF_TYPE = RDF + "type"
XSD_INTEGER = XSD + "integer"
XSD_BOOLEAN = XSD + "boolean"
XSD_DATETIME = XSD + "dateTime"
XSD_DATE = XSD + "date"
XSD_ANYURI = XSD + "anyURI"

LiteralTerm = tuple  # (lexical form, datatype IRI or None)


class Description(NamedTuple):
    """Everything said about one subject.

    ``graph`` is the source file whose named graph holds the statements in
    TriG (``None``: the default graph); ``props`` is a list of
    ``(predicate IRI, [objects])``. The objects of an IRI-valued predicate
    (:data:`IRI_VALUED`) are IRI strings; those of any other predicate are
    literals, ``(lexical form, datatype IRI or None)``.
    """

    graph: str | None
    subject: str
    props: list[tuple[str, list]]


class _Memo(dict):
    """``memo[key]`` is ``make(key)``, made on first use and kept.

    A missing key costs a Python call, a present one a C dictionary lookup,
    so ``map(memo.__getitem__, keys)`` is cheap for keys that recur.

    >>> lengths = _Memo(len)
    >>> lengths["abc"], dict(lengths)
    (3, {'abc': 3})
    """

    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


# Lone surrogates cannot be encoded as UTF-8 nor written as \u escapes in RDF.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _text(value: str) -> LiteralTerm:
    if not value.isascii() and _SURROGATE.search(value):  # isascii() is a flag test: most text is ASCII
        value = _SURROGATE.sub("\ufffd", value)
    return (value, None)


_TRUE: LiteralTerm = ("true", XSD_BOOLEAN)
_FALSE: LiteralTerm = ("false", XSD_BOOLEAN)


def _typed(value: Any) -> LiteralTerm:
    if isinstance(value, bool):
        return _TRUE if value else _FALSE
    if isinstance(value, int):
        return (str(value), XSD_INTEGER)
    if isinstance(value, dt.datetime):
        # UTC as Z, XSD's canonical form: what oxigraph gives back, and the other exports write.
        return (iso_date(value), XSD_DATETIME)
    if isinstance(value, dt.date):
        return (value.isoformat(), XSD_DATE)
    return _text(str(value))


_ARTICLE_TYPES = {"video": SCHEMA + "VideoObject"}
_NEWS_ARTICLE = SCHEMA + "NewsArticle"  # every other article's class
#: Every class an article is written with.
ARTICLE_CLASSES = (_NEWS_ARTICLE, *_ARTICLE_TYPES.values())


def _add(props: list, pred: str, objs: list) -> None:
    if objs:
        props.append((pred, objs))


class _IRIs:
    """The IRIs of one pass of :func:`describe`, each made once.

    An article IRI recurs in ~20 related lists and a source file's in ~25
    articles: made once, the same string object comes back each time, and
    the writers' caches keyed by it hash it once.
    """

    def __init__(self, kg: Any, base_iri: str | None) -> None:
        self.mint = IRIMinter(base_iri, kg.report.inputs)
        self.node = _Memo(self.mint.node)
        self.source = _Memo(self.mint.source)  # source path -> IRI; also every source file seen
        self.images: dict[str, Image] = {}  # every image seen, by IRI

    def image_iris(self, imgs: Iterable[Image]) -> list[str]:
        out = set()
        for im in imgs:
            iri = self.mint.image(im.url, im.width, im.height)
            self.images.setdefault(iri, im)
            out.add(iri)
        return sorted(out)

    def source_iris(self, paths: Iterable[str]) -> list[str]:
        return sorted(set(map(self.source.__getitem__, paths)))


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

    Examples
    --------
    >>> import graph
    >>> kg = graph.build(["seeds/000_661d67e696f09288.txt"])
    >>> article = next(d for d in describe(kg) if "/article/" in d.subject)
    >>> dict(article.props)["https://schema.org/headline"]
    [('Baltimore May Soon Ban Facial Recognition for Everyone but Cops', None)]
    >>> dict(article.props)["https://schema.org/publisher"]
    ['https://example.org/newsgraph/id/provider/wired.com']
    """
    iris = _IRIs(kg, base_iri)
    yield from _describe_entities(kg, iris)
    for a in kg.articles.values():
        yield _describe_article(a, iris)
    yield from _describe_resources(iris)


def _describe_entities(kg: Any, iris: _IRIs) -> Iterator[Description]:
    """The providers, the topic scheme and the topics (what :func:`describe` yields before the articles)."""
    mint, node_iri = iris.mint, iris.node
    image_iris, source_iris, add = iris.image_iris, iris.source_iris, _add

    for p in kg.providers.values():
        props: list = [(RDF_TYPE, [SCHEMA + "Organization"]), (SCHEMA + "name", [_text(p.name)])]
        add(props, SCHEMA + "alternateName", [_text(n) for n in sorted(p.alt_names)])
        props.append((NG + "domain", [_text(p.domain)]))
        add(props, SCHEMA + "logo", image_iris(p.images))
        add(props, DCT + "source", source_iris([p.catalog] if p.catalog else []))
        yield Description(None, node_iri[p.id], props)

    if kg.topics:
        yield Description(None, mint.topic_scheme, [
            (RDF_TYPE, [SKOS + "ConceptScheme"]), (SKOS + "prefLabel", [("Topics", None)])])
    for t in kg.topics.values():
        props = [(RDF_TYPE, [SKOS + "Concept"]), (SKOS + "prefLabel", [_text(t.label)])]
        add(props, SKOS + "altLabel", [_text(s) for s in sorted(t.alt_labels)])
        add(props, NG + "keyword", [_text(s) for s in sorted(set(t.keywords))])
        add(props, NG + "hashtag", [_text(s) for s in sorted(set(t.hashtags))])
        props.append((SKOS + "inScheme", [mint.topic_scheme]))
        add(props, SCHEMA + "image", image_iris(t.images))
        add(props, DCT + "source", source_iris([t.catalog] if t.catalog else []))
        yield Description(None, node_iri[t.id], props)


def _describe_resources(iris: _IRIs) -> Iterator[Description]:
    """The images and source files met while describing the rest (what :func:`describe` yields last)."""
    images, source_iri, mint = iris.images, iris.source, iris.mint
    for iri in sorted(images):
        im = images[iri]
        props = [(RDF_TYPE, [SCHEMA + "ImageObject"]), (SCHEMA + "contentUrl", [(_text(im.url)[0], XSD_ANYURI)])]
        if im.width is not None:
            props.append((SCHEMA + "width", [_typed(im.width)]))
        if im.height is not None:
            props.append((SCHEMA + "height", [_typed(im.height)]))
        yield Description(None, iri, props)

    for path, iri in sorted(source_iri.items(), key=lambda kv: kv[1]):
        yield Description(None, iri, [(RDF_TYPE, [PROV + "Entity"]),
                                      (RDFS + "label", [_text(mint.relative_source(path))])])


def _describe_article(a: Any, iris: _IRIs) -> Description:
    """The description of article ``a`` (in :func:`describe`, and alone for :func:`article_texts`)."""
    node_iri, add = iris.node, _add
    props = [(RDF_TYPE, [_ARTICLE_TYPES.get((a.type or "").strip().lower(), _NEWS_ARTICLE)])]
    if a.title is not None:
        props.append((SCHEMA + "headline", [_text(a.title)]))
    if a.excerpt is not None:
        props.append((SCHEMA + "abstract", [_text(a.excerpt)]))
    if a.published is not None:
        props.append((SCHEMA + "datePublished", [_typed(a.published)]))
    props.append((SCHEMA + "url", [iri_safe(a.url)]))
    add(props, SCHEMA + "sameAs", sorted({iri_safe(u) for u in a.aliases}))
    if a.original_url and a.original_url != a.url:
        props.append((NG + "originalUrl", [iri_safe(a.original_url)]))
    if a.category is not None:
        props.append((SCHEMA + "articleSection", [_text(a.category)]))
    props.append((NG + "isStub", [_TRUE if a.is_stub else _FALSE]))
    for pred, value in ((NG + "quality", a.quality), (NG + "heat", a.heat),
                        (NG + "isPublished", a.is_published), (NG + "removed", a.removed)):
        if value is not None:
            props.append((pred, [_typed(value)]))
    if a.featured_content is not None:
        props.append((NG + "featuredContent", [_text(a.featured_content)]))
    if a.provider_id:
        props.append((SCHEMA + "publisher", [node_iri[a.provider_id]]))
    add(props, SCHEMA + "about", list(map(node_iri.__getitem__, sorted(a.topic_ids))))
    add(props, SCHEMA + "image", iris.image_iris(a.images))
    add(props, NG + "related", list(map(node_iri.__getitem__, sorted(a.related_ids))))
    add(props, DCT + "source", iris.source_iris(a.sources))
    # The statements about an article come from its own file when it has one
    # (of several, the first-ranked, whose values come first: resolve keeps
    # them in that order), else from the first file (by path) that lists it.
    home = (a.files or a.sources or (None,))[0]
    return Description(iris.source.get(home) if home else None, node_iri[a.id], props)


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


def data_prefixes(base_iri: str | None = None) -> dict[str, str]:
    """Prefixes of minted IRIs (``article:``, ``provider:``, ``topic:``, ``img:``, ``src:``).

    >>> data_prefixes("https://kg.example.com/")["article"]
    'https://kg.example.com/article/'
    """
    mint = IRIMinter(base_iri)
    return {"article": mint.node("article/"), "provider": mint.node("provider/"), "topic": mint.node("topic/"),
            "img": mint.base + "image/", "src": mint.base + "source/"}


def _prefix_lines(prefixes: dict[str, str]) -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items())


def _all_prefixes(base_iri: str | None) -> dict[str, str]:
    return {**PREFIXES, **data_prefixes(base_iri)}


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

#: Predicates whose objects are IRIs; every other predicate's are literals.
#: They are ``rdf:type`` and exactly the properties JSON-LD coerces with
#: ``"@type": "@id"``.
IRI_VALUED = frozenset([RDF_TYPE] + [p for p, (_, coerce) in _JSONLD_TERMS.items() if coerce == "@id"])

# Literal values that recur (one section for 3,700 articles, a few hundred
# qualities, heats and image sizes, two booleans): their forms are made once.
# Headlines, abstracts and dates are nearly all distinct and are not kept.
_RECURRING = frozenset([SCHEMA + "articleSection", NG + "isStub", NG + "quality", NG + "heat", NG + "isPublished",
                        NG + "removed", SCHEMA + "width", SCHEMA + "height"])


def _jsonld_context(prefixes: dict[str, str]) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(prefixes)
    inverse = {ns: p for p, ns in PREFIXES.items()}
    for iri, (term, coerce) in _JSONLD_TERMS.items():
        ns = next(n for n in sorted(inverse, key=len, reverse=True) if iri.startswith(n))
        compact = f"{inverse[ns]}:{iri[len(ns):]}"
        ctx[term] = {"@id": compact, "@type": coerce} if coerce else compact
    return ctx


# --------------------------------------------------------------------------
# Writers: one pass over describe() feeds every format asked for
# --------------------------------------------------------------------------

#: The RDF formats :func:`write_rdf` writes, by export name.
RDF_FORMATS = ("ttl", "nt", "jsonld", "trig")

_TURTLE_SEP = " ;\n    "
_encode_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


class _Predicate(NamedTuple):
    """How one predicate and its objects are written in each format."""

    turtle: str  # 'schema:headline ' ('a ' for rdf:type)
    nt: str  # '<https://schema.org/headline> '
    jsonld_key: str  # '"headline": ' ('"@type": ' for rdf:type)
    forms: Any  # an object -> its (Turtle, N-Triples, JSON-LD value) forms


class _Formats:
    """Renders each description once per format, sharing the escaping.

    Each subject's text is encoded as soon as it is made (UTF-8 of one
    subject's text is mostly a copy of ASCII, while a joined batch holding one
    emoji is widened to four bytes a character and transcoded) and kept until
    :meth:`flush` writes a batch: one write of a few hundred kB costs far less
    than many small ones through an 8 kB buffer.
    """

    def __init__(self, sinks: dict[str, IO[bytes]], base_iri: str | None) -> None:
        self.prefixes = _all_prefixes(base_iri)
        # TriG groups the blocks by named graph, which the pass does not visit
        # in order: blocks are spooled to a temporary file (bounded memory on
        # any corpus) and read back graph by graph.
        self.trig_spool: IO[bytes] | None = tempfile.TemporaryFile() if "trig" in sinks else None
        self.trig_at = 0
        self.trig_blocks: dict[str | None, list[tuple[int, int]]] = defaultdict(list)
        self.outputs = {name: sink for name, sink in sinks.items() if name != "trig"}
        if self.trig_spool is not None:
            self.outputs["trig"] = self.trig_spool
        self.pending: dict[str, list[bytes]] = {name: [] for name in self.outputs}
        self.nt, self.ttl, self.trig, self.jsonld_out = (
            self.pending.get(name) for name in ("nt", "ttl", "trig", "jsonld"))
        self.jsonld_sep = b""  # written before a JSON-LD node: nothing before the first
        # Each IRI is written the same way every time it occurs (a related
        # article about 20 times, a source file about 25): its forms are made once.
        prefixed = _prefixed_name(self.prefixes)

        def iri_forms(iri: str) -> tuple[str, str, str]:
            name = prefixed(iri)
            return name or f"<{iri}>", f"<{iri}>", _encode_json_string(name or iri)

        self.iris = _Memo(iri_forms)
        self.predicates = _Memo(self._predicate)

    def _predicate(self, pred: str) -> _Predicate:
        if pred == RDF_TYPE:
            key, coerce = '"@type": ', "@id"
        else:
            term, coerce = _JSONLD_TERMS.get(pred, (pred, None))
            key = _encode_json_string(term) + ": "
        turtle = "a " if pred == RDF_TYPE else self.iris[pred][0] + " "
        if pred in IRI_VALUED:
            return _Predicate(turtle, f"<{pred}> ", key, self.iris.__getitem__)
        literal = functools.partial(self._literal_forms, coerce)
        return _Predicate(turtle, f"<{pred}> ", key, _Memo(literal).__getitem__ if pred in _RECURRING else literal)

    def _literal_forms(self, coerce: str | None, literal: LiteralTerm) -> tuple[str, str, str]:
        # Turtle, N-Triples, and the JSON-LD value under a term coerced to ``coerce``
        lex, dtype = literal
        esc = escape_string(lex)
        if dtype is None:
            return f'"{esc}"', f'"{esc}"', _encode_json_string(lex)
        nt = f'"{esc}"^^<{dtype}>'
        if dtype == XSD_INTEGER or dtype == XSD_BOOLEAN:  # Turtle's bare literals; JSON numbers and booleans
            return lex, nt, str(int(lex)) if dtype == XSD_INTEGER else lex
        ttl = f'"{esc}"^^{self.iris[dtype][0]}'
        if coerce is not None and coerce.endswith(dtype.rsplit("#", 1)[-1]):  # the term gives the type
            return ttl, nt, _encode_json_string(lex)
        return ttl, nt, '{"@value": ' + _encode_json_string(lex) + ', "@type": ' + self.iris[dtype][2] + "}"

    def render(self, d: Description) -> None:
        predicates = self.predicates
        subject = self.iris[d.subject]
        nt_subject = subject[1] + " "
        nt_lines: list[str] = []
        turtle: list[str] = []
        node = ['{"@id": ' + subject[2]]
        for pred, objs in d.props:
            p_turtle, p_nt, p_key, forms = predicates[pred]
            if len(objs) == 1:  # nine in ten: one value, no list to transpose and join
                ttl, nt, jsonld = forms(objs[0])
                nt = nt_subject + p_nt + nt + " .\n"
            else:  # "o1, o2" in Turtle, a JSON-LD array, one N-Triples line each
                ttl_forms, nt_forms, json_forms = zip(*map(forms, objs))
                ttl, jsonld = ", ".join(ttl_forms), "[" + ", ".join(json_forms) + "]"
                head = nt_subject + p_nt
                nt = head + (" .\n" + head).join(nt_forms) + " .\n"
            turtle.append(p_turtle + ttl)
            node.append(p_key + jsonld)
            nt_lines.append(nt)
        if self.nt is not None:
            self.nt.append("".join(nt_lines).encode("utf-8"))
        if self.ttl is not None or self.trig is not None:
            block = f"{subject[0]} {_TURTLE_SEP.join(turtle)} .\n".encode("utf-8")
            if self.ttl is not None:
                self.ttl.append(b"\n" + block)
            if self.trig is not None:
                # no raw line breaks inside terms (literals are escaped), so indenting is a replace
                indented = b"    " + block[:-1].replace(b"\n", b"\n    ") + b"\n"
                self.trig.append(indented)
                self.trig_blocks[d.graph].append((self.trig_at, len(indented)))
                self.trig_at += len(indented)
        if self.jsonld_out is not None:
            self.jsonld_out.append(self.jsonld_sep)
            self.jsonld_out.append((", ".join(node) + "}").encode("utf-8"))
            self.jsonld_sep = b",\n"

    def flush(self) -> None:
        """Write the text rendered since the last flush."""
        for name, pieces in self.pending.items():
            self.outputs[name].write(b"".join(pieces))
            pieces.clear()

    def header(self, name: str) -> str:
        if name in ("ttl", "trig"):
            return _prefix_lines(self.prefixes)
        if name == "jsonld":
            return ('{\n"@context": ' + json.dumps(_jsonld_context(self.prefixes), ensure_ascii=False, indent=1)
                    + ',\n"@graph": [\n')
        return ""

    def trig_body(self, placed: dict[int, int | None] | None = None) -> Iterator[bytes]:
        """The TriG text after the prefixes, as UTF-8 (the spool's bytes as they are).

        ``placed``: the spool offsets of some blocks (see :attr:`trig_at`),
        each given where its block starts in that text once it is yielded.
        """
        spool = self.trig_spool
        if spool is None:
            return
        spool.flush()
        told = 0  # bytes yielded so far

        def blocks(at: list[tuple[int, int]]) -> Iterator[bytes]:
            nonlocal told
            for i, (offset, size) in enumerate(at):
                spool.seek(offset)
                if i:
                    yield b"\n"
                    told += 1
                if placed is not None and offset in placed:
                    placed[offset] = told
                yield spool.read(size)
                told += size

        def text(piece: bytes) -> bytes:
            nonlocal told
            told += len(piece)
            return piece

        if self.trig_blocks.get(None):
            yield text(b"\n{\n")
            yield from blocks(self.trig_blocks[None])
            yield text(b"}\n")
        for name in sorted(n for n in self.trig_blocks if n is not None):
            yield text(f"\n{self.iris[name][0]} {{\n".encode("utf-8"))
            yield from blocks(self.trig_blocks[name])
            yield text(b"}\n")
        spool.close()


def _render_all(kg: Any, base_iri: str | None, sinks: dict[str, IO[bytes]],
                offsets: dict[str, dict[str, int]] | None = None) -> None:
    """Write ``kg`` in each format of ``sinks``; with ``offsets``, also note
    where the text of each article with a file starts in each streamed format
    (``offsets[format][article id]``, see :mod:`graph.export.offsets`)."""
    fmt = _Formats(sinks, base_iri)
    at: dict[str, int] = {}  # bytes written to each sink so far
    for name, sink in sinks.items():
        header = fmt.header(name).encode("utf-8")
        sink.write(header)
        at[name] = len(header)
    # The formats written as they are rendered, whose positions follow from
    # the batches; TriG's blocks are spooled, and placed when written by graph.
    tracked = [name for name in offsets or () if name != "trig"]
    marks: list[tuple[str, list[int]]] = []  # (article id, index of its piece in each tracked format's batch)
    spooled: dict[str, int] | None = {} if offsets is not None and "trig" in offsets else None  # id -> spool offset

    def flush() -> None:
        for j, name in enumerate(tracked):
            starts = list(itertools.accumulate(map(len, fmt.pending[name]), initial=at[name]))
            found = offsets[name]  # type: ignore[index]
            for aid, pieces in marks:
                found[aid] = starts[pieces[j]]
            at[name] = starts[-1]
        marks.clear()
        fmt.flush()

    pending = [fmt.pending[name] for name in tracked]

    def emit(described: Iterable[tuple[Description, str | None]]) -> None:
        """Render each description; note the pieces of those given an article id."""
        for i, (d, recorded) in enumerate(described, 1):
            if recorded is not None and spooled is not None:
                spooled[recorded] = fmt.trig_at  # where render spools its TriG block
            fmt.render(d)
            if recorded is not None:
                marks.append((recorded, [len(p) - 1 for p in pending]))
            if i % 64 == 0:  # ~100 kB of N-Triples a batch: the writer's memory stays near its caches
                flush()
        flush()

    iris = _IRIs(kg, base_iri)
    emit((d, None) for d in _describe_entities(kg, iris))
    # Only an article with a file of its own is ever patched (graph.incremental).
    emit((_describe_article(a, iris), a.id if offsets and a.files else None) for a in kg.articles.values())
    emit((d, None) for d in _describe_resources(iris))
    if "jsonld" in sinks:
        sinks["jsonld"].write(b"\n]\n}\n")
    if "trig" in sinks:
        placed = None if spooled is None else dict.fromkeys(spooled.values())
        pieces: list[bytes] = []
        for piece in fmt.trig_body(placed):
            pieces.append(piece)
            if len(pieces) >= 256:
                sinks["trig"].write(b"".join(pieces))
                pieces.clear()
        sinks["trig"].write(b"".join(pieces))
        if spooled is not None:
            offsets["trig"].update((aid, at["trig"] + placed[spool_at])  # type: ignore[index, operator]
                                   for aid, spool_at in spooled.items())


def write_rdf(kg: Any, paths: dict[str, str | os.PathLike], *, base_iri: str | None = None,
              **options: Any) -> None:
    """Write several RDF formats of ``kg`` in one pass (each file atomically).

    Parameters
    ----------
    kg : KnowledgeGraph
    paths : dict
        Format name (``ttl``, ``nt``, ``jsonld``, ``trig``) -> file to write.
    base_iri : str, optional
        Base of minted IRIs.

    Describing the graph and escaping its strings is most of each format's
    work, so writing them together costs little more than writing one.
    """
    unknown = set(paths) - set(RDF_FORMATS)
    if unknown:
        raise InvalidArgumentError(f"not RDF formats: {sorted(unknown)}")
    where = options.get(OFFSETS_OPTION)
    offsets: dict[str, dict[str, int]] | None = {name: {} for name in paths} if where else None
    with contextlib.ExitStack() as stack:
        sinks = {name: stack.enter_context(atomic_writer(path, "wb")) for name, path in paths.items()}
        _render_all(kg, base_iri, sinks, offsets)
        # Each file is synced as its writer closes, one after another: all are
        # first sent on their way to the disk, so that no sync waits alone.
        for sink in sinks.values():
            sink.flush()
            start_writeback(sink.fileno())
        sizes = {name: written_size(sinks[name]) for name in offsets or ()}
    if offsets is not None:  # the files are in place: what a patch may rely on
        for name, at in offsets.items():
            save_offsets(where, name, sizes[name], at)


def article_texts(kg: Any, article: Any, base_iri: str | None = None) -> dict[str, bytes]:
    """What :func:`write_rdf` writes about ``article`` in each RDF format, as UTF-8.

    Its N-Triples lines; its Turtle block after a line break; its TriG block,
    indented; its JSON-LD node. Each is one piece of the file, made by the same
    code as the whole: an incremental build (:mod:`graph.incremental`) swaps
    one article's pieces for new ones.

    >>> import graph
    >>> kg = graph.build(["seeds/000_661d67e696f09288.txt"])
    >>> a = next(iter(kg.articles.values()))
    >>> texts = article_texts(kg, a)
    >>> texts["nt"].decode() in ntriples(kg), texts["ttl"].startswith(b"\\narticle:")
    (True, True)
    """
    fmt = _Formats(dict.fromkeys(RDF_FORMATS), base_iri)
    try:
        fmt.render(_describe_article(article, _IRIs(kg, base_iri)))
        return {name: b"".join(pieces) for name, pieces in fmt.pending.items()}
    finally:
        if fmt.trig_spool is not None:
            fmt.trig_spool.close()


def ntriples(kg: Any, base_iri: str | None = None) -> str:
    """The graph as one N-Triples string (what :func:`write_ntriples` writes)."""
    import io

    out = io.BytesIO()
    _render_all(kg, base_iri, {"nt": out})
    return out.getvalue().decode("utf-8")


def write_ntriples(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as N-Triples (canonical escaping, one triple per line)."""
    write_rdf(kg, {"nt": path}, base_iri=base_iri)


def write_turtle(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as prefixed, readable Turtle: one block per subject."""
    write_rdf(kg, {"ttl": path}, base_iri=base_iri)


def write_trig(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as TriG: one named graph per source file.

    An article's statements sit in the graph named after its own file (when
    it was merged from several, the one ranked first: the newest, which gives
    every value it has; a value it lacks, taken from another, sits there too),
    a stub's in the graph of the first file that lists it; providers, topics, images and the source
    files' own descriptions are in the default graph. The union of all graphs
    is exactly the graph of the other formats.
    """
    write_rdf(kg, {"trig": path}, base_iri=base_iri)


def write_jsonld(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as JSON-LD: a compact ``@context`` and one object per node in ``@graph``."""
    write_rdf(kg, {"jsonld": path}, base_iri=base_iri)


