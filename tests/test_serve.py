"""``newsgraph serve``: a real Oxigraph SPARQL endpoint on loopback, queried over HTTP.

Answers are checked against expectations computed another way: counting the
N-Triples lines as text, the KnowledgeGraph's own entity counts, and the same
SPARQL run locally by rdflib on the same file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import psutil
import pytest
import rdflib
from click.testing import CliRunner

from graph.cli import cli
from graph.export import write_exports
from graph.namespaces import PREFIXES as NAMESPACES
from graph.query import example_queries
from graph.serve import ServeError, SparqlServer, may_hold_updates, prepare_store

from conftest import as_a_terminal_job

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
PREFIXES = "PREFIX schema: <https://schema.org/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


# -- helpers shared with test_push.py ----------------------------------------------------------

def http_select(query_url: str, query: str) -> list[dict[str, str]]:
    """SPARQL SELECT over HTTP GET (SPARQL 1.1 Protocol), written independently of graph.serve."""
    url = query_url + "?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        data = json.load(response)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


def http_csv(query_url: str, query: str, accept: str = "text/csv") -> list[list[str]]:
    """A query's CSV answer over HTTP GET, read by Python's csv module."""
    url = query_url + "?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=120) as response:
        assert response.headers.get_content_type() == "text/csv"
        return list(csv.reader(io.StringIO(response.read().decode("utf-8"), newline="")))


def http_count(query_url: str, graph: str | None = None) -> int:
    pattern = "?s ?p ?o" if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    return int(http_select(query_url, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")[0]["n"])


def http_status(url: str, body: bytes, content_type: str, method: str = "POST") -> int:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def nt_lines(path: Path) -> set[str]:
    """The distinct triples of an N-Triples file, as text lines (an independent count)."""
    with open(path, encoding="utf-8") as fh:
        return {line.strip() for line in fh if line.strip() and not line.startswith("#")}


def write_nt(kg, folder: Path) -> Path:
    write_exports(kg, folder, ["nt"])
    return folder


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((LOOPBACK, port)) == 0


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds_nt(seeds_kg, tmp_path_factory) -> Path:
    return write_nt(seeds_kg, tmp_path_factory.mktemp("seeds-exports"))


@pytest.fixture(scope="module")
def seeds_rdflib(seeds_nt) -> rdflib.Graph:
    local = rdflib.Graph()
    local.parse(seeds_nt / "graph.nt", format="nt")
    return local


@pytest.fixture(scope="module")
def seeds_server(seeds_nt):
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0) as server:
        yield server


# -- tests -------------------------------------------------------------------------------------

@pytest.mark.corpus
def test_corpus_endpoint_matches_file_and_graph(corpus_kg, tmp_path):
    exports = write_nt(corpus_kg, tmp_path / "exports")
    lines = nt_lines(exports / "graph.nt")
    by_predicate = Counter(line.split(" ", 2)[1].strip("<>") for line in lines)
    store = prepare_store(exports)
    assert store == exports / "sparql-store"
    with SparqlServer(store, host=LOOPBACK, port=0) as server:
        assert http_count(server.query_url) == len(lines)
        rows = http_select(server.query_url, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
        assert {r["p"]: int(r["n"]) for r in rows} == dict(by_predicate)

        def count(query: str) -> int:
            return int(http_select(server.query_url, PREFIXES + query)[0]["n"])

        assert count("SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a schema:url ?u }") == len(corpus_kg.articles)
        assert count("SELECT (COUNT(*) AS ?n) WHERE { ?p a schema:Organization }") == len(corpus_kg.providers)
        assert count("SELECT (COUNT(*) AS ?n) WHERE { ?t a skos:Concept }") == len(corpus_kg.topics)
        assert count("SELECT (COUNT(*) AS ?n) WHERE { ?a schema:publisher ?p }") == \
            sum(1 for a in corpus_kg.articles.values() if a.provider_id)
        # The real corpus's URLs with a comma in them: one CSV column each (Oxigraph's own CSV split them)
        urls = sorted(line.split(" ", 2)[2].rstrip(" .")[1:-1] for line in lines
                      if line.split(" ", 2)[1] == "<https://schema.org/url>" and "," in line.split(" ", 2)[2])
        assert urls, "the corpus has URLs with a comma in them"
        got = http_csv(server.query_url, PREFIXES + 'SELECT ?u WHERE { ?a schema:url ?u FILTER(CONTAINS(STR(?u), ",")) } '
                                                    "ORDER BY ?u")
        assert got == [["u"], *([u] for u in urls)]


def _rows(rows) -> Counter:
    return Counter(tuple(sorted((k, str(v)) for k, v in row.items())) for row in rows)


@pytest.mark.parametrize("query", [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    PREFIXES + "SELECT ?name (COUNT(?a) AS ?n) WHERE { ?a schema:publisher ?p . ?p schema:name ?name } "
               "GROUP BY ?name",
    PREFIXES + 'SELECT ?a ?h WHERE { ?a schema:headline ?h FILTER(CONTAINS(LCASE(STR(?h)), "azure")) }',
    PREFIXES + "SELECT ?t ?label (COUNT(?a) AS ?n) WHERE { ?a schema:about ?t . ?t skos:prefLabel ?label } "
               "GROUP BY ?t ?label",
], ids=["predicates", "articles-per-provider", "headline-filter", "articles-per-topic"])
def test_http_answers_equal_local_rdflib_answers(seeds_rdflib, seeds_server, query):
    expected = _rows({str(k): v for k, v in row.asdict().items()} for row in seeds_rdflib.query(query))
    assert expected, "the query should match something in seeds/"
    assert _rows(http_select(seeds_server.query_url, query)) == expected


@pytest.mark.parametrize("name", sorted(example_queries()))
def test_http_answers_equal_the_cli_local_query(seeds_nt, seeds_server, name):
    """Every shipped example query: `newsgraph query` on the file vs the endpoint over HTTP."""
    local = CliRunner().invoke(cli, ["query", name, "-d", str(seeds_nt / "graph.nt"), "-f", "json"])
    assert local.exit_code == 0, local.output
    expected = Counter(tuple(sorted((k, v["value"]) for k, v in row.items()))
                       for row in json.loads(local.output)["results"]["bindings"])
    assert expected, f"example {name!r} should match something in seeds/"
    prefixes = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in NAMESPACES.items())
    remote = http_select(seeds_server.query_url, prefixes + example_queries()[name].text)
    assert Counter(tuple(sorted(row.items())) for row in remote) == expected


def test_updates_are_refused_by_default(seeds_nt, seeds_server):
    before = http_count(seeds_server.query_url)
    assert before == len(nt_lines(seeds_nt / "graph.nt"))
    update = b"INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
    assert http_status(seeds_server.update_url, update, "application/sparql-update") == 403
    triple = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
    assert http_status(seeds_server.store_url + "?default", triple, "application/n-triples", "PUT") == 403
    assert http_count(seeds_server.query_url) == before


def test_allow_update_accepts_updates(seeds_nt, tmp_path):
    # The same update as above succeeds here: the refusal is the read-only mode, not a bad request.
    store = prepare_store(seeds_nt, tmp_path / "rw-store")
    with SparqlServer(store, host=LOOPBACK, port=0, allow_update=True) as server:
        before = http_count(server.query_url)
        update = b"INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
        assert http_status(server.update_url, update, "application/sparql-update") in (200, 204)
        assert http_count(server.query_url) == before + 1


@pytest.mark.parametrize("cors", [False, True])
def test_other_sites_only_when_asked(seeds_nt, cors):
    """A page on another site (YASGUI's, say) reaches the endpoint only with cors: then its
    answer carries Access-Control-Allow-Origin; else the request is refused, saying why."""
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0, cors=cors) as server:
        query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        request = urllib.request.Request(f"{server.query_url}?{query}", headers={
            "Origin": "https://yasgui.example", "Accept": "application/sparql-results+json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                assert json.load(response)["boolean"] is True
                allowed = response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as err:
            assert not cors and err.code == 403
            assert err.read().decode() == ("a request from another web site (https://yasgui.example) is refused; "
                                           "start the server with --cors to allow that\n")
        else:
            assert cors and allowed is not None


def _form_post(url: str, fields: dict[str, str], headers: dict[str, str]) -> int:
    """A POST as an HTML form sends it: a request browsers make to any address without asking."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_page_on_another_site_cannot_change_the_store(seeds_nt, tmp_path):
    """With --allow-update, a form on any page open in the browser emptied the store: a
    CLEAR ALL with a foreign Origin was taken (oxigraph does not look). The front refuses
    what a browser marks as another site's; programs, which send no such header, and the
    server's own page pass."""
    store = prepare_store(seeds_nt, tmp_path / "rw-store")
    expected = len(nt_lines(seeds_nt / "graph.nt"))
    with SparqlServer(store, host=LOOPBACK, port=0, allow_update=True) as server:
        for foreign in ({"Origin": "https://evil.example"}, {"Origin": "null"},  # a sandboxed or file: page
                        {"Sec-Fetch-Site": "cross-site"},  # no Origin: as an <img> or a link sends
                        {"Origin": f"http://localhost:{server.port + 1}", "Sec-Fetch-Site": "same-site"}):
            assert _form_post(server.update_url, {"update": "CLEAR ALL"}, foreign) == 403, foreign
            assert http_count(server.query_url) == expected, foreign
        own = {"Origin": f"http://localhost:{server.port}", "Sec-Fetch-Site": "same-origin"}  # oxigraph's page at /
        insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
        assert _form_post(server.update_url, {"update": insert}, own) in (200, 204)
        assert http_count(server.query_url) == expected + 1
        assert _form_post(server.update_url, {"update": "CLEAR ALL"}, {}) in (200, 204)  # curl's request
        assert http_count(server.query_url) == 0


def _raw_exchange(port: int, head: str, body: bytes = b"", *, wait_for_continue: bool = False) -> bytes:
    """Send a request as written (headers a library would not send) and read the whole answer."""
    with socket.create_connection((LOOPBACK, port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        if wait_for_continue:  # as curl does: the body only after the server's go-ahead
            first = sock.recv(4096)
            assert first.startswith(b"HTTP/1.1 100 Continue"), first
        sock.sendall(body)
        answer = b""
        while block := sock.recv(65536):
            answer += block
    return answer


def test_a_page_under_a_name_pointed_at_this_machine_is_refused(seeds_nt):
    """DNS rebinding: a page at http://rebound.example:PORT, its name then pointed at
    127.0.0.1, sends no Origin for its own GETs and got the data. A host name other than
    localhost is refused; an IP address is not (no page can rebind one), nor the server's own
    page off the loopback (--host 0.0.0.0, opened at the machine's address)."""
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0) as server:
        port = server.port
        rebound = _raw_exchange(port, f"GET /query?{query} HTTP/1.1\nHost: rebound.example:{port}\n"
                                      "Accept: application/sparql-results+json\nConnection: close\n")
        assert rebound.startswith(b"HTTP/1.1 403") and b"the host name rebound.example is refused" in rebound
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", f"192.0.2.7:{port}"):
            own = _raw_exchange(port, f"POST /query HTTP/1.1\nHost: {host}\nOrigin: http://{host}\n"
                                      "Content-Type: application/x-www-form-urlencoded\n"
                                      f"Accept: application/sparql-results+json\nContent-Length: {len(query)}\n"
                                      "Connection: close\n", query.encode())
            assert own.startswith(b"HTTP/1.1 200") and b'"boolean":true' in own.replace(b" ", b""), (host, own)


def test_a_request_with_two_host_headers_is_refused(seeds_nt, seeds_server):
    """Only the first Host header was checked: a second one, a rebound name,
    passed, and what the server behind makes of two is its own affair."""
    port = seeds_server.port
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    for hosts in ([f"127.0.0.1:{port}", f"rebound.example:{port}"], [f"127.0.0.1:{port}", f"127.0.0.1:{port}"]):
        head = f"GET /query?{query} HTTP/1.1\n" + "".join(f"Host: {h}\n" for h in hosts) + \
            "Accept: application/sparql-results+json\nConnection: close\n"
        answer = _raw_exchange(port, head)
        assert answer.startswith(b"HTTP/1.1 403") and b"more than one Host header" in answer, answer
    one = _raw_exchange(port, f"GET /query?{query} HTTP/1.1\nHost: 127.0.0.1:{port}\n"
                              "Accept: application/sparql-results+json\nConnection: close\n")
    assert one.startswith(b"HTTP/1.1 200") and b'"boolean":true' in one.replace(b" ", b"")


def test_the_front_answers_expect_continue_and_refuses_a_length_that_is_not_one(seeds_nt):
    """curl sends a large POST with "Expect: 100-continue" and waited a second for an answer
    the front never gave; two Content-Length headers made the front read one length and pass
    the other on, and the server behind waited for bytes that never came."""
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}).encode()
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0) as server:
        head = (f"POST /query HTTP/1.1\nHost: {LOOPBACK}:{server.port}\n"
                "Content-Type: application/x-www-form-urlencoded\nAccept: application/sparql-results+json\n")
        answer = _raw_exchange(server.port, head + f"Content-Length: {len(query)}\nExpect: 100-continue\n",
                               query, wait_for_continue=True)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'"boolean":true}'), answer
        for lengths in ((str(len(query)), "500"), ("-1",), ("abc",)):
            bad = _raw_exchange(server.port, head + "".join(f"Content-Length: {n}\n" for n in lengths), query)
            assert bad.startswith(b"HTTP/1.1 400") and b"is not one length" in bad, (lengths, bad)
        assert http_count(server.query_url) == len(nt_lines(seeds_nt / "graph.nt"))  # still serving


