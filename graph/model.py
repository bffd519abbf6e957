"""The data model: what an article, a provider and a topic are.

Two layers:

* *records* (:class:`ArticleRecord`) are articles exactly as one place in the
  input describes them: a file, or one ``related`` stub inside a file. A
  record's URLs are already canonical (see :mod:`graph.resolve`), nothing else
  is merged.
* *entities* (:class:`Article`, :class:`Provider`, :class:`Topic`) are what the
  graph holds after identity resolution merged every record of the same thing.

:func:`records_from_front_matter` turns one parsed front-matter mapping into
records, coercing field types and collecting warnings instead of failing
wherever a field can be dropped without losing the article.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import sys
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping

from .errors import FrontMatterError, InvalidURLError

__all__ = [
    "Image",
    "ProviderRef",
    "ArticleRecord",
    "Article",
    "Provider",
    "Topic",
    "Warning_",
    "NODE_KINDS",
    "EDGE_KINDS",
    "DESCRIPTIVE_FIELDS",
    "records_from_front_matter",
    "decode_references",
    "shows_nothing",
    "is_image_address",
    "StubText",
    "coerce_datetime",
    "coerce_images",
]

#: The fields that describe an article, which :class:`ArticleRecord` and
#: :class:`Article` both have (with the same types): identity resolution
#: gives an article each one from the best-ranked record that has it.
DESCRIPTIVE_FIELDS = ("title", "excerpt", "published", "type", "category", "quality", "heat", "is_published",
                      "removed", "web_url", "original_url", "amp_url", "cdn_amp_url", "featured_content")

#: Node kinds of the graph.
NODE_KINDS = ("article", "provider", "topic")
#: Edge kinds of the graph: article -> provider, article -> topic, article -> article.
EDGE_KINDS = ("published_by", "about", "related")


def pickled_by_fields(cls: type) -> type:
    """Class decorator: pickle a dataclass's instances as its constructor's
    positional arguments.

    What the caches and the worker pool pickle by the million: 1.5 to 2 times
    faster to dump and load than the generated ``__getstate__`` (a state
    mapping per instance), and smaller (at 10,000 synthetic articles the
    graph snapshot dumps in 0.25 s instead of 0.39 s and loads in 0.13 s
    instead of 0.22 s). The caches are keyed by this module's code, so
    changing a class's fields never loads an old pickle into it.

    >>> import pickle
    >>> pickle.loads(pickle.dumps(Image("https://x.org/a.png", 10, 20)))
    Image(url='https://x.org/a.png', width=10, height=20)
    """
    values = operator.attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self: Any) -> tuple:
        return (cls, values(self))

    cls.__reduce__ = __reduce__  # type: ignore[attr-defined]
    return cls



@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Image:
    """A picture: URL plus optional pixel size."""

    url: str
    width: int | None = None
    height: int | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ProviderRef:
    """A provider as one record names it (before resolution)."""

    name: str | None
    domain: str | None
    images: tuple[Image, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Warning_:
    """A non-fatal problem found while reading a file."""

    path: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "line": self.line}


@pickled_by_fields
@dataclass(slots=True)
class ArticleRecord:
    """One description of an article, from one file or one related stub.

    ``url`` is the canonical URL and ``aliases`` the canonical forms of the
    other URLs given for the same article (original, AMP, CDN AMP).
    ``source`` is the file; it is ``None`` for a related stub, which belongs
    to the record listing it: equal stubs are one shared, never-modified object
    (a stub recurs in many files), so a stub costs a reference per copy.
    """

    url: str
    source: str | None
    is_stub: bool
    title: str | None = None
    excerpt: str | None = None
    published: dt.datetime | dt.date | None = None
    type: str | None = None
    category: str | None = None
    quality: int | None = None
    heat: int | None = None
    is_published: bool | None = None
    removed: bool | None = None
    web_url: str | None = None
    original_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    aliases: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    featured_content: str | None = None
    provider: ProviderRef | None = None
    topics: tuple[str, ...] = ()
    related: tuple["ArticleRecord", ...] = ()


_record_args = operator.attrgetter(*(f.name for f in fields(ArticleRecord)))


@pickled_by_fields
@dataclass(slots=True)
class Article:
    """An article node after identity resolution.

    ``is_stub`` is true when the article is known only from ``related`` lists,
    never from a file of its own. ``sources`` lists every file that described it
    (as a file or through a stub).
    """

    id: str
    url: str
    is_stub: bool
    title: str | None = None
    excerpt: str | None = None
    published: dt.datetime | dt.date | None = None
    type: str | None = None
    category: str | None = None
    quality: int | None = None
    heat: int | None = None
    is_published: bool | None = None
    removed: bool | None = None
    web_url: str | None = None
    original_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    aliases: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    featured_content: str | None = None
    provider_id: str | None = None
    topic_ids: tuple[str, ...] = ()
    related_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    #: The files that are this article, in the merge's rank order: the first gives
    #: each field it has (the newest, see graph.resolve).
    files: tuple[str, ...] = ()


@pickled_by_fields
@dataclass(slots=True)
class Provider:
    """A publisher, keyed by its lower-cased domain."""

    id: str
    domain: str
    name: str
    alt_names: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    catalog: str | None = None


@pickled_by_fields
@dataclass(slots=True)
class Topic:
    """A topic, keyed by its case- and space-folded name."""

    id: str
    key: str
    label: str
    alt_labels: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    catalog: str | None = None


# --------------------------------------------------------------------------
# Coercion of front matter into records
# --------------------------------------------------------------------------

#: The range of a whole number (neo4j, GraphML and GEXF declare them ``long``).
_INT64 = (-(1 << 63), (1 << 63) - 1)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


#: A host name, with a scheme, port or path perhaps (``graph.resolve.provider_key`` drops those).
_HOST = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+\.?(?:[:/].*)?", re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=1 << 12)  # few distinct domains, met once per related stub
def _host_like(domain: str) -> bool:
    """Whether a provider's ``domain`` names a host.

    >>> _host_like("www.Wired.com"), _host_like("https://bbc.co.uk/news"), _host_like("café.fr")
    (True, True, True)
    >>> _host_like("Wired Magazine"), _host_like("wired"), _host_like("a..b")
    (False, False, False)
    """
    return _HOST.fullmatch(domain) is not None


def coerce_datetime(value: Any) -> dt.datetime | dt.date | None:
    """Turn a YAML value into a timezone-aware datetime or a date.

    Naive date-times are taken as UTC (the corpus writes ``Z`` everywhere).
    Raises ``ValueError`` for anything that is not a date.

    Examples
    --------
    >>> coerce_datetime("2021-06-18T11:00:00Z")
    datetime.datetime(2021, 6, 18, 11, 0, tzinfo=datetime.timezone.utc)
    >>> coerce_datetime("2021-06-18")
    datetime.date(2021, 6, 18)

    XSD's end of a day, ``24:00:00``, is the next day's first instant:

    >>> coerce_datetime("2021-12-31T24:00:00+02:00").isoformat()
    '2022-01-01T00:00:00+02:00'
    """
    if isinstance(value, dt.datetime):
        return _writable_offset(value) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        end_of_day = _END_OF_DAY.match(text)
        if end_of_day:  # Python's datetime has no hour 24
            try:
                parsed = dt.datetime.fromisoformat(f"{end_of_day.group(1)}T00:00:00{text[end_of_day.end():]}") \
                    + dt.timedelta(days=1)
            except OverflowError as err:  # 9999-12-31T24:00:00
                raise ValueError(f"not a date: {_describe(value)}") from err
        else:
            parsed = dt.datetime.fromisoformat(text)
        return _writable_offset(parsed) if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    raise ValueError(f"not a date: {_describe(value)}")


#: XSD's ``24:00:00`` (no minutes, seconds nor fraction but zeros), which ends a day.
_END_OF_DAY = re.compile(r"(\d{4}-\d\d-\d\d)[Tt ]24:00(?::00(?:\.0+)?)?(?=$|[Zz+-])")


#: The largest offset from UTC ``xsd:dateTime`` allows (Python's go to 23:59).
_XSD_MAX_OFFSET = dt.timedelta(hours=14)


def _writable_offset(value: dt.datetime) -> dt.datetime:
    """``value``, in UTC when ``xsd:dateTime`` cannot write its offset: one that is
    not whole minutes (``+05:30:15``: it and ISO 8601 have hours and minutes only),
    or one beyond ±14:00 (``+15:00``, which SPARQL engines then fail to read). The
    instant stays the same.

    >>> _writable_offset(dt.datetime.fromisoformat("2021-06-18T11:00:00+05:30:15")).isoformat()
    '2021-06-18T05:29:45+00:00'
    >>> _writable_offset(dt.datetime.fromisoformat("2021-06-18T11:00:00+15:00")).isoformat()
    '2021-06-17T20:00:00+00:00'
    >>> _writable_offset(dt.datetime.fromisoformat("2021-06-18T11:00:00-14:00")).isoformat()
    '2021-06-18T11:00:00-14:00'
    """
    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds or abs(offset) > _XSD_MAX_OFFSET):
        try:
            return value.astimezone(dt.timezone.utc)
        except OverflowError as err:  # within seconds of year 1 or 9999
            raise ValueError(f"not a date in range: {value!r}") from err
    return value


def coerce_images(value: Any, path: str, key: str = "images") -> tuple[tuple[Image, ...], list[Warning_]]:
    """``value`` read as an article's ``images`` field is (the catalogues'
    images too): the images, and warnings for what was left out.

    >>> coerce_images([{"url": "https://i.example/a.png", "width": True}, 7], "t.md")[0]
    (Image(url='https://i.example/a.png', width=None, height=None),)
    """
    coercer = _Coercer(path, lambda _: None, str)
    return coercer.images({key: value}, key, "", key), coercer.warnings


#: What a browser drops around an address (C0 controls and the space) and inside it (tabs, line breaks).
_ADDRESS_AROUND = "".join(map(chr, range(0x21)))
_ADDRESS_INSIDE = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
#: Pictures carried in the address itself: raster formats only (an SVG document may hold script).
_PICTURE_DATA = re.compile(r"data:image/(?:png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)[;,]", re.I)


def is_image_address(url: str) -> bool:
    r"""Whether ``url`` may be kept as an image's address: ``http:``, ``https:``,
    a raster ``data:image/``, or a reference without a scheme (``//cdn.example/a.png``,
    ``img/a.png``). Why: an image's address goes into every export, where
    other tools may show it as a link; ``javascript:`` or ``data:text/html``
    runs script there. Read as a browser reads it, so that ``" java\tscript:"``
    counts as ``javascript:``.

    >>> [is_image_address(u) for u in ("https://i.example/a.png", "//cdn.example/a.png", "img/a.png")]
    [True, True, True]
    >>> [is_image_address(u) for u in ("javascript:alert(1)", " JAVA\tSCRIPT:x", "data:text/html,<b>",
    ...                                "data:image/svg+xml,<svg/>", "file:///etc/passwd")]
    [False, False, False, False, False]
    >>> is_image_address("data:image/png;base64,iVBORw0KGgo=")
    True
    """
    if url.startswith(("https://", "http://")):  # nearly every one: nothing around it to drop
        return True
    seen = url.strip(_ADDRESS_AROUND).translate(_ADDRESS_INSIDE)
    scheme = _SCHEME.match(seen)
    if scheme is None:
        return True
    name = scheme.group(1).lower()
    return name in ("http", "https") or (name == "data" and _PICTURE_DATA.match(seen) is not None)


#: What a text field takes besides text: YAML's numbers, booleans and dates, as written.
_TEXT_LIKE = (str, bool, int, float, dt.date)


def _as_text(value: str | bool | int | float | dt.date) -> str:
    """A text field's value (one of :data:`_TEXT_LIKE`) as text: YAML's ``true`` as
    YAML writes it, not as Python does (``True``).

    >>> _as_text(True), _as_text(7), _as_text(dt.date(2021, 6, 18))
    ('true', '7', '2021-06-18')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def escaped_nuls_removed(value: str, what: str) -> tuple[str, str]:
    """``value`` (named ``what``) without its NULs, and the warning that says so.

    Why: a NUL written as an escape (``"\\0"``, ``"\\u0000"``) stayed in the value,
    where one in the file's text is removed with a warning (:func:`graph.reader.decode`),
    and the exports then differed (kept in graph.json and RDF, U+FFFD in the XML formats).
    Articles (:class:`_Coercer`) and catalogues (:mod:`graph.catalog`) both use it.

    >>> escaped_nuls_removed("a\\x00b", "title")
    ('ab', 'title holds 1 NUL character(s) (written as escapes); removed')
    """
    said = f"{what} holds {value.count(chr(0))} NUL character(s) (written as escapes); removed"
    return value.replace("\x00", ""), said


