"""The front of ``newsgraph serve``: requests other web sites make are refused, the rest go to Oxigraph.

A browser sends a form POST to any address a page names, ``127.0.0.1``
included, without asking the server first (CORS keeps the page from reading
the answer, not the request from being made). Oxigraph does not look at
where a request comes from, so with ``--allow-update`` any page open in the
browser could change or clear the store: a form-encoded ``CLEAR ALL`` sent
with a foreign ``Origin`` emptied it. This front listens on the address the
user asked for and passes each request to the Oxigraph server behind it (on
a random loopback address and port of its own), except one a browser made
for another site:

* its ``Sec-Fetch-Site`` header is ``cross-site`` or ``same-site`` (another
  port of ``localhost`` is another site's page too),
* it has an ``Origin`` other than the address it was sent to, or
* it was sent to a host name other than ``localhost`` (an IP address is
  fine): a page whose own name was pointed at this machine (DNS rebinding)
  would otherwise count as the server's own page.

Such a request gets HTTP 403, unless the server was started with ``cors``,
which opens it to other sites on purpose (YASGUI on its own site, say).
Programs (curl, SPARQLWrapper, ``newsgraph push``) send no such header and
pass, as do pages the server itself serves (Oxigraph's query page at ``/``).

What the front cannot guard: Oxigraph's own port. It listens on a random
address of ``127.0.0.0/8`` (:func:`graph.serve.behind_address`), among about
2**40 pairs of address and port a page would have to try; where only
``127.0.0.1`` is configured (macOS) it listens there, and a page that tried
every port of this machine could reach it: with ``--allow-update``, keep no
page you do not trust open meanwhile.

Examples
--------
>>> refusal({"Host": "127.0.0.1:7878", "Origin": "https://evil.example"})
'a request from another web site (https://evil.example) is refused; start the server with --cors to allow that'
>>> refusal({"Host": "localhost:7878", "Origin": "http://localhost:7878", "Sec-Fetch-Site": "same-origin"})
>>> refusal({"Host": "127.0.0.1:7878"}) is None  # curl
True
>>> refusal({"Host": "rebound.example:7878"})
"a request for the host name rebound.example is refused: ask for localhost or an IP address (a web page's own name pointed at this machine would pass for this server's page); start the server with --cors to allow that"
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import io
import ipaddress
import re
import socket
import sys
import threading
from typing import Any, Iterator, Mapping

__all__ = ["OriginGuard", "address_family", "refusal"]

#: Headers that describe one connection, not the request or answer passed on.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "proxy-connection"}
#: Not passed on from the client: the body is framed anew (a client's own content-length,
#: in whatever case, was copied beside the front's Content-Length).
_NOT_PASSED_ON = _HOP_BY_HOP | {"content-length"}
_BLOCK = 64 * 1024


def refusal(headers: Mapping[str, str]) -> str | None:
    """Why a request with ``headers`` is refused as another site's, or ``None`` if it passes."""
    hosts = headers.get_all("Host") if hasattr(headers, "get_all") else None
    if hosts is not None and len(hosts) > 1:
        # Only the first was checked, and the server behind may read another
        # (RFC 9112 section 3.2: such a request is answered 400).
        return "a request with more than one Host header is refused"
    host = headers.get("Host")
    name = _host_name(host) if host else None
    if name is not None and name != "localhost" and not _is_ip_address(name):
        return (f"a request for the host name {name} is refused: ask for localhost or an IP address (a web "
                "page's own name pointed at this machine would pass for this server's page); start the "
                "server with --cors to allow that")
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    origin = headers.get("Origin")
    if site in ("cross-site", "same-site") or (origin is not None and origin != f"http://{host}"
                                                 and site != "same-origin"):
        return (f"a request from another web site ({origin or 'Sec-Fetch-Site: ' + site}) is refused; "
                "start the server with --cors to allow that")
    return None


_CSV, _TSV = "text/csv", "text/tab-separated-values"


