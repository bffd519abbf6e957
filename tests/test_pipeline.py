"""graph.pipeline: the whole job the ``build`` and ``html`` commands run, as library calls."""

from __future__ import annotations

from pathlib import Path

import pytest

import graph
from graph.errors import MissingInputError
from graph.export import write_exports
from graph.export.html import write_html
from graph.pipeline import build_exports, build_page

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


@pytest.mark.parametrize("cache", [False, True])
def test_build_exports_writes_what_build_and_write_exports_write(tmp_path, cache):
    run = build_exports([SEEDS], tmp_path / "run", cache=cache, jobs=1)
    write_exports(graph.build([SEEDS]), tmp_path / "steps")
    assert _tree(tmp_path / "run") == _tree(tmp_path / "steps")
    assert {k: p.name for k, p in run.written.items()} == {
        k: p.name for k, p in write_exports(graph.build([SEEDS]), tmp_path / "again").items()}
    assert run.report.articles == graph.build([SEEDS]).report.articles and run.stale == []
    assert (run.cache is not None) == cache and not run.kept


def test_a_second_run_keeps_the_exports_and_names_stale_ones(tmp_path):
    build_exports([SEEDS], tmp_path, jobs=1)
    assert build_exports([SEEDS], tmp_path, jobs=1).kept  # nothing changed: the files are left as they were
    fewer = build_exports([SEEDS], tmp_path, ["nt", "report"], jobs=1)
    assert sorted(p.name for p in fewer.stale) == ["graph.html", "graph.json", "graph.jsonld", "graph.trig",
                                                   "graph.ttl"]


def test_a_missing_input_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(MissingInputError, match="no such file or folder: .*nope \\(nothing was written\\)"):
        build_exports([SEEDS, tmp_path / "nope"], tmp_path / "out")
    with pytest.raises(MissingInputError):
        build_page([tmp_path / "nope"], tmp_path / "page.html")
    assert sorted(tmp_path.iterdir()) == []


def test_build_page_draws_what_write_html_draws(tmp_path):
    kg = build_page([SEEDS], tmp_path / "a.html", view="overview")
    write_html(graph.build([SEEDS]), tmp_path / "b.html", view="overview")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert kg.report.articles == graph.build([SEEDS]).report.articles


def test_one_path_is_taken_as_graph_build_takes_it_and_a_missing_catalogue_is_refused(tmp_path):
    """``build_exports("seeds")`` read the letters s, e, e, d, s; ``catalogs="x"`` x's letters."""
    run = build_exports(str(SEEDS), tmp_path / "a", ["report"], cache=False)
    assert run.report.articles == graph.build(SEEDS).report.articles
    assert build_page(SEEDS, tmp_path / "p.html").report.articles == run.report.articles
    with pytest.raises(MissingInputError, match="no-such-catalogue"):
        build_exports(SEEDS, tmp_path / "b", catalogs=str(tmp_path / "no-such-catalogue"))
    assert not (tmp_path / "b").exists()
