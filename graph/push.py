"""Uploading a build into a triple store (SPARQL 1.1 Graph Store HTTP Protocol).

:func:`push` sends the build's RDF (``graph.nt``, else ``graph.ttl``) to a
Graph Store endpoint in chunks of N-Triples: the first chunk with ``PUT``,
which *replaces* the target graph, the others with ``POST``, which add to it.
Pushing twice therefore leaves the same triples, not twice as many, and a
push cut short is repaired by simply running it again.

Connection errors and 5xx answers are retried with exponential backoff; a
4xx answer (wrong URL, bad credentials, a read-only store) stops at once
with the server's message. Adding a chunk twice is harmless (a graph is a
set of triples) except for blank nodes, which a store cannot recognise as
already sent: the triples sharing blank nodes always travel in one chunk, and
when such a chunk may have reached the store before its connection failed the
push starts again from the replacing ``PUT``.

Basic authentication comes from the environment only (never the command
line, where it would show in ``ps`` and shell history): ``NEWSGRAPH_PUSH_USER``
and ``NEWSGRAPH_PUSH_PASSWORD``.

Examples
--------
>>> graph_store_url("http://127.0.0.1:7878/store", "urn:newsgraph:build")
'http://127.0.0.1:7878/store?graph=urn%3Anewsgraph%3Abuild'
>>> graph_store_url("http://127.0.0.1:7878/store", None)
'http://127.0.0.1:7878/store?default'
"""

from __future__ import annotations

import base64
import errno
import http.client
import os
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import pyoxigraph

from .errors import InvalidArgumentError, PushError

__all__ = [
    "PushError",
    "PushResult",
    "DEFAULT_GRAPH_IRI",
    "MAX_TIMEOUT",
    "USER_ENV",
    "PASSWORD_ENV",
    "chunk_triples",
    "graph_store_url",
    "push",
]

#: The named graph pushed into when no other is given (never the store's default graph,
#: which a replacing push would wipe).
DEFAULT_GRAPH_IRI = "urn:newsgraph:build"
USER_ENV = "NEWSGRAPH_PUSH_USER"
PASSWORD_ENV = "NEWSGRAPH_PUSH_PASSWORD"
_MAX_DELAY = 30.0
#: The longest wait for one answer (``timeout``), in seconds: a day. Larger ones, and
#: NaN or infinity, ended in a traceback from the socket ("timestamp out of range").
MAX_TIMEOUT = 86_400.0

#: ``progress(chunks_done, chunks_total, triples_done)`` after each chunk is stored.
PushProgress = Callable[[int, int, int], None]


@dataclass
class PushResult:
    """What :func:`push` sent."""

    endpoint: str
    graph: str | None
    triples: int
    chunks: int
    retries: int = 0
    restarts: int = 0


@dataclass
class _Chunk:
    body: bytes
    triples: int
    has_blank_nodes: bool


def graph_store_url(endpoint: str, graph: str | None) -> str:
    """The Graph Store URL of ``graph`` (``None``: the default graph) at ``endpoint``.

    Added to the endpoint's own query, if any (``store?`` gave ``store??graph=...``, a
    parameter the store read as ``?graph``: without a graph named, a ``PUT`` replaced the
    whole dataset).

    >>> graph_store_url("http://h/ds/data?", None), graph_store_url("http://h/x?key=1", "urn:g")
    ('http://h/ds/data?default', 'http://h/x?key=1&graph=urn%3Ag')
    """
    parts = urllib.parse.urlsplit(endpoint)
    query = "default" if graph is None else "graph=" + urllib.parse.quote(graph, safe="")
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


def _serialize(triples: list[pyoxigraph.Triple]) -> bytes:
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES) or b""


