"""Identity resolution: when are two descriptions the same thing?

* Articles are the same when their canonical URLs are (:func:`canonical_url`),
  or when one's URL is an AMP alias of the other's.
* Providers are the same when their lower-cased domains are
  (:func:`provider_key`); a missing provider is derived from the article URL.
* Topics are the same when their folded names are (:func:`topic_key`).

Node identifiers depend on nothing but these keys, so the same article gets the
same id whatever the file order, the file names or the other files in a build.

Merging (:func:`resolve`) is deterministic: records are ranked by
:func:`_record_rank` (full files before stubs, then the newest date, then
content) and each field takes the first non-empty value in that order; lists
(topics, images, related, sources) are unions.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Iterable, NamedTuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .errors import InvalidURLError
from .model import DESCRIPTIVE_FIELDS, Article, ArticleRecord, Image, Provider, Topic
from .namespaces import NOT_IN_IRI, percent_encoded

if TYPE_CHECKING:  # imported by resolve(): reading files, which imports this module, needs none
    import numpy as np

__all__ = [
    "TRACKING_PARAMETERS",
    "host_form",
    "ipv4_address",
    "canonical_url",
    "article_id",
    "provider_key",
    "provider_id",
    "topic_key",
    "topic_id",
    "Resolution",
    "resolve",
    "merged_duplicates",
]

#: Query parameters that only track a click and never change the article.
TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "ocid", "cmpid", "icid", "ncid", "sr_share", "spm", "ref_src", "ref_url",
})
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Characters allowed unencoded in an IRI path/query besides ucschar: RFC 3987
# iunreserved + sub-delims + ":@/?" + "%" (existing escapes are kept).
_IRI_SAFE = "-._~!$&'()*+,;=:@/?%"
_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What a host name may not hold besides controls and white space: WHATWG's forbidden
# domain code points, and what an IRI's host may not hold.
_NOT_IN_HOST = frozenset(' "#%/:<>?@[\\]^`{|}')
_PCT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
#: Characters an escape never needs to stand for (RFC 3986's unreserved):
#: ``%7E`` and ``~`` are one URL (section 6.2.2.2), so one article.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normal_escape(match: re.Match) -> str:
    """An escape of an unreserved character decoded, any other upper-cased."""
    ch = chr(int(match.group(0)[1:], 16))
    return ch if ch in _UNRESERVED else match.group(0).upper()


_NEEDS_WORK = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")


def _encode(part: str) -> str:
    """Percent-encode what is not valid in an IRI; keep valid escapes, upper-case them."""
    if not _NEEDS_WORK.search(part):
        return part  # the common case: plain ASCII, nothing to do
    part = _PCT.sub("%25", part)
    # quote() leaves non-ASCII alone only if we mark it safe; IRIs allow it,
    # except the private-use and non-character ranges which we encode.
    out = []
    for ch in part:
        o = ord(ch)
        if o < 0x80:
            out.append(ch if ch.isalnum() or ch in _IRI_SAFE else quote(ch, safe=""))
        elif unicodedata.category(ch)[0] not in "CZ" and not NOT_IN_IRI.match(ch):
            out.append(ch)  # IRIs allow letters beyond ASCII as they are
        else:
            # Separators (U+2028, U+202F, ...), controls, private use, U+FFFD: encoded.
            out.append(percent_encoded(ch))
    return _PCT_ESCAPE.sub(_normal_escape, "".join(out))


def _keep_param(pair: str) -> bool:
    name = pair.split("=", 1)[0].lower()
    if "%" in name:  # as decoded: utm%5Fsource is utm_source
        name = unquote(name).lower()
    return bool(pair) and name not in TRACKING_PARAMETERS and not name.startswith(_TRACKING_PREFIXES)


def _kept_params(query: str) -> str:
    """``query`` without its tracking parameters and empty pairs, the others in order."""
    return "&".join(p for p in query.split("&") if _keep_param(p))


def _path_form(path: str) -> str:
    """``path`` as a canonical URL has it: ``/`` when empty, a trailing ``/`` removed."""
    if not path:
        return "/"
    if len(path) > 1 and path[-1] == "/":
        return path.rstrip("/") or "/"
    return path


@functools.lru_cache(maxsize=1 << 12)
def host_form(host: str) -> str:
    """A host name in its one canonical spelling: lower-case and Unicode.

    A label in its IDNA form (``xn--...``) and the same label in Unicode are
    one host, as are upper and lower case and a full-width dot: the host is
    mapped as UTS 46 maps it (the mapping the WHATWG URL standard applies),
    and each valid ``xn--`` label decoded. Unicode is kept rather than the
    ``xn--`` form because an IRI may hold it, as the path's letters do. A
    label the mapping refuses (``a_b``, a symbol) is only lower-cased.

    >>> host_form("XN--BCHER-KVA.de"), host_form("B\u00fccher.de")
    ('b\u00fccher.de', 'b\u00fccher.de')
    >>> host_form("news.example.com"), host_form("xn--zz.example")
    ('news.example.com', 'xn--zz.example')
    """
    mapped = host.lower()
    if mapped.isascii() and "xn--" not in mapped:
        return _as_ipv4(mapped)  # nearly every host: nothing (else) to map
    import idna  # only for the rare host that needs it

    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except idna.IDNAError:
        pass  # lower-cased only
    labels = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            try:
                label = idna.decode(label)
            except idna.IDNAError:
                pass  # not a valid IDNA label: kept as written
        labels.append(label)
    return _as_ipv4(".".join(labels))


#: The digits of each base an IPv4 number may be written in.
_RADIX_DIGITS = {8: frozenset("01234567"), 10: frozenset("0123456789"), 16: frozenset("0123456789abcdefABCDEF")}


def _ipv4_number(part: str) -> int | None:
    """WHATWG's IPv4 number parser: ``0x``/``0X`` hexadecimal, a leading ``0`` octal,
    else decimal; ``None`` for a failure."""
    digits, base = part, 10
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    if not digits:
        return 0 if part else None  # "0x" is 0; an empty part is no number
    if not _RADIX_DIGITS[base].issuperset(digits):  # int() would take "1_0", " 1", "+1", "0x1"
        return None
    return int(digits, base)


def ipv4_address(host: str) -> str | None:
    """The dotted-decimal IPv4 address that ``host`` spells, as a browser reads it
    (WHATWG's URL standard): ``None`` when the host does not end in a number (a
    name); ``ValueError`` when it does but is no IPv4 address (``999.1.1.1``).

    Besides ``127.0.0.1``, ``127.1``, ``0x7f.1``, ``0177.0.0.1`` and ``2130706433``
    are that address; they are one host, so one article's URL.

    >>> ipv4_address("0x7F.1"), ipv4_address("2130706433"), ipv4_address("news.example")
    ('127.0.0.1', '127.0.0.1', None)
    """
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if not (last.isascii() and last.isdigit()) and _ipv4_number(last) is None:
        return None  # does not end in a number: a domain name
    numbers: list[int] = []
    for label in labels:
        number = _ipv4_number(label)
        if number is None:
            raise ValueError(f"not an IPv4 address: {host!r}")
        numbers.append(number)
    value = numbers.pop()
    if len(numbers) > 3 or any(n > 255 for n in numbers) or value >= 256 ** (4 - len(numbers)):
        raise ValueError(f"not an IPv4 address: {host!r}")
    for i, n in enumerate(numbers):
        value += n << (8 * (3 - i))
    return ".".join(str(value >> shift & 255) for shift in (24, 16, 8, 0))


def _as_ipv4(host: str) -> str:
    """``host`` as a dotted-decimal IPv4 address when it spells one, else as it is."""
    try:
        return ipv4_address(host) or host
    except ValueError:
        return host  # ends in a number, yet no address: canonical_url refuses it


# A URL written as it stays, but for the scheme, the host's case, a trailing "/",
# tracking parameters and the fragment: http(s), an ASCII host name ending in a name
# (not a number, no xn-- label), no port or user, and a path and query of characters
# an IRI holds as they are (no escapes). Nearly every URL of a corpus (99% of the
# real one's, every synthetic one): read by this expression, it skips urlsplit, the
# host's checks and the encoding, 1 us instead of 10 (a tenth of a reading worker's
# time at 10,000 synthetic files). The labels cannot hold a dot, nor the path a "?"
# or "#", so a failed match backtracks in linear time.
_PLAIN_URL = re.compile(r"https?://((?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*)"
                        r"(/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?"
                        r"(?:\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?]*))?"
                        r"(?:#\S*)?")


def _plain_canonical(url: str) -> str | None:
    """What :func:`canonical_url` makes of ``url`` when it is plain (``_PLAIN_URL``), else ``None``.

    >>> _plain_canonical("http://News.Example.com/a/b/?utm_source=x&id=1#top")
    'https://news.example.com/a/b?id=1'
    >>> _plain_canonical("https://example.com/%7ejo") is None  # an escape: the full rules
    True
    """
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    host, path, query = match.groups()
    host = host.lower()
    if "xn--" in host:  # an IDNA label, written in Unicode (host_form)
        return None
    path = _path_form(path or "")
    query = _kept_params(query) if query else ""
    return f"https://{host}{path}?{query}" if query else f"https://{host}{path}"


@functools.lru_cache(maxsize=1 << 16)
def canonical_url(url: str) -> str:
    """The canonical form of an article URL, used as its identity.

    Rules, in order: surrounding white space removed; scheme lower-cased and
    the host in its one spelling (:func:`host_form`: lower-case, an IDNA
    ``xn--`` label as Unicode); ``http`` becomes ``https`` (they are the same article); a
    trailing dot on the host and the default port removed; the fragment
    removed; tracking parameters (``utm_*``, ``fbclid``, ``gclid`` and the rest
    of :data:`TRACKING_PARAMETERS`) removed, other parameters kept in order;
    an empty path becomes ``/`` and a trailing ``/`` on a longer path is
    removed; characters not valid in an IRI (spaces, ``<>"{}|\\^``, controls,
    and Unicode separators such as U+2028) are percent-encoded, letters beyond
    ASCII kept as they are, existing escapes kept with upper-case hex, except
    those of unreserved characters (letters, digits, ``-._~``), decoded.

    Raises
    ------
    InvalidURLError
        When ``url`` is not an absolute http(s) URL with a host.

    Examples
    --------
    >>> canonical_url("HTTP://WWW.Example.com:80/a/b/?utm_source=x&id=1#top")
    'https://www.example.com/a/b?id=1'
    >>> canonical_url("https://news.example.com/x.asp?id=1&cat=PR News Wire")
    'https://news.example.com/x.asp?id=1&cat=PR%20News%20Wire'
    >>> canonical_url("https://example.com/%7ejo/a%2fb%41")
    'https://example.com/~jo/a%2FbA'
    """
    if not isinstance(url, str):
        raise InvalidURLError(f"not a URL: {url!r}")
    plain = _plain_canonical(url)
    if plain is not None:
        return plain
    return _canonical_in_full(url)


def _canonical_in_full(url: str) -> str:
    """:func:`canonical_url` by its every rule, for a URL ``_plain_canonical`` leaves out."""
    text = url.strip()
    try:
        parts = urlsplit(_backslash_ends_authority(text))
        port = parts.port
    except ValueError as err:
        raise InvalidURLError(f"not a valid URL: {text[:200]!r} ({err})") from err
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURLError(f"not an absolute http(s) URL: {text[:200]!r}")
    bracketed, host = _host_as_written(parts.netloc)
    if not bracketed and "%" in host:
        # escapes decoded as a browser decodes them (WHATWG): b%C3%BCcher.de is b\u00fccher.de;
        # bytes that are not UTF-8 become U+FFFD, which the check below refuses
        host = unquote(host, errors="replace")
    host = host_form(host).rstrip(".")
    if bracketed:
        # in brackets, an IPv6 address without a zone (as WHATWG's parser and RFC 3987 allow)
        unusable = not _is_ipv6(host)
    else:
        try:
            ipv4_address(host)  # ending in a number, a host must be an IPv4 address (as browsers read it)
        except ValueError:
            raise InvalidURLError(f"not a valid host name in URL: {text[:200]!r} "
                                  "(it ends in a number but is no IPv4 address)") from None
        # White space (U+00A0 too), separators, controls, U+FFFD (bytes that were not UTF-8):
        # a host cannot hold them, nor an IRI's; nor what ends it or splits it, which the
        # mapping can make of a symbol (U+FE47 is "[", U+FF0F "/": another host, or none).
        # A joiner (U+200C, U+200D) only where IDNA 2008 allows it, as in a Persian name.
        odd = {c for c in host if c in _NOT_IN_HOST or unicodedata.category(c)[0] in "CZ"}
        unusable = (not host or (not host.isascii() and NOT_IN_IRI.search(host) is not None)
                    or not odd <= _JOINERS or bool(odd and not _is_idna(host)))
    if unusable:
        raise InvalidURLError(f"not a valid host name in URL: {text[:200]!r}")
    netloc = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    if parts.username is not None:
        # userinfo ends at the last "@" (urlsplit's rule and WHATWG's); one before it is data
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{_encode(userinfo).replace('@', '%40')}@{netloc}"
    # the default port of the scheme written or of https, which it becomes: http://a:443/x
    # was https://a:443/x, which is https://a/x
    if port is not None and str(port) not in (_DEFAULT_PORTS[scheme], _DEFAULT_PORTS["https"]):
        netloc = f"{netloc}:{port}"
    path = _path_form(parts.path)
    query = _kept_params(parts.query)
    return urlunsplit(("https", netloc, _encode(path), _encode(query), ""))


def _host_as_written(netloc: str) -> tuple[bool, str]:
    """Whether the host of ``netloc`` is in brackets, and the host as written.

    Not ``urlsplit``'s ``hostname``, which is lower-cased by ``str.lower``:
    its final-sigma rule made ``\u0391\u03a3-1.gr`` the host ``\u03b1\u03c2-1.gr``,
    another site (UTS 46, as a browser maps it, gives ``\u03b1\u03c3-1.gr``).

    >>> _host_as_written("user@[2001:DB8::1]:8080"), _host_as_written("Example.COM:81")
    ((True, '2001:DB8::1'), (False, 'Example.COM'))
    """
    hostinfo = netloc.rpartition("@")[2]
    if hostinfo.startswith("["):
        host, _, after = hostinfo[1:].partition("]")
        # anything but a port after the brackets ([::1]evil.example): no host (WHATWG refuses it)
        return True, host if not after or after.startswith(":") else ""
    return False, hostinfo.partition(":")[0]


def _backslash_ends_authority(url: str) -> str:
    r"""``url`` with a backslash in its authority read as the path's slash, as
    browsers read an http(s) URL (WHATWG): ``https://a.example\@b.example/``
    is on a.example, where urlsplit would see user ``a.example\`` on b.example.

    >>> _backslash_ends_authority("https://a.example\\@b.example/x")
    'https://a.example/@b.example/x'
    >>> _backslash_ends_authority("https://a.example/x\\y")
    'https://a.example/x\\y'
    """
    start = url.find("//")
    if start < 0:
        return url
    end = len(url)
    for sep in "/?#":
        at = url.find(sep, start + 2)
        if at >= 0:
            end = min(end, at)
    at = url.find("\\", start + 2, end)
    return url if at < 0 else url[:at] + "/" + url[at + 1:]


#: The zero-width non-joiner and joiner: part of words in Persian, Arabic, the Indic
#: scripts, so of their host names, where IDNA 2008's context rules allow them.
_JOINERS = frozenset("\u200c\u200d")


def _is_idna(host: str) -> bool:
    """Whether IDNA 2008 (the ``idna`` package) takes ``host``, its context rules included.

    >>> _is_idna("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir"), _is_idna("a\u200cb.example")
    (True, False)
    """
    import idna  # only for the rare host that needs it

    try:
        idna.encode(host)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def _is_ipv6(host: str) -> bool:
    """Whether ``host`` is an IPv6 address without a zone (``fe80::1%eth0`` has one)."""
    if "%" in host:
        return False
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def article_id(url: str) -> str:
    """Node id of the article with canonical URL ``url``.

    The id is the first 16 hex digits of the URL's SHA-256:

    >>> import hashlib
    >>> url = "https://www.wired.com/story/x"
    >>> article_id(url) == "article/" + hashlib.sha256(url.encode()).hexdigest()[:16]
    True
    """
    return f"article/{_digest(url)}"


@functools.lru_cache(maxsize=1 << 16)  # called once per record, with few distinct values
def provider_key(domain: str | None, url: str | None = None) -> str | None:
    """Key of a provider: its domain without ``www.``, else the URL's host, in
    the one spelling of :func:`host_form` (lower-case; ``xn--`` labels as Unicode).

    >>> provider_key("WWW.Wired.com")
    'wired.com'
    >>> provider_key("xn--bcher-kva.example") == provider_key("B\u00fccher.example")
    True
    >>> provider_key(None, "https://blogs.example.org/post")
    'blogs.example.org'
    """
    if domain:
        d = domain.strip()  # lower-cased by host_form, which maps a capital sigma as a browser does
        # the host alone: a scheme, user, port or path dropped (example.com:443 was a provider
        # of its own beside example.com)
        d = (_host(d if "://" in d else "//" + d) or d).split("/", 1)[0].rstrip(".")
    elif url:
        d = _host(url).rstrip(".")
    else:
        return None
    d = host_form(d).rstrip(".")
    if d.startswith("www."):
        d = d[4:]
    return d or None


def _host(url: str) -> str:
    """The host of ``url`` as written; never raises (an unclosed ``[`` makes
    ``urlsplit`` raise: then the text between ``://`` and the next ``/``)."""
    try:
        return _host_as_written(urlsplit(url).netloc)[1]
    except ValueError:
        return url.split("://", 1)[-1].split("/", 1)[0]


def provider_id(key: str) -> str:
    """Node id of the provider with key ``key``.

    >>> provider_id("go.com")
    'provider/go.com'
    """
    return f"provider/{quote(key, safe='.-')}"


_FOLD = re.compile(r"[\s_\-]+")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


@functools.lru_cache(maxsize=1 << 16)  # a few hundred topic names, met in every file and by the resolver
def topic_key(name: str) -> str:
    """Key of a topic: case-folded and in Unicode's compatibility form (NFKC), runs
    of spaces, ``-`` and ``_`` as one space.

    Why NFKC: the same word typed on two systems may differ in its code points
    (``é`` as one, or as ``e`` and a combining accent; ``ＡＩ`` in full-width
    letters); each made a topic of its own, shown twice under one name.

    Invisible characters (controls; format characters such as the zero-width
    space, which made ``A\u200bI`` a second topic shown as ``AI``) are left out,
    and a name with no letter, digit or symbol (``---``, ``?!``) has no key
    (``""``): no topic can be named by it.

    >>> topic_key("  Machine-Learning ")
    'machine learning'
    >>> topic_key("Cafe\u0301") == topic_key("Caf\u00e9") == "caf\u00e9"
    True
    >>> topic_key("A\u200bI"), topic_key("?!"), topic_key("\u0007"), topic_key("C++"), topic_key("\U0001f916")
    ('ai', '', '', 'c++', '\U0001f916')
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    if not folded.isprintable():  # rare: a control or format character, or a space other than " "
        folded = "".join(ch for ch in folded if unicodedata.category(ch) not in ("Cc", "Cf"))
    key = _FOLD.sub(" ", folded).strip()
    if _LETTER_OR_DIGIT.search(key) is None and not any(unicodedata.category(ch)[0] == "S" for ch in key):
        return ""
    return key


def topic_id(key: str) -> str:
    """Node id of the topic with key ``key``.

    >>> topic_id("computer vision")
    'topic/computer-vision'
    """
    return "topic/" + quote(key.replace(" ", "-"), safe="-")


def _most_frequent(counter: Counter) -> str:
    # Most frequent first; ties broken by the string itself, never by order seen.
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _record_rank(record: ArticleRecord) -> tuple:
    """Sort key, lower preferred when merging: files before stubs, newest date
    first, then content (title, excerpt), then the source path."""
    p = record.published
    if p is None:
        age = float("inf")
    elif isinstance(p, dt.datetime):
        age = -(p - _EPOCH).total_seconds()
    else:
        age = -(dt.datetime(p.year, p.month, p.day, tzinfo=dt.timezone.utc) - _EPOCH).total_seconds()
    return (record.is_stub, age, record.title or "", record.excerpt or "", record.source)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller string becomes the root: independent of call order.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


@dataclass
class Resolution:
    """The outcome of :func:`resolve`: entities plus what was merged."""

    articles: dict[str, Article]
    providers: dict[str, Provider]
    topics: dict[str, Topic]
    #: one entry per article described by two or more *files*: url and files.
    merged: list[dict] = field(default_factory=list)
    #: related entries that pointed at their own article.
    self_links: int = 0


class _StubCopies(NamedTuple):
    """The related stubs of a list of files, numbered (see :func:`_stub_copies`)."""

    #: the distinct stubs, in the order first listed
    stubs: list[ArticleRecord]
    #: per copy (files in order, each's related list in order): its file's number
    file: np.ndarray
    #: per copy: its stub's number
    stub: np.ndarray
    #: per stub: its first copy
    first: np.ndarray
    #: per file: its first copy; then the number of copies
    offsets: np.ndarray

    def seen_order(self) -> list[int]:
        """Record numbers (the files, then the stubs) in the order first seen:
        each file followed by the stubs it is the first to list."""
        import numpy as np

        # File f sits just before its copies and each copy just after the files
        # before it: the copy positions, shifted by the files seen before.
        at_file = self.offsets[:-1] + np.arange(len(self.offsets) - 1)
        at_stub = self.first + self.file[self.first] + 1
        return np.argsort(np.concatenate([at_file, at_stub]), kind="stable").tolist()


def _stub_copies(related: list[tuple[ArticleRecord, ...]]) -> _StubCopies:
    """Number the distinct stubs in ``related`` (one tuple per file), first listed first.

    A stub is one shared object wherever it is listed (graph.model), so its
    address tells its copies apart from other stubs'.

    >>> from graph.model import ArticleRecord
    >>> a, b = (ArticleRecord(u, None, True) for u in ("https://x.org/a", "https://x.org/b"))
    >>> copies = _stub_copies([(b, a), (), (a, b, b)])
    >>> [s.url[-1] for s in copies.stubs], copies.stub.tolist(), copies.file.tolist()
    (['b', 'a'], [0, 1, 1, 0, 0], [0, 0, 2, 2, 2])
    """
    import numpy as np

    # 32-bit numbers: half the memory to go through of 64-bit ones (files and
    # stubs are far fewer than 2**31).
    lengths = np.fromiter(map(len, related), dtype=np.int32, count=len(related))
    offsets = np.zeros(len(related) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    address = np.fromiter(map(id, chain.from_iterable(related)), dtype=np.int64, count=int(offsets[-1]))
    _, first, inverse = np.unique(address, return_index=True, return_inverse=True)
    by_first = np.argsort(first)
    number = np.empty(len(by_first), dtype=np.int32)
    number[by_first] = np.arange(len(by_first), dtype=np.int32)
    first = first[by_first]
    file = np.repeat(np.arange(len(related), dtype=np.int32), lengths)
    first_file = file[first]
    stubs = [related[f][i] for f, i in zip(first_file.tolist(), (first - offsets[first_file]).tolist())]
    return _StubCopies(stubs, file, number[inverse.reshape(-1)], first, offsets)


def _grouped_pairs(keys: np.ndarray, values: np.ndarray, n_keys: int, n_values: int) -> tuple[list[int], np.ndarray]:
    """The distinct ``(key, value)`` pairs, grouped by key: ``offsets`` (the
    pairs of key ``k`` are ``values[offsets[k]:offsets[k + 1]]``) and the
    values, smallest first within each key.

    >>> import numpy as np
    >>> offsets, values = _grouped_pairs(np.array([2, 0, 2, 2]), np.array([5, 1, 3, 5]), 3, 6)
    >>> offsets, values.tolist()
    ([0, 1, 1, 3], [1, 3, 5])
    """
    import numpy as np

    # Sorted and deduplicated by hand: numpy 2.4's unique() took 2.6 s for the
    # 2.5M pairs of 100,000 files, where sorting takes 0.2 s.
    pairs = np.sort(keys.astype(np.int64) * n_values + values)
    first = np.ones(len(pairs), dtype=bool)
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    pairs = pairs[first]
    offsets = np.searchsorted(pairs // n_values, np.arange(n_keys + 1)).tolist()
    return offsets, pairs % n_values


def resolve(records: Iterable[ArticleRecord]) -> Resolution:
    """Merge article records (each with its related stubs) into entities.

    Parameters
    ----------
    records : iterable of ArticleRecord
        Full-article records, one per file; their ``related`` stubs are
        resolved too.

    Returns
    -------
    Resolution
    """
    import numpy as np  # here, not at the top: reading files (which imports this module) needs none

    full = list(records)
    n_files = len(full)
    # Numbered records: the files, then the distinct related stubs. Per-copy work
    # (2.5M copies at 100,000 files) is done on arrays of these numbers: over
    # Python objects it grew 24-42x for 10x files, each step touching objects
    # scattered over a heap far larger than the CPU cache.
    copies = _stub_copies([rec.related for rec in full])
    numbered = full + copies.stubs
    # Each copy of a stub counts as if it were a record of its own (which is what
    # counts and sources mean): a record's copies, and the first file listing it.
    source_names = sorted({rec.source for rec in full})  # type: ignore[type-var]
    rank_of_source = {s: i for i, s in enumerate(source_names)}
    file_rank = np.fromiter(map(rank_of_source.__getitem__, (rec.source for rec in full)),
                            dtype=np.int32, count=n_files)
    rank_of_copy = file_rank[copies.file]
    first_listing = np.full(len(copies.stubs), len(source_names), dtype=np.int32)
    np.minimum.at(first_listing, copies.stub, rank_of_copy)
    first_listed: list[int] = np.concatenate([file_rank, first_listing]).tolist()
    n_copies: list[int] = np.concatenate([np.ones(n_files, dtype=np.int64),
                                          np.bincount(copies.stub, minlength=len(copies.stubs))]).tolist()

    # 1. Group URLs: a record's URL and its AMP aliases are one article.
    uf = _UnionFind()
    alias_only: set[str] = set()
    for rec in numbered:
        uf.find(rec.url)
        for alias in rec.aliases:
            alias_only.add(alias)
            uf.union(rec.url, alias)
    # Groups in the order their records were first seen (files in order, each
    # followed by the stubs it lists first): provider images keep that order.
    groups: dict[str, list[int]] = defaultdict(list)
    root_of: dict[str, str] = {}  # url -> its group's root, found once per URL
    for k in copies.seen_order():
        url = numbered[k].url
        root = root_of.get(url)
        if root is None:
            root = root_of[url] = uf.find(url)
        groups[root].append(k)

    # 2. One canonical URL per group: a primary URL that is nobody's alias,
    #    smallest first; the rest become aliases. A group with a file takes a
    #    file's URL, judged by the files' aliases alone: a stub in another file
    #    (its ampWebUrl, say, naming this file's URL) must not rename an article
    #    that has a file of its own.
    url_of_root: dict[str, str] = {}
    for root, ks in groups.items():
        recs = [numbered[k] for k in ks]
        files = [r for r in recs if not r.is_stub]
        urls = {r.url for r in files or recs}
        aliases = {a for r in files for a in r.aliases} if files else alias_only
        url_of_root[root] = min(urls - aliases or urls)

    id_of_root = {root: article_id(url) for root, url in url_of_root.items()}
    # Articles numbered in the order of their ids, so that sorted numbers are sorted ids.
    article_ids = sorted(set(id_of_root.values()))
    number_of_id = {aid: i for i, aid in enumerate(article_ids)}
    number_of_root = {root: number_of_id[aid] for root, aid in id_of_root.items()}
    del number_of_id, id_of_root
    article_of_record = [0] * len(numbered)
    for root, ks in groups.items():
        number = number_of_root[root]
        for k in ks:
            article_of_record[k] = number
    article_of = np.array(article_of_record, dtype=np.int32)
    del article_of_record

    # Related edges: from the article of the file to the article of each copy.
    src = article_of[copies.file]
    dst = article_of[n_files + copies.stub]
    self_link = src == dst
    self_links = int(np.count_nonzero(self_link))
    other = ~self_link
    related_at, related_to = _grouped_pairs(src[other], dst[other], len(article_ids), len(article_ids))
    related_ids = list(map(article_ids.__getitem__, related_to.tolist()))
    # Sources: each article's files, and the files listing any of its stubs.
    sources_at, sources_of = _grouped_pairs(np.concatenate([article_of[:n_files], dst]),
                                            np.concatenate([file_rank, rank_of_copy]),
                                            len(article_ids), len(source_names))
    source_paths = list(map(source_names.__getitem__, sources_of.tolist()))
    del src, dst, self_link, other, rank_of_copy, related_to, sources_of, copies

    provider_names: dict[str, Counter] = defaultdict(Counter)
    provider_images: dict[str, dict[str, Image]] = defaultdict(dict)
    topic_spellings: dict[str, Counter] = defaultdict(Counter)
    articles: list[Article | None] = [None] * len(article_ids)
    for root, ks in groups.items():
        url = url_of_root[root]
        number = number_of_root[root]
        aid = article_ids[number]
        if len(ks) > 1:
            # Ranked as if each copy were a record: a shared stub ranks by the
            # first file listing it (its other copies, being equal, add nothing).
            ks.sort(key=lambda k: (*_record_rank(numbered[k])[:-1], first_listed[k]))
        recs = [numbered[k] for k in ks]
        values = {}
        for name in DESCRIPTIVE_FIELDS:
            for r in recs:
                v = getattr(r, name)
                if v is not None and v != "":
                    values[name] = v
                    break
        topics: dict[str, None] = {}
        images: dict[str, Image] = {}
        aliases: set[str] = set()
        for k, r in zip(ks, recs):
            n = n_copies[k]
            aliases.add(r.url)
            aliases.update(r.aliases)
            for t in r.topics:
                key = topic_key(t)
                if key:
                    topic_spellings[key][t] += n
                    topics.setdefault(topic_id(key), None)
            for im in r.images:
                images.setdefault(im.url, im)
        aliases.discard(url)
        # Provider: the best-ranked file's that names one (a name alone: the URL's host is its
        # domain); else the best-ranked record's that names a domain; else the URL's host. A
        # stub's domain (another site's listing) took the place of a file's own "N Daily".
        own = next((r.provider for r in recs if not r.is_stub and r.provider
                    and (r.provider.domain or r.provider.name)), None)
        pkey = provider_key(own.domain, url) if own is not None else (
            next((provider_key(r.provider.domain) for r in recs if r.provider and r.provider.domain), None)
            or provider_key(None, url))
        names = provider_names[pkey]
        for k, r in zip(ks, recs):
            p = r.provider
            if p is not None and provider_key(p.domain, url) == pkey:
                if p.name:
                    names[p.name] += n_copies[k]
                for im in p.images:
                    provider_images[pkey].setdefault(im.url, im)
        # In rank order: the first is the file whose values come first, and whose named
        # graph holds the article's statements in TriG (by path, it was the oldest copy's)
        files = list(dict.fromkeys(r.source for r in recs if not r.is_stub))
        articles[number] = Article(
            id=aid,
            url=url,
            is_stub=all(r.is_stub for r in recs),
            aliases=tuple(sorted(aliases)),
            images=tuple(images.values()),
            provider_id=provider_id(pkey),
            topic_ids=tuple(topics),
            related_ids=tuple(related_ids[related_at[number]:related_at[number + 1]]),
            sources=tuple(source_paths[sources_at[number]:sources_at[number + 1]]),
            files=tuple(files),
            **values,
        )

    providers = {}
    for key, names in provider_names.items():
        pid = provider_id(key)
        name = _most_frequent(names) if names else key
        providers[pid] = Provider(
            id=pid, domain=key, name=name,
            alt_names=tuple(sorted(n for n in names if n != name)),
            images=tuple(provider_images[key].values()),
        )
    topics_out = {}
    for key, spellings in topic_spellings.items():
        tid = topic_id(key)
        label = _most_frequent(spellings)
        topics_out[tid] = Topic(id=tid, key=key, label=label,
                                alt_labels=tuple(sorted(s for s in spellings if s != label)))
    return Resolution(
        articles=dict(zip(article_ids, articles)),  # type: ignore[arg-type]
        providers=dict(sorted(providers.items())),
        topics=dict(sorted(topics_out.items())),
        merged=merged_duplicates(articles),  # type: ignore[arg-type]
        self_links=self_links,
    )


def merged_duplicates(articles: Iterable[Article]) -> list[dict]:
    """One entry per article two or more files describe (its ``url``, ``id`` and
    ``files``, by path), by URL: the build report's ``duplicates_merged``."""
    return sorted(({"url": a.url, "id": a.id, "files": sorted(a.files)} for a in articles if len(a.files) > 1),
                  key=lambda m: m["url"])