def _csv_asked_as_tsv(accepts: list[str]) -> str | None:
    """The ``Accept`` header to send Oxigraph for a client that sent ``accepts``
    (its ``Accept`` headers) and would have CSV results rather than TSV: the
    same, with its ``text/csv`` asked as TSV and its own TSV left out; ``None``
    for any other client.

    >>> _csv_asked_as_tsv(["text/csv"])
    'text/tab-separated-values'
    >>> _csv_asked_as_tsv(["text/csv;q=0.9, application/sparql-results+json;q=0.8, text/tab-separated-values;q=0.5"])
    'text/tab-separated-values;q=0.9, application/sparql-results+json;q=0.8'
    >>> _csv_asked_as_tsv(["text/tab-separated-values, text/csv;q=0.9"]) is None
    True
    >>> _csv_asked_as_tsv(["text/csv, text/*"]), _csv_asked_as_tsv(["text/*, text/csv"])  # a tie: the first listed
    ('text/tab-separated-values, text/*', None)
    """
    # (media type, its parameters) of each range
    ranges = [(_media_type(part), part.partition(";")[2]) for header in accepts for part in header.split(",")
              if part.strip()]

    def quality(media: str) -> tuple[float, int]:
        """The client's q for ``media`` (its most specific range's, RFC 9110 section 12.5.1),
        and where that range is in the list (Oxigraph takes the first of the highest q)."""
        best, q, at = -1, 0.0, len(ranges)
        for k, (kind, params) in enumerate(ranges):
            rank = 2 if kind == media else 1 if kind == media.split("/")[0] + "/*" else 0 if kind == "*/*" else -1
            if rank > best:
                best, q, at = rank, _q_of(params), k
        return q, at

    (csv, csv_at), (tsv, tsv_at) = quality(_CSV), quality(_TSV)
    if not any(kind == _CSV for kind, _ in ranges) or csv <= 0 or (csv, -csv_at) <= (tsv, -tsv_at):
        return None
    return ", ".join((_TSV if kind == _CSV else kind) + (f";{params}" if params else "")
                     for kind, params in ranges if kind != _TSV)


