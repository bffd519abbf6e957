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
