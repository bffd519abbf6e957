"""The benchmark harness's own arithmetic (tests/benchmarks/run.py is not collected by pytest)."""

from __future__ import annotations

import doctest
import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "benchmarks" / "run.py"
SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="module")
def harness():
    sys.path.insert(0, str(HARNESS.parent))  # run.py imports its neighbour synth.py
    try:
        spec = importlib.util.spec_from_file_location("benchmark_run", HARNESS)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(HARNESS.parent))


def test_harness_doctests_pass(harness):
    result = doctest.testmod(harness)
    assert result.attempted >= 3 and result.failed == 0


def test_parallel_capacity_is_work_done_side_by_side_against_alone(harness):
    measured = harness.parallel_capacity(SEEDS, rounds=3)
    runs = measured["runs"]
    assert len(runs["alone"]) == len(runs["together"]) == 3
    # medians of the runs it reports, and the speedup recomputed from them by hand
    alone, together = sorted(runs["alone"])[1], sorted(runs["together"])[1]
    assert measured["floor_alone_s"] == pytest.approx(alone, abs=1e-3)
    assert measured["two_floors_s"] == pytest.approx(together, abs=1e-3)
    assert measured["speedup"] == pytest.approx(2 * alone / together, abs=0.02)
    # two runs side by side take at least as long as the slower of them would alone, give or take noise
    assert 0 < measured["speedup"] < 2.6


def test_table_reports_the_machine_speedup(harness):
    results = {"corpora": {}, "targets": [],
               "machine": {"two_processes": {"speedup": 1.31, "floor_alone_s": 2.2, "two_floors_s": 3.36}}}
    text = harness.table(results)
    assert "two processes side by side do 1.31x the work of one" in text
    assert "2.2 s alone, 3.36 s for two at once" in text
    assert "two processes" not in harness.table({"corpora": {}, "targets": [], "machine": {}})


