"""Views of a knowledge graph for drawing: the full graph, an overview, ego graphs.

A :class:`View` is the plain data a drawing needs: nodes (id, kind, label,
size weight and display details) and edges (source, target, kind, weight).
It knows nothing about HTML; :mod:`graph.layout` places it and
:mod:`graph.export.html` draws it.

* :func:`full_view` -- every article, provider and topic with every edge;
* :func:`overview_view` -- providers and topics only, one ``articles`` edge
  from a provider to a topic weighted by how many of its articles are about it;
* :func:`ego_view` -- what lies within ``depth`` steps of a topic, a provider
  or an article (edges taken in both directions).

>>> import graph
>>> kg = graph.build(["seeds/"])
>>> v = full_view(kg)
>>> len(v.nodes) == len(kg.articles) + len(kg.providers) + len(kg.topics)
True
>>> sum(1 for e in v.edges) == sum(1 for _ in kg.edges())
True

Edges are kept compact (:class:`EdgeList`: parallel arrays of node numbers and
kind codes, not one tuple per edge): the full view of the real corpus has
about 100,000 of them, which as tuples took 8 MB in the process that writes
the page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Sequence
from urllib.parse import urlsplit

from .errors import ArgumentTypeError, InvalidArgumentError, ViewError, check_count
from .model import decode_references
from .report import counted

if TYPE_CHECKING:  # numpy is imported where edges are tabulated: describing an article needs none
    import numpy as np

    from .builder import KnowledgeGraph
    from .model import Article

__all__ = ["View", "ViewError", "EdgeList", "EdgeTable", "MAX_ARTICLES", "full_view", "overview_view", "ego_view",
           "safe_link", "site_link", "shown_text", "shown_name", "shown_domain", "VIEW_NAMES", "edge_table", "article_node"]

#: Views ``newsgraph html --view`` knows.
VIEW_NAMES = ("full", "overview")


class EdgeList(Sequence):
    """Edges kept as parallel arrays; each reads as a ``(source, target, kind, weight)`` tuple.

    Parameters
    ----------
    ends : list of str
        Node ids the edges refer to by number (a view's own node list, or a larger one).
    sources, targets : numpy.ndarray of int
        Numbers in ``ends`` of each edge's ends, in edge order.
    kind_names : tuple of str
        Edge kinds, referred to by number in ``kinds``.
    kinds : numpy.ndarray of int
        Each edge's kind number.
    weights : numpy.ndarray of int, optional
        Each edge's weight; ``None``: every weight is 1.

    Examples
    --------
    >>> import numpy as np
    >>> edges = EdgeList(["a", "b", "p"], np.array([0, 0]), np.array([1, 2]), ("related", "published_by"),
    ...                  np.array([0, 1]))
    >>> len(edges), edges[1], list(edges) == [("a", "b", "related", 1), ("a", "p", "published_by", 1)]
    (2, ('a', 'p', 'published_by', 1), True)
    >>> list(edges.select(np.array([False, True])))
    [('a', 'p', 'published_by', 1)]
    """

    __slots__ = ("ends", "sources", "targets", "kind_names", "kinds", "weights")

    def __init__(self, ends: list[str], sources: np.ndarray, targets: np.ndarray, kind_names: tuple[str, ...],
                 kinds: np.ndarray, weights: np.ndarray | None = None) -> None:
        self.ends, self.kind_names = ends, tuple(kind_names)
        self.sources, self.targets, self.kinds = sources, targets, kinds
        self.weights = weights

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        weight = 1 if self.weights is None else int(self.weights[i])
        return (self.ends[self.sources[i]], self.ends[self.targets[i]], self.kind_names[self.kinds[i]], weight)

    def __iter__(self) -> Iterator[tuple[str, str, str, int]]:
        ends, names = self.ends, self.kind_names
        step = 8192  # tuples made a block at a time: never all of them at once
        for start in range(0, len(self), step):
            stop = start + step
            weights = repeat(1) if self.weights is None else self.weights[start:stop].tolist()
            yield from zip(map(ends.__getitem__, self.sources[start:stop].tolist()),
                           map(ends.__getitem__, self.targets[start:stop].tolist()),
                           map(names.__getitem__, self.kinds[start:stop].tolist()), weights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"EdgeList({len(self)} edges of kinds {', '.join(self.kind_names)})"

    def select(self, mask: np.ndarray) -> "EdgeList":
        """The edges where ``mask`` (a boolean array, one value per edge) is true, in order."""
        return EdgeList(self.ends, self.sources[mask], self.targets[mask], self.kind_names, self.kinds[mask],
                        None if self.weights is None else self.weights[mask])


@dataclass
class View:
    """Nodes and edges to draw.

    Attributes
    ----------
    name : str
        ``full``, ``overview`` or ``ego``.
    title : str
        A heading for the page (plain text; escaped where shown).
    nodes : dict
        Node id -> ``{"kind", "label", "weight", ...details}``, in a stable order.
    edges : sequence of tuple
        ``(source id, target id, kind, weight)``, in a stable order: a list, or
        an :class:`EdgeList` (what :func:`full_view` and :func:`ego_view` make).
    centre : str or None
        The centre of an ego view.
    """

    name: str
    title: str
    nodes: dict[str, dict[str, Any]]
    edges: Sequence[tuple[str, str, str, int]]
    centre: str | None = None


#: URLs that need no parsing to be known safe: http(s), an ASCII host name and an
#: optional port, then printable ASCII (``urlsplit`` takes 10 us a URL, this 1 us).
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]*)?(?:[/?#][!-~]*)?")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL, else ``None``.

    Examples
    --------
    >>> safe_link("https://example.org/a")
    'https://example.org/a'
    >>> safe_link("javascript:alert(1)") is None
    True
    >>> safe_link(" HTTP://example.org") is None   # no leading junk either
    True
    """
    if not url or not isinstance(url, str):
        return None
    if _PLAIN_HTTP_URL.fullmatch(url):  # what urlsplit would accept, known without it
        return url
    if url != url.strip():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def site_link(domain: str | None) -> str | None:
    """The home page of a provider's ``domain``, when the domain is a host name alone.

    A domain kept as written though it is no host name gets no link: the page
    showed ``microsoft.com@evil.example`` and linked to evil.example.

    >>> site_link("wired.com"), site_link("microsoft.com@evil.example"), site_link("Wired Magazine")
    ('https://wired.com/', None, None)
    """
    if not domain or not _HOST_NAME.fullmatch(domain):  # letters, digits, "-", "_", ".": no "@", "/", ":"
        return None
    return safe_link(f"https://{domain}/")


#: A host name: labels of letters (any script), digits, hyphens and underscores, joined by dots.
_HOST_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*\.?")


#: What a page does not show of a text: the bidirectional overrides and isolates,
#: and the control characters but tab and line ends (an ego page's <title> held
#: a title's raw NUL, BEL and ESC; the canvas already drew labels without them).
_UNSHOWN = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def shown_text(text: str | None) -> str | None:
    """``text`` as a reader should see it: HTML character references decoded, and
    bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)
    and control characters (but tab and line ends) removed, wherever they came from.

    Feeds escape text they send as plain text (112 excerpts of the real corpus
    hold ``&#8217;``, ``&nbsp;`` or ``&amp;``), which a page would show as
    written. Only references are decoded, never markup: the page shows the
    result as text, so ``&lt;b&gt;`` becomes ``<b>`` to read, not to render.
    The exports keep the text as written.

    >>> shown_text("Make your sessions &#8216;persistent&#8217;&nbsp;&amp; fast")
    'Make your sessions ‘persistent’\xa0& fast'
    >>> shown_text("AT&T, R&D; ?a=1&not=2; &bogus; &#0; &notit; &copyright;")
    'AT&T, R&D; ?a=1&not=2; &bogus; \ufffd &notit; &copyright;'
    >>> shown_text("Results \u202eSRETUER &#x202E;x")
    'Results SRETUER x'
    >>> shown_text("Bell\x07 and escape\x1b[31m &#27;")
    'Bell and escape[31m '
    """
    if not text:
        return text
    text = decode_references(text)
    # An override (U+202E) in a title reversed the page's own text around it, in the
    # details ("(1 article)") and the tooltip; the canvas already drew labels without them.
    return _UNSHOWN.sub("", text) if _UNSHOWN.search(text) else text


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def shown_name(name: str | None) -> str | None:
    """A provider's name as a reader should see it: :func:`shown_text`, and its
    percent escapes decoded where they make UTF-8 text (a feed writes
    ``Morningstar%2c Inc.``, 265 times in the real corpus: shown, searched and
    found by ``--provider`` as ``Morningstar, Inc.``). The exports keep it as written.

    >>> shown_name("Morningstar%2c Inc."), shown_name("100%25 Pure"), shown_name("50% off %zz")
    ('Morningstar, Inc.', '100% Pure', '50% off %zz')
    """
    if name and "%" in name and _PERCENT_ESCAPE.search(name):
        from urllib.parse import unquote

        try:
            decoded = unquote(name, errors="strict")
        except UnicodeDecodeError:  # escapes of bytes that are not UTF-8 text: not an encoding
            decoded = name
        if not _UNSHOWN_CONTROLS.search(decoded):  # an escaped control is shown as written
            name = decoded
    return shown_text(name)


#: Scripts whose letters pass for one another's (Cyrillic а, Latin a, Greek α).
#: Scripts a label may mix with Latin and not pass for another site (as browsers allow:
#: Japanese, Chinese with Bopomofo, Korean), by the first word of a letter's Unicode name.
_MIXES_WITH_LATIN = (frozenset({"CJK", "HIRAGANA", "KATAKANA"}), frozenset({"CJK", "BOPOMOFO"}),
                     frozenset({"CJK", "HANGUL"}))
#: Letters of other scripts drawn as Latin ones: a label of these alone reads as Latin
#: ("аррӏе" in Cyrillic, "οορ" in Greek, "օօ" in Armenian).
_DRAWN_AS_LATIN = {"CYRILLIC": frozenset("аскеһіјӏорԛѕԝхуъьҽпгѵѡ"),
                   "GREEK": frozenset("αβεικνορτυχωγηϲ"),
                   "ARMENIAN": frozenset("օսցհոզգքաւոռ")}
#: Scripts whose letters are mostly capitals drawn as Latin ones (Cherokee "ᎪᎳᎡ").
_LATIN_LOOKING_SCRIPTS = frozenset({"CHEROKEE"})
#: Latin letters beyond ASCII that are no accented ASCII letter, yet common in names.
_LATIN_LETTERS_OF_THEIR_OWN = frozenset("ßæøœđðþłŋ")


def _latin_lookalike(ch: str) -> bool:
    """A Latin letter that is neither ASCII, nor one with an accent, nor one of a
    language's own (``ß``): ``ɡ`` (IPA), ``ı`` (dotless), ``ᴏ`` (small capital)."""
    import unicodedata

    if ch.isascii() or ch.lower() in _LATIN_LETTERS_OF_THEIR_OWN:
        return False
    base = unicodedata.normalize("NFD", ch)[0]
    return not (base.isascii() and base.isalpha())


def _passes_for_another(label: str) -> bool:
    """Whether a domain's ``label`` could be read as another one (see :func:`shown_domain`)."""
    import unicodedata

    letters = [ch for ch in label if ch.isalpha()]
    scripts = {unicodedata.name(ch, "?").split(" ")[0] for ch in letters}
    others = scripts - {"LATIN"}
    mixed = bool(others) and not any(others <= allowed for allowed in _MIXES_WITH_LATIN)
    if (mixed and len(scripts) > 1) or scripts & _LATIN_LOOKING_SCRIPTS:
        return True  # Latin with Cyrillic, Greek, Armenian...: "аpple", "gօօgle"; two such scripts
    if len(scripts) == 1 and (script := next(iter(scripts))) in _DRAWN_AS_LATIN:
        return set(letters) <= _DRAWN_AS_LATIN[script]
    return "LATIN" in scripts and any(_latin_lookalike(ch) for ch in letters)


def shown_domain(domain: str | None) -> str | None:
    """A provider's domain as a reader should see it: :func:`shown_text`, but a
    label that could pass for another site's is shown in its ``xn--`` form, as
    browsers show it in their address bar.

    Such a label mixes Latin with another script (``аpple.com`` with a Cyrillic
    ``а``, ``gօօgle.com`` with Armenian ``օ``; Latin with Japanese, Chinese or
    Korean is a name), is made only of letters of another script drawn as Latin
    ones (``аррӏе.com``, Greek ``οοο.com``, any Cherokee), or holds a Latin letter
    that is neither an accented ASCII letter nor a language's own (``ɡoogle.com``
    with an IPA ``ɡ``, ``gıthub`` with a dotless ``ı``). Shown in Unicode, it read
    as the real site's domain, and the page tells two providers of one name apart
    by their domains. The exports keep the domain in Unicode
    (:func:`graph.resolve.host_form`).

    >>> shown_domain("b\u00fccher.example"), shown_domain("\u0430pple.com"), shown_domain("\u0430\u0440\u0440\u04cf\u0435.com")
    ('bücher.example', 'xn--pple-43d.com', 'xn--80ak6aa92e.com')
    >>> shown_domain("\u0261oogle.com"), shown_domain("stra\u00dfe.de"), shown_domain("\u65e5\u672c.jp")
    ('xn--oogle-qmc.com', 'straße.de', '日本.jp')
    """
    if not domain or domain.isascii():
        return shown_text(domain)
    import idna

    labels = []
    for label in domain.split("."):
        if _passes_for_another(label):
            try:
                label = idna.encode(label).decode("ascii")
            except idna.IDNAError:
                label = "xn--" + label.encode("punycode").decode("ascii")
        labels.append(label)
    return shown_text(".".join(labels))


_UNSHOWN_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class EdgeTable(NamedTuple):
    """A view's edges as arrays (see :func:`edge_table`)."""

    sources: np.ndarray
    targets: np.ndarray
    kind_names: tuple[str, ...]
    kinds: np.ndarray
    weights: np.ndarray | None


def edge_table(view: View, numbers: dict[str, int]) -> EdgeTable:
    """The ends, kinds and weights of ``view.edges`` as arrays, in edge order.

    Ends are numbered by ``numbers`` (node id -> number; -1 for a node not in
    it), kinds by their place in ``kind_names``; ``weights`` is ``None`` when
    every weight is 1. For an :class:`EdgeList` only its table of ends is
    looked up (one lookup per node, not per edge); for a list the lookups run
    in C (``map`` over ``dict.get``).

    >>> v = View("x", "x", {}, [("a", "b", "related", 1), ("a", "p", "published_by", 3)])
    >>> t = edge_table(v, {"a": 0, "b": 1})
    >>> t.sources.tolist(), t.targets.tolist(), t.kind_names, t.kinds.tolist(), t.weights.tolist()
    ([0, 0], [1, -1], ('related', 'published_by'), [0, 1], [1, 3])
    """
    import numpy as np

    edges = view.edges
    if isinstance(edges, EdgeList):
        number = np.fromiter(map(numbers.get, edges.ends, repeat(-1)), dtype=np.int64, count=len(edges.ends))
        return EdgeTable(number[edges.sources], number[edges.targets], edges.kind_names, edges.kinds, edges.weights)
    n = len(edges)

    def ends(position: int) -> np.ndarray:
        ids = map(itemgetter(position), edges)
        return np.fromiter(map(numbers.get, ids, repeat(-1)), dtype=np.int64, count=n)

    code: dict[str, int] = {}
    kinds = np.fromiter(map(lambda k: code.setdefault(k, len(code)), map(itemgetter(2), edges)), dtype=np.int64,
                        count=n)
    weights = np.fromiter(map(itemgetter(3), edges), dtype=np.int64, count=n)
    return EdgeTable(ends(0), ends(1), tuple(code), kinds, None if (weights == 1).all() else weights)


def _date(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        try:
            day = value.astimezone(dt.timezone.utc).date()
        except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC: its own day then
            day = value.date()
        return day.isoformat()  # four-digit years: the page compares dates as text ("0999" < "1000")
    return value.isoformat()


def article_node(kg: KnowledgeGraph, a: Article, degree: int) -> dict[str, Any]:
    """The node of article ``a`` in a view, ``degree`` its weight."""
    provider = kg.providers.get(a.provider_id) if a.provider_id else None
    return {
        "kind": "article",
        "label": shown_text(a.title) or a.url,
        "weight": degree,
        "stub": a.is_stub,
        "type": a.type,
        "is_published": a.is_published,
        "date": _date(a.published),
        # a day as written, not a date-time's UTC day (the page labels those "UTC")
        "date_only": not isinstance(a.published, dt.datetime) and a.published is not None,
        "provider": a.provider_id,
        "provider_name": shown_name(provider.name) if provider else None,
        "topics": list(a.topic_ids),
        "topic_labels": [shown_text(kg.topics[t].label) for t in a.topic_ids if t in kg.topics],
        "excerpt": shown_text(a.excerpt),
        # featured_content (raw HTML) is deliberately never carried into a view.
        "link": safe_link(a.web_url) or safe_link(a.url) or safe_link(a.original_url),
    }


def _degrees(groups: list[tuple[str, str, tuple[str, ...]]]) -> Counter:
    """Edges at each node (``groups`` as :meth:`KnowledgeGraph.edge_groups` yields them).

    >>> sorted(_degrees([("a", "related", ("b",)), ("a", "published_by", ("p",)), ("b", "about", ("t", "u"))]).items())
    [('a', 2), ('b', 3), ('p', 1), ('t', 1), ('u', 1)]
    """
    deg = Counter(chain.from_iterable(map(itemgetter(2), groups)))  # targets counted in C
    for source, _, targets in groups:
        deg[source] += len(targets)
    return deg


def _edge_list(groups: list[tuple[str, str, tuple[str, ...]]], nodes: dict[str, Any]) -> EdgeList:
    """The edges of ``groups`` (in :meth:`KnowledgeGraph.edges` order) with both ends in ``nodes``.

    >>> e = _edge_list([("a", "related", ("b", "x")), ("a", "published_by", ("p",))], dict.fromkeys("abp"))
    >>> list(e)
    [('a', 'b', 'related', 1), ('a', 'p', 'published_by', 1)]
    """
    import numpy as np

    ends = list(nodes)
    index = {node: k for k, node in enumerate(ends)}
    sizes = np.fromiter(map(len, map(itemgetter(2), groups)), dtype=np.int64, count=len(groups))
    group_sources = np.fromiter(map(index.get, map(itemgetter(0), groups), repeat(-1)), dtype=np.int64,
                                count=len(groups))
    code: dict[str, int] = {}
    group_kinds = np.fromiter(map(lambda k: code.setdefault(k, len(code)), map(itemgetter(1), groups)),
                              dtype=np.int8, count=len(groups))
    targets = np.fromiter(map(index.get, chain.from_iterable(map(itemgetter(2), groups)), repeat(-1)),
                          dtype=np.int64, count=int(sizes.sum()))
    sources, kinds = np.repeat(group_sources, sizes), np.repeat(group_kinds, sizes)
    keep = (sources >= 0) & (targets >= 0)
    if not keep.all():
        sources, targets, kinds = sources[keep], targets[keep], kinds[keep]
    return EdgeList(ends, sources.astype(np.int32), targets.astype(np.int32), tuple(code), kinds)


#: Articles :func:`full_view` draws at most. A page of more is too heavy for a
#: browser (and for the build that lays it out), so beyond it the most connected
#: articles are drawn and the title says how many are left out; ego views
#: (``newsgraph html --topic/--provider/--article``) draw any part in full.
MAX_ARTICLES = 20_000


def _check_graph(kg: Any) -> None:
    """A view is drawn from the KnowledgeGraph: its networkx graph (``kg.nx``), which
    the frames and analyses take, failed with an AttributeError from deep inside."""
    if not hasattr(kg, "edge_groups"):  # a KnowledgeGraph, or what stands for one in the page's process
        raise ArgumentTypeError(f"a view is drawn from a KnowledgeGraph (graph.build(), graph.load()), not "
                                f"{type(kg).__module__}.{type(kg).__name__}"
                                + (": give the KnowledgeGraph whose .nx this is" if hasattr(kg, "nodes") else ""))


def full_view(kg: KnowledgeGraph, max_articles: int | None = MAX_ARTICLES, *, among: set[str] | None = None) -> View:
    """Every node and every edge of ``kg``; node weight is its degree.

    With more than ``max_articles`` articles (``None``: no limit), only the
    ``max_articles`` of highest degree (ties by id) are kept, with every
    provider and topic and the edges among what is kept. ``among``: only
    these articles, whatever their number (an ego view's part).

    >>> import graph
    >>> kg = graph.build(["seeds/"])
    >>> v = full_view(kg, max_articles=10)
    >>> sum(n["kind"] == "article" for n in v.nodes.values()), v.title.startswith("News graph: 10 of ")
    (10, True)
    """
    check_count("max_articles", max_articles, none=True)
    _check_graph(kg)
    groups = list(kg.edge_groups())
    deg = _degrees(groups)
    nodes: dict[str, dict[str, Any]] = {}
    for t in kg.topics.values():
        nodes[t.id] = {"kind": "topic", "label": shown_text(t.label), "weight": deg[t.id],
                       "detail": shown_text(t.key)}
    for p in kg.providers.values():
        nodes[p.id] = {"kind": "provider", "label": shown_name(p.name), "weight": deg[p.id],
                       "detail": shown_domain(p.domain), "link": site_link(p.domain)}
    articles = kg.articles.values()
    total = len(kg.articles)
    if among is not None:
        articles = [a for a in articles if a.id in among]
    elif max_articles is not None and total > max_articles:
        keep = set(sorted(kg.articles, key=lambda i: (-deg[i], i))[:max_articles])
        articles = [a for a in articles if a.id in keep]
    for a in articles:
        nodes[a.id] = article_node(kg, a, deg[a.id])
    if among is not None or len(articles) != total:
        # a part drawn (an ego view's, or past the cap) draws some of an article's related
        # articles: the page says how many there are in all
        for aid, count in _related_counts(groups, nodes.keys() & kg.articles.keys()).items():
            nodes[aid]["related_total"] = count
    edges = _edge_list(groups, nodes)
    n_files = kg.report.article_files
    shown = f"{total:,}" if len(articles) == total else f"{len(articles):,} of {total:,}"
    title = f"News graph: {shown} article{'s' * (total != 1)} from {n_files:,} file{'s' * (n_files != 1)}"
    if not total and kg.report.rejected:  # every file read was refused: the page says so
        title += f" ({counted(len(kg.report.rejected), 'file')} rejected: see the build report)"
    if len(articles) != total:
        title += " (the most connected; draw any part with newsgraph html --topic, --provider or --article)"
    return View("full", title, nodes, edges)


def _related_counts(groups: list[tuple[str, str, tuple[str, ...]]], of: set[str]) -> dict[str, int]:
    """Articles related to each article of ``of``, either way (two that list each other: one).

    >>> _related_counts([("a", "related", ("b", "c")), ("b", "related", ("a",)), ("c", "about", ("t",))], {"a", "c"})
    {'a': 2, 'c': 1}
    """
    partners: dict[str, set[str]] = {i: set() for i in of}
    for source, kind, targets in groups:
        if kind != "related":
            continue
        if source in partners:
            partners[source].update(targets)
        for target in of.intersection(targets):  # in C: the few drawn among them
            partners[target].add(source)
    return {i: len(partners[i]) for i in sorted(partners)}


def _hubs(a: Article) -> list[str]:
    """The provider and topics article ``a`` is linked to."""
    return [a.provider_id, *a.topic_ids] if a.provider_id else list(a.topic_ids)


def _stubs_of(kg: KnowledgeGraph) -> Counter:
    """Provider or topic id -> how many of its articles are stubs."""
    return Counter(h for a in kg.articles.values() if a.is_stub for h in _hubs(a))


def overview_view(kg: KnowledgeGraph) -> View:
    """Providers and topics; a provider -> topic edge weighted by their shared articles.

    A node's ``weight`` is its articles, ``stubs`` how many of them are stubs (the
    page draws no article to count them from).
    """
    full = full_view(kg, max_articles=0)  # its providers and topics
    count: Counter = Counter()
    articles_of: Counter = Counter()
    for a in kg.articles.values():
        articles_of.update(_hubs(a))
        if a.provider_id:
            count.update((a.provider_id, t) for t in a.topic_ids)
    stubs_of = _stubs_of(kg)
    nodes = {i: dict(n, weight=articles_of[i], stubs=stubs_of[i]) for i, n in full.nodes.items()
             if n["kind"] != "article"}
    edges = [(p, t, "articles", w) for (p, t), w in sorted(count.items())]
    return View("overview", f"Overview: {counted(len(kg.providers), 'provider')} and "
                            f"{counted(len(kg.topics), 'topic')}", nodes, edges)


def _find_centre(kg, *, topic: str | None, provider: str | None, article: str | None) -> str:
    from .resolve import provider_key, topic_key

    if sum(x is not None for x in (topic, provider, article)) != 1:
        raise InvalidArgumentError("give exactly one of topic, provider or article for an ego view")
    for name, value in (("topic", topic), ("provider", provider), ("article", article)):
        if value is not None and not isinstance(value, str):
            raise ArgumentTypeError(f"{name} must be text (a label, name, domain, id or URL), not {value!r}")
    if topic is not None:
        key = topic_key(topic)
        for t in kg.topics.values():
            if t.key == key or t.id == topic or key in (topic_key(x) for x in t.alt_labels):
                return t.id
        raise ViewError(f"no topic {topic!r} in the graph{_did_you_mean(topic, (t.label for t in kg.topics.values()))}")
    if provider is not None:
        key = provider_key(provider)
        for p in kg.providers.values():
            if p.domain == key or p.id == provider:
                return p.id
        name = provider.strip().casefold()
        named = [p for p in kg.providers.values()  # as written or as the page shows it
                 if name in (p.name.casefold(), (shown_name(p.name) or "").casefold())]
        if len(named) == 1:
            return named[0].id
        if named:  # a name is not an identity: two sites may share one ("PR Newswire", .com and .co.uk)
            count = Counter(a.provider_id for a in kg.articles.values())
            listed = ", ".join(f"{p.domain} ({count[p.id]:,} article{'s' * (count[p.id] != 1)})"
                               for p in sorted(named, key=lambda p: (-count[p.id], p.domain)))
            raise ViewError(f"{len(named)} providers are named {provider!r}: {listed}; give the domain")
        known = chain.from_iterable((p.domain, p.name) for p in kg.providers.values())
        raise ViewError(f"no provider {provider!r} in the graph (give its domain or name)"
                        f"{_did_you_mean(provider, known)}")
    if article in kg.articles:  # its id, as the DataFrames are indexed
        return article
    if article.startswith("article/"):  # it was read as a URL: "not an absolute http(s) URL"
        raise ViewError(f"no article with id {article!r} in the graph")
    try:
        found = kg.article_by_url(article)
    except ValueError as err:  # InvalidURLError is a ValueError
        raise ViewError(f"not an article id (article/...) or URL: {err}") from err
    if found is None:
        raise ViewError(f"no article with URL {article!r} in the graph")
    return found.id


def _did_you_mean(given: str, known: Iterator[str]) -> str:
    """``"; did you mean 'A' or 'B'?"``: the (at most three) names in ``known``
    closest to ``given``, case aside, or ``""`` when none is close.

    >>> _did_you_mean("azure ml", iter(["Azure", "Azure AI", "Power BI"]))
    "; did you mean 'Azure' or 'Azure AI'?"
    >>> _did_you_mean("xyz", iter(["Azure"]))
    ''
    """
    by_key: dict[str, str] = {}
    for name in known:
        if name:
            by_key.setdefault(name.casefold(), name)
    import difflib

    close = [by_key[k] for k in difflib.get_close_matches(given.strip().casefold(), sorted(by_key), n=3, cutoff=0.7)]
    if not close:
        return ""
    quoted = [repr(c) for c in close]
    return "; did you mean " + (quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?"


def ego_view(kg: KnowledgeGraph, *, topic: str | None = None, provider: str | None = None, article: str | None = None,
             depth: int = 1) -> View:
    """Everything within ``depth`` steps of one topic, provider or article.

    Steps follow edges of every kind in both directions. Raises
    :class:`ViewError` when the centre is not in the graph,
    :class:`~graph.errors.InvalidArgumentError` for a negative ``depth`` or not
    exactly one centre given, :class:`~graph.errors.ArgumentTypeError` for a
    centre that is not text.

    >>> import graph
    >>> kg = graph.build(["seeds/"])
    >>> v = ego_view(kg, topic=next(iter(kg.topics.values())).label, depth=1)
    >>> v.nodes[v.centre]["kind"]
    'topic'
    """
    import numpy as np

    check_count("depth", depth)
    _check_graph(kg)
    centre = _find_centre(kg, topic=topic, provider=provider, article=article)
    adj: dict[str, set[str]] = defaultdict(set)
    for s, d, _ in kg.edges():
        adj[s].add(d)
        adj[d].add(s)
    seen = {centre: 0}
    queue = deque([centre])
    while queue:
        n = queue.popleft()
        if seen[n] >= depth:
            continue
        for m in sorted(adj[n]):
            if m not in seen:
                seen[m] = seen[n] + 1
                queue.append(m)
    full = full_view(kg, among=seen)  # the part drawn is drawn whole, in a corpus of any size
    nodes = {i: n for i, n in full.nodes.items() if i in seen}
    edges: Sequence[tuple[str, str, str, int]] = full.edges
    if isinstance(edges, EdgeList):
        inside = np.fromiter(map(seen.__contains__, edges.ends), dtype=bool, count=len(edges.ends))
        edges = edges.select(inside[edges.sources] & inside[edges.targets])
    else:
        edges = [e for e in edges if e[0] in seen and e[1] in seen]
    stubs = _stubs_of(kg)  # a hub's, in the graph: at depth 0 the page draws none to count them from
    for i, node in nodes.items():
        if node["kind"] != "article":
            node["stubs"] = stubs[i]
    label = full.nodes[centre]["label"]
    return View("ego", f"{label} and what lies within {depth} step{'s' if depth != 1 else ''}", nodes, edges,
                centre=centre)