def chunk_triples(triples: Iterable[pyoxigraph.Triple], chunk_size: int) -> list[_Chunk]:
    """Split triples into N-Triples chunks of about ``chunk_size`` triples.

    Triples linked through blank nodes stay in one chunk (a blank node's label
    means something only within one document), even if it grows larger.

    >>> s, p = pyoxigraph.NamedNode("http://e/s"), pyoxigraph.NamedNode("http://e/p")
    >>> b = pyoxigraph.BlankNode("b")
    >>> ts = [pyoxigraph.Triple(s, p, pyoxigraph.Literal(str(i))) for i in range(3)]
    >>> ts += [pyoxigraph.Triple(s, p, b), pyoxigraph.Triple(b, p, pyoxigraph.Literal("x"))]
    >>> [(c.triples, c.has_blank_nodes) for c in chunk_triples(ts, 2)]
    [(2, False), (1, False), (2, True)]
    """
    chunk_size = max(1, chunk_size)
    chunks: list[_Chunk] = []
    plain: list[pyoxigraph.Triple] = []
    # Union-find over blank nodes: each linked group becomes one unit.
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    linked: list[tuple[pyoxigraph.Triple, str]] = []
    for triple in triples:
        blanks = [t.value for t in (triple.subject, triple.object) if isinstance(t, pyoxigraph.BlankNode)]
        if not blanks:
            plain.append(triple)
            if len(plain) == chunk_size:
                chunks.append(_Chunk(_serialize(plain), len(plain), False))
                plain = []
            continue
        first = root(blanks[0])
        for other in blanks[1:]:
            parent[root(other)] = first
        linked.append((triple, blanks[0]))
    if plain:
        chunks.append(_Chunk(_serialize(plain), len(plain), False))
    groups: dict[str, list[pyoxigraph.Triple]] = {}
    for triple, blank in linked:
        groups.setdefault(root(blank), []).append(triple)
    batch: list[pyoxigraph.Triple] = []
    for group in groups.values():
        if batch and len(batch) + len(group) > chunk_size:
            chunks.append(_Chunk(_serialize(batch), len(batch), True))
            batch = []
        batch.extend(group)
    if batch:
        chunks.append(_Chunk(_serialize(batch), len(batch), True))
    return chunks


def _read_chunks(source: str | os.PathLike, chunk_size: int) -> list[_Chunk]:
    from .serve import ServeError, find_rdf_source

    try:
        path = find_rdf_source(source)
    except ServeError as err:
        raise PushError(str(err)) from err
    from .query import rdf_format

    fmt = rdf_format(path)  # find_rdf_source checked it is one
    if fmt in (pyoxigraph.RdfFormat.TRIG, pyoxigraph.RdfFormat.N_QUADS):
        raise PushError(f"{path}: push sends one graph, and this file holds named graphs "
                        f"(graph.trig: one per source file); give graph.nt or graph.ttl")
    try:
        triples = (q.triple for q in pyoxigraph.parse(path=path, format=fmt, without_named_graphs=True))
        return chunk_triples(triples, chunk_size)
    except SyntaxError as err:
        where = f"{path}:{err.lineno}" if err.lineno else str(path)
        raise PushError(f"{where}: invalid {fmt.name}: {err.msg}") from err
    except OSError as err:
        raise PushError(f"cannot read {path}: {err.strerror or err}") from err


def _auth_header(endpoint: str, env: Mapping[str, str]) -> dict[str, str]:
    if urllib.parse.urlsplit(endpoint).password is not None or "@" in urllib.parse.urlsplit(endpoint).netloc:
        raise InvalidArgumentError(f"do not put credentials in the endpoint URL; set {USER_ENV} and "
                                   f"{PASSWORD_ENV} in the environment instead")
    user, password = env.get(USER_ENV), env.get(PASSWORD_ENV)
    if user is None and password is None:
        return {}
    if user is None or password is None:
        raise PushError(f"basic auth needs both {USER_ENV} and {PASSWORD_ENV} set "
                        f"(only {USER_ENV if user is not None else PASSWORD_ENV} is)")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


class _Retry(Exception):
    """A failure worth retrying; ``maybe_applied``: the store may have stored the chunk."""

    def __init__(self, reason: str, maybe_applied: bool) -> None:
        self.reason = reason
        self.maybe_applied = maybe_applied
        super().__init__(reason)


