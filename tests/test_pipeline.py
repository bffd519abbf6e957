"""graph.pipeline: the whole job the ``build`` and ``html`` commands run, as library calls."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import graph
from graph.errors import InvalidArgumentError, MissingInputError
from graph.export import write_exports
from graph.export.files import LOCK_NAME, exports_lock
from graph.export.html import write_html
from graph.pipeline import build_exports, build_page

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _tree(folder: Path) -> dict[str, bytes]:
    """The exports: not the cache, nor the empty file builds lock the folder by."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != LOCK_NAME}


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


def test_build_page_writes_the_page_within_the_build_pause(tmp_path, monkeypatch):
    """One pause of the collector from reading to the page (graph.gc_pause), as
    build_exports holds: woken between the two, it walked the graph as the page was made."""
    import gc

    import graph.export.html as html_mod

    enabled_while_writing = []

    def writing(*args, **kwargs):
        enabled_while_writing.append(gc.isenabled())
        return write_html(*args, **kwargs)

    monkeypatch.setattr(html_mod, "write_html", writing)
    assert gc.isenabled()
    build_page([SEEDS], tmp_path / "page.html")
    assert enabled_while_writing == [False]
    assert gc.isenabled()  # and the pause ended: a library caller's collector is on again
    assert (tmp_path / "page.html").is_file()


def test_one_path_is_taken_as_graph_build_takes_it_and_a_missing_catalogue_is_refused(tmp_path):
    """``build_exports("seeds")`` read the letters s, e, e, d, s; ``catalogs="x"`` x's letters."""
    run = build_exports(str(SEEDS), tmp_path / "a", ["report"], cache=False)
    assert run.report.articles == graph.build(SEEDS).report.articles
    assert build_page(SEEDS, tmp_path / "p.html").report.articles == run.report.articles
    with pytest.raises(MissingInputError, match="no-such-catalogue"):
        build_exports(SEEDS, tmp_path / "b", catalogs=str(tmp_path / "no-such-catalogue"))
    assert not (tmp_path / "b").exists()


def test_a_second_build_into_a_folder_waits_for_the_first(tmp_path):
    """Two builds at once into one folder mixed their files (one's RDF beside the
    other's page), and the cache recorded the mix as current. Here this process
    holds the folder as a build does; a build started meanwhile writes nothing and
    says why until it is let go, then writes what a build alone writes."""
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    command = [sys.executable, "-m", "graph", "build", str(SEEDS), "-o", str(out), "-f", "nt,report", "-j", "1"]
    with exports_lock(out):
        second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        first_line = second.stderr.readline()  # said once it meets the lock, whatever the machine's speed
        assert first_line == f"another build is writing {out}: waiting for it to end\n"
        time.sleep(0.5)
        assert second.poll() is None and sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    _, said = second.communicate(timeout=120)
    assert second.returncode == 0, first_line + said
    write_exports(graph.build([SEEDS]), tmp_path / "alone", ["nt", "report"])
    assert _tree(out) == _tree(tmp_path / "alone")


def test_a_waiter_on_a_removed_lock_takes_the_new_one(tmp_path):
    """A build that made its folder and wrote nothing removes the folder and its
    lock on leaving. A second build waiting on that lock file then held a file no
    longer in the folder, while a third made a new one and held it too: two
    writers at once. The waiter re-opens the folder's lock until it holds the one
    there; and the leaving build never removes a lock file another holds."""
    import threading

    out = tmp_path / "out"
    order = []
    first = exports_lock(out)
    first.__enter__()
    assert (out / LOCK_NAME).is_file()

    def second() -> None:
        with exports_lock(out, order.append):
            order.append(sorted(os.listdir(out)))  # the folder is there, its lock in it

    waiter = threading.Thread(target=second)
    waiter.start()
    while not order:  # the waiter is blocked on the first's lock file
        waiter.join(0.01)
    first.__exit__(None, None, None)  # made the folder, wrote nothing: removes both
    waiter.join(30)
    assert not waiter.is_alive()
    assert order == [f"another build is writing {out}: waiting for it to end", [LOCK_NAME]]
    # the second did not make the folder, so it leaves it and its lock as they are
    assert sorted(os.listdir(out)) == [LOCK_NAME]