def test_measure_puts_the_inputs_in_the_page_cache_before_it_starts_the_contender(harness, tmp_path,
                                                                                   monkeypatch):
    marker = tmp_path / "started"
    warmed = []

    def warm(folder):
        warmed.append((folder, marker.exists()))
        return {"files": 1, "bytes": 1, "seconds": 0.25}

    monkeypatch.setattr(harness, "warm", warm)
    measured = harness.measure([sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"],
                               inputs=[tmp_path, SEEDS])
    assert measured["exit"] == 0 and marker.exists()
    assert warmed == [(tmp_path, False), (SEEDS, False)]  # both, before the contender ran
    assert measured["warm_s"] == 0.5
    assert "warm_s" not in harness.measure([sys.executable, "-c", "pass"])


def test_warm_reads_every_byte_of_every_file(harness):
    expected = [p.stat().st_size for p in SEEDS.rglob("*") if p.is_file()]
    read = harness.warm(SEEDS)
    assert (read["files"], read["bytes"]) == (len(expected), sum(expected))


def test_combine_keeps_the_longest_warm_up(harness):
    runs = [{"wall_s": w, "cpu_s": 1.0, "peak_rss_mb": 1.0, "peak_rss_wait4_mb": 1.0, "peak_tree_rss_mb": 1.0,
             "peak_tree_pss_mb": 1.0, "exit": 0, "warm_s": warm} for w, warm in ((3.0, 0.5), (1.0, 4.0), (2.0, 0.1))]
    combined = harness.combine(runs)
    assert combined["wall_s"] == 2.0 and combined["warm_s"] == 4.0


def test_table_shows_how_the_build_grows_beside_its_floor(harness):
    results = {"targets": [], "machine": {}, "corpora": {
        "synth-10000": {"build": {"wall_s": 13.9, "cpu_s": 23.0, "peak_rss_mb": 1, "peak_tree_rss_mb": 1},
                        "floor": {"wall_s": 6.2, "cpu_s": 6.1, "peak_rss_mb": 1, "peak_tree_rss_mb": 1}},
        "synth-100000": {"build": {"wall_s": 163.4, "cpu_s": 246.2, "peak_rss_mb": 1, "peak_tree_rss_mb": 1},
                         "floor": {"wall_s": 92.5, "cpu_s": 70.3, "peak_rss_mb": 1, "peak_tree_rss_mb": 1}}}}
    # by hand: 163.4 / 13.9, 246.2 / 23.0, 92.5 / 6.2, 23.0 / 13.9, 246.2 / 163.4
    assert harness.scaling(results) == {"wall": 11.76, "cpu": 10.7, "floor_wall": 14.92, "cores_10k": 1.65,
                                        "cores_100k": 1.51}
    assert ("100k / 10k: wall 11.76x, CPU 10.7x, floor wall 14.92x; cores the build kept busy: 1.65 (10k), "
            "1.51 (100k)") in harness.table(results)


def test_incremental_rebuilds_time_title_edits_of_the_same_length_and_of_another(harness, tmp_path,
                                                                                 monkeypatch):
    """``edited`` times edits that keep the title's length, after two untimed
    rebuilds (the first edit changes the length, the second keeps it, so the
    spare each timed edit writes over is up to date); ``retitled`` edits that
    change it every time; every kind of rebuild runs five times. What each
    rebuild finds is read from the corpus copy as it starts."""
    copy = tmp_path / "real-copy"
    seen: list[tuple[str, str | None]] = []

    def title_now() -> str | None:
        titles = [line for p in sorted((copy / "azure" / "news").glob("*.md"))
                  for line in p.read_text(encoding="utf-8").splitlines()
                  if line.startswith(('title: "[edited', 'title: "[retitled'))]
        assert len(titles) <= 1, titles
        return titles[0] if titles else None

    def measure(cmd, *, cwd=None, label="", inputs=()):
        seen.append((label.split(" (run")[0], title_now()))
        if label.endswith("(same length) (run 1 of 5)"):  # the last build had the second untimed edit
            nt = (tmp_path / "out-incremental" / "graph.nt").read_bytes()
            assert b"[edited 9] " in nt and b"[edited 0] " not in nt
        return {"wall_s": 1.0, "cpu_s": 1.0, "peak_rss_mb": 1, "peak_rss_wait4_mb": 1, "peak_tree_rss_mb": 1,
                "peak_tree_pss_mb": 1, "exit": 0}

    untimed: list[str | None] = []
    real_run = harness.subprocess.run

    def run(cmd, *args, **kwargs):  # the untimed rebuilds: really run
        untimed.append(title_now())
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(harness, "measure", measure)
    monkeypatch.setattr(harness.subprocess, "run", run)
    res = harness.run_incremental(SEEDS, tmp_path, runs=3)
    assert sorted(res) == ["edited", "file", "full", "new_topic", "retitled", "touched", "unchanged"]
    by_kind: dict[str, list[str | None]] = {}
    for label, title in seen:
        by_kind.setdefault(label, []).append(title)
    edited = by_kind["rebuild after editing one file's title (same length)"]
    retitled = by_kind["rebuild after editing one file's title (another length)"]
    assert [len(v) for v in by_kind.values()] == [3, 5, 5, 5, 5, 5]  # full builds, then the rebuilds
    # The untimed edits: the first changes the length (there was no prefix), the second keeps it.
    assert [t.split("] ")[0] for t in untimed] == ['title: "[edited 0', 'title: "[edited 9']
    # the title each timed rebuild finds, against the one the rebuild before it left
    lengths = [len(t.split("] ")[0]) for t in [untimed[-1], *edited]]
    assert len(set(lengths)) == 1 and len(set([untimed[-1], *edited])) == 6
    lengths = [len(t.split("] ")[0]) for t in [edited[-1], *retitled]]
    assert all(a != b for a, b in zip(lengths, lengths[1:]))
    assert by_kind["full build (cold cache)"] == [None] * 3


def test_corpora_over_20000_files_run_large_runs_times(harness, monkeypatch, tmp_path):
    """One 100k build was the whole measure of t(100k)/t(10k) (82 s and 66 s for two in a
    row): large corpora run --large-runs times, small ones --runs times."""
    seen = {}
    monkeypatch.setattr(harness, "machine", lambda: {})
    monkeypatch.setattr(harness.subprocess, "run", lambda *a, **k: None)  # the bytecode compile
    monkeypatch.setattr(harness, "synthetic", lambda n, work: tmp_path / f"synth-{n}")
    monkeypatch.setattr(harness, "_copy", lambda src, dst: dst)
    def run_corpora(corpora, work):
        seen["runs"] = {name: count for name, _, _, count in corpora}
        return {name: {} for name in seen["runs"]}

    monkeypatch.setattr(harness, "run_corpora", run_corpora)
    monkeypatch.setattr(harness, "parallel_capacity", lambda corpus, rounds: {})
    monkeypatch.setattr(harness, "run_incremental", lambda corpus, work, runs: {})
    monkeypatch.setattr(harness, "targets", lambda results: [])
    monkeypatch.setattr(harness, "scaling", lambda results: None)
    monkeypatch.setattr(harness, "table", lambda results: "")
    args = ["--no-naive", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out.json")]
    harness.main([*args, "--sizes", "10000,100000", "--runs", "4", "--large-runs", "2"])
    assert seen.pop("runs") == {"real": 4, "synth-10000": 4, "synth-100000": 2}
    harness.main([*args, "--sizes", "20000,20001"])
    assert seen.pop("runs") == {"real": 3, "synth-20000": 3, "synth-20001": 3}  # both default to 3


def test_the_readme_shows_the_latest_results(harness):
    """The README's "Latest results" table is the one in results/latest.json, row by row
    (the JSON as the harness wrote it; the table as a person copied it)."""
    import json
    import re

    latest = json.loads((HARNESS.parent / "results" / "latest.json").read_text(encoding="utf-8"))
    readme = (HARNESS.parent.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Latest results", 1)[1].split("\n### ", 1)[0]
    assert f"`{latest['machine']['git_commit']}`" in section
    stamp = latest["date"]  # 2026-12-01T04:15:54Z -> "2026-12-01 04:15 UTC"
    assert f"{stamp[:10]} {stamp[11:16]} UTC" in section
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and re.fullmatch(r"[\d.]+", cells[2]):
            rows[(cells[0], cells[1])] = cells[2:]
    names = {"real": "real", "synth 10k": "synth-10000", "synth 100k": "synth-100000"}
    checked = 0
    for (corpus, contender), cells in rows.items():
        if corpus == "incremental":
            continue
        measured = latest["corpora"][names[corpus]][contender]
        assert float(cells[0]) == pytest.approx(measured["wall_s"], abs=0.006), (corpus, contender)
        assert float(cells[1]) == pytest.approx(measured["cpu_s"], abs=0.006), (corpus, contender)
        for cell, key in zip(cells[2:5], ("peak_rss_mb", "peak_tree_rss_mb", "peak_tree_pss_mb")):
            assert float(cell.replace(",", "")) == pytest.approx(measured[key], abs=0.51), (corpus, contender, key)
        checked += 1
    # every corpus and contender the harness measured is in the table
    expected = sum(1 for c in latest["corpora"].values() for k in ("naive", "build", "floor") if c.get(k))
    assert checked == expected


def test_each_naive_run_follows_a_build_of_its_corpus(harness, tmp_path, monkeypatch):
    """One naive run made naive / build a measure of the minute it fell in: the
    naive baseline runs in the first rounds (at most one per round, so never more
    often than the builds), each time right after its corpus's build, and counts
    with its median."""
    names = {}
    for name in ("real", "synth-10000", "synth-100000"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "a.md").write_text("---\ntitle: a\n---\n", encoding="utf-8")
        names[str(folder)] = name
    seen = []
    naive_walls = iter([7.0, 3.0, 5.0, 11.0])

    def measure(cmd, *, cwd=None, label="", inputs=()):
        corpus = next(names[str(c)] for c in cmd if str(c) in names)
        seen.append((corpus, label))
        if label == "newsgraph build":
            Path(cmd[cmd.index("-o") + 1]).mkdir(exist_ok=True)
        wall = next(naive_walls) if label == "naive" else 1.0
        return {"wall_s": wall, "cpu_s": wall, "peak_rss_mb": 1, "peak_rss_wait4_mb": 1, "peak_tree_rss_mb": 1,
                "peak_tree_pss_mb": 1, "exit": 0}

    monkeypatch.setattr(harness, "measure", measure)
    corpora = [("real", tmp_path / "real", 5, 3), ("synth-10000", tmp_path / "synth-10000", 1, 3),
               ("synth-100000", tmp_path / "synth-100000", 0, 2)]
    (tmp_path / "work").mkdir()
    out = harness.run_corpora(corpora, tmp_path / "work")
    f, b, n = "floor", "newsgraph build", "naive"
    expected = [("real", f), ("real", b), ("real", n), ("synth-10000", f), ("synth-10000", b), ("synth-10000", n),
                ("synth-100000", f), ("synth-100000", b),
                ("real", f), ("real", b), ("real", n), ("synth-10000", f), ("synth-10000", b),
                ("synth-100000", f), ("synth-100000", b),
                ("real", f), ("real", b), ("real", n), ("synth-10000", f), ("synth-10000", b)]
    assert seen == expected
    # the naive runs took 7, 3, 5 and 11 s in that order: the real corpus's three (7, 5
    # and 11 s) count with their median, 7 s; the second (3 s) was 10k's only one
    assert out["real"]["naive"]["wall_s"] == 7.0 and len(out["real"]["naive"]["runs"]) == 3
    assert out["synth-10000"]["naive"]["wall_s"] == 3.0
    assert out["synth-100000"]["naive"] is None