class _RecordingBehind:
    """A server behind the front that counts the body bytes it has received so far (read
    as they come) and answers with the count once ``Content-Length`` of them have come."""

    def __init__(self) -> None:
        import threading

        self.listener = socket.create_server((LOOPBACK, 0))
        self.received = 0
        self.closed_early = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            self.received = len(body)
            while self.received < length:
                block = conn.recv(65536)
                if not block:
                    self.closed_early.set()
                    return
                self.received += len(block)
            text = str(self.received).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))


def test_the_front_passes_a_body_on_as_it_comes():
    """The front read each request body whole before passing it on: a store upload of
    gigabytes was held in memory. Now the server behind has the first part of a body
    while the client still holds back the rest; the whole arrives, and the answer."""
    from graph.origin_guard import OriginGuard

    behind = _RecordingBehind()
    front = OriginGuard(LOOPBACK, 0, behind.listener.getsockname()).start()
    try:
        size, first = 4 << 20, 1 << 20
        with socket.create_connection((LOOPBACK, front.port), timeout=30) as sock:
            sock.sendall(f"PUT /store?default HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                         f"Content-Type: application/n-triples\r\nContent-Length: {size}\r\n\r\n".encode())
            sock.sendall(b"x" * first)
            deadline = time.monotonic() + 20
            while behind.received < first // 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert behind.received >= first // 2, behind.received  # passed on before the rest was sent
            sock.sendall(b"x" * (size - first))
            answer = b""
            while block := sock.recv(65536):
                answer += block
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n" + str(size).encode()), answer[-200:]
    finally:
        front.stop()


def test_a_body_cut_short_is_a_400_and_the_request_behind_ends():
    """A client that promised more bytes than it sent, then stopped sending: the front says
    so (400) and ends the request it passed on, which waited for the rest for ever."""
    from graph.origin_guard import OriginGuard

    behind = _RecordingBehind()
    front = OriginGuard(LOOPBACK, 0, behind.listener.getsockname()).start()
    try:
        with socket.create_connection((LOOPBACK, front.port), timeout=30) as sock:
            sock.sendall(f"POST /update HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                         "Content-Type: application/sparql-update\r\nContent-Length: 1000\r\n\r\nCLEAR".encode())
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while block := sock.recv(65536):
                answer += block
        assert answer.startswith(b"HTTP/1.1 400") and b"ended 995 bytes before its Content-Length" in answer, answer
        assert behind.closed_early.wait(20)
    finally:
        front.stop()


@pytest.mark.parametrize("path", ["/query", "/update"])
def test_a_client_that_goes_away_mid_body_prints_no_traceback(monkeypatch, capsys, path):
    """A client that sent part of its body and closed the connection: the front's 400,
    written to the closed socket, printed three chained tracebacks on the server's
    terminal (found by the CLI review). The request ends quietly; the front still serves."""
    import threading

    from graph import origin_guard
    from graph.origin_guard import OriginGuard

    ended = threading.Event()  # set once socketserver is done with a request, its errors said
    shutdown_request = origin_guard._FrontServer.shutdown_request

    def shut_down(self, request):
        shutdown_request(self, request)
        ended.set()

    monkeypatch.setattr(origin_guard._FrontServer, "shutdown_request", shut_down)
    with socket.create_server((LOOPBACK, 0)) as behind:
        front = OriginGuard(LOOPBACK, 0, behind.getsockname()).start()
        try:
            sock = socket.create_connection((LOOPBACK, front.port), timeout=10)
            # reset on close (SO_LINGER 0): the answer's write fails at once, as a client gone does
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                         "Content-Type: application/sparql-query\r\nContent-Length: 50\r\n\r\nSE".encode())
            time.sleep(0.2)  # the front is reading the body
            sock.close()
            assert ended.wait(20)
            # the front still answers
            with socket.create_connection((LOOPBACK, front.port), timeout=10) as again:
                again.sendall(f"GET /query HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                              "Origin: https://elsewhere.example\r\n\r\n".encode())
                assert again.recv(65536).startswith(b"HTTP/1.1 403")
        finally:
            front.stop()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err


def test_a_chunked_upload_goes_through_the_front(seeds_nt, tmp_path):
    """A body sent in chunks (curl -T - sends one so) reaches Oxigraph whole: the graph it
    replaces holds every triple of the file; malformed chunks are a 400, and nothing changes."""
    triples = (seeds_nt / "graph.nt").read_bytes()
    store = prepare_store(seeds_nt, tmp_path / "rw-store")
    with SparqlServer(store, host=LOOPBACK, port=0, allow_update=True) as server:
        graph_iri = "http://example.org/uploaded"
        head = (f"PUT /store?graph={urllib.parse.quote(graph_iri, safe='')} HTTP/1.1\n"
                f"Host: {LOOPBACK}:{server.port}\nContent-Type: application/n-triples\n"
                "Transfer-Encoding: chunked\nConnection: close\n")
        pieces = [triples[i:i + 70_001] for i in range(0, len(triples), 70_001)]
        body = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nX-Trailer: 1\r\n\r\n"
        answer = _raw_exchange(server.port, head, body)
        assert re.match(rb"HTTP/1.1 20[014]", answer), answer[:300]
        assert http_count(server.query_url, graph_iri) == len(rdflib.Graph().parse(data=triples, format="nt"))
        other = "http://example.org/not-uploaded"
        bad = _raw_exchange(server.port, head.replace(urllib.parse.quote(graph_iri, safe=""),
                                                      urllib.parse.quote(other, safe="")),
                            b"zz\r\n<a> <b> <c> .\r\n0\r\n\r\n")
        assert bad.startswith(b"HTTP/1.1 400") and b"not a hexadecimal number" in bad, bad
        assert http_count(server.query_url, other) == 0


def _framed(headers: dict[str, str] | list[tuple[str, str]], wire: bytes) -> bytes:
    """The body _request_body reads from ``wire`` for a request with ``headers`` (a list
    of pairs may name a field twice)."""
    from email.message import Message
    from io import BytesIO

    from graph.origin_guard import _request_body

    message = Message()
    for name, value in headers.items() if isinstance(headers, dict) else headers:
        message[name] = value
    body, _ = _request_body(message, BytesIO(wire))
    return b"".join(body or ())


CHUNKED = {"Transfer-Encoding": "chunked"}


@pytest.mark.parametrize("pieces", [[b"hello"], [b"a" * 26, b"\r\n", b"b;c"], [bytes(range(256)) * 300, b"x"]])
@pytest.mark.parametrize("style", ["lower", "upper", "bare-lf", "extensions", "trailers", "padded"])
def test_a_chunked_body_reads_as_its_chunks_joined(pieces, style):
    """The chunks are framed here by hand in each style RFC 9112 allows; the data read is
    the pieces joined, whatever bytes they hold (CRLF and ';' inside a chunk are data)."""
    end = b"\n" if style == "bare-lf" else b"\r\n"
    wire = b""
    for piece in pieces:
        size = (b"%X" if style == "upper" else b"%x") % len(piece)
        size = b"000" + size + b" \t" if style == "padded" else size  # leading zeros, whitespace before the end
        ext = b" ;name=value;flag" if style == "extensions" else b""
        wire += size + ext + end + piece + end
    wire += b"0" + end + (b"X-Checksum: 1" + end if style == "trailers" else b"") + end
    assert _framed(CHUNKED, wire) == b"".join(pieces)


@pytest.mark.parametrize("headers", [
    {"Transfer-Encoding": "Chunked"}, {"Transfer-Encoding": "chunked, "}, {"Transfer-Encoding": " , chunked"},
    [("Transfer-Encoding", ""), ("Transfer-Encoding", "chunked")],  # an empty field: an empty list element
])
def test_chunked_is_read_in_any_case_and_empty_list_elements_are_ignored(headers):
    """RFC 9110: coding names are case-insensitive, and empty list elements are ignored."""
    assert _framed(headers, b"5\r\nhello\r\n0\r\n\r\n") == b"hello"


@pytest.mark.parametrize("size", [b"0x5", b"+5", b"5_0", b" 5", b"-5", b"", b"5g", b"\xd9\xa3"])
def test_a_chunk_size_other_than_hexadecimal_digits_is_refused(size):
    """Python's int(text, 16) read 0x5, +5 and 5_0 (80) as sizes; RFC 9112's chunk-size is
    hexadecimal digits only, and the front passes on nothing but what those frame."""
    from graph.origin_guard import _BadBody

    with pytest.raises(_BadBody, match="not a hexadecimal number"):
        _framed(CHUNKED, size + b"\r\nhello\r\n0\r\n\r\n")


@pytest.mark.parametrize("wire", [
    b"3\r\nhello\r\n0\r\n\r\n",  # longer than its size: its end was dropped without a word
    b"3\r\nhel", b"5\r\nhello", b"5\r\nhello\r",  # cut short after a chunk
    b"5\r\nhello\r\n0\r\n",  # no empty line after the last chunk
    b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n",  # cut short in the trailers
    b"5\r\nhello\r\n0\r\nX-Trailer: " + b"t" * 70_000 + b"\r\n\r\n",  # a trailer line longer than 64 KiB
    b"f" * 70_000 + b"\r\n",  # a size line longer than 64 KiB
])
def test_a_chunk_longer_than_its_size_or_a_body_cut_short_is_refused(wire):
    """The bytes after a chunk's data were skipped up to the next line end, and a body
    ending anywhere after its last chunk was taken whole."""
    from graph.origin_guard import _BadBody

    with pytest.raises(_BadBody):
        _framed(CHUNKED, wire)


@pytest.mark.parametrize("length", ["\u0665", "5\xa0", "+5", "0x5", "5, 6", "-5"])
def test_a_content_length_other_than_ascii_digits_is_refused(length):
    """str.isdigit took other scripts' digits (int reads "\u0665" as 5), str.strip took
    a non-breaking space; RFC 9110's Content-Length is 1*DIGIT. Spaces and tabs around it are OWS."""
    with pytest.raises(ValueError, match="is not one length"):
        _framed({"Content-Length": length}, b"hello")
    assert _framed({"Content-Length": " 5\t"}, b"hello") == b"hello"


@pytest.mark.parametrize("headers, status", [
    ({"Content-Length": "5", "Transfer-Encoding": "chunked"}, 400),  # two framings: which one is meant?
    ({"Transfer-Encoding": "gzip, chunked"}, 501),  # the gzip coding would reach Oxigraph undecoded
    ({"Transfer-Encoding": "gzip"}, 400),  # not chunked last: the length cannot be known (was: no body)
    ({"Transfer-Encoding": "chunked, gzip"}, 400),
    ({"Transfer-Encoding": "chunked, chunked"}, 400),  # chunked applied twice
    ({"Content-Length": "+5"}, 400),
    # beyond any body: taken, the front waited for the bytes until its timeout (120 s)
    ({"Content-Length": "9" * 23}, 400),
    ({"Content-Length": str(1 << 63)}, 400),
    ({"Content-Length": "9" * 5000}, 400),  # past int()'s 4,300 digits
])
@pytest.mark.parametrize("expect", [False, True])
def test_a_framing_the_front_cannot_pass_on_is_refused_and_nothing_goes_behind(headers, status, expect):
    """Refused before anything reaches the server behind, with the status RFC 9112 gives;
    a client that asks to continue (curl's "Expect: 100-continue" with large uploads) gets
    the refusal instead of a "100 Continue" that has it send a body no one reads."""
    from graph.origin_guard import OriginGuard

    with socket.create_server((LOOPBACK, 0)) as behind:
        front = OriginGuard(LOOPBACK, 0, behind.getsockname()).start()
        try:
            head = (f"POST /update HTTP/1.1\nHost: {LOOPBACK}:{front.port}\n"
                    "Content-Type: application/sparql-update\n"
                    + "".join(f"{name}: {value}\n" for name, value in headers.items())
                    + ("Expect: 100-continue\n" if expect else ""))
            # With Expect, the headers alone: the answer comes before any body is sent.
            answer = _raw_exchange(front.port, head, b"" if expect else b"5\r\nCLEAR\r\n0\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 %d" % status), answer
            behind.settimeout(0.5)
            with pytest.raises(socket.timeout):  # the front never connected to it
                behind.accept()
        finally:
            front.stop()


@pytest.mark.parametrize("foreign", ["Origin: https://evil.example\n", "Sec-Fetch-Site: cross-site\n",
                                     None])  # None: the same request from curl, which passes
def test_another_sites_request_that_asks_to_continue_is_refused_before_its_body(foreign):
    """A page's upload with "Expect: 100-continue" got "100 Continue" and then its 403:
    the client sent a body the front read only to drop. The 403 now comes first, and
    nothing reaches the server behind; a request that passes still gets its go-ahead."""
    from graph.origin_guard import OriginGuard

    with socket.create_server((LOOPBACK, 0)) as behind:
        front = OriginGuard(LOOPBACK, 0, behind.getsockname()).start()
        try:
            with socket.create_connection((LOOPBACK, front.port), timeout=30) as sock:
                sock.sendall((f"POST /update HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                              "Content-Type: application/sparql-update\r\nContent-Length: 9\r\n"
                              + (foreign or "").replace("\n", "\r\n")
                              + "Expect: 100-continue\r\n\r\n").encode())
                first = sock.recv(65536)  # the headers alone: no body sent yet
                if foreign is None:
                    assert first.startswith(b"HTTP/1.1 100 Continue"), first
                    return
                while block := sock.recv(65536):  # the answer, up to the front's close
                    first += block
            assert first.startswith(b"HTTP/1.1 403") and b"another web site" in first, first
            behind.settimeout(0.5)
            with pytest.raises(socket.timeout):  # the front never connected to it
                behind.accept()
        finally:
            front.stop()


def test_a_server_behind_that_stopped_is_a_502_saying_so(seeds_nt):
    """The front answered nothing when Oxigraph had gone (push then reported "maybe applied")."""
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0) as server:
        server.process.kill()
        server.process.wait(30)
        request = urllib.request.Request(f"{server.query_url}?query=ASK%7B%7D")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=30)
        assert info.value.code == 502
        assert info.value.read().decode().startswith("the oxigraph server behind this one did not answer")


def test_oxigraph_listens_behind_the_front_on_a_random_loopback_address(seeds_nt):
    """Behind the front, Oxigraph's own port is not guarded: on 127.0.0.1 a page trying every
    port with blind form POSTs could find it. Each server now gets an address of its own in
    127.0.0.0/8 (2**40 pairs of address and port), and the front reaches it there."""
    store = prepare_store(seeds_nt)
    addresses = []
    for _ in range(2):
        with SparqlServer(store, host=LOOPBACK, port=0) as server:
            host, port = server.behind
            numbers = [int(part) for part in host.split(".")]
            assert numbers[0] == 127 and host != LOOPBACK and numbers[1:] not in ([0, 0, 0], [255, 255, 255])
            # Oxigraph itself is there (asked directly, as the front asks it), and the front passes requests on
            with urllib.request.urlopen(f"http://{host}:{port}/query?query=ASK%7B%7D", timeout=30) as answer:
                assert b"true" in answer.read()
            assert http_count(server.query_url) == len(nt_lines(seeds_nt / "graph.nt"))
            addresses.append(host)
    assert addresses[0] != addresses[1]  # drawn anew: the same one twice in 16 million


def test_oxigraph_listens_on_127_0_0_1_where_no_other_loopback_address_is_configured(seeds_nt, monkeypatch):
    """macOS configures 127.0.0.1 alone: an address the system refuses falls back to it."""
    import graph.serve

    monkeypatch.setattr(graph.serve.socket, "inet_ntoa", lambda packed: "192.0.2.1")  # TEST-NET-1: not this machine's
    with SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=0) as server:
        assert server.behind[0] == LOOPBACK
        monkeypatch.undo()
        assert http_count(server.query_url) == len(nt_lines(seeds_nt / "graph.nt"))


