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
import json
import os
import re
import tempfile
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
    "write_rdf",
    "RDF_FORMATS",
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

    def full(self, iri: str) -> str:
        """An IRI that has no prefixed form."""
        return f"<{iri}>"

    def iri(self, iri: str) -> str:
        out = self.cache.get(iri)
        if out is None:
            out = self.full(iri)
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

    def full(self, iri: str) -> str:
        return iri


# --------------------------------------------------------------------------
# Writers: one pass over describe() feeds every format asked for
# --------------------------------------------------------------------------

#: The RDF formats :func:`write_rdf` writes, by export name.
RDF_FORMATS = ("ttl", "nt", "jsonld", "trig")

_TURTLE_SEP = " ;\n    "
_encode_json_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _json_text(value: Any) -> str:
    # json.dumps(value, ensure_ascii=False) for the values a node holds, faster
    if isinstance(value, str):
        return _encode_json_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class _Formats:
    """Renders each description once per format, sharing the escaping."""

    def __init__(self, wanted: Iterable[str], base_iri: str | None) -> None:
        self.wanted = set(wanted)
        self.prefixes = _all_prefixes(base_iri)
        self.ttl = _TurtleTerms(self.prefixes)
        self.jld = _JsonLdTerms(self.prefixes)
        self.jld.cache.pop(RDF_TYPE)
        # Each IRI and predicate is written the same way every time it occurs
        # (a related article about 30 times): its forms are made once.
        self.iri_forms: dict[str, tuple[str, str, str, str]] = {}
        self.pred_forms: dict[str, tuple[str, str, str, str | None]] = {}
        # TriG groups the blocks by named graph, which the pass does not visit
        # in order: blocks are spooled to a temporary file (bounded memory on
        # any corpus) and read back graph by graph.
        self.trig_spool: IO[bytes] | None = tempfile.TemporaryFile() if "trig" in self.wanted else None
        self.trig_at = 0
        self.trig_blocks: dict[str | None, list[tuple[int, int]]] = defaultdict(list)

    def _iri_forms(self, iri: str) -> tuple[str, str, str, str]:
        # Turtle, N-Triples, JSON-LD value under an "@id"-coerced term, and not
        jld = _encode_json_string(self.jld.iri(iri))
        forms = self.iri_forms[iri] = (self.ttl.iri(iri), f"<{iri}>", jld, '{"@id": ' + jld + "}")
        return forms

    def _pred_forms(self, pred: str) -> tuple[str, str, str, str | None]:
        # Turtle, N-Triples (with its space), the JSON-LD key ('"term": ';
        # rdf:type is "@type") and the term's coercion
        if pred == RDF_TYPE:
            key, coerce = '"@type": ', "@id"
        else:
            term, coerce = _JSONLD_TERMS.get(pred, (pred, None))
            key = _encode_json_string(term) + ": "
        forms = self.pred_forms[pred] = (self.ttl.iri(pred), f"<{pred}> ", key, coerce)
        return forms

    def _literal_forms(self, obj: Obj, coerce: str | None) -> tuple[str, str, str, str]:
        # as _iri_forms, for a literal (its JSON-LD value is the same under any term)
        lex, dtype = obj[1], obj[2]
        esc = escape_string(lex)
        if dtype is None:
            ttl = nt = f'"{esc}"'
        else:
            nt = f'"{esc}"^^<{dtype}>'
            ttl = lex if dtype == XSD_INTEGER or dtype == XSD_BOOLEAN else f'"{esc}"^^{self.ttl.iri(dtype)}'
        value = _json_text(_jsonld_value(obj, coerce, self.jld))
        return ttl, nt, value, value

    def render(self, d: Description, out: dict[str, list[str]]) -> None:
        want = self.wanted
        iri_forms, pred_forms = self.iri_forms, self.pred_forms
        subject = iri_forms.get(d.subject) or self._iri_forms(d.subject)
        nt_subject = subject[1] + " "
        nt_lines = out.get("nt")
        turtle: list[str] = []
        node = ['{"@id": ' + subject[2]]
        for pred, objs in d.props:
            pf = pred_forms.get(pred) or self._pred_forms(pred)
            # each object as (Turtle, N-Triples, JSON-LD under an "@id" term, JSON-LD otherwise)
            forms = [(iri_forms.get(o[1]) or self._iri_forms(o[1])) if o[0] == "i" else self._literal_forms(o, pf[3])
                     for o in objs]
            turtle.append(pf[0] + " " + ", ".join([f[0] for f in forms]))
            values = [f[2] for f in forms] if pf[3] == "@id" else [f[3] for f in forms]
            node.append(pf[2] + (values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"))
            if nt_lines is not None:
                nt_prefix = nt_subject + pf[1]
                nt_lines.append("".join([nt_prefix + f[1] + " .\n" for f in forms]))
        if "ttl" in want or "trig" in want:
            block = f"{subject[0]} {_TURTLE_SEP.join(turtle)} .\n"
            if "ttl" in want:
                out["ttl"].append("\n" + block)
            if "trig" in want:
                # no raw line breaks inside terms (literals are escaped), so indenting is a replace
                indented = ("    " + block[:-1].replace("\n", "\n    ") + "\n").encode("utf-8")
                self.trig_spool.write(indented)  # type: ignore[union-attr]
                self.trig_blocks[d.graph].append((self.trig_at, len(indented)))
                self.trig_at += len(indented)
        if "jsonld" in want:
            out["jsonld"].append(", ".join(node) + "}")

    def header(self, name: str) -> str:
        if name in ("ttl", "trig"):
            return _prefix_lines(self.prefixes)
        if name == "jsonld":
            return ('{\n"@context": ' + json.dumps(_jsonld_context(self.prefixes), ensure_ascii=False, indent=1)
                    + ',\n"@graph": [\n')
        return ""

    def trig_body(self) -> Iterator[bytes]:
        """The TriG text after the prefixes, as UTF-8 (the spool's bytes as they are)."""
        spool = self.trig_spool
        if spool is None:
            return
        spool.flush()

        def blocks(at: list[tuple[int, int]]) -> Iterator[bytes]:
            for i, (offset, size) in enumerate(at):
                spool.seek(offset)
                if i:
                    yield b"\n"
                yield spool.read(size)

        if self.trig_blocks.get(None):
            yield b"\n{\n"
            yield from blocks(self.trig_blocks[None])
            yield b"}\n"
        for name in sorted(n for n in self.trig_blocks if n is not None):
            yield f"\n{self.ttl.iri(name)} {{\n".encode("utf-8")
            yield from blocks(self.trig_blocks[name])
            yield b"}\n"
        spool.close()


def _render_all(kg: Any, wanted: Iterable[str], base_iri: str | None,
                sinks: dict[str, IO[str]]) -> None:
    fmt = _Formats(wanted, base_iri)
    streamed = [n for n in sinks if n != "trig"]
    for name, fh in sinks.items():
        fh.write(fmt.header(name))
    out: dict[str, list[str]] = {name: [] for name in streamed}
    first_node = True
    pending = 0
    for d in describe(kg, base_iri):
        fmt.render(d, out)
        pending += 1
        if pending >= 64:  # small batches: the writer's peak memory stays near its caches
            pending = 0
            for name in streamed:
                chunks = out[name]
                if name == "jsonld":
                    fh = sinks[name]
                    fh.write(("" if first_node else ",\n") + ",\n".join(chunks))
                    first_node = False if chunks else first_node
                else:
                    sinks[name].write("".join(chunks))
                chunks.clear()
    for name in streamed:
        chunks = out[name]
        if name == "jsonld":
            if chunks:
                sinks[name].write(("" if first_node else ",\n") + ",\n".join(chunks))
            sinks[name].write("\n]\n}\n")
        else:
            sinks[name].write("".join(chunks))
    if "trig" in sinks:
        # The spooled blocks are UTF-8 already: written to the file's bytes,
        # not decoded and encoded again (600 MB of TriG at 100k articles).
        text_layer = sinks["trig"]
        text_layer.flush()
        raw = getattr(text_layer, "buffer", None)  # an in-memory sink has none
        write = raw.write if raw is not None else (lambda b: text_layer.write(b.decode("utf-8")))
        buf: list[bytes] = []
        for piece in fmt.trig_body():
            buf.append(piece)
            if len(buf) >= 256:
                write(b"".join(buf))
                buf.clear()
        write(b"".join(buf))


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
        raise ValueError(f"not RDF formats: {sorted(unknown)}")
    with contextlib.ExitStack() as stack:
        sinks = {name: stack.enter_context(atomic_writer(path)) for name, path in paths.items()}
        _render_all(kg, list(paths), base_iri, sinks)


def ntriples(kg: Any, base_iri: str | None = None) -> str:
    """The graph as one N-Triples string (what :func:`write_ntriples` writes)."""
    import io

    out = io.StringIO()
    _render_all(kg, ["nt"], base_iri, {"nt": out})
    return out.getvalue()


def write_ntriples(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as N-Triples (canonical escaping, one triple per line)."""
    write_rdf(kg, {"nt": path}, base_iri=base_iri)


def write_turtle(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as prefixed, readable Turtle: one block per subject."""
    write_rdf(kg, {"ttl": path}, base_iri=base_iri)


def write_trig(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as TriG: one named graph per source file.

    An article's statements sit in the graph named after its own file (the
    first by path when it was merged from several), a stub's in the graph of
    the first file that lists it; providers, topics, images and the source
    files' own descriptions are in the default graph. The union of all graphs
    is exactly the graph of the other formats.
    """
    write_rdf(kg, {"trig": path}, base_iri=base_iri)


def write_jsonld(kg: Any, path: str | os.PathLike, *, base_iri: str | None = None, **options: Any) -> None:
    """Write ``kg`` as JSON-LD: a compact ``@context`` and one object per node in ``@graph``."""
    write_rdf(kg, {"jsonld": path}, base_iri=base_iri)