def _q_of(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0 <= q <= 1 else 0.0
    return 1.0


def _media_type(value: str | None) -> str:
    """The media type of a ``Content-Type`` value or an ``Accept`` range, lower case, without parameters."""
    return (value or "").partition(";")[0].strip().lower()


def _host_name(host: str) -> str:
    """The name in a Host header, without its port or an IPv6 address's brackets."""
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].lower()


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class _Front(http.server.BaseHTTPRequestHandler):
    """Passes one request on to the server behind, or refuses it."""

    server: "_FrontServer"
    # HTTP/1.1, so that a client's "Expect: 100-continue" is answered at once (curl waited 1 s
    # for it with each large POST); each answer still closes its connection.
    protocol_version = "HTTP/1.1"
    # A client that stops sending halfway holds its thread this long at most (each wait for
    # bytes, not the whole request); an answer being computed behind is not cut short.
    timeout = 120

    def handle_expect_100(self) -> bool:
        """A request the front refuses (its framing, or another site's) is refused at
        once, instead of a "100 Continue" that has the client send a body no one reads
        (curl sends ``Expect`` with large uploads; it then reported a failed send, not
        the reason)."""
        try:
            framing = _framing(self.headers)
        except ValueError as err:
            self._refuse_framing(err)
            return False
        reason = self._refusal()
        if reason is not None:
            self._answer(403, reason)  # the client sends no body after a final answer
            return False
        try:
            self._query_length_checked(framing)
        except _Refused as refused:
            self._answer(refused.status, str(refused))
            return False
        return super().handle_expect_100()

    def _refuse_framing(self, err: ValueError) -> None:
        self._answer(501 if isinstance(err, _UnsupportedCoding) else 400, str(err))

    def _refusal(self) -> str | None:
        return None if self.server.cors else refusal(self.headers)

    def _pass_on(self) -> None:
        reason = self._refusal()
        try:
            body, length = _request_body(self.headers, self.rfile)
        except ValueError as err:
            self._refuse_framing(err)
            return
        if reason is not None:
            # The body read and dropped first: closing with it unread would reset the
            # connection, and the client could lose the answer saying why.
            with contextlib.suppress(OSError):
                for _ in body or ():
                    pass
            self._answer(403, reason)
            return
        try:
            body, length = self._query_checked(body, length)
        except _Refused as refused:
            self._answer(refused.status, str(refused))
            return
        # Oxigraph's CSV leaves IRIs unquoted: TSV asked for a client that prefers CSV, CSV answered (_pass_on_as_csv)
        as_tsv = _csv_asked_as_tsv(self.headers.get_all("Accept") or []) if self._to_query() else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in _NOT_PASSED_ON and not (as_tsv and k.lower() == "accept")}
        if length is not None:
            headers["Content-Length"] = str(length)
        if as_tsv is not None:
            headers["Accept"] = as_tsv
        behind = http.client.HTTPConnection(*self.server.behind, blocksize=_BLOCK)
        try:
            try:
                # The body goes on as it comes (a store upload can be gigabytes); a chunked
                # one is sent on chunked (http.client adds the header for an iterable body).
                behind.request(self.command, self.path, body=body, headers=headers)
                answer = behind.getresponse()
            except _BadBody as err:
                self._answer(400, str(err))
                return
            except OSError as err:
                self._answer(502, f"the oxigraph server behind this one did not answer: {err}")
                return
            if as_tsv is not None and answer.status == 200 and _media_type(answer.getheader("Content-Type")) == _TSV:
                self._pass_on_as_csv(answer)
                return
            self.send_response_only(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                while block := answer.read(_BLOCK):
                    self.wfile.write(block)
        except OSError as err:  # the server behind stopped, or the client went away
            self.log_error("passing %s %s on failed: %s", self.command, self.path, err)
        finally:
            behind.close()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _pass_on

    def _pass_on_as_csv(self, answer: http.client.HTTPResponse) -> None:
        """Answer with the TSV results of ``answer`` as CSV results, a row at a time
        (:func:`graph.query.write_csv_of_tsv`: as ``newsgraph query -f csv`` writes them).

        In chunks (HTTP/1.1), so that an answer cut short says so: without its last
        chunk, a client sees the transfer fail. TSV that Oxigraph ends with an error
        (its timeout) or that cannot be read otherwise ends the answer so; an answer
        that ended with the connection looked whole.
        """
        from .errors import QueryError
        from .query import write_csv_of_tsv

        chunked = self.request_version != "HTTP/1.0"
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP | {"content-type", "content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Type", f"{_CSV}; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        body = io.BufferedWriter(_Chunks(self.wfile), _BLOCK) if chunked else self.wfile
        out = io.TextIOWrapper(body, encoding="utf-8", newline="")  # type: ignore[arg-type]
        whole = False
        try:
            write_csv_of_tsv(answer, out)
            whole = True
        except QueryError as err:
            self.log_error("answering %s as CSV failed: %s", self.path, err)
        finally:
            out.detach().flush()  # the socket's file stays the handler's to close
        if whole and chunked:
            self.wfile.write(b"0\r\n\r\n")  # the last chunk: the answer is whole

    def _query_checked(self, body: Iterator[bytes] | None, length: int | None
                       ) -> tuple[Iterator[bytes] | bytes | None, int | None]:
        """The body to pass on, once the queries a request to ``/query`` carries
        (in its URL, or its body: ``application/sparql-query`` or a form) are
        checked as ``newsgraph query`` checks them before parsing
        (:func:`graph.query.check_nesting`); a body sent to ``/query`` is read
        whole first (at most :data:`QUERY_BODY_MAX` bytes).

        Why: one query nesting 2,500 levels of ``{`` overflowed the Oxigraph
        server's parser's stack, and its process ended: every client lost the
        endpoint.
        """
        if not self._to_query():
            return body, length
        self._query_length_checked(length)
        import urllib.parse

        from .errors import QueryError
        from .query import check_nesting

        texts = urllib.parse.parse_qs(self.path.partition("?")[2], keep_blank_values=True).get("query", [])
        if body is not None:
            read = bytearray()
            try:
                for block in body:
                    read += block
                    if len(read) > QUERY_BODY_MAX:
                        raise _Refused(413, _TOO_LONG)
            except _BadBody as err:
                raise _Refused(400, str(err)) from err
            body, length = bytes(read), len(read)  # type: ignore[assignment]
            kind = self.headers.get_content_type()
            text = read.decode("utf-8", "replace")
            if kind == "application/sparql-query":
                texts.append(text)
            elif kind == "application/x-www-form-urlencoded":
                texts += urllib.parse.parse_qs(text, keep_blank_values=True).get("query", [])
        for text in texts:
            try:
                check_nesting(text)
            except QueryError as err:
                raise _Refused(400, str(err)) from err
        return body, length

    def _to_query(self) -> bool:
        return self.path.partition("?")[0].rstrip("/") == "/query"

    def _query_length_checked(self, framing: int | str | None) -> None:
        """A body to ``/query`` whose Content-Length (``framing``, as :func:`_framing` reads
        it) is over :data:`QUERY_BODY_MAX` is refused before it is read (before
        "100 Continue", when the client waits for it)."""
        if isinstance(framing, int) and framing > QUERY_BODY_MAX and self._to_query():
            raise _Refused(413, _TOO_LONG)

    def _answer(self, status: int, reason: str) -> None:
        text = (reason + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)  # to a client gone away: _FrontServer.handle_error says nothing
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the server's own lines, not one per request


#: The largest body of a request to ``/query`` the front reads to check it (:meth:`_Front._query_checked`).
QUERY_BODY_MAX = 16 << 20
_TOO_LONG = f"a query of more than {QUERY_BODY_MAX >> 20} MB is not taken"


class _Chunks(io.RawIOBase):
    """Writes what it is given to ``stream`` as HTTP/1.1 chunks; the last (empty) chunk is the caller's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if data:
            self._stream.write(b"%x\r\n" % len(data) + bytes(data) + b"\r\n")
        return len(data)


class _Refused(Exception):
    """A request the front answers itself, with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _UnsupportedCoding(ValueError):
    """A transfer coding the front does not decode (RFC 9112 answers it with 501)."""


class _BadBody(OSError):
    """The client's body ended early or its chunks were malformed: nothing is answered
    from behind (the request passed on is cut short, and its connection closed)."""


def _exactly(stream: Any, length: int, framing: str = "its Content-Length") -> Iterator[bytes]:
    """``length`` bytes of ``stream``, a block at a time (:class:`_BadBody` if it ends first)."""
    while length > 0:
        block = stream.read(min(length, _BLOCK))
        if not block:
            raise _BadBody(f"the request's body ended {length} bytes before {framing} said")
        length -= len(block)
        yield block


def _framing(headers: Any) -> int | str | None:
    """How the body of a request with ``headers`` (an ``email.message.Message``, as
    :mod:`http.server` reads them) is framed: its length, ``"chunked"``, or ``None``
    (no body), as RFC 9112 (section 6) reads the headers.

    The front passes the body on framed by itself, so whatever it reads loosely
    reaches Oxigraph as something the client did not send.

    Raises
    ------
    ValueError
        A ``Content-Length`` that is not one whole number; both a
        ``Content-Length`` and a ``Transfer-Encoding`` (which one frames the
        body is what request smuggling plays on); codings whose last is not
        ``chunked`` (the length cannot be known), or ``chunked`` twice. A
        coding the front does not decode before ``chunked`` (``gzip,
        chunked``) is :class:`_UnsupportedCoding`, answered with 501.

    Examples
    --------
    >>> from email.message import Message
    >>> headers = Message()
    >>> headers["Transfer-Encoding"] = "Chunked, "  # an empty list element is ignored
    >>> _framing(headers)
    'chunked'
    """
    lengths = headers.get_all("Content-Length") or []
    # RFC 9110 (5.6.1): empty list elements are ignored; coding names are case-insensitive
    codings = [c.strip(" \t").lower() for v in headers.get_all("Transfer-Encoding") or [] for c in v.split(",")]
    codings = [c for c in codings if c]
    if lengths and codings:
        raise ValueError("a request with both a Content-Length and a Transfer-Encoding is refused: "
                         "send one or the other")
    if lengths:
        if len(set(lengths)) > 1 or not _DIGITS.fullmatch(lengths[0].strip(" \t")):
            raise ValueError(f"Content-Length {', '.join(lengths)} is not one length")
        digits = lengths[0].strip(" \t").lstrip("0") or "0"
        # no body is that long: taken, it held the thread until the timeout (and int() of
        # over 4,300 digits raised Python's own "Exceeds the limit" ValueError)
        if len(digits) > 19 or int(digits) > _LENGTH_MAX:
            shown = digits if len(digits) <= 40 else f"of {len(digits):,} digits"
            raise ValueError(f"Content-Length {shown} is beyond any body (at most {_LENGTH_MAX:,} bytes)")
        return int(digits)
    if not codings:
        return None
    given = ", ".join(headers.get_all("Transfer-Encoding"))
    if codings[-1] != "chunked" or codings.count("chunked") > 1:
        raise ValueError(f"Transfer-Encoding {given}: the last coding must be chunked, applied once")
    if len(codings) > 1:
        raise _UnsupportedCoding(f"Transfer-Encoding {given} is not supported: "
                                 "send the body chunked alone, or with a Content-Length")
    return "chunked"


def _request_body(headers: Any, stream: Any) -> tuple[Iterator[bytes] | None, int | None]:
    """The body of a request with ``headers``, read from ``stream`` as it is sent,
    and its length when known: ``(None, None)`` without one.

    Raises what :func:`_framing` raises; the body's own faults (a bad chunk
    size, a chunk longer or shorter than its size, a body or its trailers cut
    short) are raised as it is read (:class:`_BadBody`). A chunk size was read
    by Python's ``int(text, 16)``, which also takes ``0x1a``, ``+1a`` and
    ``1_a``; the bytes between a chunk's data and the next size line were
    skipped unread, so a chunk longer than its size lost its end silently.

    Examples
    --------
    >>> from email.message import Message
    >>> from io import BytesIO
    >>> headers = Message()
    >>> headers["Transfer-Encoding"] = "chunked"
    >>> body, length = _request_body(headers, BytesIO(b"5;name=value\\r\\nhello\\r\\n0\\r\\n\\r\\n"))
    >>> b"".join(body), length
    (b'hello', None)
    >>> b"".join(_request_body(headers, BytesIO(b"0x5\\r\\nhello\\r\\n0\\r\\n\\r\\n"))[0])
    Traceback (most recent call last):
    ...
    graph.origin_guard._BadBody: a chunk size that is not a hexadecimal number: b'0x5'
    """
    framing = _framing(headers)
    if framing is None:
        return None, None
    if framing == "chunked":
        return _chunks(stream), None
    return _exactly(stream, framing), framing  # type: ignore[arg-type]


#: The longest body a Content-Length may announce: the largest length the server behind
#: (a 64-bit signed count) reads.
_LENGTH_MAX = (1 << 63) - 1
_DIGITS = re.compile(r"[0-9]+")  # str.isdigit also takes other scripts' digits ("٣"), which int reads
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")
# A bare LF is taken for CRLF on every line of a chunked body, as most servers do (RFC 9112,
# section 2.2, allows it for the start line and fields): the front frames what it passes on itself.
_LINE_END = (b"\r\n", b"\n")


def _line(stream: Any, what: str) -> bytes:
    """The next line of ``stream`` (:class:`_BadBody` if it is cut short or too long)."""
    line = stream.readline(_BLOCK)
    if not line.endswith(b"\n"):
        raise _BadBody(f"a chunked body cut short, or {what} too long")
    return line


def _chunks(stream: Any) -> Iterator[bytes]:
    """The data of a chunked body, chunk by chunk (:class:`_BadBody` if malformed or cut short)."""
    while True:
        # chunk-size [ BWS ";" chunk-ext ] CRLF
        size_text = _line(stream, "a chunk size line").split(b";")[0].rstrip(b" \t\r\n")
        if not _HEX_DIGITS.fullmatch(size_text):
            raise _BadBody(f"a chunk size that is not a hexadecimal number: {size_text[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        yield from _exactly(stream, size, "its chunk's size")
        if stream.readline(len(b"\r\n")) not in _LINE_END:
            raise _BadBody(f"a chunk longer than its size ({size} bytes), or cut short")
    while _line(stream, "a trailer line") not in _LINE_END:  # trailers, up to the empty line
        pass


class _FrontServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone away is nothing to report; anything else is, as socketserver does.
        Why: one that closed while its answer was written printed three chained
        tracebacks on the server's terminal (found by the CLI review)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, host: str, port: int, behind: tuple[str, int], cors: bool) -> None:
        self.address_family = address_family(host)  # read by the socket's creation, below
        self.behind, self.cors = behind, cors
        super().__init__((host, port), _Front)


class OriginGuard:
    """The front, listening on ``host:port`` and passing requests on to ``behind``.

    Parameters
    ----------
    host, port : str, int
        Where to listen.
    behind : (str, int)
        The server requests are passed on to.
    cors : bool
        Let other sites' requests through too.
    """

    def __init__(self, host: str, port: int, behind: tuple[str, int], *, cors: bool = False) -> None:
        self._server = _FrontServer(host, port, behind, cors)
        self._thread = threading.Thread(target=self._server.serve_forever, name="newsgraph-front", daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose, when asked for port 0)."""
        return self._server.server_address[1]

    def start(self) -> "OriginGuard":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def address_family(host: str) -> int:
    """The socket family of an address to listen on: IPv6 for ``::1``, IPv4 for ``127.0.0.1``."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET
