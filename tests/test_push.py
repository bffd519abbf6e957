"""``newsgraph push``: SPARQL 1.1 Graph Store uploads into a real ``oxigraph serve`` on loopback.

Expected counts come from the N-Triples text (distinct lines), not from the
uploader. Two protocol details a real Oxigraph cannot produce on demand (a 503
answer, a server that checks basic auth) are exercised with a small recording
HTTP server on loopback.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import re
import ssl
import threading
import urllib.parse
from pathlib import Path
from typing import Iterator

import pyoxigraph
import pytest
from click.testing import CliRunner

from graph.cli import cli
from graph.push import PASSWORD_ENV, USER_ENV, PushError, chunk_triples, push
from graph.serve import SparqlServer, free_port
from test_serve import LOOPBACK, http_count, http_select, http_status, nt_lines, write_nt

DATA = Path(__file__).resolve().parent / "data" / "push"
GRAPH = "http://example.org/graphs/news"


@pytest.fixture(scope="module")
def seeds_nt(seeds_kg, tmp_path_factory) -> Path:
    return write_nt(seeds_kg, tmp_path_factory.mktemp("push-seeds"))


@pytest.fixture
def store_server(tmp_path):
    """A read-write Oxigraph server on an empty store."""
    (tmp_path / "store").mkdir()
    with SparqlServer(tmp_path / "store", host=LOOPBACK, port=0, allow_update=True) as server:
        yield server


@pytest.mark.corpus
def test_pushed_corpus_count_equals_local_count(corpus_kg, tmp_path, store_server):
    exports = write_nt(corpus_kg, tmp_path / "exports")
    expected = len(nt_lines(exports / "graph.nt"))
    result = CliRunner().invoke(cli, ["push", str(exports), "--endpoint", store_server.store_url,
                                      "--graph", GRAPH, "--chunk-size", "100000"])
    assert result.exit_code == 0, result.output
    chunks = -(-expected // 100_000)
    assert f"pushed {expected:,} triples in {chunks} chunk(s) to graph <{GRAPH}>" in result.output
    assert http_count(store_server.query_url, GRAPH) == expected


def test_second_push_replaces_the_graph_and_nothing_else(seeds_nt, store_server):
    expected = len(nt_lines(seeds_nt / "graph.nt"))
    other = b"<http://example.org/keep> <http://example.org/p> \"other graph\" .\n"
    assert http_status(store_server.store_url + "?graph=urn%3Aother", other, "application/n-triples", "PUT") \
        in (201, 204)
    push(seeds_nt, store_server.store_url, GRAPH, chunk_size=5000)
    assert http_count(store_server.query_url, GRAPH) == expected
    stray = b"<http://example.org/stray> <http://example.org/p> \"left over\" .\n"
    assert http_status(store_server.store_url + "?graph=" + GRAPH, stray, "application/n-triples") in (200, 204)
    assert http_count(store_server.query_url, GRAPH) == expected + 1
    result = push(seeds_nt, store_server.store_url, GRAPH, chunk_size=5000)
    assert (result.triples, result.chunks) == (expected, -(-expected // 5000))
    assert http_count(store_server.query_url, GRAPH) == expected, "a second push must replace, not add"
    assert http_count(store_server.query_url, "urn:other") == 1
    assert http_count(store_server.query_url) == 0, "the default graph is untouched"


def test_default_graph_option(seeds_nt, store_server):
    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", store_server.store_url,
                                      "--default-graph", "-q"])
    assert result.exit_code == 0 and result.output == ""
    assert http_count(store_server.query_url) == len(nt_lines(seeds_nt / "graph.nt"))


def test_server_killed_mid_push_then_rerun_completes(seeds_nt, tmp_path):
    expected = len(nt_lines(seeds_nt / "graph.nt"))
    store, port = tmp_path / "store", free_port()
    store.mkdir()
    server = SparqlServer(store, host=LOOPBACK, port=port, allow_update=True).start()
    try:
        def kill_after_third_chunk(done: int, total: int, triples: int) -> None:
            if done == 3:
                server.process.kill()  # a crash, not a clean stop
                server.process.wait()

        chunks = -(-expected // 2000)
        message = (f"{server.store_url}: upload failed after 2 attempt(s) at chunk 4 of {chunks} "
                   f"(6,000 of {expected:,} triples stored): ")
        with pytest.raises(PushError, match=re.escape(message) + ".*run the push again to replace it"):
            push(seeds_nt, server.store_url, GRAPH, chunk_size=2000, retries=1, backoff=0.05,
                 progress=kill_after_third_chunk)
        server.stop()
        server = SparqlServer(store, host=LOOPBACK, port=port, allow_update=True).start()
        assert 0 < http_count(server.query_url, GRAPH) < expected, "the first push was cut short"
        result = push(seeds_nt, server.store_url, GRAPH, chunk_size=2000)
        assert result.triples == expected
        assert http_count(server.query_url, GRAPH) == expected
    finally:
        server.stop()


def test_unreachable_store_gives_a_clear_cli_error(seeds_nt):
    url = f"http://{LOOPBACK}:{free_port()}/store"
    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url, "--retries", "0"])
    assert result.exit_code == 1
    assert f"Error: {url}: upload failed after 1 attempt(s) at chunk 1 of 1 (0 of " in result.output
    assert "Connection refused" in result.output and "nothing was stored, the graph is as it was" in result.output
    assert "Traceback" not in result.output


def test_each_retry_is_announced_with_its_wait(seeds_nt):
    url = f"http://{LOOPBACK}:{free_port()}/store"
    seen = []
    with pytest.raises(PushError):
        push(seeds_nt, url, GRAPH, retries=3, backoff=0.01, retrying=lambda reason, delay: seen.append(delay))
    assert seen == [0.01, 0.02, 0.04]  # doubled each time, by hand
    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url, "--retries", "1"])
    assert result.exit_code == 1 and "retrying in 0.5 s: " in result.output  # the CLI's first wait


def test_retries_until_the_store_comes_up(seeds_nt, tmp_path):
    expected = len(nt_lines(seeds_nt / "graph.nt"))
    (tmp_path / "store").mkdir()
    server = SparqlServer(tmp_path / "store", host=LOOPBACK, port=free_port(), allow_update=True)
    starter = threading.Timer(1.0, server.start)
    starter.start()
    try:
        result = push(seeds_nt, server.store_url, GRAPH, retries=8, backoff=0.25)
        assert result.retries >= 1
        assert http_count(server.query_url, GRAPH) == expected
    finally:
        starter.join()
        server.stop()


def test_blank_nodes_stay_together(store_server):
    source = DATA / "blank_nodes.nt"
    # 11 triples; blank nodes a-b-c form one linked group (6 triples), d and e one each.
    chunks = chunk_triples((q.triple for q in pyoxigraph.parse(path=source)), 2)
    assert sorted(c.triples for c in chunks) == [1, 2, 2, 6]
    result = push(source, store_server.store_url, GRAPH, chunk_size=2)
    assert (result.triples, result.chunks) == (11, 4)
    assert http_count(store_server.query_url, GRAPH) == 11
    blanks = http_select(store_server.query_url, f"SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{ GRAPH <{GRAPH}> "
                                                 "{ { ?b ?p ?o } UNION { ?s ?p ?b } FILTER(isBlank(?b)) } }")
    assert blanks == [{"n": "5"}]
    chain = http_select(store_server.query_url, f"""PREFIX e: <http://example.org/>
        SELECT ?name WHERE {{ GRAPH <{GRAPH}> {{ e:list e:first ?a . ?a e:next ?b . ?b e:next ?c .
                                               ?c e:name ?name }} }}""")
    assert chain == [{"name": "c"}]


def test_invalid_rdf_names_file_and_line(store_server):
    with pytest.raises(PushError, match=re.escape(f"{DATA / 'invalid.nt'}:3: invalid N-Triples: ")):
        push(DATA / "invalid.nt", store_server.store_url, GRAPH)
    assert http_count(store_server.query_url, GRAPH) == 0, "nothing is sent from an invalid file"


def test_wrong_endpoint_is_not_retried(seeds_nt, store_server):
    wrong = store_server.base_url + "/nowhere"
    with pytest.raises(PushError, match=r"the store refused the upload: HTTP 404.*Graph Store endpoint"):
        push(seeds_nt, wrong, GRAPH, retries=3, backoff=5)  # a retry would take 5 s or more


@contextlib.contextmanager
def _store(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A store on a free loopback port answering with ``handler``; its ``/store`` URL."""
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}/store"
    finally:
        server.shutdown()
        server.server_close()


