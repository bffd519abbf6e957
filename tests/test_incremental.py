"""Incremental builds (``graph.cache``): same output as a clean build, byte for byte.

Works on a private copy of real corpus files (the shared corpus is never
touched): every Azure article of 2019 to mid-April 2020, a pair of files that
describe the same article, some Power Apps items and the Azure catalogue. The
expectation is always a clean build (no cache) of the same files, written with
the same exports; which files a deletion should leave an article to is found
by plain text search of the remaining files, independently of the parser.
"""

from __future__ import annotations

import collections
import errno
import hashlib
import os
import pickle
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import graph
import graph.builder
import graph.export
from graph import cache as cache_mod
from graph.cache import CACHE_FILE, FileCache, GraphSnapshot
from graph.cli import cli
from graph.export import EXPORTERS, write_exports

_WEB_URL = re.compile(r'^webUrl: "?([^"\n]+)"?$', re.M)


@pytest.fixture(scope="module")
def subset(corpus_dir, tmp_path_factory) -> Path:
    """A writable copy of about 300 real files (see the module docstring)."""
    root = tmp_path_factory.mktemp("subset")
    news = corpus_dir / "azure" / "news"
    by_url = collections.defaultdict(list)
    for p in sorted(news.glob("*.md")):
        m = _WEB_URL.search(p.read_text(encoding="utf-8"))
        if m:
            by_url[m.group(1)].append(p)
    pair = next(ps for ps in by_url.values() if len(ps) == 2)
    chosen = [p for p in sorted(news.glob("*.md")) if p.name < "2020-04-15"] + pair
    (root / "azure" / "news").mkdir(parents=True)
    for p in chosen:
        shutil.copyfile(p, root / "azure" / "news" / p.name)
    shutil.copytree(corpus_dir / "azure" / "data", root / "azure" / "data")
    (root / "powerapps").mkdir()
    shutil.copytree(corpus_dir / "powerapps" / "news", root / "powerapps" / "news",
                    ignore=lambda d, names: sorted(names)[40:])
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root


