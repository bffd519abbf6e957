"""Shared fixtures. The real corpus's location is defined here and only here.

Tests that need the corpus use the ``corpus_dir`` fixture (or one built on it):
when the corpus is missing they FAIL, never skip, so CI cannot pass without it.
Override the location with the environment variable ``NEWSGRAPH_CORPUS``.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The one place the real corpus's path is defined.
CORPUS_DIR = Path(os.environ.get("NEWSGRAPH_CORPUS", ROOT.parent / "shared" / "corpus"))
SEEDS_DIR = ROOT / "seeds"
BAD_INPUTS = Path(__file__).resolve().parent / "data" / "bad"


@contextlib.contextmanager
def literals_as_written():
    """rdflib parsing with each literal's text kept as the file writes it:
    rdflib rewrites some by default (a UTC date-time's ``Z`` as ``+00:00``),
    which would hide the exports' own text from the tests comparing it."""
    import rdflib

    saved, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def as_a_terminal_job() -> None:
    """``preexec_fn`` for a command the tests interrupt as a terminal's Ctrl-C
    would: SIGINT at its default, even when the tests run as a background job
    (``pytest &`` in a script), whose children inherit it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until_settled(*paths: os.PathLike) -> None:
    """Sleep until every file of ``paths`` changed long enough ago for the caches to
    vouch for it by its signature (:func:`graph.cache.fingerprints._is_settled`): a test
    of what a cache keeps must not meet a file it just wrote, which is hashed again."""
    import time

    from graph.cache import fingerprints

    for path in paths:
        wait = fingerprints._settles_at(os.stat(path).st_ctime_ns) - time.time_ns()
        if wait > 0:
            time.sleep(wait / 1e9 + 0.001)


def whole_second_signature(st: os.stat_result) -> tuple[int, ...]:
    """An input file's signature (:func:`graph.cache.fingerprints._input_signature`) as a
    filesystem keeping whole seconds gives it (ext3 with 128-byte inodes, HFS+)."""
    return (st.st_size, st.st_mtime_ns // 10**9 * 10**9, st.st_ino, st.st_ctime_ns // 10**9 * 10**9)


def two_edits_in_one_second(path: Path, first: str, second: str, between) -> None:
    """Write ``first`` then ``second`` (of the same size) into ``path`` in place, calling
    ``between()`` after the first, all within one second of the clock (tried again at the
    next second when ``between`` took too long)."""
    import time

    assert len(first.encode("utf-8")) == len(second.encode("utf-8"))
    for _ in range(5):
        time.sleep(1 - time.time() % 1 + 0.01)  # from the start of a second
        path.write_text(first, encoding="utf-8")
        before = whole_second_signature(path.stat())
        between()
        path.write_text(second, encoding="utf-8")
        if whole_second_signature(path.stat()) == before:
            return
    pytest.fail("five tries could not make two edits within one second")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not (CORPUS_DIR / "azure" / "news").is_dir():
        pytest.fail(f"the real corpus is missing at {CORPUS_DIR} (set NEWSGRAPH_CORPUS); "
                    "corpus tests fail rather than skip", pytrace=False)
    return CORPUS_DIR


@pytest.fixture(scope="session")
def corpus_kg(corpus_dir):
    """The whole real corpus, built once per test session."""
    import graph

    return graph.build([corpus_dir])


@pytest.fixture(scope="session")
def seeds_kg():
    import graph

    return graph.build([SEEDS_DIR])


@pytest.fixture(scope="session")
def corpus_rdf(corpus_kg, tmp_path_factory) -> Path:
    """A folder with the real corpus's RDF exports (graph.ttl, .nt, .jsonld, .trig), written once."""
    from graph.export import write_exports

    folder = tmp_path_factory.mktemp("corpus-rdf")
    write_exports(corpus_kg, folder, ["ttl", "nt", "jsonld", "trig"])
    return folder


@pytest.fixture(scope="session")
def corpus_rdflib(corpus_rdf):
    """The real corpus's N-Triples export parsed by rdflib's own parser, its
    literals as written (slow: once per session)."""
    import rdflib

    with literals_as_written():
        return rdflib.Graph().parse(corpus_rdf / "graph.nt", format="nt")