def _answering(status: int) -> type[http.server.BaseHTTPRequestHandler]:
    """A store's handler that reads each PUT or POST whole and answers ``status``, with no body."""

    class Answering(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT

        def log_message(self, *args):
            pass

    return Answering


def test_a_refusal_with_an_empty_answer_is_said_without_a_gap(seeds_nt):
    """A 404 with no body was said 'HTTP 404  (is this a Graph Store endpoint? ...'."""
    with _store(_answering(404)) as url, pytest.raises(PushError) as err:
        push(seeds_nt, url, GRAPH, retries=0)
    said = str(err.value)
    assert said.startswith(f"{url}?graph=") and ": the store refused the upload: HTTP 404 (is this a Graph Store " \
        "endpoint? Oxigraph: /store" in said


def test_credentials_only_from_the_environment(seeds_nt, tmp_path):
    from graph.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match=f"do not put credentials in the endpoint URL; set {USER_ENV}"):
        push(seeds_nt, f"http://alice:secret@{LOOPBACK}:1/store", GRAPH)
    given = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://alice:secret@{LOOPBACK}:1/store"])
    assert given.exit_code == 2 and "do not put credentials" in given.output  # the option's value: a usage error
    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://{LOOPBACK}:1/store"],
                                env={USER_ENV: "alice", PASSWORD_ENV: None})
    assert result.exit_code == 1
    assert f"basic auth needs both {USER_ENV} and {PASSWORD_ENV} set (only {USER_ENV} is)" in result.output
    assert "password" not in " ".join(p.opts[0] for p in cli.commands["push"].params).lower()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request; answers with the next status in ``statuses`` (then 204)."""

    statuses: list[int] = []
    seen: list[tuple[str, str, str | None, bytes]] = []

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        status = self.statuses.pop(0) if self.statuses else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_POST = _handle

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.statuses, _Recorder.seen = [], []
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://{LOOPBACK}:{server.server_address[1]}/store"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_basic_auth_header_and_5xx_retry(recorder):
    server, url = recorder
    _Recorder.statuses = [503]
    result = push(DATA / "blank_nodes.nt", url, GRAPH, chunk_size=100, backoff=0.01,
                  env={USER_ENV: "alice", PASSWORD_ENV: "s3cret:x"})
    assert result.retries == 1
    expected_auth = "Basic " + base64.b64encode(b"alice:s3cret:x").decode()
    assert [(m, p, a) for m, p, a, _ in _Recorder.seen] == \
        [("PUT", "/store?graph=http%3A%2F%2Fexample.org%2Fgraphs%2Fnews", expected_auth)] * 2 + \
        [("POST", "/store?graph=http%3A%2F%2Fexample.org%2Fgraphs%2Fnews", expected_auth)]


def test_a_store_that_took_a_chunk_is_said_to_hold_an_incomplete_graph(recorder, seeds_nt):
    server, url = recorder
    _Recorder.statuses = [204, 503, 503]  # the first chunk stored, the second refused twice
    with pytest.raises(PushError) as err:
        push(seeds_nt, url, GRAPH, chunk_size=10_000, retries=1, backoff=0.01)
    assert "at chunk 2 of" in str(err.value) and "the graph is incomplete" in str(err.value)
    assert "nothing was stored" not in str(err.value)


def test_blank_node_chunk_failure_restarts_from_the_replacing_put(recorder):
    # chunks: [x y z] (PUT), [a-b-c group] and [d e] (POSTs, with blank nodes): a 503 on a
    # POST may have stored it, and its blank nodes would then be stored twice; start over.
    server, url = recorder
    _Recorder.statuses = [204, 503]
    result = push(DATA / "blank_nodes.nt", url, GRAPH, chunk_size=3, backoff=0.01)
    assert result.restarts == 1
    assert [m for m, *_ in _Recorder.seen] == ["PUT", "POST", "PUT", "POST", "POST"]
    bodies = [body for *_, body in _Recorder.seen]
    assert bodies[0] == bodies[2] and bodies[1] == bodies[3] and b"_:" in bodies[1]
    assert sum(body.count(b" .\n") for body in bodies[2:]) == 11


@pytest.mark.parametrize("endpoint, why", [("http://[::1/store", "Invalid IPv6 URL"),
                                           ("http://localhost:99999/store", "Port out of range"),
                                           ("ftp://localhost/store", None),
                                           ("http://:80/store", "no host name"),  # these three failed
                                           ("http://exa mple/store", "white space"),  # only at the upload
                                           ("http://localhost/store\n", "control characters")])
def test_a_malformed_endpoint_is_a_clear_error(seeds_nt, endpoint, why):
    """An option's value the command cannot use is a usage error, status 2, as the
    README's exit statuses say (it was 1, as if the store had refused the upload);
    from Python, the library's InvalidArgumentError, a ValueError."""
    from graph.errors import InvalidArgumentError

    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", endpoint, "--retries", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "Usage: cli push" in result.output
    assert f"{endpoint!r} is not an http(s) URL" in result.output and (why is None or why in result.output)
    with pytest.raises(InvalidArgumentError, match="is not an http"):
        push(seeds_nt, endpoint, GRAPH, retries=0)
    bad_graph = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://{LOOPBACK}:1/store",
                                         "--graph", "not an iri"])
    assert bad_graph.exit_code == 2 and "'not an iri' is not an absolute IRI for --graph" in bad_graph.output
    empty_graph = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://{LOOPBACK}:1/store",
                                           "--graph", ""])  # it replaced urn:newsgraph:build
    assert empty_graph.exit_code == 2 and "Invalid value for '--graph': an empty IRI" in empty_graph.output