def _digits_over_limit(value: Any) -> int | None:
    """The digits of a whole number too long for Python to write as text
    (``sys.get_int_max_str_digits()``, 4,300 by default); else ``None``.
    yaml_rs reads such numbers, and ``str()`` of one raised a ValueError whose
    advice (``sys.set_int_max_str_digits()``) was for programmers.

    >>> _digits_over_limit(10 ** 5000), _digits_over_limit(10 ** 20)
    (5001, None)
    >>> _digits_over_limit(-(10 ** 5000) + 1)
    5000
    """
    if type(value) is not int or value.bit_length() < 14_000:  # under 4,215 digits
        return None
    limit = sys.get_int_max_str_digits()
    digits = int(abs(value).bit_length() * 0.30102999566398) + 1  # log10(2): at most one over
    if abs(value) < 10 ** (digits - 1):
        digits -= 1
    return digits if limit and digits > limit else None


def _describe(value: Any) -> str:
    if (digits := _digits_over_limit(value)) is not None:
        return f"a whole number of {digits:,} digits"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (set, frozenset)):  # YAML's !!set: its repr's order changes with the hash seed
        return "a set"
    return f"{type(value).__name__} {value!r}"[:80]


#: A character reference with its closing ``;`` (``&#8217;``, ``&#x2019;``,
#: ``&rsquo;``). Without the ``;`` it is left alone: ``&not=1`` in a query
#: string or ``AT&T`` are text, though HTML would decode the first.
_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode_references(text: str) -> str:
    """``text`` with its HTML character references decoded, as a reader sees it
    (feeds escape plain text: ``&#8217;``, ``&nbsp;``, ``&amp;``). A name HTML
    does not define is kept as written, and so is one without its ``;``.

    >>> decode_references("&#8216;a&#8217;&nbsp;&amp; AT&T &notit; &bogus;")
    '‘a’\xa0& AT&T &notit; &bogus;'
    """
    if "&" not in text:
        return text
    import html
    import html.entities

    def character(reference: re.Match) -> str:
        ref = reference.group(0)
        # html.unescape alone would read &notit; as ¬it;, HTML's rule without ";"
        return html.unescape(ref) if ref[1] == "#" else html.entities.html5.get(ref[1:], ref)

    return _CHARACTER_REFERENCE.sub(character, text)


