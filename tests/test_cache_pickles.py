"""The caches' pickles are read without letting them run code (``graph.cache.pickles``).

Each test puts a pickle that would create a marker file when unpickled (a
call of ``open``, the kind of call ``os.system`` is) where a build reads a
cache: in place of each cache file, inside a parse cache's pack and inside a
graph snapshot's chunk (both checksummed, the checksums made right, so that
only the unpickling could stop it). The expectation: the build stops with an
error naming the file and what the pickle names, no traceback, and the
marker never exists. Each test first shows its payload live, by unpickling it
with :mod:`pickle` itself.
"""

from __future__ import annotations

import importlib
import os
import pickle
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import graph.model
from graph.cache import packs as packs_mod
from graph.cache import parsed as parsed_mod
from graph.cache import pickles
from graph.cache import snapshot as snapshot_mod
from graph.cli import cli
from graph.errors import CacheError
from graph.export import offsets as offsets_mod

from conftest import ROOT


class _Payload:
    """Unpickled by :mod:`pickle`, creates the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


_CALLED = f"{open.__module__}.{open.__qualname__}"  # what the payload's pickle names


def _payload(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker), protocol=pickle.HIGHEST_PROTOCOL)


def _assert_live(data: bytes, marker: Path) -> None:
    """``data`` creates ``marker`` when unpickled by pickle itself: the tests' payloads can do harm."""
    pickle.loads(data).close()
    assert marker.exists()
    marker.unlink()


@pytest.fixture()
def corpus(corpus_dir, tmp_path) -> Path:
    """Sixty real articles and the Azure catalogue (so that every cache file is written)."""
    root = tmp_path / "corpus"
    (root / "azure" / "news").mkdir(parents=True)
    for p in sorted((corpus_dir / "azure" / "news").glob("*.md"))[:60]:
        shutil.copyfile(p, root / "azure" / "news" / p.name)
    shutil.copytree(corpus_dir / "azure" / "data", root / "azure" / "data")
    return root