def test_a_host_name_that_does_not_resolve_stored_nothing(seeds_nt, monkeypatch):
    """A DNS failure comes before any connection: it was reported as "the graph is
    incomplete" of a graph nothing had been sent to. (The resolver is made to fail
    here, as for a name under .invalid, RFC 2606: no network is used.)"""
    import socket

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(PushError, match="Name or service not known; nothing was stored, the graph is as it was"):
        push(seeds_nt, "http://store.invalid/store", GRAPH, retries=0)


def test_retries_are_bounded_on_the_command_line(seeds_nt):
    """--retries 99999999999999999999 retried for ever (the wait stops growing at 30 s)."""
    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://{LOOPBACK}:1/store",
                                      "--retries", "99999999999999999999"])
    assert result.exit_code == 2 and "is not in the range 0<=x<=20" in result.output


@pytest.mark.parametrize("timeout", ["nan", "inf", "1e12", "86401"])
def test_a_timeout_out_of_range_is_a_usage_error(seeds_nt, timeout):
    """--timeout nan, inf or 1e12 passed the option's check and ended in a traceback from
    the socket (found by the CLI review): a usage error, as 0 and -1 were, before reading."""
    import math

    from graph.errors import InvalidArgumentError
    from graph.push import MAX_TIMEOUT

    result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", f"http://{LOOPBACK}:1/store",
                                      "--timeout", timeout])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "timeout" in result.output.lower()
    option = next(p for p in cli.commands["push"].params if p.name == "timeout")
    assert option.type.max == MAX_TIMEOUT  # the command's bound is the library's
    value = float(timeout)
    assert not (0 < value <= MAX_TIMEOUT) or math.isnan(value)
    with pytest.raises(InvalidArgumentError, match="timeout must be more than 0"):
        push(seeds_nt, f"http://{LOOPBACK}:1/store", GRAPH, timeout=value)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("redirected", ["PUT", "POST"])