def test_a_page_into_a_folder_a_build_writes_waits_for_it(tmp_path):
    """``newsgraph html -o exports/graph.html`` during a build into exports/ replaced
    the page the build then replaced again, or the other way round; it waits. Into a
    folder no build has written, the page takes no lock and leaves no lock file."""
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    build_exports([SEEDS], out, ["report"], cache=False, jobs=1)
    page = out / "graph.html"
    command = [sys.executable, "-m", "graph", "html", str(SEEDS), "-o", str(page), "-j", "1"]
    with exports_lock(out):
        second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        first_line = second.stderr.readline()  # said once it has read the files and meets the lock
        assert first_line.startswith(f"another build is writing {out}: waiting"), first_line
        time.sleep(0.5)
        assert second.poll() is None and not page.exists()
    _, said = second.communicate(timeout=120)
    assert second.returncode == 0, first_line + said
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    build_page([SEEDS], elsewhere / "graph.html")
    assert page.read_bytes() == (elsewhere / "graph.html").read_bytes()
    assert sorted(os.listdir(elsewhere)) == ["graph.html"]


def test_what_no_writer_can_replace_is_refused_before_anything_is_written(tmp_path):
    """A folder at graph.trig was found after report.json, graph.html and graph.json
    had been replaced: the folder's files then described two builds."""
    from graph.errors import ExportError

    out = tmp_path / "out"
    build_exports([SEEDS], out, cache=False, jobs=1)
    before = _tree(out)
    (out / "graph.trig").unlink()
    (out / "graph.trig").mkdir()
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.md").write_text("---\ntitle: A\nwebUrl: https://example.org/a\n---\n")
    with pytest.raises(ExportError, match=f"^cannot write {out / 'graph.trig'}: a folder is in its place"):
        build_exports([one], out, cache=False, jobs=1)
    assert _tree(out) == {k: v for k, v in before.items() if k != "graph.trig"}  # every other file the old one
    (out / "neo4j").write_text("mine")  # a file where a folder is written: the user's, not replaced
    with pytest.raises(ExportError, match="a file is in the place of the folder it writes"):
        build_exports([one], out, ["neo4j"], cache=False)
    assert (out / "neo4j").read_text() == "mine"


def test_an_empty_output_or_a_folder_that_is_no_catalogue_is_refused(tmp_path):

    with pytest.raises(InvalidArgumentError, match="output path is empty"):
        build_exports([SEEDS], "")
    with pytest.raises(InvalidArgumentError, match="output path is empty"):
        build_page([SEEDS], "")
    with pytest.raises(InvalidArgumentError, match=f"not a catalogue folder .*: {SEEDS} \\(nothing was written\\)"):
        build_exports([SEEDS], tmp_path / "out", catalogs=[SEEDS])  # the parent of data/, not data/
    assert not (tmp_path / "out").exists()
    assert build_exports([SEEDS], tmp_path / "out", ["report"], catalogs=[SEEDS / "azure" / "data"]).report.catalog_files


def test_reading_workers_are_at_most_four_per_core_and_one_per_chunk(monkeypatch):
    """-j 300 forked 300 workers for 47 chunks (2.7 s where -j 2 took 0.75 s)."""
    import concurrent.futures
    import os

    import graph.builder

    asked = []
    real = concurrent.futures.ProcessPoolExecutor

    def recording(max_workers=None, **kwargs):
        asked.append(max_workers)
        return real(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording)
    files = len(graph.reader.scan([SEEDS]).files)
    kg = graph.build([SEEDS], jobs=300)
    cores = len(os.sched_getaffinity(0))  # the cores this process may use
    assert asked == [min(300, 4 * cores, -(-files // 16))]  # 16 files a chunk, at the least
    assert kg.report.articles == graph.build([SEEDS], jobs=1).report.articles
    monkeypatch.setattr(graph.builder, "usable_cores", lambda: 100)
    graph.build([SEEDS], jobs=300)
    assert asked[1] == -(-files // 16)  # the chunks, fewer than 400


def test_a_page_is_not_written_over_one_of_its_input_files(tmp_path, monkeypatch):
    """``newsgraph html news -o news/a.md`` replaced the article with the page, and the
    next build skipped it as a file without front matter (--strict passed): refused,
    exit status 2, every input as it was; a new file or one outside the inputs is written."""
    import subprocess
    import sys

    news = tmp_path / "news"
    news.mkdir()
    for name in ("a", "b"):
        (news / f"{name}.md").write_text(f"---\ntitle: {name}\nwebUrl: https://example.org/{name}\n---\n")
    before = {p.name: p.read_bytes() for p in news.iterdir()}
    monkeypatch.chdir(tmp_path)  # the last pair's paths are relative
    for output, given in ((news / "a.md", [news]), (news / "b.md", [news / "b.md"]), ("news/a.md", ["news"])):
        with pytest.raises(InvalidArgumentError, match="is one of the input files"):
            build_page(given, output)
    done = subprocess.run([sys.executable, "-m", "graph", "html", "news", "-o", "news/b.md", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "is one of the input files" in done.stderr and "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in news.iterdir()} == before
    build_page([news], tmp_path / "page.md")  # outside the inputs: the user's choice
    assert (tmp_path / "page.md").read_text().startswith("<!DOCTYPE html>")
