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