def test_a_redirect_is_an_error_not_a_chunk_stored(seeds_nt, code, redirected):
    """A store answering a POST with a 301, 302 or 303 had urllib send a GET, without the
    chunk, to the new address; its 2xx counted as the chunk stored, and the push said
    every triple was pushed (found by the CLI review). A redirect is now an error that
    names where it points; nothing is sent there."""

    seen: list[tuple[str, str, int]] = []

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def _handle(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.command, self.path, len(body)))
            if self.path.startswith("/store") and self.command == redirected:
                self.send_response(code)
                self.send_header("Location", "/elsewhere")
            else:
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PUT = do_POST = do_GET = _handle

        def log_message(self, *args):
            pass

    with _store(Redirecting) as url, pytest.raises(
            PushError, match=rf"answered {redirected} with a redirect \(HTTP {code} to /elsewhere\)"):
        push(seeds_nt, url, GRAPH, chunk_size=2_000, retries=0)
    assert all(path.startswith("/store") for _, path, _ in seen), seen  # nothing went where it pointed
    assert seen[-1][0] == redirected and [m for m, _, _ in seen[:-1]] == ["PUT"] * (redirected == "POST")


def test_a_store_that_reads_the_upload_and_never_answers_is_said_to_have_timed_out(seeds_nt):
    """A store that took the whole upload and gave no answer was said as 'TimeoutError:
    timed out' (the wait for the answer raises it as it is; one while sending comes
    wrapped, and said 'timed out'): both now say the same."""
    import socket
    import threading

    with socket.create_server((LOOPBACK, 0)) as server:
        def drain() -> None:  # read every request whole, answer none
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(5)
                    try:
                        while conn.recv(1 << 16):
                            pass
                    except OSError:
                        pass

        threading.Thread(target=drain, daemon=True).start()
        url = f"http://{LOOPBACK}:{server.getsockname()[1]}/store"
        result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url, "--retries", "0",
                                          "--timeout", "0.5"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "timed out (no answer within 0.5 s)" in result.output and "TimeoutError" not in result.output