@pytest.fixture()
def work(subset, tmp_path) -> Path:
    """A fresh copy of the subset for one test (tests delete and edit files)."""
    return Path(shutil.copytree(subset, tmp_path / "in"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def _assert_same_as_clean(work: Path, cached_kg, tmp_path: Path, tag: str) -> None:
    """Every export of ``cached_kg`` equals a clean build's, byte for byte.

    Every registered format that can be written here is compared (others'
    exporters may still be missing; the report is required). Each format is
    written for both graphs back to back, so that an exporter's assets being
    edited by someone else meanwhile cannot make a false difference.
    """
    clean_kg = graph.build([work])
    compared = []
    for name in EXPORTERS:
        clean_dir, cached_dir = tmp_path / f"clean-{tag}-{name}", tmp_path / f"cached-{tag}-{name}"
        try:
            write_exports(clean_kg, clean_dir, [name])
        except graph.NewsgraphError:
            continue
        write_exports(cached_kg, cached_dir, [name])
        clean, cached = _tree(clean_dir), _tree(cached_dir)
        assert clean.keys() == cached.keys()
        for file in clean:
            assert cached[file] == clean[file], f"{file} differs from a clean build ({tag})"
        compared.append(name)
    assert "report" in compared
    assert list(cached_kg.edges()) == list(clean_kg.edges())


class _Counting:
    """Counts the files the built-in reader parses."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        real = graph.builder.read_file

        def counted(path, explicit=False, **kw):
            self.paths.append(path)
            return real(path, explicit, **kw)

        monkeypatch.setattr(graph.builder, "read_file", counted)


def _count_resolves(monkeypatch) -> list:
    calls = []
    real = graph.builder.resolve
    monkeypatch.setattr(graph.builder, "resolve", lambda records: calls.append(1) or real(records))
    return calls


def test_warm_cache_parses_nothing_and_gives_the_same_bytes(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cold = graph.build([work], cache_dir=cache)
    assert (cache / CACHE_FILE).is_file() and (cache / GraphSnapshot.FILE).is_file()
    counting = _Counting(monkeypatch)
    resolves = _count_resolves(monkeypatch)
    warm = graph.build([work], cache_dir=cache)
    os.utime(sorted(work.rglob("*.md"))[7])  # touched only: still nothing to redo
    touched = graph.build([work], cache_dir=cache)
    assert counting.paths == [] and resolves == []
    assert warm.report.to_json() == cold.report.to_json() == touched.report.to_json()
    _assert_same_as_clean(work, warm, tmp_path, "warm")
    _assert_same_as_clean(work, touched, tmp_path, "touched")


def test_changed_catalogue_is_not_served_from_the_snapshot(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    # topics/*.yaml are read by the catalogue loader only, never by the file cache
    topic = work / "azure" / "data" / "topics" / "00-azure.yaml"
    text = topic.read_text(encoding="utf-8")
    assert "keywords:\n  - azure\n" in text
    topic.write_text(text.replace("keywords:\n  - azure\n", "keywords:\n  - azure\n  - zz-new-keyword\n"),
                     encoding="utf-8")
    resolves = _count_resolves(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert resolves == [1]
    assert "zz-new-keyword" in kg.topics["topic/azure"].keywords
    _assert_same_as_clean(work, kg, tmp_path, "catalogue")


def test_touched_file_is_not_parsed_again_edited_file_is(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    files = sorted((work / "azure" / "news").glob("*.md"))
    touched, edited = files[3], files[10]
    os.utime(touched, ns=(1, 1))
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace('title: "', 'title: "EDITED ', 1), encoding="utf-8")
    counting = _Counting(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert counting.paths == [str(edited)]
    url = _WEB_URL.search(text).group(1)
    assert kg.article_by_url(url).title.startswith("EDITED ")
    _assert_same_as_clean(work, kg, tmp_path, "edited")


def _mentions(folder: Path, url: str, but_not: Path) -> list[Path]:
    """Files other than ``but_not`` whose text names ``url`` (plain search)."""
    key = url.rstrip("/")
    return [p for p in sorted(folder.rglob("*.md")) if p != but_not and key in p.read_text(encoding="utf-8")]


def test_deleted_files_leave_only_what_other_files_still_say(work, tmp_path):
    cache = tmp_path / "cache"
    before = graph.build([work], cache_dir=cache)
    news = sorted((work / "azure" / "news").glob("*.md"))
    urls = {p: _WEB_URL.search(p.read_text(encoding="utf-8")).group(1) for p in news}
    # 1. an article no other file mentions: it must vanish with all its edges
    orphan = next(p for p in news if "related:" in p.read_text(encoding="utf-8")
                  and not _mentions(work, urls[p], p))
    # 2. an article other files list as related: it stays, as a stub, with
    #    their edges to it but none of its own
    cited = next(p for p in news if "related:" in p.read_text(encoding="utf-8") and p != orphan
                 and len(_mentions(work, urls[p], p)) >= 1
                 and all(urls.get(q) != urls[p] for q in _mentions(work, urls[p], p)))
    citing = {before.article_by_url(urls[q]).id for q in _mentions(work, urls[cited], cited) if q in urls}
    # 3. one of two files of the same article: it stays, full, from the other
    by_url = collections.defaultdict(list)
    for p, u in urls.items():
        by_url[u].append(p)
    twin, kept_twin = next(ps for ps in by_url.values() if len(ps) == 2)

    orphan_id = before.article_by_url(urls[orphan]).id
    cited_id = before.article_by_url(urls[cited]).id
    assert any(s == cited_id for s, _, k in before.edges() if k == "related")
    for p in (orphan, cited, twin):
        p.unlink()
    after = graph.build([work], cache_dir=cache)

    assert orphan_id not in after.articles
    assert all(orphan_id not in (s, d) for s, d, _ in after.edges())

    stub = after.articles[cited_id]
    assert stub.is_stub and stub.files == ()
    assert not any(s == cited_id and k == "related" for s, _, k in after.edges())
    into = {s for s, d, k in after.edges() if d == cited_id and k == "related"}
    assert into == citing - {orphan_id}

    kept = after.article_by_url(urls[kept_twin])
    assert kept.files == (str(kept_twin),) and not kept.is_stub
    assert str(twin) not in after.report.to_json()
    _assert_same_as_clean(work, after, tmp_path, "deleted")


class _Crash(Exception):
    pass


def _crash_half_way(done: int, total: int) -> None:
    """A progress callback that stops the build half way through reading."""
    if done >= total // 2:
        raise _Crash


def test_crash_mid_build_keeps_the_previous_cache(work, tmp_path):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    saved = (cache / CACHE_FILE).read_bytes()
    snapshot = (cache / GraphSnapshot.FILE).read_bytes()
    edited = sorted((work / "azure" / "news").glob("*.md"))[5]
    edited.write_text(edited.read_text(encoding="utf-8").replace('title: "', 'title: "X ', 1), encoding="utf-8")

    with pytest.raises(_Crash):
        graph.build([work], cache_dir=cache, progress=_crash_half_way)
    assert (cache / CACHE_FILE).read_bytes() == saved
    assert (cache / GraphSnapshot.FILE).read_bytes() == snapshot
    assert sorted(p.name for p in cache.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE])  # no temp file
    _assert_same_as_clean(work, graph.build([work], cache_dir=cache), tmp_path, "after-crash")


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", None])
def test_damaged_or_foreign_cache_is_ignored_and_replaced(work, tmp_path, monkeypatch, damage):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    if damage is None:  # a cache written by other parsing code
        monkeypatch.setattr(cache_mod, "code_fingerprint", lambda: "0" * 16)
    else:
        (cache / CACHE_FILE).write_bytes(damage)
    counting = _Counting(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert len(counting.paths) == kg.report.files_read  # everything parsed again
    assert FileCache.load(cache, True).stats.loaded
    _assert_same_as_clean(work, kg, tmp_path, "damaged")


def test_cli_caches_in_the_output_folder_unless_told_not_to(work, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build", str(work), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert (out / ".cache" / CACHE_FILE).is_file()
    first = (out / "report.json").read_bytes()
    result = runner.invoke(cli, ["build", str(work), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0 and (out / "report.json").read_bytes() == first
    out2 = tmp_path / "out2"
    result = runner.invoke(cli, ["build", str(work), "-o", str(out2), "-q", "-j", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (out2 / ".cache").exists()
    assert (out2 / "report.json").read_bytes() == first
    assert "--no-cache" in runner.invoke(cli, ["build", "--help"]).output


def test_cli_leaves_unchanged_exports_alone_and_rewrites_damaged_ones(work, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["build", str(work), "-o", str(out), "-q", "-j", "1", "-f", "report,json"]
    assert runner.invoke(cli, args).exit_code == 0
    first = _tree(out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    os.utime(sorted(work.rglob("*.md"))[3])  # touched only
    assert runner.invoke(cli, args).exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == stamps  # not rewritten
    (out / "graph.json").write_text("damaged", encoding="utf-8")
    assert runner.invoke(cli, args).exit_code == 0
    assert _tree(out) == first  # rewritten, same bytes
    edited = sorted((work / "azure" / "news").glob("*.md"))[2]
    edited.write_text(edited.read_text(encoding="utf-8").replace('title: "', 'title: "NEW ', 1), encoding="utf-8")
    assert runner.invoke(cli, args).exit_code == 0
    clean = tmp_path / "clean"
    assert runner.invoke(cli, ["build", str(work), "-o", str(clean), "-q", "-j", "1", "-f", "report,json",
                               "--no-cache"]).exit_code == 0
    assert _tree(out) == _tree(clean) != first


def test_cli_writes_the_caches_off_the_critical_path_and_waits_for_them(work, tmp_path, monkeypatch):
    """With worker processes, the file cache is written by a forked process
    and the snapshot beside the exports; the command returns only once both
    are complete."""
    forked, beside = [], []
    real_start, real_write_exports = cache_mod.BackgroundWrites.start, graph.export.write_exports

    def start(self, write, *, files):
        forked.append(self.enabled)
        return real_start(self, lambda: time.sleep(0.3) or write(), files=files)  # slow: must be waited for

    def write_exports(*args, **kwargs):
        beside.append(len(kwargs["beside"]))
        return real_write_exports(*args, **kwargs)

    monkeypatch.setattr(cache_mod.BackgroundWrites, "start", start)
    monkeypatch.setattr(graph.export, "write_exports", write_exports)
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["build", str(work), "-o", str(out), "-q", "-j", "2", "-f", "report,json"]
    assert runner.invoke(cli, args).exit_code == 0
    assert forked == [True] and beside == [1]  # the file cache forked, the snapshot beside the exports
    assert FileCache.load(out / ".cache", True).stats.loaded
    assert sorted(p.name for p in (out / ".cache").iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE,
                                                                         cache_mod.EXPORTS_FILE])
    first = _tree(out)
    resolves = _count_resolves(monkeypatch)
    assert runner.invoke(cli, args).exit_code == 0
    assert resolves == [] and _tree(out) == first  # served from the snapshot
    edited = sorted((work / "azure" / "news").glob("*.md"))[5]
    edited.write_text(edited.read_text(encoding="utf-8").replace('title: "', 'title: "NEW ', 1), encoding="utf-8")
    assert runner.invoke(cli, args).exit_code == 0
    assert resolves == [1]
    clean = tmp_path / "clean"
    assert runner.invoke(cli, ["build", str(work), "-o", str(clean), "-q", "-j", "1", "-f", "report,json",
                               "--no-cache"]).exit_code == 0
    assert _tree(out) == _tree(clean) != first
    resolves.clear()  # the clean build resolved too
    assert runner.invoke(cli, args).exit_code == 0 and resolves == []  # the edited build's snapshot is used


def test_background_writes_overlap_small_builds_only_and_ignore_failures(tmp_path):
    marker = tmp_path / "after"
    with cache_mod.BackgroundWrites() as bg:
        bg.start(lambda: 1 / 0, files=10)  # the forked process fails
        bg.start(lambda: marker.write_text(str(os.getpid())), files=10)
        bg.defer(lambda: (tmp_path / "deferred").write_text(str(os.getpid())), files=10)
        bg.defer(lambda: (tmp_path / "large").write_text(str(os.getpid())),
                 files=cache_mod.BackgroundWrites.overlap_max_files + 1)
        # deferred whatever the build's size (an exporting process takes them)
        assert not (tmp_path / "deferred").exists() and not (tmp_path / "large").exists()
    assert bg.pids == [] and bg.deferred == []
    assert int(marker.read_text()) != os.getpid()  # written by a forked process
    for name in ("deferred", "large"):
        assert int((tmp_path / name).read_text()) == os.getpid()  # here, at the end of the block
    with pytest.raises(KeyboardInterrupt), cache_mod.BackgroundWrites() as bg:
        bg.defer(lambda: (tmp_path / "dropped").write_text("x"), files=10)
        raise KeyboardInterrupt  # an interrupted build: what was deferred is not done
    assert not (tmp_path / "dropped").exists() and bg.deferred == []
    here = [cache_mod.BackgroundWrites(enabled=False), cache_mod.BackgroundWrites()]
    calls = []
    here[0].start(lambda: calls.append(os.getpid()), files=10)
    here[1].start(lambda: calls.append(os.getpid()), files=cache_mod.BackgroundWrites.overlap_max_files + 1)
    assert calls == [os.getpid()] * 2 and here[0].pids == here[1].pids == []  # run in this process
    with pytest.raises(ZeroDivisionError):
        here[0].start(lambda: 1 / 0, files=10)  # only OSError (a cache that cannot be written) is let go


@pytest.mark.parametrize("chunk", [None, 7])
def test_snapshot_graph_loads_its_entities_only_when_used(work, tmp_path, monkeypatch, chunk):
    if chunk is not None:  # the articles in many pickles of 7 (65,536 by default)
        monkeypatch.setattr(cache_mod, "SNAPSHOT_CHUNK", chunk)
    cache = tmp_path / "cache"
    first = graph.build([work], cache_dir=cache)
    served = graph.build([work], cache_dir=cache)
    assert "articles" not in vars(served)  # only the key and the report were read
    assert served.report.as_dict() == first.report.as_dict()
    assert served.articles == first.articles and "articles" in vars(served)
    assert list(served.articles) == list(first.articles)  # and in the same order
    assert served.providers == first.providers and served.topics == first.topics
    again = graph.build([work], cache_dir=cache)
    copy = pickle.loads(pickle.dumps(again))  # pickling loads them first (the loader does not pickle)
    assert copy.articles == first.articles and list(copy.edges()) == list(first.edges())
    with pytest.raises(AttributeError):
        again.no_such_attribute  # noqa: B018


# --------------------------------------------------------------------------
# A first parallel build writes the pool's packs as the cache (_PackStream)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serial_cache(corpus_dir, tmp_path_factory) -> FileCache:
    """The real corpus's file cache as a one-process read saves it (FileCache.save)."""
    folder = tmp_path_factory.mktemp("serial-cache")
    graph.build([corpus_dir], cache_dir=folder, jobs=1)
    cache = FileCache.load(folder, True)
    assert cache.stats.loaded
    return cache


def _no_save(self, entries):
    raise AssertionError("the file cache was pickled again")


def test_first_parallel_build_writes_the_pools_packs_as_the_cache(corpus_dir, serial_cache, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setattr(FileCache, "save", _no_save)
    graph.build([corpus_dir], cache_dir=folder, jobs=2)
    monkeypatch.undo()
    streamed = FileCache.load(folder, True)
    assert streamed.stats.loaded
    # Same files, in the same order, parsed to equal results by a second method.
    assert list(streamed.entries) == list(serial_cache.entries)
    assert streamed.entries == serial_cache.entries
    # Each digest is the one of the file's bytes (the workers hash what they read).
    for path, (_, digest, _, parsed) in list(streamed.entries.items())[::97]:
        assert digest == parsed.sha256 == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE])
    # A rebuild without the graph snapshot reads every file from it.
    (folder / GraphSnapshot.FILE).unlink()
    counting = _Counting(monkeypatch)
    graph.build([corpus_dir], cache_dir=folder, jobs=1)
    assert counting.paths == []


def test_first_parallel_build_stopped_mid_read_leaves_no_cache_file(corpus_dir, tmp_path):
    folder = tmp_path / "cache"

    with pytest.raises(_Crash):
        graph.build([corpus_dir], cache_dir=folder, jobs=2, progress=_crash_half_way)
    assert not folder.exists() or list(folder.iterdir()) == []  # not even a temporary file


def test_pack_stream_that_cannot_write_falls_back_to_saving(corpus_dir, serial_cache, tmp_path, monkeypatch):
    opened = cache_mod._PackStream.open.__func__
    failed = []

    class FullDisk:
        def __init__(self, fh):
            self._fh = fh

        def write(self, data):
            failed.append(len(data))
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self._fh, name)

    def open_on_full_disk(cls, cache):
        stream = opened(cls, cache)
        stream._fh = FullDisk(stream._fh)
        return stream

    monkeypatch.setattr(cache_mod._PackStream, "open", classmethod(open_on_full_disk))
    folder = tmp_path / "cache"
    graph.build([corpus_dir], cache_dir=folder, jobs=2)
    assert failed  # the stream was used, and failed
    saved = FileCache.load(folder, True)
    assert saved.stats.loaded and saved.entries == serial_cache.entries
    assert sorted(p.name for p in folder.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE])