def _build(corpus: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graph", "build", str(corpus), "-o", str(out), "-q", *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _assert_refused(run: subprocess.CompletedProcess, file: Path, marker: Path) -> None:
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    cache = next(p for p in file.parents if p.name == ".cache")
    assert f"{file}: holds a pickle that names {_CALLED}" in run.stderr, run.stderr
    assert f"delete {cache} (or build with --no-cache)" in run.stderr, run.stderr
    assert not marker.exists()


def _edit_a_title(corpus: Path) -> None:
    victim = sorted((corpus / "azure" / "news").glob("*.md"))[30]
    text = victim.read_text(encoding="utf-8")
    assert 'title: "' in text
    victim.write_text(text.replace('title: "', 'title: "[edited] ', 1), encoding="utf-8")


def test_every_class_the_caches_may_hold_is_a_class_that_exists():
    for module, name in pickles.CACHED_CLASSES:
        assert isinstance(getattr(importlib.import_module(module), name), type), (module, name)


@pytest.mark.parametrize("inputs", ["real", "bad", "hostile", "formats"])
def test_every_cache_of_a_build_is_read_back_as_pickle_reads_it(corpus, tmp_path, inputs):
    """Real files, and the crafted bad, hostile and odd-format ones (warnings, rejected and
    skipped files, catalogues, dates): a second and a third build read every cache back
    (the third with the snapshot gone, so every parsed file), and give the first's bytes."""
    source = corpus if inputs == "real" else ROOT / "tests" / "data" / inputs
    out = tmp_path / "out"
    first = _build(source, out, "-j", "1")
    assert first.returncode in (0, 1) and "Traceback" not in first.stderr, first.stderr
    exports = {p.name: p.read_bytes() for p in sorted(out.glob("graph.*"))}
    assert exports
    seen: list[tuple[str, object]] = []
    for file in sorted((out / ".cache").rglob("*.pickle")):
        with open(file, "rb") as fh:  # the first pickle of each: by pickle, then by pickles
            seen.append((file.name, pickle.load(fh)))
            fh.seek(0)
            assert pickles.load(fh) == seen[-1][1]
    assert {name for name, _ in seen} >= {"parsed.pickle", "graph.pickle"}
    for drop in ([], ["graph.pickle", "graph.patch.pickle"]):
        for name in drop:
            (out / ".cache" / name).unlink(missing_ok=True)
        (out / "graph.json").unlink()  # an export to write: the snapshot's articles are read
        again = _build(source, out, "-j", "1")
        assert again.returncode == first.returncode and "Traceback" not in again.stderr, again.stderr
        assert {p.name: p.read_bytes() for p in sorted(out.glob("graph.*"))} == exports
    kg = graph.build([source], jobs=1)
    for value in [kg.report, *kg.report.warnings, *kg.articles.values(), *kg.providers.values(),
                  *kg.topics.values()]:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        assert pickles.loads(data, "x") == pickle.loads(data)


@pytest.mark.parametrize("name", ["catalog.pickle", "parsed.pickle", "graph.pickle", "offsets"])
def test_a_cache_file_replaced_by_a_harmful_pickle_stops_the_build_unread(corpus, tmp_path, name):
    out, marker = tmp_path / "out", tmp_path / "marker"
    assert _build(corpus, out).returncode == 0
    cache = out / ".cache"
    if name == "offsets":  # read when a rebuild patches the exports: a record as offsets.save writes it
        file = cache / "offsets" / "nt.offsets"
        assert file.exists()
        body = _payload(marker)
        file.write_bytes(body + offsets_mod._digest(body))
        _edit_a_title(corpus)
    else:
        file = cache / name
        assert file.exists()
        file.write_bytes(_payload(marker))
        _edit_a_title(corpus)  # a rebuild that reads every cache, whatever it finds
    _assert_live(_payload(marker), marker)
    harmful = file.read_bytes()
    _assert_refused(_build(corpus, out), file, marker)
    assert file.read_bytes() == harmful  # left for whoever looks into it
    # As the message says: the cache deleted, the build goes on, and gives a clean build's bytes.
    shutil.rmtree(cache)
    assert _build(corpus, out).returncode == 0 and not marker.exists()
    clean = tmp_path / "clean"
    assert _build(corpus, clean, "--no-cache").returncode == 0
    for export in sorted(clean.glob("graph.*")):
        assert (out / export.name).read_bytes() == export.read_bytes(), export.name


def test_a_harmful_pack_with_a_right_checksum_stops_the_build_unread(corpus, tmp_path, monkeypatch):
    """A pack's files are unpickled only when needed, after its checksum was checked at opening."""
    out, marker = tmp_path / "out", tmp_path / "marker"
    real_encode = parsed_mod.encode_pack

    def harmful_encode(packed):
        blob = real_encode(packed)
        head = packs_mod._PACK_HEAD
        meta_len, stubs_len, _ = head.unpack_from(blob)
        paths, origin, stubs, _ = pickle.loads(blob[head.size:head.size + meta_len])
        stub_bytes = blob[head.size + meta_len:head.size + meta_len + stubs_len]
        file_bytes = _payload(marker)
        meta = pickle.dumps((paths, origin, stubs, zlib.crc32(file_bytes, zlib.crc32(stub_bytes))))
        return head.pack(len(meta), len(stub_bytes), len(file_bytes)) + meta + stub_bytes + file_bytes

    monkeypatch.setattr(parsed_mod, "encode_pack", harmful_encode)
    result = CliRunner().invoke(cli, ["build", str(corpus), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    _assert_live(_payload(marker), marker)
    # The packs open (their checksums hold); without the snapshot, the rebuild needs every entry.
    assert parsed_mod.FileCache.load(out / ".cache", True).stats.loaded
    (out / ".cache" / "graph.pickle").unlink()
    _assert_refused(_build(corpus, out), out / ".cache" / "parsed.pickle", marker)


def test_a_harmful_snapshot_chunk_with_a_right_checksum_stops_the_build_unread(corpus, tmp_path, monkeypatch):
    """A snapshot's articles are unpickled only when an export needs them."""
    out, marker = tmp_path / "out", tmp_path / "marker"

    class HarmfulChunks:
        HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL
        dumps, loads, load = staticmethod(pickle.dumps), staticmethod(pickle.loads), staticmethod(pickle.load)

        @staticmethod
        def dump(value, fh, protocol=None):
            if isinstance(value, dict) and value and all(isinstance(v, graph.model.Article) for v in value.values()):
                value = _Payload(marker)  # a chunk of articles
            pickle.dump(value, fh, protocol=protocol)

    monkeypatch.setattr(snapshot_mod, "pickle", HarmfulChunks)
    result = CliRunner().invoke(cli, ["build", str(corpus), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    _assert_live(_payload(marker), marker)
    assert not marker.exists()
    # Nothing changed but an export is gone: the rebuild writes it from the snapshot's articles.
    (out / "graph.json").unlink()
    _assert_refused(_build(corpus, out), out / ".cache" / "graph.pickle", marker)


def test_the_refusal_is_a_cache_error_naming_the_file_and_the_function(tmp_path):
    marker = tmp_path / "marker"
    with pytest.raises(CacheError, match=rf"^x/y\.pickle: .*{_CALLED}"):
        pickles.loads(_payload(marker), os.path.join("x", "y.pickle"))
    assert not marker.exists()
    with pytest.raises(CacheError, match="builtins.getattr"):  # no way round the list through getattr
        pickles.loads(pickle.dumps(getattr), "z")