def test_a_store_that_never_answers_is_given_up_after_the_timeout_asked(seeds_nt):
    """A store that takes the connection and never answers held each attempt
    300 s, six attempts: half an hour with no way to ask for less. --timeout
    is how long each request waits for its answer."""
    import socket
    import time

    with socket.create_server((LOOPBACK, 0)) as silent:  # takes connections (the backlog), never answers
        url = f"http://{LOOPBACK}:{silent.getsockname()[1]}/store"
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url, "--retries", "1",
                                          "--timeout", "0.5"])
        took = time.monotonic() - started
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"Error: {url}: upload failed after 2 attempt(s) at chunk 1 of 1" in result.output
    assert "timed out (no answer within 0.5 s)" in result.output and "TimeoutError" not in result.output
    assert took < 20  # two attempts of 0.5 s and a wait of 0.5 s between them, with room to spare
    refused = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url, "--timeout", "0"])
    assert refused.exit_code == 2 and "--timeout" in refused.output


def test_an_interrupted_push_says_what_the_store_holds(seeds_nt):
    """SIGTERM (systemd, ``timeout``, a CI's cancel) ended a push at once, with status
    143 and not a word, while the store held part of the graph. It now stops the push
    as Ctrl-C does (``Aborted!``, status 1), and both say what the store holds."""
    import math
    import signal
    import subprocess
    import sys

    put_lines: list[int] = []
    asked, release = threading.Event(), threading.Event()

    class TakesTheFirstChunkOnly(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - http.server's name
            put_lines.append(self.rfile.read(int(self.headers["Content-Length"])).count(b"\n"))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):  # noqa: N802 - the second chunk: read, never answered
            self.rfile.read(int(self.headers["Content-Length"]))
            asked.set()
            release.wait(60)

        def log_message(self, *args):
            pass

    total = len(nt_lines(seeds_nt / "graph.nt"))
    with _store(TakesTheFirstChunkOnly) as url:
        try:
            process = subprocess.Popen([sys.executable, "-m", "graph", "push", str(seeds_nt), "--endpoint", url,
                                        "--chunk-size", "2000", "--retries", "0"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert asked.wait(60), process.communicate(timeout=60)
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
        finally:
            release.set()
    assert put_lines == [2000]  # the seeds' triples have no blank node: chunks of 2,000 exactly
    assert process.returncode == 1 and "Traceback" not in err, err
    assert err.rstrip().endswith(f"the push was stopped at chunk 2 of {math.ceil(total / 2000)} (2,000 of "
                                 f"{total:,} triples stored): the graph is incomplete, run the push again to "
                                 "replace it\n\nAborted!"), err  # click's blank line before it

    # Stopped before the store took anything (in a retry's wait): the note says so.
    unreachable = f"http://{LOOPBACK}:{free_port()}/store"

    def stop(reason, delay):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        push(seeds_nt, unreachable, GRAPH, chunk_size=2000, retries=1, retrying=stop)
    assert stopped.value.__notes__ == [f"the push was stopped at chunk 1 of {math.ceil(total / 2000)} (0 of "
                                       f"{total:,} triples stored): nothing was stored, the graph is as it was"]

    # Stopped in the last progress report: every chunk was stored (it said "chunk 16 of 15").
    def stop_at_the_end(done, count, triples):
        if done == count:
            raise KeyboardInterrupt

    with _store(_answering(204)) as url, pytest.raises(KeyboardInterrupt) as stopped:
        push(seeds_nt, url, GRAPH, chunk_size=2000, retries=0, progress=stop_at_the_end)
    assert stopped.value.__notes__ == [f"the push was stopped once every chunk was stored ({total:,} of {total:,} "
                                       "triples): the graph is whole"]


@pytest.mark.parametrize("suffix", ["#x", "?"])
def test_an_endpoint_ending_in_a_fragment_or_an_empty_query_never_replaces_the_whole_store(recorder, seeds_nt, suffix):
    """`--endpoint .../store#x` sent `/store` with no graph named (urllib drops the fragment,
    and `?graph=` added after it), and `.../store?` sent `?graph=` as a parameter named
    `?graph`: Oxigraph took the PUT as "replace the whole dataset", wiping every graph,
    and the push said it pushed. Expected: a fragment is a usage error, sending nothing;
    an empty query gets the graph as its only parameter."""
    from graph.errors import InvalidArgumentError

    server, url = recorder
    expected_path = "/store?graph=" + urllib.parse.quote(GRAPH, safe="")
    if suffix == "#x":
        with pytest.raises(InvalidArgumentError, match="cannot end in a #fragment"):
            push(seeds_nt, url + suffix, GRAPH, retries=0)
        given = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url + suffix, "--default-graph"])
        assert given.exit_code == 2 and "#fragment" in given.output
        assert _Recorder.seen == []
    else:
        push(seeds_nt, url + suffix, GRAPH, retries=0, chunk_size=10_000)
        assert {path for _, path, _, _ in _Recorder.seen} == {expected_path}
        push(seeds_nt, url + suffix, None, retries=0, chunk_size=10_000)
        assert _Recorder.seen[-1][1] == "/store?default"