def test_store_is_reused_until_the_file_changes(seeds_nt, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    nt = exports / "graph.nt"
    nt.write_bytes((seeds_nt / "graph.nt").read_bytes())
    store = prepare_store(exports)
    marker = store / "newsgraph-store.json"
    stamp = (store.stat().st_ino, marker.stat().st_mtime_ns)
    assert prepare_store(exports) == store
    assert (store.stat().st_ino, marker.stat().st_mtime_ns) == stamp, "an unchanged file must not reload"
    with open(nt, "a", encoding="utf-8") as fh:
        fh.write("<http://example.org/added> <http://example.org/p> \"new\" .\n")
    prepare_store(exports)
    assert store.stat().st_ino != stamp[0]
    assert not [p for p in exports.iterdir() if p.name.startswith(".")], "no temporary folders left"
    with SparqlServer(store, host=LOOPBACK, port=0) as server:
        assert http_count(server.query_url) == len(nt_lines(nt))


def test_an_unrelated_folder_is_never_replaced(seeds_nt, tmp_path):
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", str(seeds_nt), "--store", str(precious)])
    assert result.exit_code == 1
    assert f"Error: {precious}: exists and is not a store made by newsgraph serve" in result.output
    assert (precious / "todo.txt").read_text(encoding="utf-8") == "keep me"


def test_busy_port_gives_a_clear_message(seeds_nt):
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=f"port {port} on {LOOPBACK} is already in use"):
            SparqlServer(prepare_store(seeds_nt), host=LOOPBACK, port=port).start()
        result = CliRunner().invoke(cli, ["serve", str(seeds_nt), "--port", str(port)])
    assert result.exit_code == 1
    assert f"Error: port {port} on {LOOPBACK} is already in use" in result.output
    assert "Traceback" not in result.output


