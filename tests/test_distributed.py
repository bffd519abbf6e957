"""Distributed read stage: a real Dask ``LocalCluster`` of 2 worker processes on loopback.

The expectation is the single-process build of the same input: every export
must be byte-identical.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import LocalCluster

import graph
from graph.cli import cli
from graph.distributed import DistributedError, chunked, dask_reader
from graph.export import EXPORTERS, write_exports
from graph.reader import scan
from graph.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def _available_formats() -> list[str]:
    """Every registered format whose writer module exists in this checkout."""
    names = []
    for name, exporter in sorted(EXPORTERS.items()):
        try:
            importlib.import_module(exporter.target.split(":")[0])
        except ImportError:
            continue
        names.append(name)
    return names


def _files(folder: Path) -> dict[str, bytes]:
    """The exported files by relative path (hidden ones, such as the build cache, are not exports)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host=LOOPBACK,
                      dashboard_address=f"{LOOPBACK}:0", silence_logs=40) as local:
        yield local


@pytest.mark.corpus
def test_corpus_on_the_cluster_is_byte_identical(corpus_dir, corpus_kg, cluster, tmp_path):
    with dask_reader(scheduler=cluster.scheduler_address) as reader:
        kg = graph.build([corpus_dir], reader=reader)
    expected_tasks = len(chunked(scan([corpus_dir]).files, 2))
    assert cluster.scheduler.task_prefixes["read_chunk"].state_counts["memory"] >= expected_tasks, \
        "the files were read on the cluster"
    formats = ["report", "nt", "json"]
    write_exports(corpus_kg, tmp_path / "single", formats)
    write_exports(kg, tmp_path / "dask", formats)
    single, dask = _files(tmp_path / "single"), _files(tmp_path / "dask")
    assert sorted(single) == ["graph.json", "graph.nt", "report.json"]
    assert dask == single


def test_cli_scheduler_option_is_byte_identical(cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    chosen = _available_formats()
    assert {"report", "nt"} <= set(chosen)
    formats = ",".join(chosen)
    single = CliRunner().invoke(cli, ["build", "seeds", "-j", "1", "-q", "-f", formats, "-o", str(tmp_path / "a")])
    assert single.exit_code == 0, single.output
    dask = CliRunner().invoke(cli, ["build", "seeds", "--scheduler", cluster.scheduler_address, "-q",
                                    "-f", formats, "-o", str(tmp_path / "b")])
    assert dask.exit_code == 0, dask.output
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert {name.split("/")[0] for name in a} == {EXPORTERS[f].filename for f in chosen}
    assert a == b


def test_cli_workers_option_is_byte_identical(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    single = CliRunner().invoke(cli, ["build", "seeds", "-q", "-f", "report,nt", "-o", str(tmp_path / "a")])
    dask = CliRunner().invoke(cli, ["build", "seeds", "--workers", "2", "-q", "-f", "report,nt",
                                    "-o", str(tmp_path / "b")])
    assert (single.exit_code, dask.exit_code) == (0, 0), dask.output
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_unreachable_scheduler_gives_a_clear_error():
    address = f"tcp://{LOOPBACK}:{free_port()}"
    with pytest.raises(DistributedError, match=f"cannot reach the Dask scheduler at {address}"):
        with dask_reader(scheduler=address, timeout=2):
            pass


@pytest.mark.parametrize("address, said", [
    (f"tcp://{LOOPBACK}:{{port}}", f"nothing listens at {LOOPBACK}:{{port}} (connection refused)"),
    ("tcp://no-such-host.invalid:8786", "unknown host 'no-such-host.invalid'"),
])
def test_a_scheduler_nobody_can_reach_is_said_at_once_not_after_the_timeout(tmp_path, address, said):
    """A mistyped port (or host) took the client's whole 30 s timeout, retrying, to be
    reported: refused at once, with why. In its own process, with the default
    timeout, which the subprocess's own limit (20 s) is shorter than."""
    import subprocess

    from conftest import SEEDS_DIR

    port = free_port()  # nothing listens there
    address, said = address.format(port=port), said.format(port=port)
    run = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(tmp_path / "o"),
                          "--scheduler", address], capture_output=True, text=True, timeout=20)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"cannot reach the Dask scheduler at {address}: {said}" in run.stderr


_SILENT_SERVICE = r"""
import socket, sys
from graph.distributed import dask_reader
from graph.errors import DistributedError

listening = socket.create_server(("127.0.0.1", 0))  # takes connections, never speaks (as a web server)
address = f"tcp://127.0.0.1:{listening.getsockname()[1]}"
try:
    with dask_reader(scheduler=address, timeout=2):
        pass
except DistributedError as err:
    print(err)
    sys.exit(3)
"""


def test_a_service_that_is_no_scheduler_is_said_after_the_timeout_not_waited_for_ever():
    """Given a service that takes the connection and waits for its client to
    speak (a web server), Dask's client waited for ever, past its timeout. A
    scheduler speaks first (its handshake): none within the timeout is an
    error. In a process of its own, limited to 60 s."""
    import subprocess

    run = subprocess.run([sys.executable, "-c", _SILENT_SERVICE], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert run.returncode == 3, (run.returncode, run.stderr[-500:])
    assert run.stdout.startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:")
    assert run.stdout.strip().endswith("sent no Dask handshake in 2 s (another service?)"), run.stdout


def test_a_scheduler_address_without_a_port_is_refused_and_the_command_ends(tmp_path):
    import subprocess

    from conftest import SEEDS_DIR

    # In a process of its own: a Dask client made from such an address hung the interpreter's exit.
    run = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(tmp_path / "o"),
                          "--scheduler", "127.0.0.1"], capture_output=True, text=True, timeout=120)
    # a usage error (status 2), as push --endpoint's bad address is (it was 1: found by the CLI probe)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "not a Dask scheduler address: '127.0.0.1' (missing port number" in run.stderr
    assert not (tmp_path / "o").exists()


def test_workers_must_see_the_inputs(cluster):
    missing = "/nonexistent-newsgraph-input"
    with dask_reader(scheduler=cluster.scheduler_address) as reader:
        with pytest.raises(DistributedError,
                           match=f"cannot see {missing}; every worker must see the inputs at the same path"):
            list(reader([(f"{missing}/a.md", True)], True, None))


def test_missing_dask_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    result = CliRunner().invoke(cli, ["build", str(ROOT / "seeds"), "--workers", "2", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "Error: a distributed build needs Dask: pip install 'newsgraph[dask]'" in result.output
    assert "Traceback" not in result.output


def test_scheduler_and_workers_are_exclusive(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(ROOT / "seeds"), "--workers", "2",
                                      "--scheduler", "tcp://127.0.0.1:8786", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "give either --scheduler or --workers, not both" in result.output