def test_an_endpoint_naming_a_graph_itself_is_a_usage_error(recorder, seeds_nt):
    """`--endpoint .../store?graph=urn:a` sent `?graph=urn:a&graph=urn:newsgraph:build`:
    which graph a store replaces is then its own guess."""
    server, url = recorder
    for query in ("?graph=urn:a", "?default", "?x=1&default="):
        given = CliRunner().invoke(cli, ["push", str(seeds_nt), "--endpoint", url + query])
        assert given.exit_code == 2 and "names a graph in its query" in given.output, given.output
    assert _Recorder.seen == []
    push(seeds_nt, url + "?x=1", GRAPH, retries=0, chunk_size=10_000)  # another parameter is kept
    assert {path for _, path, _, _ in _Recorder.seen} == {"/store?x=1&graph=" + urllib.parse.quote(GRAPH, safe="")}


@contextlib.contextmanager
def _https_store() -> Iterator[tuple[str, list]]:
    """A store over TLS with the self-signed certificate in tests/data/push (for 127.0.0.1)."""
    seen: list = []

    class Taking(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 - http.server's name
            seen.append((self.command, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Taking)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(DATA / "tls-cert.pem", DATA / "tls-key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://{LOOPBACK}:{server.server_address[1]}/store", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_certificate_not_trusted_is_said_at_once_to_have_stored_nothing(seeds_nt, monkeypatch):
    """A self-signed certificate was retried (five times, 16 s) and then said to have left
    "the graph incomplete", though no request ever reached the store. Expected: no retry,
    the reason, "nothing was stored"; and the hint it gives (SSL_CERT_FILE) works."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with _https_store() as (url, seen):
        retried = []
        with pytest.raises(PushError) as err:
            push(seeds_nt, url, GRAPH, retries=3, backoff=0.01, retrying=lambda *a: retried.append(a))
        said = str(err.value)
        assert retried == [] and seen == []
        assert "TLS certificate was not accepted" in said and "nothing was stored" in said, said
        assert "incomplete" not in said
        monkeypatch.setenv("SSL_CERT_FILE", str(DATA / "tls-cert.pem"))
        result = push(seeds_nt, url, GRAPH, retries=0, chunk_size=10_000)
        assert [m for m, _ in seen] == ["PUT"] + ["POST"] * (result.chunks - 1)
        sent = [line for _, body in seen for line in body.decode().splitlines() if line.strip()]
        assert len(sent) == len(set(sent)) and set(sent) == nt_lines(seeds_nt / "graph.nt")


def test_a_later_chunk_refused_says_the_graph_is_incomplete(recorder, seeds_nt):
    """A 413 on the second chunk said only "HTTP 413": the first chunk's PUT had replaced
    the graph, which now held a part of the build. Expected: where it stopped, and that
    the graph is incomplete; a refusal of the first chunk says nothing of the kind."""
    server, url = recorder
    _Recorder.statuses = [204, 413]
    with pytest.raises(PushError) as err:
        push(seeds_nt, url, GRAPH, chunk_size=10, retries=2, backoff=0.01)
    said = str(err.value)
    assert "HTTP 413" in said and "at chunk 2 of" in said and "the graph is incomplete" in said, said
    assert [m for m, *_ in _Recorder.seen] == ["PUT", "POST"]  # a 4xx is not retried
    _Recorder.statuses, _Recorder.seen[:] = [413], []
    with pytest.raises(PushError) as err:
        push(seeds_nt, url, GRAPH, chunk_size=10, retries=2, backoff=0.01)
    assert "HTTP 413" in str(err.value) and "incomplete" not in str(err.value)
