"""The front of ``newsgraph serve``: requests other web sites make are refused, the rest go to Oxigraph.

A browser sends a form POST to any address a page names, ``127.0.0.1``
included, without asking the server first (CORS keeps the page from reading
the answer, not the request from being made). Oxigraph does not look at
where a request comes from, so with ``--allow-update`` any page open in the
browser could change or clear the store: a form-encoded ``CLEAR ALL`` sent
with a foreign ``Origin`` emptied it. This front listens on the address the
user asked for and passes each request to the Oxigraph server behind it (on
a loopback port of its own), except one a browser made for another site:

* its ``Sec-Fetch-Site`` header is ``cross-site`` or ``same-site`` (another
  port of ``localhost`` is another site's page too), or
* it has an ``Origin`` that is not this server's own.

Such a request gets HTTP 403, unless the server was started with ``cors``,
which opens it to other sites on purpose (YASGUI on its own site, say).
Programs (curl, SPARQLWrapper, ``newsgraph push``) send neither header and
pass, as do pages the server itself serves (Oxigraph's query page at ``/``).

Examples
--------
>>> refusal({"Origin": "https://evil.example"}, {"http://127.0.0.1:7878"})
'a request from another web site (https://evil.example) is refused; start the server with --cors to allow that'
>>> refusal({"Origin": "http://127.0.0.1:7878", "Sec-Fetch-Site": "same-origin"}, {"http://127.0.0.1:7878"})
>>> refusal({}, {"http://127.0.0.1:7878"}) is None  # curl
True
"""

from __future__ import annotations

import http.client
import http.server
import threading
from typing import Any, Iterable, Mapping

__all__ = ["OriginGuard", "own_origins", "refusal"]

#: Headers that describe one connection, not the request or answer passed on.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "proxy-connection"}
_BLOCK = 64 * 1024


def refusal(headers: Mapping[str, str], own_origins: Iterable[str]) -> str | None:
    """Why a request with ``headers`` is refused as another site's, or ``None`` if it passes.

    ``own_origins`` are the server's own ``scheme://host:port`` forms.
    """
    site = (headers.get("Sec-Fetch-Site") or "").lower()
    origin = headers.get("Origin")
    if site in ("cross-site", "same-site") or (origin is not None and origin not in own_origins
                                                 and site != "same-origin"):
        return (f"a request from another web site ({origin or 'Sec-Fetch-Site: ' + site}) is refused; "
                "start the server with --cors to allow that")
    return None


def own_origins(host: str, port: int) -> set[str]:
    """The origins a page served by this server has: the host as given, and the loopback names.

    >>> sorted(own_origins("127.0.0.1", 7878))
    ['http://127.0.0.1:7878', 'http://[::1]:7878', 'http://localhost:7878']
    """
    shown = f"[{host}]" if ":" in host else host
    return {f"http://{name}:{port}" for name in (shown, "127.0.0.1", "localhost", "[::1]")}


class _Front(http.server.BaseHTTPRequestHandler):
    """Passes one request on to the server behind, or refuses it."""

    server: "_FrontServer"

    def _pass_on(self) -> None:
        reason = None if self.server.cors else refusal(self.headers, self.server.own)
        body = self._body()
        if reason is not None:
            self._refuse(reason)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        behind = http.client.HTTPConnection(*self.server.behind)
        try:
            behind.request(self.command, self.path, body=body, headers=headers)
            answer = behind.getresponse()
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

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        return None

    def _refuse(self, reason: str) -> None:
        text = (reason + "\n").encode("utf-8")
        self.send_response(403)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the server's own lines, not one per request


class _FrontServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    cors: bool
    own: set[str]
    behind: tuple[str, int]


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
        family_server = type("_Server", (_FrontServer,), {"address_family": _family(host)})
        self._server = family_server((host, port), _Front)
        self._server.cors, self._server.own, self._server.behind = cors, own_origins(host, port), behind
        self._thread = threading.Thread(target=self._server.serve_forever, name="newsgraph-front", daemon=True)

    def start(self) -> "OriginGuard":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def _family(host: str) -> int:
    import socket

    return socket.AF_INET6 if ":" in host else socket.AF_INET
