"""RDF namespaces and IRI minting, in one place.

Two kinds of IRI appear in newsgraph's RDF:

* **vocabulary terms** (classes and properties) come from established
  vocabularies (schema.org, SKOS, Dublin Core terms, PROV) or, where none fits,
  from the project's own namespace :data:`NG` (described in the shipped
  ``graph/data/ontology.ttl``). They never depend on the build.
* **resource IRIs** (articles, providers, topics, images, source files) are
  minted by :class:`IRIMinter` under a *base IRI*, :data:`DEFAULT_BASE_IRI`
  unless ``--base-iri`` / ``base_iri=`` says otherwise. They depend only on
  the node ids of :mod:`graph.resolve` (themselves functions of a canonical
  URL, a domain or a topic name), so the same article gets the same IRI
  whatever the file order or the other files of a build.

Examples
--------
>>> m = IRIMinter()
>>> m.node("article/2ad6e5bc0b9e5b32")
'https://example.org/newsgraph/id/article/2ad6e5bc0b9e5b32'
>>> IRIMinter("http://news.example.com/kg#").node("topic/ai")
'http://news.example.com/kg#topic/ai'
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Callable, Iterable
from urllib.parse import quote

from .errors import NewsgraphError

__all__ = [
    "DEFAULT_BASE_IRI",
    "NG",
    "SCHEMA",
    "SKOS",
    "DCT",
    "PROV",
    "RDF",
    "RDFS",
    "OWL",
    "XSD",
    "SH",
    "PREFIXES",
    "IRIMinter",
    "iri_safe",
    "prefixed_name",
    "NOT_IN_IRI",
    "percent_encoded",
    "check_base_iri",
]

#: Base of minted resource IRIs when none is given. ``example.org`` is reserved
#: for examples: set ``--base-iri`` to a domain you control before publishing.
DEFAULT_BASE_IRI = "https://example.org/newsgraph/id/"
#: The project's own vocabulary (``graph/data/ontology.ttl``).
NG = "https://example.org/newsgraph/ns#"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"

#: Vocabulary prefixes used in every serialization and in the example queries.
PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "schema": SCHEMA,
    "skos": SKOS,
    "dct": DCT,
    "prov": PROV,
    "ng": NG,
}

# Code points beyond ASCII that an IRI may hold as they are: RFC 3987's
# ``ucschar``. (Its ``iprivate``, allowed in a query only, is encoded.)
_UCSCHAR_RANGES: tuple[tuple[int, int], ...] = (
    (0xA0, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFEF),
    *((plane << 16, (plane << 16) + 0xFFFD) for plane in range(1, 14)), (0xE1000, 0xEFFFD))


def _class_outside(ranges: tuple[tuple[int, int], ...], start: int, stop: int) -> str:
    """The body of a regex character class: the code points from ``start`` to
    ``stop`` in none of ``ranges`` (sorted, apart)."""
    gaps, at = [], start
    for low, high in (*ranges, (stop + 1, stop + 1)):
        if low > at:
            gaps.append(f"{re.escape(chr(at))}-{re.escape(chr(min(low - 1, stop)))}")
        at = high + 1
    return "".join(gaps)


_NOT_IN_IRI = _class_outside(_UCSCHAR_RANGES, 0x80, 0x10FFFF)
#: One character beyond ASCII that an IRI may not hold as it is (nor Turtle's
#: IRIREF, as oxigraph reads it): C1 controls, surrogates, private use,
#: non-characters, U+FFF0-U+FFFF (U+FFFD, which undecodable bytes become, among
#: them), U+E0000-U+E0FFF.
NOT_IN_IRI = re.compile(f"[{_NOT_IN_IRI}]")
# Characters Turtle/N-Triples forbid inside <...> (IRIREF), plus what RFC 3987
# forbids and rapper rejects: controls, space, <>"{}|^`\ ; and NOT_IN_IRI.
_NOT_IN_IRIREF = r'\x00-\x20<>"{}|^`\\\x7f'
_IRI_BAD_ASCII = re.compile(f"[{_NOT_IN_IRIREF}]")
_IRI_BAD = re.compile(f"[{_NOT_IN_IRIREF}{_NOT_IN_IRI}]")


def percent_encoded(char: str) -> str:
    """One character as the escapes of its UTF-8 bytes (a lone surrogate, which
    has none, as U+FFFD: what a decoder makes of it).

    >>> percent_encoded(" "), percent_encoded(chr(0xFFFD)), percent_encoded(chr(0xD800))
    ('%20', '%EF%BF%BD', '%EF%BF%BD')
    """
    if "\ud800" <= char <= "\udfff":
        char = "\ufffd"
    return quote(char, safe="")


def iri_safe(iri: str) -> str:
    """``iri`` with every character not allowed in an IRIREF percent-encoded.

    Canonical article URLs (:func:`graph.resolve.canonical_url`) pass through
    unchanged; this is the last line of defence for anything else.

    >>> iri_safe("https://x.example/a b?q=<1>")
    'https://x.example/a%20b?q=%3C1%3E'
    >>> iri_safe("https://x.example/caf\u00e9")
    'https://x.example/caf\u00e9'
    >>> iri_safe("https://x.example/\ufffd")  # not in RFC 3987's ucschar
    'https://x.example/%EF%BF%BD'
    """
    # Nearly every URL is ASCII (isascii() is a flag test), and a class of ASCII
    # alone is searched five times faster than one with ranges of every plane.
    bad = _IRI_BAD_ASCII if iri.isascii() else _IRI_BAD
    if not bad.search(iri):
        return iri
    return bad.sub(lambda m: percent_encoded(m.group(0)), iri)


# A local name written after a prefix only where plainly valid in Turtle 1.1
# (rapper included) and SPARQL 1.1 (PN_LOCAL), and read back as the same IRI:
# ASCII letters, digits, "_", "-" and "." inside (first not "-" or ".", last
# not ".", which would end the statement). Never "/", "#", "~"...: PN_LOCAL
# takes them only escaped ("\/", "\~"), which is not written here.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
# A name typed into a SPARQL query: the same with percent escapes ("c%23")
# anywhere, which PN_LOCAL allows and SPARQL keeps as written (pyoxigraph and
# rdflib alike: topic:c%23 is <.../topic/c%23>), and at most one run of dots:
# pyoxigraph's SPARQL parser (0.5) refuses a name with two, p:a.b.c, which
# SPARQL allows (its Turtle parser takes it, and rdflib's SPARQL).
_ESCAPE = "%[0-9A-Fa-f]{2}"
_NAME_CHAR = rf"(?:[A-Za-z0-9_\-]|{_ESCAPE})"  # any but "."
_QUERY_LOCAL = re.compile(rf"(?:[A-Za-z0-9_]|{_ESCAPE}){_NAME_CHAR}*(?:\.+{_NAME_CHAR}+)?")


def prefixed_name(prefixes: dict[str, str], *, in_queries: bool = False) -> Callable[[str], str | None]:
    """A function: IRI -> ``prefix:local`` where plainly valid (see above), else ``None``
    (write the IRI whole, ``<...>``). The Turtle writer (:mod:`graph.export.rdf`) writes its
    prefixed names with it; ``in_queries``: names a SPARQL query reads back as the same
    IRI on either engine, as the query table (:mod:`graph.query`) writes them.

    >>> prefixed = prefixed_name({"ex": "http://x.example/", "exa": "http://x.example/a/"})
    >>> prefixed("http://x.example/a/b"), prefixed("http://x.example/a b"), prefixed("http://y.example/")
    ('exa:b', None, None)
    >>> prefixed("http://x.example/ai."), prefixed("http://x.example/.net"), prefixed("http://x.example/a/b/c")
    (None, None, None)
    >>> in_query = prefixed_name({"ex": "http://x.example/"}, in_queries=True)
    >>> prefixed("http://x.example/c%23"), in_query("http://x.example/c%23")
    (None, 'ex:c%23')
    >>> prefixed("http://x.example/a.b.c"), in_query("http://x.example/a.b.c"), in_query("http://x.example/a.b")
    ('ex:a.b.c', None, 'ex:a.b')
    """
    local_name = _QUERY_LOCAL if in_queries else _PLAIN_LOCAL
    # Every namespace ends with "/" or "#" and a plain local name has neither,
    # so the only namespace that can fit an IRI is the IRI up to its last "/"
    # or "#": one lookup (the first prefix listed wins a shared namespace).
    by_namespace: dict[str, str] = {}
    for prefix, ns in prefixes.items():
        if not ns.endswith(("/", "#")):
            raise ValueError(f"namespace of prefix {prefix!r} does not end with '/' or '#': {ns!r}")
        by_namespace.setdefault(ns, prefix)

    def prefixed(iri: str) -> str | None:
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        prefix = by_namespace.get(iri[:cut])
        if prefix is not None and local_name.fullmatch(iri, cut):
            return f"{prefix}:{iri[cut:]}"
        return None

    return prefixed


def check_base_iri(base: str | None) -> str:
    """Validate a base IRI: absolute, IRI-safe, ending in ``/`` or ``#``.

    Raises
    ------
    NewsgraphError
        With a message saying what is wrong.

    >>> check_base_iri(None) == DEFAULT_BASE_IRI
    True
    >>> check_base_iri("https://kg.example.com/news/")
    'https://kg.example.com/news/'
    >>> check_base_iri("https://kg.example.com/%zz/")
    Traceback (most recent call last):
    ...
    graph.errors.NewsgraphError: base IRI is not a valid IRI (Invalid IRI percent encoding '%zz'): 'https://kg.example.com/%zz/'
    >>> check_base_iri("http:///news/")
    Traceback (most recent call last):
    ...
    graph.errors.NewsgraphError: base IRI has no host after its '//', such as 'https://example.org/newsgraph/id/': 'http:///news/'
    """
    if base is None:
        return DEFAULT_BASE_IRI
    if not isinstance(base, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S", base):
        raise NewsgraphError(f"base IRI must be an absolute IRI such as {DEFAULT_BASE_IRI!r}, got {base!r}")
    if iri_safe(base) != base:
        raise NewsgraphError(f"base IRI contains characters not allowed in an IRI: {base!r}")
    if not base.endswith(("/", "#")):
        raise NewsgraphError(f"base IRI must end with '/' or '#': {base!r}")
    web = re.match(r"(?i)https?://([^/?#]*)", base)
    if web and not web.group(1):  # "http://": the ids' first part, "provider", became the host
        raise NewsgraphError(f"base IRI has no host after its '//', such as {DEFAULT_BASE_IRI!r}: {base!r}")
    import pyoxigraph  # here: only a base given is checked, and `import graph` stays light

    try:
        # RFC 3987 as the stores read it: "%zz" or "https://[::1/" were written into
        # every export, which query, serve and validate then refused to load.
        pyoxigraph.NamedNode(base)
    except ValueError as err:
        raise NewsgraphError(f"base IRI is not a valid IRI ({err}): {base!r}") from err
    return base


class IRIMinter:
    """Mints resource IRIs under one base IRI.

    Parameters
    ----------
    base : str, optional
        Base IRI (default :data:`DEFAULT_BASE_IRI`), ending in ``/`` or ``#``.
    inputs : iterable of str, optional
        The build's input paths (``kg.report.inputs``); source-file IRIs are
        minted from a file's path relative to the folder holding the inputs, so
        they do not depend on where the corpus lives on disk.

    Examples
    --------
    >>> m = IRIMinter("https://kg.example.com/", inputs=["/data/corpus"])
    >>> m.source("/data/corpus/azure/news/a b.md")
    'https://kg.example.com/source/corpus/azure/news/a%20b.md'
    >>> m.image("https://img.example/x.jpg", 50, 50)
    'https://kg.example.com/image/d445d99270eb1d11'
    >>> m.topic_scheme
    'https://kg.example.com/topics'
    """

    def __init__(self, base: str | None = None, inputs: Iterable[str] = ()) -> None:
        self.base = check_base_iri(base)
        dirs = [os.path.dirname(os.path.abspath(p.rstrip("/\\") or p)) for p in inputs]
        try:
            self._root = os.path.commonpath(dirs) if dirs else None
        except ValueError:  # different drives on Windows
            self._root = None
        self.topic_scheme = self.base + "topics"
        self._relative: dict[str, str] = {}
        self._relative_folders: dict[str, str | None] = {}  # folder -> _from_root(folder)

    def node(self, node_id: str) -> str:
        """IRI of a graph node (``article/…``, ``provider/…``, ``topic/…``)."""
        return self.base + node_id

    def relative_source(self, path: str) -> str:
        """A source path relative to the inputs' folder, with ``/`` separators.

        >>> IRIMinter(inputs=["seeds"]).relative_source("seeds/a/b.md")
        'seeds/a/b.md'
        """
        found = self._relative.get(path)
        if found is None:
            found = self._relative[path] = self._relative_source(path)
        return found

    def _relative_source(self, path: str) -> str:
        # What os.path.relpath(os.path.abspath(path), root) gives, worked out
        # once per folder: a corpus has many files in few folders, and each
        # call took 16-18 us (1.6-1.7 s of the RDF pass at 100,000 files).
        if self._root is None:
            return path.replace(os.sep, "/")
        folder, name = os.path.split(path)
        if name in ("", os.curdir, os.pardir):  # not a file's path: worked out whole
            rel = self._from_root(path)
        else:
            if folder not in self._relative_folders:
                self._relative_folders[folder] = self._from_root(folder or os.curdir)
            rel_folder = self._relative_folders[folder]
            rel = None if rel_folder is None else name if rel_folder == os.curdir else os.path.join(rel_folder, name)
        if rel is not None and not rel.startswith(".."):
            path = rel
        return path.replace(os.sep, "/")

    def _from_root(self, path: str) -> str | None:
        """``path`` relative to the inputs' folder, ``None`` on another drive (Windows)."""
        try:
            return os.path.relpath(os.path.abspath(path), self._root)  # type: ignore[arg-type]
        except ValueError:
            return None

    def source(self, path: str) -> str:
        """IRI of a source file (the provenance of a statement)."""
        return self.base + "source/" + quote(self.relative_source(path), safe="/-._~")

    def image(self, url: str, width: int | None, height: int | None) -> str:
        """IRI of an image node: a digest of its URL and size.

        The size is part of the key because the corpus gives one picture
        different sizes in different places; each node has one size.
        """
        key = f"{url}\n{'' if width is None else width}\n{'' if height is None else height}"
        return self.base + "image/" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