def test_missing_oxigraph_gives_a_clear_message(seeds_nt, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["serve", str(seeds_nt), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "Error: the 'oxigraph' command was not found: install it with `pip install oxigraph`" in result.output
    assert "Traceback" not in result.output


def test_missing_rdf_gives_a_clear_message(tmp_path):
    result = CliRunner().invoke(cli, ["serve", str(tmp_path)])
    assert result.exit_code == 1
    assert f"Error: {tmp_path}: no graph.nt or graph.ttl in this folder" in result.output
    assert "newsgraph build -f nt" in result.output


def test_invalid_rdf_names_the_file(tmp_path):
    bad = tmp_path / "graph.nt"
    bad.write_text('<http://example.org/s> <http://example.org/p> "unterminated .\n', encoding="utf-8")
    with pytest.raises(ServeError, match=re.escape(f"{bad}: oxigraph could not load it")):
        prepare_store(tmp_path)
    assert not (tmp_path / "sparql-store").exists()


def _start_cli_server(source: Path, stderr) -> tuple[subprocess.Popen, str, list[str]]:
    # Its own process group, like a shell job: Ctrl-C can be sent to the group without hitting pytest.
    process = subprocess.Popen(
        [sys.executable, "-m", "graph", "serve", str(source), "--host", LOOPBACK, "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True,
        preexec_fn=as_a_terminal_job)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            match = re.match(r"SPARQL endpoint: (http://\S+/query) \(read-only; ([\d,]+) triples\)", lines[0])
            assert match, lines
            return process, match.group(1), lines
    process.kill()
    process.wait()
    pytest.fail("newsgraph serve did not start: " + "\n".join(lines))


def _ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does: the CLI and its server both get it


@pytest.mark.parametrize("stop", [
    lambda p: p.send_signal(signal.SIGINT),  # to the CLI only: it must stop its server itself
    lambda p: p.send_signal(signal.SIGTERM),
    _ctrl_c,
], ids=["sigint-to-cli", "sigterm-to-cli", "ctrl-c-in-terminal"])
def test_cli_serves_until_stopped_and_keeps_the_store(seeds_nt, tmp_path, stop):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "graph.nt").write_bytes((seeds_nt / "graph.nt").read_bytes())
    expected = len(nt_lines(exports / "graph.nt"))
    for run in range(2):  # the second run reuses the store the first one left
        with open(tmp_path / f"stderr-{run}.txt", "w+", encoding="utf-8") as stderr:
            process, query_url, lines = _start_cli_server(exports, stderr)
            try:
                port = urllib.parse.urlsplit(query_url).port
                assert f"{expected:,} triples" in lines[0]
                assert any(line.startswith(f"curl -s {query_url}") for line in lines)
                assert http_count(query_url) == expected
                children = psutil.Process(process.pid).children(recursive=True)
                assert [c.name() for c in children] == ["oxigraph"]
                if run == 1:
                    assert marker_stamp == (exports / "sparql-store" / "newsgraph-store.json").stat().st_mtime_ns
                stop(process)
                assert process.wait(60) == 0
            finally:
                if process.poll() is None:  # only when an assertion failed: stop what we started
                    for child in psutil.Process(process.pid).children(recursive=True):
                        child.kill()
                    process.kill()
                    process.wait()
            stderr.seek(0)
            assert f"stopped; the store {exports / 'sparql-store'} is kept" in stderr.read()
            assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)
            assert not port_open(port)
            marker_stamp = (exports / "sparql-store" / "newsgraph-store.json").stat().st_mtime_ns


@pytest.mark.parametrize("phase", ["load", "serve-read-only"])
def test_a_serve_stopped_while_the_store_loads_or_the_server_starts_leaves_no_oxigraph_running(seeds_nt, tmp_path,
                                                                                            phase):
    """SIGTERM while the store loaded or the server started (a store written through
    --allow-update took 5 to 19 s to open) ended the command at once, silently, and
    left the oxigraph process running with no parent, holding the store and the port.
    Here an oxigraph stand-in on PATH hangs in that phase (the other is the real one)
    and says its pid; the command, sent SIGTERM, ends as Ctrl-C does and the stand-in
    is gone."""
    import shutil

    real = shutil.which("oxigraph")
    assert real is not None
    exports, bin_dir, pid_file = tmp_path / "exports", tmp_path / "bin", tmp_path / "hung.pid"
    exports.mkdir()
    bin_dir.mkdir()
    (exports / "graph.nt").write_bytes((seeds_nt / "graph.nt").read_bytes())
    stand_in = bin_dir / "oxigraph"
    stand_in.write_text(f'#!/bin/sh\nif [ "$1" = "{phase}" ]; then echo $$ > "{pid_file}"; exec sleep 300; fi\n'
                        f'exec "{real}" "$@"\n')
    stand_in.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen([sys.executable, "-m", "graph", "serve", str(exports), "--host", LOOPBACK,
                                "--port", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    hung = None
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        hung = psutil.Process(int(pid_file.read_text()))
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 1 and err.strip().endswith("Aborted!") and "Traceback" not in err, err
        deadline = time.monotonic() + 20
        while hung.is_running() and hung.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not hung.is_running() or hung.status() == psutil.STATUS_ZOMBIE
        assert [p.name for p in exports.iterdir() if p.name.startswith(".sparql-store.loading")] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if hung is not None and hung.is_running():
            hung.kill()


class _Server:
    """A stand-in for the oxigraph process: which signals it got, and which one stops it."""

    def __init__(self, stops_on: set[int]):
        self.stops_on, self.got, self.stopped = stops_on, [], False

    def poll(self):
        return 0 if self.stopped else None

    def send_signal(self, sig):
        self.got.append(sig)
        self.stopped = self.stopped or sig in self.stops_on

    def wait(self, timeout=None):
        if not self.stopped:
            raise subprocess.TimeoutExpired("oxigraph", timeout)
        return 0


@pytest.mark.parametrize("sigint", [signal.SIG_IGN, signal.default_int_handler], ids=["ignored", "handled"])
def test_stop_skips_sigint_when_the_server_inherited_it_ignored(tmp_path, sigint):
    # A job started with & or nohup ignores SIGINT, and so does the server it starts:
    # stop() waited its whole timeout for SIGINT before sending SIGTERM (10 s).
    previous = signal.signal(signal.SIGINT, sigint)
    try:
        server = SparqlServer(tmp_path)
        inherited_ignored = sigint == signal.SIG_IGN
        server.process = fake = _Server(stops_on={signal.SIGTERM} if inherited_ignored else {signal.SIGINT})
        server.stop(timeout=0.01)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert fake.got == ([signal.SIGTERM] if inherited_ignored else [signal.SIGINT])
    assert server.process is None


def test_a_host_that_does_not_resolve_is_a_clear_error(tmp_path, seeds_nt):
    result = CliRunner().invoke(cli, ["serve", str(seeds_nt), "--host", "999.1.1.1", "--port", "0",
                                      "--store", str(tmp_path / "store")])
    assert result.exit_code == 1 and "cannot listen on 999.1.1.1" in result.output
    assert "Traceback" not in result.output


def test_a_trig_file_is_served_whole_with_its_named_graphs(seeds_kg, tmp_path):
    """TriG keeps one named graph per source file: a query without GRAPH sees
    every triple (as many as the N-Triples file's lines), and GRAPH still
    finds each source's graph."""
    write_exports(seeds_kg, tmp_path, ["nt", "trig"])
    store = prepare_store(tmp_path / "graph.trig", tmp_path / "store")
    import pyoxigraph

    named = {q.graph_name for q in pyoxigraph.parse(path=tmp_path / "graph.trig", format=pyoxigraph.RdfFormat.TRIG)
             if not isinstance(q.graph_name, pyoxigraph.DefaultGraph)}  # the file's graphs, as parsed
    assert len(named) > 300
    with SparqlServer(store, host=LOOPBACK, port=0) as server:
        assert server.triple_count() == http_count(server.query_url) == len(nt_lines(tmp_path / "graph.nt"))
        headlines = "PREFIX schema: <https://schema.org/> SELECT (COUNT(*) AS ?n) WHERE { ?a schema:headline ?h }"
        assert int(http_select(server.query_url, headlines)[0]["n"]) == sum(
            1 for a in seeds_kg.articles.values() if a.title)
        graphs = http_select(server.query_url, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert int(graphs[0]["n"]) == len(named)


def test_query_will_not_reload_a_store_serve_made(seeds_nt, tmp_path):
    """query --store on serve's store would clear it and load another file,
    while serve's marker still vouched for the old one."""
    store = prepare_store(seeds_nt, tmp_path / "store")
    before = sorted((p.name, p.stat().st_size) for p in store.iterdir())
    other = tmp_path / "other.nt"
    other.write_text("<http://example.org/a> <http://example.org/p> \"x\" .\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", "SELECT * WHERE { ?s ?p ?o }", "-d", str(other),
                                      "-e", "oxigraph", "--store", str(store)])
    assert result.exit_code == 1
    assert f"{store}: a store made by newsgraph serve" in result.output
    assert sorted((p.name, p.stat().st_size) for p in store.iterdir()) == before
    with SparqlServer(store, host=LOOPBACK, port=0) as server:
        assert http_count(server.query_url) == len(nt_lines(seeds_nt / "graph.nt"))


def test_waiting_for_a_server_not_started_is_a_serve_error(tmp_path):
    """Not an ``assert``, which ``python -O`` removes."""
    with pytest.raises(ServeError, match="not started"):
        SparqlServer(tmp_path / "store").wait()


@pytest.mark.parametrize("host", ["", " "])
def test_an_empty_host_is_refused_before_the_store_is_loaded(seeds_nt, tmp_path, host):
    """Python's servers take "" for every address: `--host ""` listened on
    0.0.0.0, to the whole network, and said http://:PORT/query."""
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["serve", str(seeds_nt), "--store", str(store), "--host", host, "--port", "0"])
    # a usage error (status 2, the usage shown), as every other option's bad value is
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value for '--host': an empty host: give the address" in result.output
    assert not store.exists()
    with pytest.raises(ServeError, match="an empty host"):
        SparqlServer(tmp_path, host=host)


def test_a_query_nested_too_deeply_is_refused_by_the_front_and_the_server_stays_up(seeds_nt, seeds_server):
    """One query nesting 2,500 levels of { overflowed the Oxigraph server's
    parser's stack: its process ended, and every client lost the endpoint.
    The front refuses it (400, with the place) however it is sent: in the
    URL, as the body, or in a form; a query of ordinary depth still runs."""
    deep = "SELECT * WHERE {" + "{" * 2500 + "?s ?p ?o" + "}" * 2500 + "}"
    url = seeds_server.query_url
    sent = [
        urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": deep})),
        urllib.request.Request(url, data=deep.encode(), headers={"Content-Type": "application/sparql-query"}),
        urllib.request.Request(url, data=urllib.parse.urlencode({"query": deep}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    for request in sent:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=60)
        assert answer.value.code == 400
        assert answer.value.read().decode() == ("the query nests deeper than 256 levels of {, ( and [ at line 1, "
                                                "column 272\n")
    assert seeds_server.process.poll() is None
    assert http_count(url) == len(nt_lines(seeds_nt / "graph.nt"))
    # 200 levels are no trouble for the server: passed on
    nested = "SELECT (COUNT(*) AS ?n) WHERE " + "{" * 200 + "?s ?p ?o" + "}" * 200
    assert int(http_select(url, nested)[0]["n"]) == len(nt_lines(seeds_nt / "graph.nt"))


def test_a_store_served_with_updates_is_said_to_be_so_when_served_again(seeds_nt, tmp_path):
    """Changes made with --allow-update stay in the store while its file is
    unchanged (as documented), and the next `serve` gave no word that the
    store no longer held the file: it says so; --reload starts from the file."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "graph.nt").write_bytes((seeds_nt / "graph.nt").read_bytes())
    expected = len(nt_lines(exports / "graph.nt"))
    store = prepare_store(exports)
    assert not may_hold_updates(store)
    with SparqlServer(store, host=LOOPBACK, port=0) as server:  # read-only: no mark
        assert http_count(server.query_url) == expected
    assert not may_hold_updates(store)
    with SparqlServer(store, host=LOOPBACK, port=0, allow_update=True) as server:
        update = b"INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
        assert http_status(server.update_url, update, "application/sparql-update") in (200, 204)
    assert prepare_store(exports) == store and may_hold_updates(store)  # the file unchanged: reused
    with open(tmp_path / "stderr.txt", "w+", encoding="utf-8") as stderr:
        process, query_url, lines = _start_cli_server(exports, stderr)
        try:
            assert http_count(query_url) == expected + 1  # the update's triple is still there
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)
        stderr.seek(0)
        assert ("note: this store was served with --allow-update since its RDF file was loaded: it may hold "
                "changes the file does not (--reload loads the file again)") in stderr.read()
    assert prepare_store(exports, reload=True) == store and not may_hold_updates(store)
    with SparqlServer(store, host=LOOPBACK, port=0) as server:
        assert http_count(server.query_url) == expected


@pytest.mark.parametrize("expect", [False, True])
def test_a_query_body_announced_over_the_limit_is_refused_before_it_is_read(expect):
    """A body sent to /query is read whole to be checked, up to 16 MB: one announced
    longer was read up to the limit before its 413 (and with "Expect: 100-continue",
    the client was told to send it). The 413 now comes from the headers alone; at the
    limit, the body is awaited (and the wait ended here by closing the connection)."""
    from graph.origin_guard import QUERY_BODY_MAX, OriginGuard, _framing

    with socket.create_server((LOOPBACK, 0)) as behind:
        front = OriginGuard(LOOPBACK, 0, behind.getsockname()).start()
        try:
            for length, refused in [(QUERY_BODY_MAX + 1, True), (QUERY_BODY_MAX, False)]:
                head = (f"POST /query HTTP/1.1\r\nHost: {LOOPBACK}:{front.port}\r\n"
                        f"Content-Type: application/sparql-query\r\nContent-Length: {length}\r\n"
                        + ("Expect: 100-continue\r\n" if expect else "") + "\r\n")
                answer = b""
                with socket.create_connection((LOOPBACK, front.port), timeout=5) as sock:
                    sock.sendall(head.encode())  # and not one byte of the body
                    try:  # up to the front's close (a refusal), or 5 s of waiting for the body
                        while block := sock.recv(65536):
                            answer += block
                    except socket.timeout:
                        pass
                if refused:
                    assert answer.startswith(b"HTTP/1.1 413") and b"more than 16 MB" in answer, answer
                else:
                    assert answer == (b"HTTP/1.1 100 Continue\r\n\r\n" if expect else b""), answer
            behind.settimeout(0.5)
            with pytest.raises(socket.timeout):  # the front never connected to it
                behind.accept()
        finally:
            front.stop()
    message = __import__("email.message").message.Message()
    message["Content-Length"] = "0" * 30 + "5"  # leading zeros are still a length
    assert _framing(message) == 5


#: Values a CSV writer must quote, and the terms of each kind (the last, a variable left unbound).
_AWKWARD_NT = """\
<https://x.example/a,b> <https://x.example/p> "one, \\"two\\"\\nthree\\tfour"@en .
<https://x.example/a,b> <https://x.example/q> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .
<https://x.example/plain> <https://x.example/p> _:b1 .
"""


def test_csv_answers_quote_what_they_must_as_newsgraph_query_does(tmp_path):
    """Oxigraph's CSV left IRIs unquoted: one with a comma (two of the real corpus's URLs)
    split its row into a column too many. The front asks Oxigraph for TSV and answers CSV
    as `newsgraph query -f csv` writes it. Expected: the JSON answer's values, read with
    the json module; and `newsgraph query`'s bytes."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "graph.nt").write_text(_AWKWARD_NT, encoding="utf-8")
    query = "SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?s <https://x.example/none> ?none } } ORDER BY ?s ?p"
    with SparqlServer(prepare_store(tmp_path / "data"), host=LOOPBACK, port=0) as server:
        url = server.query_url + "?" + urllib.parse.urlencode({"query": query})
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"}),
                                    timeout=60) as response:
            bindings = json.load(response)["results"]["bindings"]
        expected = [["s", "p", "o", "none"]] + [
            ["" if v is None else f"_:{v['value']}" if v["type"] == "bnode" else v["value"]
             for v in (row.get(name) for name in ("s", "p", "o", "none"))] for row in bindings]
        assert len(expected) == 4 and expected[1][0] == "https://x.example/a,b"
        assert http_csv(server.query_url, query) == expected
        # a client that prefers CSV among others gets it; one that prefers TSV gets Oxigraph's TSV as it is
        assert http_csv(server.query_url, query, "application/sparql-results+json;q=0.5, text/csv") == expected
        tsv = urllib.request.Request(url, headers={"Accept": "text/tab-separated-values, text/csv;q=0.9"})
        with urllib.request.urlopen(tsv, timeout=60) as response:
            assert response.headers.get_content_type() == "text/tab-separated-values"
            assert "<https://x.example/a,b>\t" in response.read().decode("utf-8")
        for asked in (query, "ASK { ?s ?p 12 }"):
            remote = urllib.request.urlopen(urllib.request.Request(
                server.query_url + "?" + urllib.parse.urlencode({"query": asked}), headers={"Accept": "text/csv"}),
                timeout=60).read()
            local = CliRunner().invoke(cli, ["query", asked, "-d", str(tmp_path / "data" / "graph.nt"), "-f", "csv"])
            assert local.exit_code == 0, local.output
            if "ASK" in asked:
                assert remote == local.stdout_bytes == b"boolean\r\ntrue\r\n"
            else:  # the same but for the blank node's label, each engine's own
                assert re.sub(rb"_:\w+", b"_:", remote) == re.sub(rb"_:\w+", b"_:", local.stdout_bytes)


@pytest.mark.parametrize("tsv, whole", [
    (b'?a\t?b\n<http://x.example/1,2>\t"v"\n<http://x.example/3>\t"w"\n', True),
    (b'?a\t?b\n<http://x.example/1,2>\t"v"\nquery timed out after 30 s\n', False),  # Oxigraph's error, mid-stream
])
def test_a_csv_answer_cut_short_says_so(tsv, whole):
    """A CSV answer whose TSV ended in an error (Oxigraph's timeout writes its message into
    the stream) ended as a whole answer ends: status 200, its rows, the connection closed.
    It now comes in chunks, and without its last one when cut short: the client sees the
    transfer fail. A server behind that answers ``tsv`` whatever it is asked."""
    import http.client
    import threading

    from graph.origin_guard import OriginGuard

    listener = socket.create_server((LOOPBACK, 0))
    asked: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            asked.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/tab-separated-values; charset=utf-8\r\n"
                         b"Connection: close\r\n\r\n" + tsv)

    threading.Thread(target=serve, daemon=True).start()
    front = OriginGuard(LOOPBACK, 0, listener.getsockname()).start()
    try:
        connection = http.client.HTTPConnection(LOOPBACK, front.port, timeout=30)
        connection.request("GET", "/query?query=SELECT%20*%20%7B%7D", headers={"Accept": "text/csv"})
        answer = connection.getresponse()
        assert answer.status == 200 and answer.getheader("Transfer-Encoding") == "chunked"
        if whole:
            assert answer.read() == b'a,b\r\n"http://x.example/1,2",v\r\nhttp://x.example/3,w\r\n'
        else:
            with pytest.raises(http.client.IncompleteRead) as cut:
                answer.read()
            assert cut.value.partial.startswith(b'a,b\r\n"http://x.example/1,2",v\r\n')
        connection.close()
    finally:
        front.stop()
        listener.close()
    assert b"\r\nAccept: text/tab-separated-values\r\n" in asked[0]  # TSV asked of the server behind