class _Refused(Exception):
    """A failure no retry can mend, met before the request reached the store."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib sent a POST redirected by a 301, 302 or 303 on as
    a GET without its body, whose 2xx then counted as the chunk stored (found by the CLI
    review: 5 of 6 chunks "pushed" to a store that never had them)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib's hook
        return None  # the 3xx answer is then an HTTPError, said below


_OPENER = urllib.request.build_opener(_NoRedirects)


def _send(url: str, method: str, chunk: _Chunk, headers: dict[str, str], timeout: float) -> None:
    request = urllib.request.Request(url, data=chunk.body, method=method,
                                     headers={"Content-Type": "application/n-triples", **headers})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as err:
        body = err.read().decode("utf-8", "replace").strip()[:300]
        if 300 <= err.code < 400:
            where = err.headers.get("Location") if err.headers else None
            raise PushError(f"{url}: the store answered {method} with a redirect (HTTP {err.code}"
                            + (f" to {where}" if where else "") + "), which a push does not follow: give the "
                            "address it redirects to as the endpoint") from err
        if err.code >= 500:
            raise _Retry(f"HTTP {err.code} {body}".strip(), maybe_applied=True) from err
        hint = {401: f" (set {USER_ENV} and {PASSWORD_ENV} for basic auth)",
                403: " (is the store read-only?)",
                404: " (is this a Graph Store endpoint? Oxigraph: /store, Fuseki: /DATASET/data, "
                     "GraphDB: /repositories/ID/rdf-graphs/service)",
                405: " (is this a Graph Store endpoint?)"}.get(err.code, "")
        said = f"HTTP {err.code} {body}" if body else f"HTTP {err.code}"  # no double space before a hint
        raise PushError(f"{url}: the store refused the upload: {said}{hint}") from err
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, TimeoutError):  # while sending: urllib wraps it
            raise _timed_out(timeout) from err
        if isinstance(reason, ssl.SSLCertVerificationError):
            # refused in the handshake, before any request: no retry can change a certificate
            # (it was retried, then said to have left "the graph incomplete")
            raise _Refused(f"the store's TLS certificate was not accepted ({reason.verify_message or reason}): "
                           "give its CA with the SSL_CERT_FILE environment variable") from err
        raise _Retry(f"{reason.strerror if isinstance(reason, OSError) and reason.strerror else reason}",
                     maybe_applied=not _never_connected(reason)) from err
    except TimeoutError as err:  # while waiting for the answer: raised as it is
        raise _timed_out(timeout) from err
    except (http.client.HTTPException, OSError) as err:
        raise _Retry(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__,
                     maybe_applied=not _never_connected(err)) from err


def _timed_out(timeout: float) -> _Retry:
    """A request that got no answer in time, said one way wherever the wait was cut short."""
    return _Retry(f"timed out (no answer within {timeout:g} s)", maybe_applied=True)


def _never_connected(reason: object) -> bool:
    """Whether a failure came before any connection, so nothing can have reached the
    store: refused, a host name that does not resolve, no route (a DNS failure was
    reported as "the graph is incomplete" of a graph nothing was sent to)."""
    return isinstance(reason, (ConnectionRefusedError, socket.gaierror)) or (
        isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH))


def push(source: str | os.PathLike, endpoint: str, graph: str | None = DEFAULT_GRAPH_IRI, *,
         chunk_size: int = 50_000, retries: int = 5, backoff: float = 0.5, timeout: float = 300,
         env: Mapping[str, str] | None = None, progress: PushProgress | None = None,
         retrying: Callable[[str, float], None] | None = None) -> PushResult:
    """Upload a build's RDF into a SPARQL 1.1 Graph Store, replacing ``graph``.

    Parameters
    ----------
    source : path
        An exports folder (holding ``graph.nt`` or ``graph.ttl``) or an RDF file.
    endpoint : str
        The store's Graph Store HTTP Protocol URL, e.g.
        ``http://127.0.0.1:7878/store`` (Oxigraph) or ``http://host:3030/ds/data`` (Fuseki).
    graph : str or None
        IRI of the named graph to replace; ``None`` replaces the store's default graph.
    chunk_size : int
        Triples per request.
    retries : int
        Retries per request on connection errors and 5xx answers.
    backoff : float
        Seconds before the first retry; doubled each time (at most 30 s).
    timeout : float
        Seconds to wait for each answer (at most :data:`MAX_TIMEOUT`).
    env : mapping, optional
        Where to read ``NEWSGRAPH_PUSH_USER``/``NEWSGRAPH_PUSH_PASSWORD`` (default ``os.environ``).
    progress : callable, optional
        ``progress(chunks_done, chunks_total, triples_done)`` after each stored chunk.
    retrying : callable, optional
        ``retrying(reason, delay_seconds)`` before each wait for a retry (the
        CLI prints it: five retries of an unreachable store take 16 s).

    Returns
    -------
    PushResult

    Raises
    ------
    InvalidArgumentError
        For an endpoint that is not an http(s) URL or holds credentials, a
        graph that is not an absolute IRI, or a timeout not in (0, :data:`MAX_TIMEOUT`]
        (nothing is read or sent).
    PushError
        For unreadable input, a refused upload, or a store still unreachable
        after the retries (the graph is then incomplete: push again).
    KeyboardInterrupt
        Ctrl-C while pushing, raised as it is, with a note saying what the store
        holds (``err.__notes__``): nothing of this push, or an incomplete graph.
    """
    try:
        parts = urllib.parse.urlsplit(endpoint)
        parts.port  # noqa: B018 - a bad port or an unclosed "[" raises here, not half way through
    except ValueError as err:
        raise InvalidArgumentError(f"{endpoint!r} is not an http(s) URL ({err})") from err
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArgumentError(f"{endpoint!r} is not an http(s) URL")
    if not parts.hostname or any(c.isspace() or not c.isprintable() for c in endpoint):
        # "http://:80/", "http://exa mple/", a line break pasted in: they failed only at the upload
        raise InvalidArgumentError(f"{endpoint!r} is not an http(s) URL (no host name, or white space or "
                                   "control characters in it)")
    if "#" in endpoint:
        # never sent: urllib dropped it, and "?graph=..." after it, so each request named no
        # graph, and the store took the first PUT as "replace the whole dataset"
        raise InvalidArgumentError(f"{endpoint!r}: an endpoint cannot end in a #fragment (it is never sent to "
                                   "the store, nor would the graph's name added after it be)")
    named = {key for key, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)} & {"graph", "default"}
    if named:  # two graphs named in one request: which the store replaces is its guess
        raise InvalidArgumentError(f"{endpoint!r} names a graph in its query ({', '.join(sorted(named))}); "
                                   "give the endpoint without it and the graph with --graph (or --default-graph)")
    if not 0 < timeout <= MAX_TIMEOUT:  # NaN too
        raise InvalidArgumentError(f"timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {timeout!r}")
    headers = _auth_header(endpoint, os.environ if env is None else env)
    if graph is not None:
        try:
            pyoxigraph.NamedNode(graph)
        except ValueError as err:
            raise InvalidArgumentError(f"{graph!r} is not an absolute IRI for --graph: {err}") from err
    url = graph_store_url(endpoint, graph)
    chunks = _read_chunks(source, chunk_size)
    if not chunks:  # an empty build still replaces the graph
        chunks = [_Chunk(b"", 0, False)]
    result = PushResult(endpoint, graph, sum(c.triples for c in chunks), len(chunks))
    index = done = 0
    reached = sending = False  # whether the store may hold anything this push sent; whether a chunk is on its way
    try:
        while index < len(chunks):
            chunk = chunks[index]
            method = "PUT" if index == 0 else "POST"
            restart = False
            for attempt in range(retries + 1):
                try:
                    sending = True  # an answer not read yet: the store may have stored the chunk
                    _send(url, method, chunk, headers, timeout)
                    reached = True
                    break
                except _Refused as failure:
                    raise PushError(f"{endpoint}: {failure} {_stopped_at(index, len(chunks), done, result.triples)}; "
                                    f"{_store_holds(reached)}") from failure
                except PushError as refused:
                    if not reached:  # the first chunk refused: nothing of this push is there
                        raise
                    # a later one: the graph was replaced by the chunks before it (a 413 on
                    # the second said only "HTTP 413", the graph left half pushed)
                    raise PushError(f"{refused} {_stopped_at(index, len(chunks), done, result.triples)}; "
                                    f"{_store_holds(reached)}") from refused
                except _Retry as failure:
                    sending = False
                    reached = reached or failure.maybe_applied
                    if failure.maybe_applied and chunk.has_blank_nodes and method == "POST" \
                            and result.restarts < retries:
                        # Blank nodes sent twice would be new nodes: replace the graph again.
                        result.restarts += 1
                        restart = True
                        time.sleep(min(_MAX_DELAY, backoff * 2 ** (result.restarts - 1)))
                        break
                    if attempt == retries:
                        raise PushError(f"{endpoint}: upload failed after {retries + 1} attempt(s) "
                                        f"{_stopped_at(index, len(chunks), done, result.triples)}: "
                                        f"{failure.reason}; {_store_holds(reached)}") from failure
                    result.retries += 1
                    delay = min(_MAX_DELAY, backoff * 2 ** attempt)
                    if retrying:
                        retrying(failure.reason, delay)
                    time.sleep(delay)
            if restart:
                index = done = 0
                continue
            index += 1
            done += chunk.triples
            if progress:
                progress(index, len(chunks), done)
    except KeyboardInterrupt as stop:  # Ctrl-C (or SIGTERM, on the command line): what the store holds now
        if index == len(chunks):  # in the last progress report: every chunk was stored
            stop.add_note(f"the push was stopped once every chunk was stored ({done:,} of {result.triples:,} "
                          "triples): the graph is whole")
        else:
            stop.add_note(f"the push was stopped {_stopped_at(index, len(chunks), done, result.triples)}: "
                          f"{_store_holds(reached, sending)}")
        raise
    return result


def _stopped_at(index: int, count: int, done: int, triples: int) -> str:
    return f"at chunk {index + 1} of {count} ({done:,} of {triples:,} triples stored)"


def _store_holds(reached: bool, sending: bool = False) -> str:
    """What the store holds of a push that stopped: ``reached``, it took some of it;
    ``sending``, a chunk was on its way, its answer not read."""
    if reached:
        return "the graph is incomplete, run the push again to replace it"
    if sending:
        return "the store may hold part of it, run the push again to replace it"
    return "nothing was stored, the graph is as it was"