#: Letters and symbols that fonts draw as nothing: the braille blank and the Hangul fillers.
_BLANK_CHARACTERS = frozenset("\u2800\u115f\u1160\u3164\uffa0")
#: Categories of characters that show nothing: white space and separators, controls,
#: format characters (zero-width space, soft hyphen, direction marks, byte-order mark).
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def shows_nothing(text: str) -> bool:
    """Whether ``text``, its character references decoded, holds nothing a reader
    can see: only white space, controls, format characters and blanks.

    >>> shows_nothing(" \u200b\u202e&nbsp;\u2800"), shows_nothing("?"), shows_nothing("a\u200b")
    (True, False, False)
    """
    if text.isascii() and "&" not in text:
        return not any(" " < ch < "\x7f" for ch in text)
    import unicodedata

    return all(ch in _BLANK_CHARACTERS or unicodedata.category(ch) in _BLANK_CATEGORIES
               for ch in decode_references(text))


class _Coercer:
    """Field-by-field coercion for one file, collecting warnings.

    ``line_of`` maps a top-level key to its 1-based line in the file.
    """

    def __init__(self, path: str, line_of: Callable[[str], int | None], canonical: Callable[[str], str],
                 syntax: str = "YAML"):
        self.path = path
        self.line_of = line_of
        self.canonical = canonical
        self.syntax = syntax  # what read the values, for messages
        self.warnings: list[Warning_] = []

    def warn(self, message: str, key: str | None = None) -> None:
        self.warnings.append(Warning_(self.path, message, self.line_of(key) if key else None))

    def text(self, data: Mapping, key: str, where: str, top: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return self.without_nuls(value, f"{where}{key}", top) if "\x00" in value else value
        if isinstance(value, _TEXT_LIKE) and _digits_over_limit(value) is None:
            return self.read_as_text(value, f"{where}{key}", top or key)
        self.warn(f"{where}{key} should be text, found {_describe(value)}; left empty", top)
        return None

    def without_nuls(self, value: str, what: str, top: str) -> str:
        """``value`` without its NULs, said (:func:`escaped_nuls_removed`)."""
        value, said = escaped_nuls_removed(value, what)
        self.warn(said, top)
        return value

    def read_as_text(self, value: bool | int | float | dt.date, what: str, top: str) -> str:
        """A value YAML read as a number, a boolean or a date, where text belongs: its
        text as written (1.10, 0x1F, False) is gone, so say so rather than keep another
        text without a word."""
        text = _as_text(value)
        self.warn(f"{what} was read by {self.syntax} as {_describe(value)} and kept as the text {text!r}; "
                  "quote the value to keep it as written", top)
        return text

    def integer(self, data: Mapping, key: str, where: str, top: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                pass
        if number is not None and _INT64[0] <= number <= _INT64[1]:
            return number
        what = "a whole number of at most 64 bits" if number is not None else "a whole number"
        self.warn(f"{where}{key} should be {what}, found {_describe(value)}; left empty", top)
        return None

    def boolean(self, data: Mapping, key: str, where: str, top: str) -> bool | None:
        value = data.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        self.warn(f"{where}{key} should be true or false, found {_describe(value)}; left empty", top)
        return None

    def date(self, data: Mapping, key: str, where: str, top: str) -> dt.datetime | dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return coerce_datetime(value)
        except (ValueError, TypeError):
            self.warn(f"{where}{key} is not a date ({_describe(value)}); left empty", top)
            return None

    def url(self, data: Mapping, key: str, where: str, top: str) -> str | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.warn(f"{where}{key} should be a URL, found {_describe(value)}; ignored", top)
            return None
        try:
            return self.canonical(value)
        except InvalidURLError as err:
            self.warn(f"{where}{key}: {err}; ignored", top)
            return None

    def images(self, data: Mapping, key: str, where: str, top: str) -> tuple[Image, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, (str, dict)):
            value = [value]
        if not isinstance(value, list):
            self.warn(f"{where}{key} should be a list of images, found {_describe(value)}; ignored", top)
            return ()
        out = []
        for item in value:
            url = item if isinstance(item, str) else item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url:
                self.warn(f"{where}{key} has an entry without a url; skipped", top)
            elif not is_image_address(url):
                self.warn(f"{where}{key}: {url[:60]!r} is not the address of a picture on the web "
                          "(http:, https: or data:image/); left out", top)
            elif isinstance(item, str):
                out.append(Image(url))
            else:
                out.append(Image(url, self.integer(item, "width", f"{where}{key}[].", top),
                                 self.integer(item, "height", f"{where}{key}[].", top)))
        return tuple(out)

    def provider(self, data: Mapping, where: str, top: str) -> ProviderRef | None:
        value = data.get("provider")
        if value is None:
            return None
        if isinstance(value, str):
            if "\x00" in value:
                value = self.without_nuls(value, f"{where}provider", top)
            return ProviderRef(value.strip() or None, None)
        if not isinstance(value, dict):
            self.warn(f"{where}provider should be a mapping with name and domain, found {_describe(value)}; "
                      "derived from the URL instead", top)
            return None
        name = self.text(value, "name", f"{where}provider.", top)
        domain = self.text(value, "domain", f"{where}provider.", top)
        domain = domain.strip() if domain and domain.strip() else None
        if domain is not None and not _host_like(domain):
            from .resolve import provider_key  # here: graph.resolve imports this module

            # the key said, as the resolver makes it: "a/b.com" is keyed "a", not as written
            self.warn(f"{where}provider.domain {domain[:100]!r} is not a host name (such as example.com); "
                      f"the provider is keyed by {(provider_key(domain) or '')[:100]!r}", top)
        return ProviderRef(name.strip() if name and name.strip() else None, domain,
                           self.images(value, "images", f"{where}provider.", top))

    def topics(self, data: Mapping, top: str) -> tuple[str, ...]:
        value = data.get("topics")
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.warn(f"topics should be a list, found {_describe(value)}; ignored", top)
            return ()
        from .resolve import topic_key  # here: graph.resolve imports this module

        out = []
        for item in value:
            # a topic 1.10 became '1.1' unsaid, and another topic than "1.10" quoted
            if not isinstance(item, str) and isinstance(item, _TEXT_LIKE) and _digits_over_limit(item) is None:
                item = self.read_as_text(item, "a topics entry", top)
            elif isinstance(item, str) and "\x00" in item:
                item = self.without_nuls(item, "a topics entry", top)
            if isinstance(item, str) and item.strip():
                if topic_key(item):
                    out.append(item.strip())
                else:  # "---" or "_": no topic can be keyed by it (the resolver dropped it unsaid)
                    self.warn(f"topics has an entry with no letters, digits or symbols ({item!r}); skipped", top)
            else:
                self.warn(f"topics has an entry that is not a name ({_describe(item)}); skipped", top)
        return tuple(out)

    def record(self, data: Mapping, *, is_stub: bool, where: str, top: str | None) -> ArticleRecord | None:
        """Coerce one article mapping; ``None`` when it has no usable URL."""
        web = self.url(data, "webUrl", where, top or "webUrl")
        original = self.url(data, "originalUrl", where, top or "originalUrl")
        amp = self.url(data, "ampWebUrl", where, top or "ampWebUrl")
        cdn_amp = self.url(data, "cdnAmpWebUrl", where, top or "cdnAmpWebUrl")
        primary = web or original
        if primary is None:
            return None
        # AMP pages are the same article; an originalUrl that differs may be
        # another page (a redirect target), so it is kept as a field only.
        aliases = tuple(sorted({u for u in (amp, cdn_amp) if u and u != primary}))
        k = lambda name: top or name  # noqa: E731 - the key a warning points at
        return ArticleRecord(
            url=primary,
            source=None if is_stub else self.path,
            is_stub=is_stub,
            title=self.text(data, "title", where, k("title")),
            excerpt=self.text(data, "excerpt", where, k("excerpt")),
            published=self.date(data, "publishedDateTime", where, k("publishedDateTime")),
            type=self.text(data, "type", where, k("type")),
            category=self.text(data, "category", where, k("category")),
            quality=self.integer(data, "quality", where, k("quality")),
            heat=self.integer(data, "heat", where, k("heat")),
            is_published=self.boolean(data, "published", where, k("published")),
            removed=self.boolean(data, "removed", where, k("removed")),
            web_url=web,
            original_url=original,
            amp_url=amp,
            cdn_amp_url=cdn_amp,
            aliases=aliases,
            images=self.images(data, "images", where, k("images")),
            featured_content=self.text(data, "featuredContent", where, k("featuredContent")),
            provider=self.provider(data, where, k("provider")),
            topics=self.topics(data, k("topics")),
        )


def records_from_front_matter(
    data: Any,
    path: str,
    line_of: Callable[[str], int | None],
    canonical: Callable[[str], str],
    parse_stub: Callable[[str], Any] | None = None,
    syntax: str = "YAML",
) -> tuple[ArticleRecord, list[Warning_]]:
    """Turn one file's front matter into an :class:`ArticleRecord` with its stubs.

    Parameters
    ----------
    data : object
        What the front-matter loader returned.
    path : str
        The file, for messages.
    line_of : callable
        Maps a top-level key to its 1-based line in the file (or ``None``).
    canonical : callable
        The URL canonicaliser (:func:`graph.resolve.canonical_url`).
    parse_stub : callable, optional
        Loads the text of a ``related`` item given as :class:`StubText`
        (needed only when the mapping holds some).
    syntax : str
        What read ``data`` (``"YAML"``, ``"TOML"``, ``"JSON"``), for messages.

    Returns
    -------
    (record, warnings)

    Raises
    ------
    FrontMatterError
        When the file cannot become an article: not a mapping, no title,
        no usable URL.
    """
    if not isinstance(data, dict):
        raise FrontMatterError(path, f"front matter is {_describe(data)}, expected a mapping of fields", 1)
    c = _Coercer(path, line_of, canonical, syntax)
    title = data.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise FrontMatterError(path, "missing title", line_of("title"))
    if isinstance(title, str) and shows_nothing(title):  # "\u200b", "&nbsp;": a node without a label
        raise FrontMatterError(path, f"missing title: {ascii(title)[1:-1][:80]} shows nothing (only invisible "
                                     "characters)", line_of("title"))
    if not isinstance(title, _TEXT_LIKE) or _digits_over_limit(title) is not None:
        # a list, a mapping, or a tagged value (!!binary, !!set) that no title can be made of
        raise FrontMatterError(path, f"title should be text, found {_describe(title)}", line_of("title"))
    record = c.record(data, is_stub=False, where="", top=None)
    if record is None:
        # Why each URL was no use (a javascript: scheme, a bad port), else that there is none.
        why = "; ".join(w.message.removesuffix("; ignored") for w in c.warnings
                        if w.message.startswith(("webUrl", "originalUrl")))
        raise FrontMatterError(path, f"no usable webUrl or originalUrl ({why or 'neither is given'}): "
                                     "the article cannot be identified", line_of("webUrl") or line_of("originalUrl"))
    related = data.get("related")
    stubs: list[ArticleRecord] = []
    if related is not None:
        if isinstance(related, dict):
            related = [related]
        if not isinstance(related, list):
            c.warn(f"related should be a list of articles, found {_describe(related)}; ignored", "related")
        else:
            for i, item in enumerate(related, 1):
                key = None
                if type(item) is StubText:
                    known = _memoised_stub(c, item)
                    if known is not None:
                        stubs.append(known)
                        continue
                    key, item = item, parse_stub(item)  # type: ignore[misc]
                if not isinstance(item, dict):
                    c.warn(f"related item {i} is {_describe(item)}, not an article; skipped", "related")
                    continue
                stub = _coerce_stub(c, item, i, key)
                if stub is None:
                    c.warn(f"related item {i} has no usable webUrl or originalUrl; skipped", "related")
                    continue
                stubs.append(stub)
    record.related = tuple(stubs)
    return record, c.warnings


class StubText(str):
    """The YAML text of one ``related`` item, loaded only when no equal text
    was seen before (:func:`graph.reader.read_file` cuts the items out of the
    front matter; see ``graph.reader.cut_related``)."""

    __slots__ = ()


#: Coerced related stubs by content: by their text (:class:`StubText`) or by
#: their loaded mapping (:func:`_stub_key`). One stub recurs in many files
#: (94,527 stubs of 3,375 URLs in the real corpus), so each distinct one is
#: loaded and coerced once per process and its copies are the same object
#: (which also lets pickle send it once per chunk). Only stubs that raised no
#: warning are kept: their coercion depends on nothing but the mapping and
#: the canonicaliser.
_STUB_MEMO: dict[tuple | str, tuple[Callable[[str], str], ArticleRecord]] = {}
_STUB_MEMO_MAX = 200_000


def clear_stub_memo() -> None:
    """Forget the memoised stubs: they serve one build, and would otherwise keep
    up to ``_STUB_MEMO_MAX`` texts and records alive in a long-lived process
    (a notebook kernel) after it."""
    _STUB_MEMO.clear()


def _memoised_stub(c: _Coercer, key: tuple | str) -> ArticleRecord | None:
    hit = _STUB_MEMO.get(key)
    return hit[1] if hit is not None and hit[0] is c.canonical else None


def _stub_key(item: dict) -> tuple:
    # Strings as they are, anything else by repr() in a 1-tuple: repr tells
    # apart every value type YAML, TOML or JSON can produce (1, True, 1.0, "1"),
    # and most values are strings, so this is twice as fast as repr(item).
    key: list = []
    for k, v in item.items():
        key.append(k)
        key.append(v if type(v) is str else (repr(v),) if _digits_over_limit(v) is None else (int, v))
    return tuple(key)


def _coerce_stub(c: _Coercer, item: dict, i: int, key: tuple | str | None = None) -> ArticleRecord | None:
    # ``key``: the item's text, already looked up; else the mapping's key.
    if key is None:
        key = _stub_key(item)
        known = _memoised_stub(c, key)
        if known is not None:
            return known
    warned = len(c.warnings)
    stub = c.record(item, is_stub=True, where=f"related item {i}: ", top="related")
    if stub is not None and len(c.warnings) == warned:
        if len(_STUB_MEMO) >= _STUB_MEMO_MAX:
            _STUB_MEMO.clear()
        _STUB_MEMO[key] = (c.canonical, stub)
    return stub
