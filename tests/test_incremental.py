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
import contextlib
import dataclasses
import errno
import hashlib
import io
import itertools
import json
import mmap
import os
import pickle
import random
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import graph
import graph.builder
import graph.export
import graph.export.files
import graph.export.offsets
from graph import cache as cache_mod
from graph.cache import fingerprints as fingerprints_mod
from graph.cache import packs as packs_mod
from graph.cache import parsed as parsed_mod
from graph.cache import pickles as cache_pickles
from graph.cache import snapshot as snapshot_mod
from graph.cache import exports as exports_mod
from graph.cache import CACHE_FILE, FileCache, GraphSnapshot
from graph.cli import cli
from graph.export import EXPORTERS, recycling, write_exports
from graph.export.files import LOCK_NAME

from conftest import ROOT, two_edits_in_one_second, wait_until_settled, whole_second_signature

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
    """A fresh copy of the subset for one test (tests delete and edit files), old
    enough for the caches to vouch for its files by their signatures."""
    copy = Path(shutil.copytree(subset, tmp_path / "in"))
    wait_until_settled(*(p for p in copy.rglob("*") if p.is_file()))
    return copy


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
        real = graph.reader.read_file

        def counted(path, explicit=False, **kw):
            self.paths.append(path)
            return real(path, explicit, **kw)

        # every reader's loop, graph.reader.iter_read, calls it
        monkeypatch.setattr(graph.reader, "read_file", counted)


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


def _count_hashes(monkeypatch) -> list:
    """Paths whose content the caches hash to compare with their index (not the reader's hashing)."""
    hashed = []
    real = fingerprints_mod._sha256

    def counted(path):
        hashed.append(path)
        return real(path)

    # the caches' checks hash through fingerprints._digest_now; the file cache also
    # hashes, through its own name, the files a reader that does not hash has read
    for module in (fingerprints_mod, parsed_mod):
        monkeypatch.setattr(module, "_sha256", counted)
    return hashed


@pytest.mark.parametrize("how", ["library", "command line"])
def test_whole_corpus_touched_is_hashed_once_not_at_every_build(work, tmp_path, monkeypatch, how):
    # A checkout or a copy gives every file a new mtime and ctime, not new bytes: the
    # build after it is served from the snapshot (nothing parsed or resolved), and
    # records the new signatures, so that the builds after it hash nothing.
    out, cache = tmp_path / "out", tmp_path / "out" / ".cache"

    def build():
        if how == "library":
            return graph.build([work], cache_dir=cache)
        result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out), "-f", "nt,report", "-q", "-j", "2"])
        assert result.exit_code == 0, result.output
        return None

    build()
    inputs = {str(p) for p in FileCache.load_index(cache, True)}
    assert len(inputs) > parsed_mod._RESAVE_AFTER  # more than a few touched files: worth recording
    later = time.time_ns() + 10**9
    for path in inputs:
        os.utime(path, ns=(later, later))
    wait_until_settled(*inputs)  # else recorded as unsettled, and hashed by the next build again
    hashed, resolves = _count_hashes(monkeypatch), _count_resolves(monkeypatch)
    counting = _Counting(monkeypatch)
    build()
    assert sorted(hashed) == sorted(inputs) and resolves == [] and counting.paths == []
    # what the cache now says of each file is what os.stat says
    index = FileCache.load_index(cache, True)
    assert {p: tuple(e[0]) for p, e in index.items()} == {
        p: fingerprints_mod._input_signature(os.stat(p)) for p in inputs}
    hashed.clear()
    kg = build()
    assert hashed == [] and resolves == [] and counting.paths == []
    if kg is not None:
        _assert_same_as_clean(work, kg, tmp_path, "touched all")
    else:
        clean = tmp_path / "clean"
        assert CliRunner().invoke(cli, ["build", str(work), "-o", str(clean), "-f", "nt,report", "-q",
                                        "--no-cache"]).exit_code == 0
        assert _tree(out) == _tree(clean)


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
    # no temp file
    assert sorted(p.name for p in cache.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE, cache_mod.CATALOG_FILE])
    _assert_same_as_clean(work, graph.build([work], cache_dir=cache), tmp_path, "after-crash")


def _count_catalog_reads(monkeypatch) -> list:
    import graph.catalog

    calls = []
    real = graph.catalog.load_catalog
    monkeypatch.setattr(graph.catalog, "load_catalog", lambda folder, catalog=None: calls.append(folder)
                        or real(folder, catalog))
    return calls


def test_catalogues_are_read_again_only_when_one_of_their_files_changed(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    reads = _count_catalog_reads(monkeypatch)
    graph.build([work], cache_dir=cache)
    assert reads == [str(work / "azure" / "data")]
    kg = graph.build([work], cache_dir=cache)
    assert len(reads) == 1  # every catalogue file as it was: none read
    del reads[:]
    assert kg.report.catalog_files == graph.build([work]).report.catalog_files != []
    del reads[:]  # the clean build's read

    topic_file = sorted((work / "azure" / "data" / "topics").glob("*.yaml"))[0]
    text = topic_file.read_text(encoding="utf-8")
    entry = yaml.safe_load(text)  # read independently of newsgraph
    tag = entry["hashtags"][0]
    topic_file.write_text(text.replace(f'"{tag}"', f'"{tag}-edited"', 1), encoding="utf-8")
    kg = graph.build([work], cache_dir=cache)
    assert len(reads) == 1
    [topic] = [t for t in kg.topics.values() if t.label == entry["name"]]
    assert f"{tag}-edited" in topic.hashtags and tag not in topic.hashtags
    _assert_same_as_clean(work, kg, tmp_path, "catalogue-edited")

    (cache / cache_mod.CATALOG_FILE).write_bytes(b"not a pickle")
    topic_file.unlink()  # and a catalogue file gone
    del reads[:]
    kg = graph.build([work], cache_dir=cache)
    assert len(reads) == 1
    _assert_same_as_clean(work, kg, tmp_path, "catalogue-damaged")


def test_a_catalogue_cache_damaged_but_still_a_pickle_is_read_again(work, tmp_path, monkeypatch):
    """One byte changed inside the cached catalogue, where it still unpickles
    (a topic's key "topic/azure" made "topic/azurd"), was served to every
    later build while the catalogue's files kept their signatures; its
    checksum now sends the build back to the files."""
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    file = cache / cache_mod.CATALOG_FILE
    with open(file, "rb") as fh:
        pickle.load(fh)  # the key, which names the catalogue files: the damage is past it
        past_key = fh.tell()
    data = bytearray(file.read_bytes())
    at = data.find(b"topic/azure", past_key)
    assert at > 0
    data[at + 10] ^= 0x01
    file.write_bytes(bytes(data))
    reads = _count_catalog_reads(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert len(reads) == 1
    _assert_same_as_clean(work, kg, tmp_path, "catalogue-cache-damaged")


def test_a_snapshot_whose_report_is_damaged_but_still_a_pickle_is_not_used(work, tmp_path):
    """The snapshot's CRC-32 covered its entities, not the build's report
    before them: one changed byte in a catalogue file's path there ("amazon"
    made "amazoo") was written into report.json by every build that wrote
    the exports from the kept graph."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    file = out / ".cache" / GraphSnapshot.FILE
    with open(file, "rb") as fh:
        pickle.load(fh)  # the key
        start = fh.tell()
        pickle.load(fh)  # the report (checked)
        end = fh.tell()
    data = bytearray(file.read_bytes())
    name = next(p.name for p in (work / "azure" / "data" / "organizations").iterdir()).encode()
    at = data.find(name, start, end)
    assert at > 0
    data[at] ^= 0x01
    file.write_bytes(bytes(data))
    (out / "graph.nt").unlink()  # a reason to write the exports again
    _build_cli(work, out)
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_a_catalogue_edited_twice_in_one_second_is_read_again(work, tmp_path, monkeypatch):
    # where times are kept in whole seconds (see the test of a news file edited so)
    monkeypatch.setattr(fingerprints_mod, "_input_signature", whole_second_signature)
    cache = tmp_path / "cache"
    topic_file = sorted((work / "azure" / "data" / "topics").glob("*.yaml"))[0]
    text = topic_file.read_text(encoding="utf-8")
    tag = yaml.safe_load(text)["hashtags"][0]  # read independently of newsgraph
    first, again = (text.replace(f'"{tag}"', f'"{tag}-{word}"', 1) for word in ("one", "two"))
    two_edits_in_one_second(topic_file, first, again, lambda: graph.build([work], cache_dir=cache))
    kg = graph.build([work], cache_dir=cache)
    assert any(f"{tag}-two" in t.hashtags for t in kg.topics.values())
    _assert_same_as_clean(work, kg, tmp_path, "catalogue edited twice")


def test_a_rebuild_that_parses_no_file_imports_no_yaml_parser(work, tmp_path):
    # python-frontmatter and PyYAML cost 0.03 s to import: a rebuild served
    # from the cache must not need them, nor read the catalogues with them,
    # nor one that parses a YAML file again with the fast loader.
    import subprocess
    import sys

    out = tmp_path / "out"
    script = ("import sys; from click.testing import CliRunner; from graph.cli import cli; "
              f"r = CliRunner().invoke(cli, ['build', {str(work)!r}, '-o', {str(out)!r}, '-q']); "
              "assert r.exit_code == 0, r.output; "
              "print(sorted(m for m in ('yaml', 'frontmatter') if m in sys.modules))")
    run = lambda: subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                 cwd=ROOT).stdout.strip()  # noqa: E731
    run()  # the first build parses every file (YAML: the fast loader, unless it refuses one)
    assert run() == "[]"
    touched = sorted((work / "azure" / "news").glob("*.md"))[3]
    os.utime(touched, ns=(time.time_ns(), time.time_ns()))
    assert run() == "[]"  # touched: hashed, found the same, not parsed
    text = touched.read_text(encoding="utf-8")
    touched.write_text(text.replace("\ntitle: ", "\ntitle: Edited ", 1), encoding="utf-8")
    assert run() == "[]"  # a YAML file parsed again by the fast loader: found YAML without them
    touched.write_text("+++\ntitle = 'TOML now'\n+++\n", encoding="utf-8")
    assert run() == "['frontmatter', 'yaml']"  # a TOML file goes through python-frontmatter's handlers


def test_code_fingerprints_follow_the_files_each_one_covers(tmp_path):
    """Three digests of the package's files (graph.cache.fingerprints): what parsing runs,
    what building the graph runs (the top-level modules and graph/cache), and
    everything (exporters, templates). Each copy of the package is edited and
    asked in a fresh interpreter, as each build is."""
    import subprocess
    import sys

    def fingerprints(package: Path) -> tuple[str, str, str]:
        code = ("import graph.cache.fingerprints as c; print(c.code_fingerprint(), c._graph_code_fingerprint(), "
                "c._exports_code_fingerprint())")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=package.parent, env={**os.environ, "PYTHONPATH": str(package.parent)})
        return tuple(proc.stdout.split())

    package = Path(shutil.copytree(ROOT / "graph", tmp_path / "pkg" / "graph",
                                   ignore=shutil.ignore_patterns("__pycache__")))
    first = fingerprints(package)
    assert first == fingerprints(package)  # stable
    changed = {}
    for name in ("data/html/page.css", "export/rdf.py", "layout.py", "cache/snapshot.py", "resolve.py"):
        with open(package / name, "a", encoding="utf-8") as fh:
            fh.write("\n/* changed */\n" if name.endswith(".css") else "\n# changed\n")
        now = fingerprints(package)
        changed[name] = tuple(a != b for a, b in zip(first, now))
        first = now
    assert changed == {"data/html/page.css": (False, False, True), "export/rdf.py": (False, False, True),
                       "layout.py": (False, True, True), "cache/snapshot.py": (False, True, True),
                       "resolve.py": (True, True, True)}


def test_package_digests_are_kept_by_signature(tmp_path):
    """The digests of the package's files are kept in its __pycache__ between
    processes and used for a file whose signature is the one kept; a file
    changed in any way (its bytes, or only its ctime when size and mtime are
    put back), a damaged record, or none at all give the digests of the files."""
    import subprocess

    code = ("import graph.cache.fingerprints as c; print(c.code_fingerprint(), c._graph_code_fingerprint(), "
            "c._exports_code_fingerprint())")
    package = Path(shutil.copytree(ROOT / "graph", tmp_path / "pkg" / "graph",
                                   ignore=shutil.ignore_patterns("__pycache__")))
    kept = package / "__pycache__" / fingerprints_mod.DIGESTS_FILE

    def fingerprints(write: bool = True, before: str = "") -> tuple[str, ...]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        env["PYTHONPATH"] = os.pathsep.join([str(package.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
        if not write:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run([sys.executable, "-c", before + code], capture_output=True, text=True, check=True,
                              cwd=package.parent, env=env, timeout=120)
        return tuple(proc.stdout.split())

    def by_hashing() -> tuple[str, ...]:  # the three digests from the files' bytes (the second method)
        files = {str(f.relative_to(package).as_posix()): hashlib.sha256(f.read_bytes()).digest()
                 for f in sorted(package.rglob("*")) if f.is_file() and "__pycache__" not in f.parts}
        files = dict(sorted(files.items()))

        def digest(names, seed=b""):
            h = hashlib.sha256(seed)
            for name in names:
                h.update(name.encode() + b"\0" + files[name])
            return h.hexdigest()

        import idna.package_data
        import yaml_rs
        parse = digest(("reader.py", "frontmatter_formats.py", "model.py", "resolve.py"),
                       str(getattr(yaml_rs, "__version__", "")).encode()
                       + Path(idna.package_data.__file__).read_bytes())[:16]
        building = digest([n for n in files if n.endswith(".py") and ("/" not in n or n.startswith("cache/"))],
                          parse.encode())[:16]
        return parse, building, digest(files)

    assert fingerprints(write=False) == by_hashing()
    assert not kept.exists()  # not written under PYTHONDONTWRITEBYTECODE
    wait_until_settled(*package.rglob("*.py"))  # else each signature is kept as unsettled
    assert fingerprints() == by_hashing()
    record = json.loads(kept.read_text(encoding="utf-8"))
    assert sorted(record["files"]) == sorted(f.relative_to(package).as_posix() for f in package.rglob("*")
                                             if f.is_file() and "__pycache__" not in f.parts)
    assert record["files"]["layout.py"][1] == hashlib.sha256((package / "layout.py").read_bytes()).hexdigest()

    # A kept digest is used, not the file read: a wrong one shows through.
    record["files"]["layout.py"][1] = "0" * 64
    kept.write_text(json.dumps(record), encoding="utf-8")
    wrong = fingerprints()
    assert wrong[0] == by_hashing()[0] and wrong[1:] != by_hashing()[1:]
    # The file's signature moved (a touch): read again, and the record mended.
    os.utime(package / "layout.py")
    assert fingerprints() == by_hashing()
    assert json.loads(kept.read_text(encoding="utf-8"))["files"]["layout.py"][1] != "0" * 64

    # An edit of the same size with the mtime put back still moves the ctime.
    wait_until_settled(*package.rglob("*.py"))
    fingerprints()
    target = package / "resolve.py"
    before = os.stat(target)
    text = target.read_bytes()
    target.write_bytes(text[:-1] + (b"#" if text[-1:] != b"#" else b"\n"))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(target).st_size == before.st_size and os.stat(target).st_mtime_ns == before.st_mtime_ns
    assert fingerprints() == by_hashing()

    # A file changed too recently for its signature to vouch for the next change
    # (within a clock tick of it, see _settled) is kept unsettled: hashed next time.
    wait_until_settled(*package.rglob("*.py"))
    target = package / "layout.py"
    os.utime(target)  # its signature moves: read now, and kept under the time below
    changed_at = os.stat(target).st_ctime_ns
    assert fingerprints(before=f"import time; time.time_ns = lambda: {changed_at + 1_000_000}\n") == by_hashing()
    entries = json.loads(kept.read_text(encoding="utf-8"))["files"]
    assert entries["layout.py"][0] == list(fingerprints_mod._UNSETTLED)
    assert entries["resolve.py"][0] == list(fingerprints_mod._input_signature(os.stat(package / "resolve.py")))

    # A damaged record, or one in place of a folder: the files are hashed.
    for damage in (b"", b"{not json", b"[" * 100_000, b'{"format": 0, "files": {}}',
                   b'{"format": %d, "files": {"layout.py": 5}}' % fingerprints_mod.FORMAT):
        kept.write_bytes(damage)
        assert fingerprints() == by_hashing()
    kept.unlink()
    kept.mkdir()
    assert fingerprints() == by_hashing()
    assert kept.is_dir() and not [f for f in kept.parent.iterdir() if f.name.endswith(".tmp")]

    # Under PYTHONPYCACHEPREFIX, the record is kept under the prefix, as the bytecode is.
    prefix = tmp_path / "prefix"
    elsewhere = fingerprints(before=f"import sys; sys.pycache_prefix = {str(prefix)!r}\n")
    assert elsewhere == by_hashing()
    assert (prefix / str(package.resolve()).lstrip(os.sep) / fingerprints_mod.DIGESTS_FILE).is_file()


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", None])
def test_damaged_or_foreign_cache_is_ignored_and_replaced(work, tmp_path, monkeypatch, damage):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    if damage is None:  # a cache written by other parsing code
        monkeypatch.setattr(fingerprints_mod, "code_fingerprint", lambda: "0" * 16)
    else:
        (cache / CACHE_FILE).write_bytes(damage)
    counting = _Counting(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert len(counting.paths) == kg.report.files_read  # everything parsed again
    assert FileCache.load(cache, True).stats.loaded
    _assert_same_as_clean(work, kg, tmp_path, "damaged")


def test_a_pack_damaged_inside_is_found_before_any_file_is_read(work, tmp_path, monkeypatch):
    """The entries are unpickled only when needed; a damaged pack must still
    be found before the build reads any file, not half way through it."""
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    data = bytearray((cache / CACHE_FILE).read_bytes())
    packs_end = _cache_parts(cache)[1]
    data[packs_end - 1000] ^= 0x20  # one bit, inside the last pack's files pickle
    (cache / CACHE_FILE).write_bytes(bytes(data))
    damaged = FileCache.load(cache, True)
    assert damaged.entries == {} and not damaged.stats.loaded and "unreadable" in damaged.stats.problem
    target = _single_file_articles(work, 1)[0]
    _edit(target, 'title: "', 'title: "After the damage ')
    counting = _Counting(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert len(counting.paths) == kg.report.files_read  # everything parsed again
    assert FileCache.load(cache, True).stats.loaded
    _assert_same_as_clean(work, kg, tmp_path, "damaged-pack")


@pytest.mark.parametrize("cut", ["index", "pack"])
def test_a_damaged_patch_file_costs_time_only(work, tmp_path, monkeypatch, cut):
    """A patch file whose index is cut is passed over (the file written whole
    has an older index, and the files changed since are parsed again); one
    whose appended pack is damaged empties the cache (everything is parsed)."""
    out = tmp_path / "out"
    cache = out / ".cache"
    _build_cli(work, out)
    first, second = _single_file_articles(work, 2)
    _edit(first, 'title: "', 'title: "Patched ')
    _build_cli(work, out)
    patch = cache / parsed_mod.PATCH_FILE
    data = bytearray(patch.read_bytes())
    if cut == "index":
        del data[-100:]
    else:
        data[_cache_parts(cache)[0] // 2] ^= 0x20  # inside the appended pack (after the header pickle)
    patch.write_bytes(bytes(data))
    _edit(second, 'title: "', 'title: "Then ')
    counting = _Counting(monkeypatch)
    graph.build([work], cache_dir=cache, jobs=1)
    parsed_again = {Path(p).name for p in counting.paths}
    if cut == "index":
        assert parsed_again == {first.name, second.name}
    else:
        assert len(parsed_again) > 100  # all of them
    monkeypatch.undo()
    fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
    assert _entries_by_path(cache) == fresh
    clean = tmp_path / "clean"
    _build_cli(work, clean, "--no-cache")
    _build_cli(work, out)
    assert _tree(out) == _tree(clean)


def test_an_edit_that_keeps_the_size_and_puts_the_mtime_back_is_seen(work, tmp_path):
    # Written in place (same inode), same size, mtime restored as `touch -r` or a sync
    # tool would: size, mtime and inode all agreed, and the build kept the old exports.
    out = tmp_path / "out"
    _build_cli(work, out)
    victim = _single_file_articles(work, 1)[0]
    before = victim.stat()
    data = victim.read_bytes()
    at = data.index(b'title: "') + len(b'title: "')
    changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]  # one letter, same length
    with open(victim, "r+b") as fh:
        fh.write(changed)
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = victim.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    _build_cli(work, out)
    clean = tmp_path / "clean"
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_a_second_edit_of_the_same_size_in_the_same_second_is_seen(work, tmp_path, monkeypatch):
    # git's "racily clean" files: where times are kept in whole seconds, an edit of the
    # same size in the second of the one a build read left the size, the times and the
    # inode as they were, and every later build served the first edit's parse (the real
    # corpus on a loop-mounted ext2 with 128-byte inodes). Such a filesystem's times:
    monkeypatch.setattr(fingerprints_mod, "_input_signature", whole_second_signature)
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    victim = _single_file_articles(work, 1)[0]
    text = victim.read_text(encoding="utf-8")
    url = _WEB_URL.search(text).group(1)
    titled = {word: text.replace('title: "', f'title: "{word} ', 1) for word in ("FIRST", "AGAIN")}

    def build_first() -> None:
        assert graph.build([work], cache_dir=cache).article_by_url(url).title.startswith("FIRST ")

    two_edits_in_one_second(victim, titled["FIRST"], titled["AGAIN"], build_first)
    counting = _Counting(monkeypatch)
    kg = graph.build([work], cache_dir=cache)
    assert counting.paths == [str(victim)]
    assert kg.article_by_url(url).title.startswith("AGAIN ")
    _assert_same_as_clean(work, kg, tmp_path, "same second")
    # the file is hashed again, not parsed, while it may still change unseen (as is
    # every file copied into ``work`` less than the seconds such a filesystem needs)
    hashed = _count_hashes(monkeypatch)
    del counting.paths[:]
    graph.build([work], cache_dir=cache)
    assert counting.paths == [] and str(victim) in hashed


def test_signatures_recorded_for_touched_files_are_not_trusted_in_their_second(work, tmp_path, monkeypatch):
    # A build served from the graph snapshot records the new signatures of many touched
    # files (FileCache.keep_signatures): where times are kept in whole seconds, those of
    # files touched in its second would have vouched for an edit made after it
    monkeypatch.setattr(fingerprints_mod, "_input_signature", whole_second_signature)
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    inputs = sorted(FileCache.load_index(cache, True))
    assert len(inputs) > parsed_mod._RESAVE_AFTER
    victim = _single_file_articles(work, 1)[0]
    text = victim.read_text(encoding="utf-8")
    url = _WEB_URL.search(text).group(1)
    at = text.index('title: "') + len('title: "')
    edited = text[:at] + "EDITED" + text[at + 6:]  # the same size
    assert text[at:at + 6].isascii() and edited != text
    resolves = _count_resolves(monkeypatch)

    def touch_all_and_build() -> None:
        for path in inputs:
            os.utime(path)
        graph.build([work], cache_dir=cache)
        assert resolves == []  # served from the snapshot, which recorded the signatures

    two_edits_in_one_second(victim, text, edited, touch_all_and_build)
    kg = graph.build([work], cache_dir=cache)
    assert kg.article_by_url(url).title == "EDITED" + text[at + 6:].split('"', 1)[0]
    _assert_same_as_clean(work, kg, tmp_path, "touched, then edited")


@pytest.mark.parametrize("edit", [False, True])
def test_a_snapshot_damaged_inside_is_not_used(work, tmp_path, edit):
    """The snapshot's entities are unpickled only when first used: damage
    must be found when it loads, and the graph built from the files."""
    out = tmp_path / "out"
    _build_cli(work, out)
    snapshot = out / ".cache" / GraphSnapshot.FILE
    data = bytearray(snapshot.read_bytes())
    data[len(data) - 3000] ^= 0x55  # inside the articles' pickle
    snapshot.write_bytes(bytes(data))
    (out / "graph.json").unlink()  # the exports must be written again: the graph is needed
    if edit:  # the patched path would use the snapshot too
        _edit(_single_file_articles(work, 1)[0], 'title: "', 'title: "After the damage ')
    _build_cli(work, out)
    clean = tmp_path / "clean"
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


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
    # Damaged in place, same size, its times put back (touch -r): the ctime still tells.
    page = out / "graph.json"
    times = page.stat()
    time.sleep(0.02)  # past the kernel's coarse clock tick, which stamps the ctime
    with open(page, "r+b") as fh:
        fh.seek(10)
        fh.write(b"#")
    os.utime(page, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert runner.invoke(cli, args).exit_code == 0
    assert _tree(out) == first
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

    def start(self, write, *, files, light=False):
        forked.append(self.enabled and not light)
        return real_start(self, lambda: time.sleep(0.3) or write(), files=files, light=light)  # must be waited for

    def write_exports(*args, **kwargs):
        if "beside" in kwargs:  # graph.cache's call (the --no-cache build below calls it without)
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
                                                                         cache_mod.EXPORTS_FILE,
                                                                         cache_mod.CATALOG_FILE,
                                                                         cache_mod.OFFSETS_DIR])
    first = _tree(out)
    resolves = _count_resolves(monkeypatch)
    assert runner.invoke(cli, args).exit_code == 0
    assert resolves == [] and _tree(out) == first  # served from the snapshot
    edited = sorted((work / "azure" / "news").glob("*.md"))[5]
    edited.write_text(edited.read_text(encoding="utf-8").replace('title: "', 'title: "NEW ', 1), encoding="utf-8")
    assert runner.invoke(cli, args).exit_code == 0
    assert resolves == []  # only a description changed: the graph is patched (graph.incremental)
    edited.write_text(edited.read_text(encoding="utf-8").replace("topics:\n", "topics:\n  - Zz New\n", 1),
                      encoding="utf-8")
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
    if chunk is not None:  # the articles in many pickles of 7
        monkeypatch.setattr(snapshot_mod, "SNAPSHOT_CHUNK", chunk)
        monkeypatch.setattr(snapshot_mod, "SNAPSHOT_PARTS", 10**9)
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


def _no_save(self, *args, **kwargs):
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
    assert sorted(p.name for p in folder.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE, cache_mod.CATALOG_FILE])
    # A rebuild without the graph snapshot reads every file from it.
    (folder / GraphSnapshot.FILE).unlink()
    counting = _Counting(monkeypatch)
    graph.build([corpus_dir], cache_dir=folder, jobs=1)
    assert counting.paths == []


def test_first_parallel_build_stopped_mid_read_leaves_no_cache_file(corpus_dir, tmp_path):
    folder = tmp_path / "cache"

    with pytest.raises(_Crash):
        graph.build([corpus_dir], cache_dir=folder, jobs=2, progress=_crash_half_way)
    # not even a temporary file: only the catalogues, read (and kept whole) before the files
    assert not folder.exists() or [p.name for p in folder.iterdir()] in ([], [cache_mod.CATALOG_FILE])


def test_pack_stream_that_cannot_write_falls_back_to_saving(corpus_dir, serial_cache, tmp_path, monkeypatch):
    opened = parsed_mod._PackStream.open.__func__
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

    monkeypatch.setattr(parsed_mod._PackStream, "open", classmethod(open_on_full_disk))
    folder = tmp_path / "cache"
    graph.build([corpus_dir], cache_dir=folder, jobs=2)
    assert failed  # the stream was used, and failed
    saved = FileCache.load(folder, True)
    assert saved.stats.loaded and saved.entries == serial_cache.entries
    assert sorted(p.name for p in folder.iterdir()) == sorted([CACHE_FILE, GraphSnapshot.FILE, cache_mod.CATALOG_FILE])


# --------------------------------------------------------------------------
# Patched rebuilds (graph.incremental): descriptions edited, exports spliced
# --------------------------------------------------------------------------

import graph.incremental  # noqa: E402
from graph.export.html import render_html  # noqa: E402
from graph.export.page_text import article_details_head  # noqa: E402
from graph.export.nodelink import article_line  # noqa: E402
from graph.export.rdf import RDF_FORMATS, article_texts  # noqa: E402


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _sub(path: Path, pattern: str, new) -> None:
    """Replace the first match of ``pattern`` (multiline) in ``path``, if any."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, new, text, count=1, flags=re.M), encoding="utf-8")


def _build_cli(work: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out), "-q", *extra])
    assert result.exit_code == 0, result.output


class _Paths:
    """Which path each build's exports took: written in full, or patched."""

    def __init__(self, monkeypatch) -> None:
        self.full = 0
        self.patched: list[bool] = []
        real_full, real_patch = graph.export.write_exports, graph.incremental.patch_exports

        def full(*a, **k):
            self.full += 1
            return real_full(*a, **k)

        def patch(*a, **k):
            self.patched.append(real_patch(*a, **k))
            return self.patched[-1]

        monkeypatch.setattr(graph.export, "write_exports", full)
        monkeypatch.setattr(graph.incremental, "patch_exports", patch)


def _single_file_articles(work: Path, count: int) -> list[Path]:
    """News files that are the only file of their article, each with a title, an excerpt and a date."""
    news = sorted((work / "azure" / "news").glob("*.md"))
    urls = collections.Counter(_WEB_URL.search(p.read_text(encoding="utf-8")).group(1) for p in news)
    return [p for p in news
            if urls[_WEB_URL.search(text := p.read_text(encoding="utf-8")).group(1)] == 1
            and 'title: "' in text and 'excerpt: "' in text and "publishedDateTime: 2" in text][:count]


def test_description_edits_are_patched_into_every_export_byte_for_byte(work, tmp_path, monkeypatch):
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out, "-j", "2")
    a, b, c, d = _single_file_articles(work, 30)[5:30:7]
    # Characters each format escapes its own way: quotes, markup, non-ASCII.
    _edit(a, 'title: "', 'title: "EDITED \\"quoted\\" <b>&amp;</b> – ☃ ')
    _edit(b, 'excerpt: "', 'excerpt: "New excerpt\\n</script><!-- ')
    _edit(c, "publishedDateTime: 2", "publishedDateTime: 1")  # a thousand years earlier
    paths = _Paths(monkeypatch)
    _build_cli(work, out, "-j", "2")
    assert (paths.full, paths.patched) == (0, [True])
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)

    # Again, from the patched build's caches: they must be those of the files as they are now.
    _edit(a, 'title: "EDITED', 'title: "EDITED AGAIN')
    _edit(d, 'title: "', 'title: "Fourth ')
    _build_cli(work, out, "-j", "1")
    assert (paths.full, paths.patched) == (1, [True, True])  # the one full write: the --no-cache build above
    shutil.rmtree(clean)
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_an_edit_that_changes_no_article_keeps_every_export(work, tmp_path, monkeypatch):
    """A file's body edited, or a comment added to its front matter: its bytes
    change and its article does not (a rebuild crashed here with KeyError)."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    a, b = _single_file_articles(work, 10)[3:5]
    a.write_text(a.read_text(encoding="utf-8") + "\nA paragraph more.\n", encoding="utf-8")
    _edit(b, 'title: "', '# a comment\ntitle: "')
    before = _tree(out)
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (0, [True])
    assert _tree(out) == before
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


class _Written:
    """Bytes written to, and compared with, the exports of ``out`` and their
    spares (not the caches), as graph.export writes and compares them."""

    def __init__(self, monkeypatch, out: Path) -> None:
        self.written: list[int] = []
        self.compared: list[int] = []
        ours = (out, out / ".cache" / "spares")

        def count(into: list[int], fd: int, amount: int) -> None:
            if amount and Path(os.readlink(f"/proc/self/fd/{fd}")).parent in ours:
                into.append(amount)

        real_copy, real_write, real_comparing = (graph.export.files._copy_some, graph.export.files.write_all,
                                                 graph.export.files._comparing)
        monkeypatch.setattr(graph.export.files, "_copy_some", lambda src, dst, n, *a: count(self.written, dst, n)
                            or real_copy(src, dst, n, *a))
        monkeypatch.setattr(graph.export.files, "write_all", lambda fd, data, *a: count(self.written, fd, len(data))
                            or real_write(fd, data, *a))
        monkeypatch.setattr(graph.export.files, "_comparing", lambda src, o, dst, at, n: count(self.compared, dst, n)
                            or real_comparing(src, o, dst, at, n))

    def clear(self) -> tuple[int, int]:
        amounts = sum(self.written), sum(self.compared)
        self.written.clear()
        self.compared.clear()
        return amounts


def test_a_patch_over_a_spare_writes_only_what_differs_from_it(work, tmp_path, monkeypatch):
    """Each patched file is written over its spare (the version before last),
    and only where the two differ. After an edit that keeps the lengths, the
    spare is brought up to the version written: the next edit of the same
    length writes only its texts, and compares nothing (the spare is known
    to equal the file). After an edit that changes a length, the spare is
    left as it is: that edit writes everything from the title on once, not
    twice, and the next edit compares and writes from the earlier of the two
    titles on (the bytes before it are known to be the same in both, and are
    not compared). Either way the exports equal a clean build's."""
    block = 4096
    monkeypatch.setattr(graph.export.files, "_COMPARED_BLOCK", block)
    out, clean = tmp_path / "out", tmp_path / "clean"
    (victim,) = _single_file_articles(work, 12)[11:]
    _build_cli(work, out)
    io = _Written(monkeypatch, out)
    text = victim.read_text(encoding="utf-8")
    amounts, compared, tails = [], [], []
    titles = ("First edit. ", "Other edit. ", "Third edit. ", "A longer edit, #4. ", "A longer edit, #5. ",
              "A longer edit, #6. ")
    names = sorted(p.name for p in out.iterdir() if p.is_file() and p.name not in ("report.json", LOCK_NAME))
    last = {name: (out / name).read_bytes() for name in names}  # the versions the next patch replaces
    for i, title in enumerate(titles):
        victim.write_text(text.replace('title: "', f'title: "{title}', 1), encoding="utf-8")
        io.clear()
        paths = _Paths(monkeypatch)
        _build_cli(work, out)
        assert (paths.full, paths.patched) == (0, [True])
        amount, compare = io.clear()
        amounts.append(amount)
        compared.append(compare)
        shutil.rmtree(clean, ignore_errors=True)
        _build_cli(work, clean, "--no-cache")
        assert _tree(out) == _tree(clean), title
        now = {name: (clean / name).read_bytes() for name in names}
        kept_length = i > 0 and len(title) == len(titles[i - 1])
        for name in names:  # the spare: brought up to the file, or the version it replaced
            assert (out / ".cache" / "spares" / name).read_bytes() == (now if kept_length else last)[name], title
        last = now
        # The bytes from the title on, in each file (the title is in each, once; in the page as HTML).
        tails.append(sum(len(data) - data.index(title.encode()) for data in now.values()))
    sizes = sum(len(data) for data in last.values())
    slack = len(names) * 2 * block  # a block or two of each file before the title, written whole
    # 1: no spare yet, whole files; 2: a spare a length behind, compared and written from the title on;
    # 3: a spare known equal; 4: a longer title, written from it on once; 5: as 2; 6: as 3.
    assert amounts[0] >= sizes * 0.99 and compared[0] == 0
    for i in (1, 4):  # the bytes before the title are known to be the spare's: not compared
        assert tails[i] <= amounts[i] <= tails[i] + slack and 0 < compared[i] <= tails[i] + slack, i
    for i in (2, 5):
        assert amounts[i] < 50_000 and compared[i] == 0, i
    assert tails[3] <= amounts[3] <= tails[3] + slack < 2 * tails[3] and compared[3] == 0


@pytest.mark.parametrize("doubt", ["spare changed", "machine restarted", "nothing"])
def test_a_spare_is_trusted_only_while_it_is_as_left(work, tmp_path, monkeypatch, doubt):
    """A spare known equal to its file is not compared, unless it changed
    since (its size, time or inode) or the machine restarted (its bytes may
    not have reached the disk): then it is compared, and the exports are
    still a clean build's."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    victim, other = _single_file_articles(work, 12)[10:12]
    _build_cli(work, out)
    _edit(victim, 'title: "', 'title: "A first edit ')
    _build_cli(work, out)  # a length changed: the spares are left as they were
    _edit(victim, "A first edit ", "A later edit ")
    _build_cli(work, out)  # the same length: the spares are now known equal to the files
    if doubt == "spare changed":  # same size, a byte changed
        spare = out / ".cache" / "spares" / "graph.nt"
        data = bytearray(spare.read_bytes())
        data[len(data) // 2] ^= 1
        spare.write_bytes(bytes(data))
    elif doubt == "machine restarted":
        monkeypatch.setattr(exports_mod, "_boot_id", lambda: "another boot")
    _edit(other, 'title: "', 'title: "X ')
    io = _Written(monkeypatch, out)
    _build_cli(work, out)
    compared = io.clear()[1]
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)
    if doubt == "nothing":
        assert compared == 0
    else:
        assert compared > 0


def test_patched_rebuild_keeps_the_chosen_formats_and_base_iri(work, tmp_path, monkeypatch):
    args = ("-f", "ttl,jsonld,json", "--base-iri", "https://news.example.net/kg/")
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out, *args)
    (a,) = _single_file_articles(work, 1)
    _edit(a, 'title: "', 'title: "Base IRI ')
    paths = _Paths(monkeypatch)
    _build_cli(work, out, *args)
    assert paths.patched == [True]
    _build_cli(work, clean, "--no-cache", *args)
    assert _tree(out) == _tree(clean)


def _add_topic(path: Path) -> None:
    _edit(path, "topics:\n", "topics:\n  - Zz Brand New Topic\n")


def _empty_excerpt(path: Path) -> None:
    _sub(path, r'^excerpt: ".*"$', 'excerpt: ""')


def _newer_of_a_pair(work: Path) -> Path:
    """Of two files of the same article, the one that gives it its title (the newer),
    renamed to come first, as the article's home file."""
    news = sorted((work / "azure" / "news").glob("*.md"))
    by_url = collections.defaultdict(list)
    for p in news:
        by_url[_WEB_URL.search(p.read_text(encoding="utf-8")).group(1)].append(p)
    pair = next(ps for ps in by_url.values() if len(ps) == 2)
    newer = max(pair, key=lambda p: re.search(r"^publishedDateTime: (.*)$", p.read_text(encoding="utf-8"),
                                              re.M).group(1))
    return newer.rename(newer.with_name("0000-" + newer.name))


@pytest.mark.parametrize("change", ["new topic", "excerpt emptied", "one of two files of an article",
                                    "an export edited by hand", "a file added"])
def test_other_changes_take_the_full_path_with_the_same_result(work, tmp_path, monkeypatch, change):
    out, clean = tmp_path / "out", tmp_path / "clean"
    newer = _newer_of_a_pair(work) if change == "one of two files of an article" else None
    _build_cli(work, out)
    target = _single_file_articles(work, 3)[2]
    _edit(target, 'title: "', 'title: "Edited ')  # alone, this could be patched
    if change == "new topic":
        _add_topic(target)
    elif change == "excerpt emptied":  # an article other files list: their stubs' excerpt is its excerpt now
        _empty_excerpt(next(p for p in _single_file_articles(work, 40)
                          if _mentions(work, _WEB_URL.search(p.read_text(encoding="utf-8")).group(1), p)))
    elif change == "one of two files of an article":
        _edit(newer, "publishedDateTime: 2", "publishedDateTime: 1")  # now the other file's title wins
    elif change == "an export edited by hand":
        page = out / "graph.nt"
        page.write_bytes(page.read_bytes() + b"\n")
    else:
        shutil.copyfile(target, target.with_name("zz-copy-" + target.name))
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert paths.full == 1 and True not in paths.patched
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_patch_that_cannot_be_made_or_fails_half_way_leaves_full_exports(work, tmp_path, monkeypatch):
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    (first,) = _single_file_articles(work, 1)
    _edit(first, 'title: "', 'title: "Half way ')
    written = []
    real_patch_file = graph.incremental._patch_file

    def patch_then_fail(path, edits, spares=None, positions=None, later=None):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real_patch_file(path, edits, spares, positions, later)

    monkeypatch.setattr(graph.incremental, "_patch_file", patch_then_fail)
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert written and paths.full == 1
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)



def test_a_patched_rebuild_stopped_part_way_leaves_the_last_exports_all_of_them(work, tmp_path, monkeypatch):
    """Each file's patch moved it into place as it finished: a rebuild stopped while
    the others were patched (Ctrl-C, SIGTERM: 3 to 5 runs in 30) left graph.html of
    the last build beside the new RDF. Every file is now patched beside its target and
    all are moved together, as a full write does. Here the last file's patch is
    interrupted once the others are done."""
    out = tmp_path / "out"
    _build_cli(work, out)
    before = _tree(out)
    (victim,) = _single_file_articles(work, 1)
    _edit(victim, 'title: "', 'title: "Stopped half way ')
    real_patch_file = graph.incremental._patch_file
    lock, done = threading.Lock(), []

    def patch_or_stop(path, *a):
        with lock:
            last = len(done) == 5  # six files are patched; the sixth is stopped
            done.append(path.name)
        if last:
            time.sleep(0.2)  # the others are written (and were moved into place) meanwhile
            raise KeyboardInterrupt
        return real_patch_file(path, *a)

    monkeypatch.setattr(graph.incremental, "_patch_file", patch_or_stop)
    paths = _Paths(monkeypatch)
    result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out), "-q"])
    assert result.exit_code == 1 and "Aborted!" in result.output, result.output
    assert len(done) == 6 and paths.full == 0
    assert _tree(out) == before  # the last build's exports, every one of them
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(graph.incremental, "_patch_file", real_patch_file)
    _build_cli(work, out)  # and the next build patches them
    clean = tmp_path / "clean"
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_each_file_is_patched_as_soon_as_its_edits_are_made_largest_first(work, tmp_path, monkeypatch):
    """The files' threads start one by one as their edits are made, the largest
    formats first, so that copying and syncing them goes on while the next
    edits are made; each file's position record is saved before the file is
    synced (the disk takes its bytes meanwhile). Seen by making the JSON's and
    the page's edits wait for the threads already started to have begun: with
    every thread started only after all edits were made, they wait in vain."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    (victim,) = _single_file_articles(work, 1)
    _edit(victim, 'title: "', 'title: "Patched in turn ')
    begun: list[str] = []
    waited: dict[str, list[str]] = {}
    events: list[tuple[int, str, str]] = []  # (thread, what, of which file or format)
    real_patch_file, real_json, real_html = (graph.incremental._patch_file, graph.incremental._json_edits,
                                             graph.incremental._html_edits)
    real_save, real_fsync = graph.export.offsets.save, os.fsync

    def patch_file(path, *a):
        begun.append(path.name)
        return real_patch_file(path, *a)

    def waiting_for(count: int, name: str, real):
        def edits(*a):
            deadline = time.monotonic() + 10
            while len(begun) < count and time.monotonic() < deadline:
                time.sleep(0.005)
            waited[name] = list(begun)
            return real(*a)
        return edits

    def save(where, name, *a):
        events.append((threading.get_ident(), "save", name))
        return real_save(where, name, *a)

    def fsync(fd):
        events.append((threading.get_ident(), "sync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    monkeypatch.setattr(graph.incremental, "_patch_file", patch_file)
    monkeypatch.setattr(graph.incremental, "_json_edits", waiting_for(1, "json", real_json))
    monkeypatch.setattr(graph.incremental, "_html_edits", waiting_for(5, "html", real_html))
    monkeypatch.setattr(graph.export.offsets, "save", save)
    monkeypatch.setattr(os, "fsync", fsync)
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (0, [True])
    # N-Triples is the largest file, then the node-link JSON (made after the RDF texts), then the
    # other RDF formats, and the page last.
    assert waited == {"json": ["graph.nt"], "html": ["graph.nt", "graph.json", "graph.trig", "graph.ttl",
                                                     "graph.jsonld"]}
    assert sorted(begun) == sorted(p.name for p in out.glob("graph.*"))
    recorded = {name for _, what, name in events if what == "save"}
    assert recorded == {"nt", "json", "trig", "ttl", "jsonld"}
    for thread in {t for t, what, _ in events if what == "save"}:
        mine = [what for t, what, _ in events if t == thread]
        assert mine.index("save") < mine.index("sync"), mine
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_a_ctrl_c_as_a_files_thread_starts_ends_the_rebuild_as_a_ctrl_c(work, tmp_path, monkeypatch):
    """An interruption landing in a patch thread's start() (Ctrl-C, or SIGTERM,
    which the command turns into one) ends the rebuild as an interruption: it
    was a RuntimeError ("cannot join thread before it is started", raised by
    the wait for the threads) that replaced it, and the command printed its
    traceback. The threads already started are waited for, and the next build
    gives a clean build's bytes."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    (victim,) = _single_file_articles(work, 1)
    _edit(victim, 'title: "', 'title: "Interrupted ')
    real_start = threading.Thread.start
    started: list[threading.Thread] = []

    def start(self):
        patching = sys._getframe(1).f_globals.get("__name__") == "graph.incremental"
        if patching and len(started) == 2:
            raise KeyboardInterrupt  # the third file's thread: two are running
        real_start(self)
        if patching:
            started.append(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out), "-q"])
    monkeypatch.undo()
    assert isinstance(result.exception, KeyboardInterrupt) or "Aborted" in result.output, result.output
    assert "RuntimeError" not in repr(result.exception) and "Traceback" not in result.output
    assert len(started) == 2 and not any(t.is_alive() for t in started)
    _build_cli(work, out)
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_an_exports_record_damaged_but_still_json_is_not_trusted(work, tmp_path, monkeypatch):
    """The record of the last exports says how many first bytes each spare
    shares with its file; one changed (still valid JSON) made the next patch
    skip bytes that differed, and an export then differed from a clean
    build's. Its checksum now makes the build write every export."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    first, second = _single_file_articles(work, 2)
    _edit(first, 'title: "', 'title: "Longer ')
    _build_cli(work, out)
    _edit(first, 'title: "', 'title: "Longer ')
    _build_cli(work, out)  # now each spare is known to share its first bytes with its file
    record_file = out / ".cache" / cache_mod.EXPORTS_FILE
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["spares"]
    for known in record["spares"].values():
        known[-1] = known[-1] * 2 + 4096  # more bytes "equal" than are
    record_file.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    _edit(second, 'title: "', 'title: "Other ')
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (1, [])
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_a_failure_while_edits_are_made_waits_for_the_files_threads_then_writes_all(work, tmp_path, monkeypatch):
    """The page cannot be read once the other files' threads are patching
    them: they are waited for, and every export is written in full."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    (victim,) = _single_file_articles(work, 1)
    _edit(victim, 'title: "', 'title: "Not to be patched ')
    finished: list[str] = []
    real_patch_file = graph.incremental._patch_file

    def patch_file(path, *a):
        time.sleep(0.05)  # still at work when the page fails
        result = real_patch_file(path, *a)
        finished.append(path.name)
        return result

    def unreadable_page(kg, patch, page):
        raise OSError(errno.EIO, "Input/output error", str(page))

    monkeypatch.setattr(graph.incremental, "_patch_file", patch_file)
    monkeypatch.setattr(graph.incremental, "_html_edits", unreadable_page)
    paths = _Paths(monkeypatch)
    finished_when_raised: list[list[str]] = []
    real_patch_exports = graph.incremental.patch_exports

    def patch_exports(*a, **k):
        try:
            return real_patch_exports(*a, **k)
        except OSError:
            finished_when_raised.append(sorted(finished))
            raise

    monkeypatch.setattr(graph.incremental, "patch_exports", patch_exports)
    _build_cli(work, out)
    assert paths.full == 1
    assert finished_when_raised == [["graph.json", "graph.jsonld", "graph.nt", "graph.trig", "graph.ttl"]]
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def _signatures(*paths: Path) -> list[int]:
    """Size, mtime, inode and ctime of each path, in a row (as exports.json records a spare and its file)."""
    return [n for p in paths for n in (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino, p.stat().st_ctime_ns)]


@pytest.mark.parametrize("window", [mmap.ALLOCATIONGRANULARITY, 1 << 22])
@pytest.mark.parametrize("kernel_copy", ["works", "cross-device", "missing"])
@pytest.mark.parametrize("search", ["memmem", "mmap.find"])
@pytest.mark.parametrize("spare", [None, "near", "known", "known start"])
def test_a_file_is_patched_only_when_each_old_text_is_found_once(tmp_path, monkeypatch, window, kernel_copy, search,
                                                                  spare):
    """Checked against replacements at the places a regular expression finds
    (overlapping matches too), with texts straddling the windows a file is
    searched in; with and without the kernel's copies, searched by the C
    library's memmem and by Python's mmap.find; written into a new file, over
    a spare that holds the expected bytes with some changed, or cut, or with
    more after them (compared in small blocks: most blocks are equal), over
    a spare known to hold the file's bytes (not compared: written only from
    the first change of length on), or known to hold its first bytes only
    (those not compared; other bytes after them). What is recorded of the
    spare afterwards is worked out from the edits: all of it equal where no
    length changed, else its bytes before the first edit."""
    monkeypatch.setattr(graph.incremental, "_WINDOW", window)
    monkeypatch.setattr(graph.export.files, "_COMPARED_BLOCK", 96)
    if search == "memmem":
        assert graph.incremental._libc_memmem(), "this Linux machine's C library has memmem"
    else:
        monkeypatch.setitem(graph.export.files._LIBC, "memmem", False)
    if kernel_copy == "cross-device":
        def refuse(*args):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(os, "copy_file_range", refuse)
    elif kernel_copy == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    rng = random.Random(window)
    path = tmp_path / "text"
    edge = mmap.ALLOCATIONGRANULARITY
    outcomes = collections.Counter()
    for _ in range(150):
        text = bytearray(rng.randbytes(rng.randint(0, 3 * edge + 50)))

        def old_text() -> bytes:
            size = rng.randint(1, 12)
            where = rng.random()
            if not text or where < 0.15:
                return rng.randbytes(size)  # most likely absent
            start = (rng.randrange(len(text)) if where < 0.4 else
                     max(0, min(len(text) - 1, rng.choice([edge, 2 * edge]) + rng.choice([0, rng.randint(-12, 12)]))))
            return bytes(text[start:start + size])

        edits = [(old, f"<{i} é>".encode("utf-8") if keep > 0.4 else (b"<%d~~~~~~~~~~~" % i)[:len(old)])
                 for i, old, keep in ((i, old_text(), rng.random()) for i in range(rng.randint(1, 3)))]
        if text and rng.random() < 0.25:  # a copy of an old text elsewhere: found twice
            at = rng.randrange(len(text))
            text[at:at + len(edits[0][0])] = edits[0][0]
        text = bytes(text)
        path.write_bytes(text)
        at = [[m.start() for m in re.finditer(b"(?=" + re.escape(old) + b")", text, re.S)] for old, _ in edits]
        spans = sorted((a[0], a[0] + len(old), new) for (old, new), a in zip(edits, at) if a)
        patchable = all(len(a) == 1 for a in at) and all(
            spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
        expected, end = b"", 0
        for start, stop, new in spans if patchable else ():
            expected += text[end:start] + new
            end = stop
        expected += text[end:]
        spares = tmp_path / "spares"
        known: dict[str, list[int]] = {}
        if spare == "near":  # what a spare may hold: the bytes to write, give or take some
            held = bytearray(expected)
            for _ in range(rng.choice([0, 1, 3])):
                if held:
                    held[rng.randrange(len(held))] ^= 1 << rng.randrange(8)
            cut = rng.choice([None, rng.randint(0, len(held)), len(held) + rng.randint(1, 300)])
            held = held[:cut] + rng.randbytes(max(0, (cut or 0) - len(held)))
            spares.mkdir(exist_ok=True)
            (spares / "text").write_bytes(held)
        elif spare == "known":  # a copy of the file, recorded as such
            spares.mkdir(exist_ok=True)
            (spares / "text").write_bytes(text)
            known[str(path)] = _signatures(spares / "text", path) + [len(text)]
        elif spare == "known start":  # the file's first bytes, recorded as such, then others
            spares.mkdir(exist_ok=True)
            shared = rng.randint(0, len(text))
            (spares / "text").write_bytes(text[:shared] + bytes(b ^ 0x5A for b in text[shared:])
                                          + rng.randbytes(rng.choice([0, 7])))
            known[str(path)] = _signatures(spares / "text", path) + [shared]
        with recycling(tmp_path, spares) if spare else contextlib.nullcontext():
            patched = graph.incremental._patch_file(path, edits, known)
        outcomes[patched] += 1
        assert patched == patchable, (text, edits)
        assert path.read_bytes() == expected, (text, edits)
        assert oct(path.stat().st_mode & 0o777) == "0o644"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["spares", "text"] if spare else ["text"]
        if spare and patched:  # the file replaced is kept as the spare: brought up to the new one
            if all(len(old) == len(new) for old, new in edits):  # only where no length changed
                outcomes["caught up"] += 1
                assert (spares / "text").read_bytes() == expected
                assert known == {str(path): _signatures(spares / "text", path) + [len(expected)]}
            else:  # left as it was: the same as the file written up to the first edit
                assert (spares / "text").read_bytes() == text
                assert known == {str(path): _signatures(spares / "text", path) + [spans[0][0]]}
    assert outcomes[True] > 20 and outcomes[False] > 20  # both kinds of case were met
    assert outcomes["caught up"] > 5 or not spare


def test_a_known_spare_is_not_trusted_once_its_file_was_replaced(tmp_path):
    """The record vouches for a spare and for the file it equals: a file
    replaced since (another writer) is patched from its own bytes, not the
    spare's."""
    path, spares = tmp_path / "text", tmp_path / "spares"
    spares.mkdir()
    old = b"".join(b"line %d of the version the spare holds\n" % i for i in range(5000))
    path.write_bytes(old)
    (spares / "text").write_bytes(old)
    known = {str(path): _signatures(spares / "text", path) + [len(old)]}
    replaced = old.replace(b"the version", b"THE VERSION")  # same size, another file
    (tmp_path / "new").write_bytes(replaced)
    os.replace(tmp_path / "new", path)
    with recycling(tmp_path, spares):
        assert graph.incremental._patch_file(path, [(b"line 17 of", b"line seventeen of")], known)
    assert path.read_bytes() == replaced.replace(b"line 17 of", b"line seventeen of")


def test_the_folder_is_synced_before_the_replaced_file_is_written(tmp_path, monkeypatch):
    """The file replaced becomes the spare and is brought up to the new one in
    place; until the move is on disk, the file's name still points to it, so
    the folder is synced first."""
    path, spares = tmp_path / "text", tmp_path / "spares"
    path.write_bytes(b"some text\n" * 500 + b"the part to change\n" + b"more text\n" * 500)
    events: list[str] = []
    real_fsync, real_pwrite = os.fsync, os.pwrite

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            events.append("sync " + os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    def pwrite(fd, data, offset):
        events.append("write " + os.readlink(f"/proc/self/fd/{fd}"))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "pwrite", pwrite)
    with recycling(tmp_path, spares):
        assert graph.incremental._patch_file(path, [(b"the part to change", b"THE PART CHANGED!!")])  # same length
    spare_writes = [i for i, e in enumerate(events) if e == f"write {spares / 'text'}"]
    assert spare_writes and f"sync {tmp_path}" in events[:spare_writes[0]], events


def test_copy_over_a_file_shorter_than_said_or_in_several_mappings(tmp_path, monkeypatch):
    """A spare shorter than ``held`` says (cut meanwhile) is compared by
    reading, not mapping past its end; long ranges are mapped a part at a
    time. Either way the bytes written are the source's."""
    monkeypatch.setattr(graph.export.files, "_COMPARED_BLOCK", 4096)
    monkeypatch.setattr(graph.export.files, "_MAPPED", 3 * 4096)
    data = random.Random(3).randbytes(10 * 4096 + 123)
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(data)
    for spare, held in ((data[:5000], len(data)), (data[:-1] + b"x", len(data)), (data, len(data))):
        target.write_bytes(spare)
        with open(source, "rb") as src, open(target, "r+b") as dst:
            graph.export.files.copy_range(src.fileno(), dst.fileno(), 0, len(data), at=0, held=held)
        assert target.read_bytes() == data


def _copies(monkeypatch) -> list[tuple[int, int]]:
    """``(offset written at, bytes)`` of each copy graph.export.files.copy_range makes, as it makes them."""
    written: list[tuple[int, int]] = []
    real_copy = graph.export.files._copy_some
    monkeypatch.setattr(graph.export.files, "_copy_some", lambda src, dst, count, offset, at: written.append(
        (at, count)) or real_copy(src, dst, count, offset, at))
    return written


@pytest.mark.parametrize("kernel_copy", [True, False])
@pytest.mark.parametrize("memcmp", [True, False])
def test_copy_over_a_file_writes_only_the_blocks_that_differ(tmp_path, monkeypatch, kernel_copy, memcmp):
    """graph.export.files.copy_range with ``at``: for a spare equal to the source but
    for one byte, at each position in turn (and one shorter, for the bytes
    past its end), exactly the block holding that byte is written; compared
    in mappings by the C library's memcmp, or read."""
    block = 64
    monkeypatch.setattr(graph.export.files, "_COMPARED_BLOCK", block)
    if not kernel_copy:
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    if memcmp:
        assert graph.export.files.libc_function("memcmp", "c_int", ()), "this Linux machine's C library has memcmp"
    else:
        monkeypatch.setitem(graph.export.files._LIBC, "memcmp", False)
    written = _copies(monkeypatch)
    data = random.Random(7).randbytes(5 * block + 17)
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(b"head" * 1025 + data)  # copied from offset 4100 (not a page's edge), to offset 0
    for where in [*range(len(data)), None]:
        spare = bytearray(data)
        if where is None:
            spare = spare[:2 * block + 5]  # shorter: its last (partial) block and all after it differ
        else:
            spare[where] ^= 0x55
        target.write_bytes(spare)
        written.clear()
        with open(source, "rb") as src, open(target, "r+b") as dst:
            graph.export.files.copy_range(src.fileno(), dst.fileno(), 4100, len(data), at=0, held=len(spare))
        assert target.read_bytes() == data
        if where is None:  # from the block holding the spare's end on, one after another
            assert written[0][0] == 2 * block and sum(n for _, n in written) == len(data) - 2 * block
            assert all(at + n == later for (at, n), (later, _) in zip(written, written[1:]))
        else:
            assert written == [(where - where % block, min(block, len(data) - where + where % block))]


def test_copy_over_a_file_takes_blocks_that_differ_in_a_row_in_growing_steps(tmp_path, monkeypatch):
    """graph.export.files.copy_range with ``at``: blocks that differ one after
    another (the bytes after an edit that changed a length) are compared and
    copied in steps that double up to the largest, and the first block found
    the same brings the step back to the smallest; every so many bytes written,
    their write-back is started. The bytes written are the source's, and
    only the blocks that differ are."""
    block, largest, every = 64, 256, 300
    monkeypatch.setattr(graph.export.files, "_COMPARED_BLOCK", block)
    monkeypatch.setattr(graph.export.files, "_LARGEST_BLOCK", largest)
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_COPIED", every)
    written = _copies(monkeypatch)
    started: list[int] = []
    monkeypatch.setattr(graph.export.files, "start_writeback", lambda fd: started.append(sum(n for _, n in written)))
    data = random.Random(11).randbytes(40 * block)
    spare = bytearray(data)
    for i in [*range(0, 12 * block), *range(20 * block, 21 * block)]:  # two stretches that differ
        spare[i] ^= 0xFF
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(data)
    target.write_bytes(spare)
    with open(source, "rb") as src, open(target, "r+b") as dst:
        graph.export.files.copy_range(src.fileno(), dst.fileno(), 0, len(data), at=0, held=len(spare))
    assert target.read_bytes() == data
    # Worked out by hand: 64, 128, 256 and 256 bytes differ (to 704); the next 256 hold
    # the last differing bytes (to 960); the next 256 are the same, so steps of 64 again,
    # the same up to block 20, which differs; the 128 after it are the same.
    assert written == [(0, 64), (64, 128), (192, 256), (448, 256), (704, 256), (20 * block, 64)]
    assert started == [448, 960]  # once 300 bytes or more were written since the last start


def test_each_articles_text_is_found_once_in_each_export(work, tmp_path):
    """What a patch relies on, over every article of the real files: the exporter's
    text for one article occurs exactly once in the file the whole graph gives."""
    kg = graph.build([work])
    out = tmp_path / "out"
    write_exports(kg, out, ["ttl", "nt", "jsonld", "trig", "json", "html"])
    files = {name: (out / EXPORTERS[name].filename).read_bytes() for name in [*RDF_FORMATS, "json", "html"]}
    page = render_html(kg).encode("utf-8")
    assert page == files["html"]
    for a in kg.articles.values():
        texts = {**article_texts(kg, a), "json": article_line(a).encode("utf-8"),
                 "html": article_details_head(kg, a).encode("utf-8")}
        for name, text in texts.items():
            assert files[name].count(text) == 1, (name, a.id)


def test_file_edited_during_a_build_is_read_again_by_the_next(work, tmp_path):
    """The snapshot is keyed by the contents the build read: an edit made after
    its file was read is found, and read, by the next build."""
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache)
    (target,) = _single_file_articles(work, 1)
    _edit(target, 'title: "', 'title: "First ')

    def edit_when_all_read(done: int, total: int) -> None:
        if done == total and "Second" not in target.read_text(encoding="utf-8"):
            _edit(target, 'title: "First ', 'title: "Second ')

    during = graph.build([work], cache_dir=cache, jobs=1, progress=edit_when_all_read)
    url = _WEB_URL.search(target.read_text(encoding="utf-8")).group(1)
    assert during.article_by_url(url).title.startswith("First ")  # what it read
    after = graph.build([work], cache_dir=cache)
    assert after.article_by_url(url).title.startswith("Second ")
    _assert_same_as_clean(work, after, tmp_path, "edited-during")


def _entries_by_path(cache: Path) -> dict:
    return {path: entry[3] for path, entry in FileCache.load(cache, True).entries.items()}


def _cache_parts(cache: Path) -> tuple[int, int, bytes]:
    """The parse cache as its files lay it out: how many bytes of packs its
    patch file holds (0 without one), where the packs of the file written
    whole end, and that file's token (see graph.cache.parsed)."""
    whole = (cache / CACHE_FILE).read_bytes()
    packs_end, token = parsed_mod._FOOTER.unpack(whole[-parsed_mod._FOOTER.size:])
    patch = cache / parsed_mod.PATCH_FILE
    if not patch.exists():
        return 0, packs_end, token
    data = patch.read_bytes()
    header = io.BytesIO(data)
    pickle.load(header)  # the packs follow the header pickle
    patch_end, named = parsed_mod._FOOTER.unpack(data[-parsed_mod._FOOTER.size:])
    assert named == token  # a patch file left beside another file would not be used
    return patch_end - header.tell(), packs_end, token


def test_parse_cache_appends_what_was_parsed_again_and_compacts_when_a_quarter_is_appended(work, tmp_path):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache, jobs=1)
    files = _single_file_articles(work, 200)
    parts = [_cache_parts(cache)]
    written_whole = [(cache / CACHE_FILE).read_bytes()]
    for round_ in range(12):  # 12 rounds of 10 edited files
        for p in files[round_ * 10:(round_ + 1) * 10]:
            _edit(p, 'title: "', f'title: "R{round_} ')
        kg = graph.build([work], cache_dir=cache, jobs=1)
        parts.append(_cache_parts(cache))
        written_whole.append((cache / CACHE_FILE).read_bytes())
        # The entries are what a read without the cache gives, file by file.
        fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
        assert _entries_by_path(cache) == fresh
    appended, wholes, tokens = zip(*parts)
    assert appended[0] == 0 and appended[1] > 0 and tokens[1] == tokens[0]  # a first edit appends...
    assert written_whole[1] == written_whole[0]  # ... in the patch file: the file written whole stays as it was
    assert all(more <= 0.25 * whole for more, whole, _ in parts)  # ... up to a quarter
    assert len(set(tokens)) > 1  # then all is written whole again, and the patch file removed
    rewritten = tokens.index(tokens[-1])
    assert appended[rewritten] == 0 and written_whole[rewritten] != written_whole[rewritten - 1]
    _assert_same_as_clean(work, kg, tmp_path, "appended")


def test_parse_cache_patch_file_keeps_every_change_since_the_whole_file(work, tmp_path):
    """The patch file's index holds only what differs from the whole file's:
    edits, deletions and additions over several rebuilds must all still be
    there, each entry the file's as it is (its SHA-256 computed here)."""
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache, jobs=1)
    token = _cache_parts(cache)[2]
    edited, deleted, model = _single_file_articles(work, 3)
    kept = deleted.read_bytes()
    added = model.with_name("zz-added-" + model.name)

    def edit():
        _edit(edited, 'title: "', 'title: "Delta ')

    def delete():
        deleted.unlink()

    def add():
        added.write_text(model.read_text(encoding="utf-8").replace("https://", "https://added.", 1), encoding="utf-8")

    def restore():
        deleted.write_bytes(kept)

    def unadd():
        added.unlink()

    for step in (edit, delete, add, restore, unadd, edit):
        step()
        graph.build([work], cache_dir=cache, jobs=1)
        assert _cache_parts(cache)[0] > 0 and _cache_parts(cache)[2] == token  # appended, in the patch file
        inputs = {str(p) for p in work.rglob("*") if p.suffix in (".md", ".txt") or p.parent.name in
                  ("organizations", "topics")}
        index = FileCache.load(cache, True).index
        assert index.keys() <= inputs and {str(edited), str(model)} <= index.keys(), step.__name__
        assert (str(deleted) in index) == deleted.exists() and (str(added) in index) == added.exists()
        for path, (_, digest, _) in index.items():
            assert digest == hashlib.sha256(Path(path).read_bytes()).hexdigest(), (step.__name__, path)
        fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
        assert _entries_by_path(cache) == fresh, step.__name__


def test_parse_cache_replaced_by_someone_else_is_written_whole(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache, jobs=1)
    copied = []
    real_copy = graph.export.files.copy_range
    monkeypatch.setattr(graph.export.files, "copy_range", lambda *a: copied.append(a) or real_copy(*a))
    (target,) = _single_file_articles(work, 1)
    patch = cache / parsed_mod.PATCH_FILE

    def replaced_by_someone_else() -> None:  # another build wrote the cache whole meanwhile
        other = FileCache.load(cache, True)
        other._loaded_from = None
        other.save()

    # 1. The file written whole was replaced since it was loaded: written whole again.
    loaded = FileCache.load(cache, True)
    replaced_by_someone_else()
    token = _cache_parts(cache)[2]
    loaded.save(parsed=[str(target)])
    assert not patch.exists() and _cache_parts(cache)[2] != token
    assert _entries_by_path(cache) == {p: e[3] for p, e in loaded.entries.items()}
    # 2. Unchanged since: a patch file, the first without packs to copy; the second copies the first's.
    for copies in (0, 1):
        whole = (cache / CACHE_FILE).read_bytes()
        loaded = FileCache.load(cache, True)
        loaded.save(parsed=[str(target)])
        assert patch.exists() and (cache / CACHE_FILE).read_bytes() == whole and len(copied) == copies
        assert _entries_by_path(cache) == {p: e[3] for p, e in loaded.entries.items()}
    # 3. The patch file was replaced since it was loaded (its signature changed): written whole.
    loaded = FileCache.load(cache, True)
    os.utime(patch, ns=(1, 1))
    loaded.save(parsed=[str(target)])
    assert not patch.exists() and len(copied) == 1
    assert _entries_by_path(cache) == {p: e[3] for p, e in loaded.entries.items()}


def test_a_patch_file_beside_another_cache_file_is_not_used(work, tmp_path):
    """A patch file names the file written whole it adds to (the parse
    cache's by a token, the snapshot's by its key and checksum): left beside
    another one (a crash between the two moves, a copy), it is passed over."""
    out = tmp_path / "out"
    cache = out / ".cache"
    _build_cli(work, out)
    first, second = _single_file_articles(work, 2)
    _edit(first, 'title: "', 'title: "Patched ')
    _build_cli(work, out)  # patched: both caches get a patch file
    kept = {name: (cache / name).read_bytes() for name in (parsed_mod.PATCH_FILE, GraphSnapshot.PATCH_FILE)}
    before = second.read_text(encoding="utf-8")
    _add_topic(second)  # a change of shape: the snapshot written whole again
    (cache / CACHE_FILE).unlink()  # and the parse cache: both patch files removed
    _build_cli(work, out)
    assert not any((cache / name).exists() for name in kept)
    for name, data in kept.items():
        (cache / name).write_bytes(data)
    # The snapshot: the patch file's key is not that of the whole file...
    snapshot = GraphSnapshot(cache, True, [], None)
    assert snapshot._read(pickle.loads(kept[GraphSnapshot.PATCH_FILE])) is None
    # ... and even under that file's key it is not used beside it.
    key = pickle.loads((cache / GraphSnapshot.FILE).read_bytes())
    forged = io.BytesIO(kept[GraphSnapshot.PATCH_FILE])
    pickle.load(forged)
    (cache / GraphSnapshot.PATCH_FILE).write_bytes(pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL) + forged.read())
    found = snapshot._read(key)
    assert found is not None and bytes(found[2].head).endswith(found[2].tail)  # the whole file's own changed articles
    (cache / GraphSnapshot.PATCH_FILE).write_bytes(kept[GraphSnapshot.PATCH_FILE])
    # The parse cache: the index of the file written whole, not the patch file's
    # older one, which has the file without its topic: had it been used, the
    # file (now without its topic again) would have been taken as unchanged.
    second.write_text(before, encoding="utf-8")
    fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
    index = FileCache.load(cache, True).index
    assert index[str(second)][1] != hashlib.sha256(second.read_bytes()).hexdigest()
    kg = graph.build([work], cache_dir=cache, jobs=1)
    assert _entries_by_path(cache) == fresh
    _assert_same_as_clean(work, kg, tmp_path, "stale-patch")
    clean = tmp_path / "clean"
    _build_cli(work, clean, "--no-cache")
    _build_cli(work, out)
    assert _tree(out) == _tree(clean)


def test_patched_rebuild_writes_only_the_caches_patch_files(work, tmp_path):
    """A patched rebuild leaves the cache files written whole as they were
    (their inodes, their bytes) and writes small patch files; a build with
    nothing changed since is served from the snapshot and its patch file."""
    out = tmp_path / "out"
    cache = out / ".cache"
    _build_cli(work, out)
    wholes = {name: ((cache / name).stat().st_ino, (cache / name).read_bytes())
              for name in (CACHE_FILE, GraphSnapshot.FILE)}
    for i, p in enumerate(_single_file_articles(work, 3)):
        _edit(p, 'title: "', f'title: "Patch {i} ')
        _build_cli(work, out)
        assert {name: ((cache / name).stat().st_ino, (cache / name).read_bytes()) for name in wholes} == wholes
        assert (cache / GraphSnapshot.PATCH_FILE).stat().st_size < len(wholes[GraphSnapshot.FILE][1]) / 20
        assert 0 < _cache_parts(cache)[0] < len(wholes[CACHE_FILE][1]) / 20
    served = graph.build([work], cache_dir=cache)
    assert "articles" not in vars(served)  # from the snapshot, read when used below
    clean = graph.build([work])
    assert list(served.articles.items()) == list(clean.articles.items())
    assert served.providers == clean.providers and served.topics == clean.topics
    clean_out = tmp_path / "clean"
    _build_cli(work, clean_out, "--no-cache")
    assert _tree(out) == _tree(clean_out)


def test_patched_graphs_snapshot_keeps_its_changed_articles_apart_until_too_many(work, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_mod, "_SNAPSHOT_CHANGED_MAX", 3)
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache, jobs=1)
    whole = []
    real_dump = snapshot_mod._dump_entities
    monkeypatch.setattr(snapshot_mod, "_dump_entities", lambda kg, fh: whole.append(1) or real_dump(kg, fh))
    for i, p in enumerate(_single_file_articles(work, 5)):
        _edit(p, 'title: "', f'title: "S{i} ')
        patched = graph.build([work], cache_dir=cache, jobs=1)
        assert patched._patch.articles and len(whole) == (i >= 3)  # the fourth change is one too many
        served = graph.build([work], cache_dir=cache)  # nothing changed since: the snapshot as written
        assert "articles" not in vars(served)  # read from the file when used, below
        clean = graph.build([work])
        assert list(served.articles.items()) == list(clean.articles.items())
        assert served.providers == clean.providers and served.topics == clean.topics


# --------------------------------------------------------------------------
# The parse cache's entries, unpickled only when needed (graph.cache.packs._StoredPacks)
# --------------------------------------------------------------------------

def test_each_stored_entry_read_alone_equals_the_entry_read_with_all(corpus_dir, tmp_path):
    """Two ways of reading the cache's packs: one file's entry alone (its
    pack, and the packs of the stubs it refers to) and every pack in order
    (graph.cache.unpack); over a cache the reading pool streamed, whose
    workers number their stubs across packs, and then with a pack appended."""
    folder = tmp_path / "cache"
    work = Path(shutil.copytree(corpus_dir, tmp_path / "in"))
    graph.build([work], cache_dir=folder, jobs=2)
    for round_ in range(2):
        loaded = FileCache.load(folder, True)
        assert loaded._stored is None  # loading reads the index only
        loaded._open_packs()
        stored = loaded._stored
        assert len({pack[4] for pack in stored._packs}) >= 2  # packs of two senders, at least
        sample = sorted(stored.where)[::500]
        alone = {path: stored.get(path) for path in sample}
        # Only the packs of those files were unpickled (and some of their stubs).
        assert stored._files.keys() == {stored.where[path][0] for path in sample} != set(range(len(stored._packs)))
        paths = sorted(stored.where)
        alone.update((path, stored.get(path)) for path in paths)
        again = FileCache.load(folder, True)
        again._open_packs()
        together = again._stored.all()
        assert together.keys() == stored.where.keys() == loaded.index.keys()
        for path in paths:
            assert alone[path] == together[path], path
            assert alone[path].sha256 == loaded.index[path][1]
        loaded.close(), again.close()
        # Some files parsed again: their entries are appended as a pack of its own.
        for p in sorted(work.rglob("*.md"))[100:400:60]:
            _edit(p, "\ntitle: ", f"\ntitle: Round {round_} ")
        graph.build([work], cache_dir=folder, jobs=1)
    fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
    assert _entries_by_path(folder) == fresh


def test_patched_rebuild_unpickles_only_the_changed_files_entries(corpus_dir, tmp_path, monkeypatch):
    work = Path(shutil.copytree(corpus_dir, tmp_path / "in"))  # all of it: the pool streams many packs
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out, "-j", "2")
    a, b = _single_file_articles(work, 12)[3:12:8]
    _edit(a, 'title: "', 'title: "Alone ')
    _edit(b, 'excerpt: "', 'excerpt: "Alone ')
    read = []
    real_read = packs_mod._StoredPacks._read

    def counting(self, f, offset, length):
        read.append(length)
        return real_read(self, f, offset, length)

    monkeypatch.setattr(packs_mod._StoredPacks, "_read", counting)
    monkeypatch.setattr(packs_mod._StoredPacks, "all", lambda self: pytest.fail("every entry unpickled"))
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert paths.patched == [True]
    packs_bytes = _cache_parts(out / ".cache")[1]
    assert 0 < len(read) and sum(read) < packs_bytes / 4
    monkeypatch.undo()
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)
    # The cache it saved holds the files as they are now.
    fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
    assert _entries_by_path(out / ".cache") == fresh


def test_light_background_writes_run_in_threads_and_are_waited_for(tmp_path):
    done = []
    with cache_mod.BackgroundWrites() as bg:
        bg.start(lambda: (time.sleep(0.2), done.append(os.getpid())), files=10, light=True)
        bg.start(lambda: 1 / 0, files=10, light=True)  # a failure only costs the next build time
        assert bg.pids == [] and len(bg.threads) == 2 and done == []
    assert done == [os.getpid()] and bg.threads == []


def test_held_light_writes_start_on_release_or_at_the_end(tmp_path):
    done = []
    with cache_mod.BackgroundWrites() as bg:
        bg.holding = True
        bg.start(lambda: done.append("first"), files=10, light=True)
        assert bg.threads == [] and done == []  # held
        bg.release()
        assert len(bg.threads) == 1 and not bg.holding
        bg.holding = True
        bg.start(lambda: done.append("second"), files=10, light=True)
        assert len(bg.threads) == 1
    assert sorted(done) == ["first", "second"]  # the end of the block releases what is held


def test_a_patched_rebuild_starts_its_cache_writes_after_the_exports_threads(work, tmp_path, monkeypatch):
    """Threads are started in this order: one per patched export, then the
    file cache's and the snapshot's writes (graph.cache.BackgroundWrites.release),
    then, once the exports are all in place, one per export to bring its spare
    up to it (graph.incremental._catch_up_spare)."""
    out = tmp_path / "out"
    _build_cli(work, out)
    (victim,) = _single_file_articles(work, 3)[2:]
    _edit(victim, 'title: "', 'title: "Edited ')
    started: list[str] = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name) or real_start(self))
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (0, [True])
    kinds = ["cache" if name == "newsgraph-cache-write" else "patch" if name.endswith("(patch_one)")
             else "catch up" if name == "newsgraph-catch-up" else name for name in started]
    assert kinds == ["patch"] * 6 + ["cache"] * 2 + ["catch up"] * 6, started


def test_a_cache_save_runs_in_a_thread_only_when_it_appends(work, tmp_path, monkeypatch):
    """Appending a few files' pack is a thread's work; pickling every entry
    afresh (once appended packs pass a quarter) goes to a forked process."""
    cache = tmp_path / "cache"
    graph.build([work], cache_dir=cache, jobs=1)
    starts = []
    real_start = cache_mod.BackgroundWrites.start

    def start(self, write, *, files, light=False):
        starts.append(light)
        return real_start(self, write, files=files, light=light)

    monkeypatch.setattr(cache_mod.BackgroundWrites, "start", start)
    files = _single_file_articles(work, 200)
    seen = []
    for round_ in range(12):
        for p in files[round_ * 10:(round_ + 1) * 10]:
            _edit(p, 'title: "', f'title: "T{round_} ')
        whole_before = _cache_parts(cache)[2]
        with cache_mod.BackgroundWrites() as background:
            graph.build([work], cache_dir=cache, jobs=1, background=background)
        seen.append((starts[-1], _cache_parts(cache)[2] == whole_before))  # (in a thread, appended)
    assert all(light == appended for light, appended in seen), seen
    assert {(True, True), (False, False)} <= set(seen)
    fresh = {pf.path: pf for pf in graph.reader.iter_read(graph.reader.scan([work]).files)}
    assert _entries_by_path(cache) == fresh


def test_a_rebuild_served_from_the_snapshot_reads_only_the_caches_index(work, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = graph.build([work], cache_dir=cache)
    opened = []
    real_init = packs_mod._StoredPacks.__init__
    monkeypatch.setattr(packs_mod._StoredPacks, "__init__", lambda self, *a: opened.append(1) or real_init(self, *a))
    resolves = _count_resolves(monkeypatch)
    again = graph.build([work], cache_dir=cache)
    assert opened == [] and resolves == []
    assert again.report.as_dict() == first.report.as_dict()
    _edit(_single_file_articles(work, 1)[0], 'title: "', 'title: "Now read ')
    graph.build([work], cache_dir=cache)
    assert opened == [1] and resolves == []  # patched: the packs were needed, the graph was not resolved


@pytest.mark.parametrize("chunk", [1, 7, None])
def test_snapshot_finds_an_edited_files_article_in_its_chunk_only(work, tmp_path, monkeypatch, chunk):
    """A patched build takes the edited files' articles from the snapshot's
    chunks that hold them (never unpickling all articles); what it finds is
    what a search of every article finds, before and after earlier patches,
    and the patched graph, once loaded, is a clean build's."""
    def small_chunks():
        if chunk is not None:
            monkeypatch.setattr(snapshot_mod, "SNAPSHOT_CHUNK", chunk)
            monkeypatch.setattr(snapshot_mod, "SNAPSHOT_PARTS", 10**9)

    small_chunks()
    cache = tmp_path / "cache"
    first = graph.build([work], cache_dir=cache, jobs=1)
    size = chunk or max(snapshot_mod.SNAPSHOT_CHUNK, -(-len(first.articles) // snapshot_mod.SNAPSHOT_PARTS))
    chunks_read = []

    def counting(real_load):  # pickles.load or pickles.loads, counting the chunks of articles unpickled
        def counting_load(source, *a, **k):
            value = real_load(source, *a, **k)
            if isinstance(value, dict) and value and all(isinstance(v, graph.model.Article) for v in value.values()):
                chunks_read.append(len(value))
            return value
        return counting_load

    def count_chunks():
        monkeypatch.setattr(snapshot_mod.pickles, "load", counting(cache_pickles.load))
        find = snapshot_mod._find_articles

        def finding(*args):  # its unpickling counted (not that of the changed articles, read before)
            with monkeypatch.context() as m:
                m.setattr(snapshot_mod.pickles, "loads", counting(cache_pickles.loads))
                return find(*args)
        monkeypatch.setattr(snapshot_mod, "_find_articles", finding)

    monkeypatch.setattr(snapshot_mod, "_load_entities", lambda *a: pytest.fail("every article unpickled"))
    count_chunks()
    edited: list[str] = []
    for i, p in enumerate(_single_file_articles(work, 3)):
        _edit(p, 'title: "', f'title: "Round {i} ')
        del chunks_read[:]
        patched = graph.build([work], cache_dir=cache, jobs=1)
        assert patched._patch.articles and "articles" not in vars(patched)
        assert 1 <= len(chunks_read) <= i + 1 and max(chunks_read) <= size
        # The same articles as looking through all of them (the snapshot now holds this patch)
        monkeypatch.undo()  # the real loaders, for the second method
        snapshot = GraphSnapshot(cache, True, [], None)
        key = pickle.loads((cache / GraphSnapshot.PATCH_FILE).read_bytes())  # its key comes first
        entities = snapshot._read(key)[2]  # the whole file's bytes, and the patch file's changed articles
        everything = snapshot_mod._load_entities(entities)[0]
        rng = random.Random(i)
        edited.append(str(p))
        paths = {a.files[0] for a in rng.sample(list(everything.values()), 40) if a.files}
        paths |= {*edited, "nowhere.md"}  # the articles patched so far: in the snapshot's changed ones
        snapshot._previous_entities = entities
        found = snapshot.find_previous_articles(paths)
        assert found == [a for a in everything.values() if a.files and a.files[0] in paths]
        assert {a.files[0] for a in found} >= set(edited)
        assert [a.title.startswith(f"Round {n} ") for n, a in enumerate(
            a for path in edited for a in found if a.files[0] == path)] == [True] * len(edited)
        clean = graph.build([work])
        assert list(patched.articles.items()) == list(clean.articles.items())
        assert patched.providers == clean.providers and patched.topics == clean.topics
        small_chunks()
        monkeypatch.setattr(snapshot_mod, "_load_entities", lambda *a: pytest.fail("every article unpickled"))
        count_chunks()


def test_deferred_entities_load_once_when_two_threads_ask_at_once():
    """A patched build's snapshot can be written by a thread that loads the
    graph's articles while the build's own thread asks for them: both get
    the same articles, loaded once."""
    import threading

    from graph.builder import KnowledgeGraph
    from graph.report import BuildReport

    loads, started = [], threading.Event()

    def slow_load():
        started.set()
        time.sleep(0.3)
        loads.append(1)
        return {"article/a": "A"}, {"provider/p": "P"}, {}

    for first, second in [("articles", "articles"), ("articles", "providers"), ("providers", "articles")]:
        del loads[:]
        started.clear()
        kg = KnowledgeGraph.deferred(BuildReport(), slow_load)
        got = {}
        other = threading.Thread(target=lambda: got.setdefault("thread", getattr(kg, first)))
        other.start()
        assert started.wait(5)
        got["here"] = getattr(kg, second)  # while the other thread is still loading
        other.join()
        assert loads == [1]
        assert got["thread"] is vars(kg)[first] and got["here"] is vars(kg)[second]


def test_a_deferred_graph_pickled_while_another_thread_loads_it_keeps_everything():
    import threading

    from graph.builder import KnowledgeGraph
    from graph.report import BuildReport

    started = threading.Event()

    def slow_load():
        started.set()
        time.sleep(0.3)
        return {"article/a": "A"}, {"provider/p": "P"}, {"topic/t": "T"}

    kg = KnowledgeGraph.deferred(BuildReport(), slow_load)
    other = threading.Thread(target=lambda: kg.articles)
    other.start()
    assert started.wait(5)
    copy = pickle.loads(pickle.dumps(kg))  # while the other thread is still loading
    other.join()
    assert (copy.articles, copy.providers, copy.topics) == (kg.articles, kg.providers, kg.topics)
    assert sorted(vars(copy)) == ["articles", "providers", "report", "topics"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_process_forked_while_a_thread_loads_a_graph_can_load_another():
    import threading

    from graph.builder import KnowledgeGraph
    from graph.report import BuildReport

    started = threading.Event()

    def slow_load():
        started.set()
        time.sleep(1.0)
        return {}, {}, {}

    loading = KnowledgeGraph.deferred(BuildReport(), slow_load)
    other = KnowledgeGraph.deferred(BuildReport(), lambda: ({"article/a": "A"}, {}, {}))
    thread = threading.Thread(target=lambda: loading.articles)
    thread.start()
    assert started.wait(5)
    pid = os.fork()  # the loading thread holds the lock now
    if pid == 0:
        os._exit(0 if other.articles == {"article/a": "A"} else 3)
    deadline = time.monotonic() + 10
    status = 0
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked process waited for a lock no thread of it holds")
    thread.join()
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# --------------------------------------------------------------------------
# Recorded positions of the articles' texts (graph.export.offsets)
# --------------------------------------------------------------------------

from graph.export import offsets as offsets_mod  # noqa: E402

_RECORDED = ("nt", "ttl", "jsonld", "trig", "json")


def _check_recorded(kg, out: Path) -> dict[str, dict[str, int]]:
    """Each recorded position is where a search of the file finds the
    article's text, which occurs there only; every article with a file is
    recorded, and the recorded size is the file's."""
    key = json.loads((out / ".cache" / cache_mod.EXPORTS_FILE).read_text(encoding="utf-8"))["key"]
    record = {}
    for name in _RECORDED:
        data = (out / EXPORTERS[name].filename).read_bytes()
        loaded = offsets_mod.load(out / ".cache" / cache_mod.OFFSETS_DIR, name, key)
        assert loaded is not None, name
        size, at = loaded
        assert size == len(data)
        with_files = {a.id for a in kg.articles.values() if a.files}
        assert set(at) == with_files and with_files
        for a in kg.articles.values():
            if a.files:
                text = article_line(a).encode("utf-8") if name == "json" else article_texts(kg, a)[name]
                assert data.find(text) == at[a.id] and data.count(text) == 1, (name, a.id)
        record[name] = at
    return record


class _Searches:
    """The export files each patch searched (graph.incremental._search)."""

    def __init__(self, monkeypatch) -> None:
        self.names: list[str] = []
        real = graph.incremental._search

        def search(source, size, edits):
            self.names.append(Path(os.readlink(f"/proc/self/fd/{source}")).name)
            return real(source, size, edits)

        monkeypatch.setattr(graph.incremental, "_search", search)


def test_writers_record_each_articles_position_and_patches_keep_it_up_to_date(work, tmp_path, monkeypatch):
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out, "-j", "2")  # the RDF and JSON written in two processes
    _check_recorded(graph.build([work]), out)
    searches = _Searches(monkeypatch)
    a, b = _single_file_articles(work, 20)[3:20:15]
    for k, (victim, old, new) in enumerate([(a, 'title: "', 'title: "Longer, and ☃ non-ASCII: '),
                                            (b, 'excerpt: "', 'excerpt: "Short. '),
                                            (a, "publishedDateTime: 2", "publishedDateTime: 1")]):
        _edit(victim, old, new)
        paths = _Paths(monkeypatch)
        _build_cli(work, out)
        assert (paths.full, paths.patched) == (0, [True])
        # No file was searched: the writers recorded the positions, and the page's were found as it was read.
        assert searches.names == []
        searches.names.clear()
        shutil.rmtree(clean, ignore_errors=True)
        _build_cli(work, clean, "--no-cache")
        assert _tree(out) == _tree(clean), k
        _check_recorded(graph.build([work]), out)  # the positions moved with the edits


@pytest.mark.parametrize("damage", ["shifted", "other size", "other key", "missing", "not a pickle", "not numbers",
                                    "ids and numbers apart", "beyond the file", "torn"])
def test_positions_that_do_not_hold_mean_a_search(work, tmp_path, monkeypatch, damage):
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    folder = out / ".cache" / cache_mod.OFFSETS_DIR
    key = json.loads((out / ".cache" / cache_mod.EXPORTS_FILE).read_text(encoding="utf-8"))["key"]
    size, at = offsets_mod.load(folder, "nt", key)
    at = dict(at)
    if damage == "shifted":  # every article one byte further on
        at = {aid: pos + 1 for aid, pos in at.items()}
    elif damage == "other size":
        size += 1
    elif damage == "other key":
        key = "0" * len(key)
    elif damage == "beyond the file":
        at = {aid: -pos - 1 if i % 2 else pos + size for i, (aid, pos) in enumerate(at.items())}
    body = pickle.dumps((key, size, *(lambda p: (p.ids, p.numbers))(offsets_mod.Positions.of(at))),
                        protocol=pickle.HIGHEST_PROTOCOL)
    if damage == "missing":
        (folder / "nt.offsets").unlink()
    elif damage == "not a pickle":
        (folder / "nt.offsets").write_bytes(b"damaged")
    elif damage == "torn":  # as a crash of the machine may leave it (records are not synced): one byte lost
        data = bytearray((folder / "nt.offsets").read_bytes())
        data[len(data) // 2] = 0 if data[len(data) // 2] else 1
        (folder / "nt.offsets").write_bytes(bytes(data))
    elif damage == "not numbers":  # what a record's numbers are not: text, or bytes not 8 a number
        body = pickle.dumps((key, size, offsets_mod.Positions.of(at).ids, [str(pos) for pos in at.values()]))
        (folder / "nt.offsets").write_bytes(body + offsets_mod._digest(body))
    elif damage == "ids and numbers apart":  # one number short of the ids
        body = pickle.dumps((key, size, offsets_mod.Positions.of(at).ids, offsets_mod.Positions.of(at).numbers[:-8]))
        (folder / "nt.offsets").write_bytes(body + offsets_mod._digest(body))
    else:  # a record as the writer makes them, saying what it should not
        offsets_mod.save((folder, key), "nt", size, at)
        assert (folder / "nt.offsets").read_bytes()[:-32] == body
    searches = _Searches(monkeypatch)
    (victim,) = _single_file_articles(work, 9)[8:]
    _edit(victim, 'title: "', 'title: "Edited: ')
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (0, [True])
    assert searches.names == ["graph.nt"]
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)
    assert not (folder / "nt.offsets").exists() or offsets_mod.load(
        folder, "nt", json.loads((out / ".cache" / cache_mod.EXPORTS_FILE).read_text(encoding="utf-8"))["key"]) is None


def test_the_pages_positions_are_those_of_texts_it_holds_once(tmp_path):
    """The page's old texts are found as it is read (no record); one found
    twice, or not at all, gets no position, so the patch searches the file,
    which refuses it."""
    kg = graph.build(["seeds/"])
    before = next(a for a in kg.articles.values() if a.files and a.title)
    after = dataclasses.replace(before, title="Another title")
    patch = graph.incremental.GraphPatch("key", [(before, after)])
    head = article_details_head(kg, before).encode("utf-8")
    page = tmp_path / "graph.html"
    for text, expected in ((b"<p>" + head + b"1}]", {before.id: 3}), (b"<p>" + head + b"1}," + head + b"2}]", {}),
                           (b'<p>{"id":"' + before.id.encode() + b'","x":1}', {})):
        page.write_bytes(text)
        edits, drawn, (size, at) = graph.incremental._html_edits(kg, patch, page)
        assert edits == [(head, article_details_head(kg, after).encode("utf-8"))] and drawn == [before.id]
        assert size == len(text) and at == expected
    page.write_bytes(b"<p>not drawn</p>")
    assert graph.incremental._html_edits(kg, patch, page)[:2] == ([], [])
    page.write_bytes(b"")  # nothing to map: nothing drawn
    assert graph.incremental._html_edits(kg, patch, page) == ([], [], (0, {}))



@pytest.mark.parametrize("view", [{"view": "topic", "topic": "AI"}, {"provider": "wired.com"}, {"seed": 3}])
def test_a_page_of_another_view_is_never_patched_nor_any_file_before_it(tmp_path, monkeypatch, view):
    """Only the full view's page is patched: with the options of another, the
    patch is refused before any file's thread starts (the caller writes them all)."""
    kg = graph.build(["seeds/"])
    before = next(a for a in kg.articles.values() if a.files and a.title)
    kg._patch = graph.incremental.GraphPatch("key", [(before, dataclasses.replace(before, title="Another"))])
    names = {"nt": "graph.nt", "json": "graph.json", "html": "graph.html"}
    write_exports(kg, tmp_path, list(names))
    started: list[Path] = []
    monkeypatch.setattr(graph.incremental, "_patch_file", lambda path, *a: started.append(path) or True)
    assert not graph.incremental.patch_exports(kg, tmp_path, list(names), names, view)
    assert started == []
    assert graph.incremental.patch_exports(kg, tmp_path, list(names), names, {"view": "full", "seed": 0})
    assert sorted(p.name for p in started) == sorted(names.values())

def test_a_position_record_with_any_byte_changed_or_cut_is_not_used(tmp_path):
    """Records are not synced: a crash of the machine may leave one torn, which
    its digest tells, byte by byte."""
    at = {f"article-{i}": 1000 * i for i in range(50)}
    offsets_mod.save((tmp_path, "key"), "nt", 123_456, at)
    path = tmp_path / "nt.offsets"
    assert offsets_mod.load(tmp_path, "nt", "key") == (123_456, at)
    assert offsets_mod.load(tmp_path, "nt", "another key") is None
    data = path.read_bytes()
    for i in range(0, len(data), 7):
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:])
        assert offsets_mod.load(tmp_path, "nt", "key") is None, i
        path.write_bytes(data[:i])
        assert offsets_mod.load(tmp_path, "nt", "key") is None, i
    path.write_bytes(data + b"more")
    assert offsets_mod.load(tmp_path, "nt", "key") is None
    # Whole records, digest and all, whose parts do not fit: numbers cut short of 8 bytes,
    # one number fewer than ids, ids that are not UTF-8; and, for contrast, one that fits.
    positions = offsets_mod.Positions.of(at)
    for ids, numbers, usable in [(positions.ids, positions.numbers[:-3], False),
                                 (positions.ids, positions.numbers[:-8], False),
                                 (b"\xff" + positions.ids, positions.numbers, False),
                                 (positions.ids, positions.numbers, True)]:
        body = pickle.dumps(("key", 123_456, ids, numbers), protocol=pickle.HIGHEST_PROTOCOL)
        path.write_bytes(body + offsets_mod._digest(body))
        assert (offsets_mod.load(tmp_path, "nt", "key") == (123_456, at)) is usable
        assert usable or offsets_mod.load(tmp_path, "nt", "key") is None


def test_positions_as_a_record_holds_them_read_and_move_as_a_dictionary_does(tmp_path):
    """A record's positions (ids and numbers as bytes, graph.export.offsets.Positions):
    an id is looked up in the bytes, a prefix or part of another id is not one,
    and moved by edits they give the numbers a dictionary's comprehension gives."""
    rng = random.Random(11)
    pieces = ["article/0123", "article/01", "a", "", "\u2603", "\ud800", "x/y", "0"]
    for _ in range(300):
        at = {rng.choice(pieces) + rng.choice(pieces): rng.randint(-2**40, 2**40) for _ in range(rng.randint(0, 9))}
        offsets_mod.save((tmp_path, "key"), "nt", 10, at)
        size, recorded = offsets_mod.load(tmp_path, "nt", "key")
        for probe in [*at, *pieces, "article/", "01", "\0"]:
            fresh = offsets_mod.load(tmp_path, "nt", "key")[1]  # looked up before any dictionary is made
            assert fresh.get(probe) == at.get(probe), (probe, at)
        assert size == 10 and recorded == at and len(recorded) == len(at)
        # Edits at some of the positions (an article's own text) and elsewhere, none overlapping.
        starts = sorted(set(rng.sample(sorted(at.values()), min(len(at), 2))
                            + [rng.randint(-2**40, 2**40) for _ in range(rng.randint(1, 3))]))
        edits = [(start, rng.randint(0, min(40, after - start)), b"x" * rng.randint(0, 60))
                 for start, after in zip(starts, [*starts[1:], starts[-1] + 40])]
        expected = {aid: pos + sum(len(new) - length for s, length, new in edits if s < pos) for aid, pos in at.items()}
        moved = offsets_mod.shifted(recorded, edits)
        assert dict(moved) == expected == offsets_mod.shifted(at, edits)
        same = [(start, length, b"y" * length) for start, length, _ in edits]  # every length kept
        assert offsets_mod.shifted(recorded, same) is recorded
    # Moved beyond 64 bits (a damaged record): a dictionary, which save refuses, leaving the record as it was.
    offsets_mod.save((tmp_path, "key"), "nt", 10, {"article/a": 2**63 - 2})
    size, recorded = offsets_mod.load(tmp_path, "nt", "key")
    moved = offsets_mod.shifted(recorded, [(0, 1, b"longer")])
    assert moved == {"article/a": 2**63 + 3} and not isinstance(moved, offsets_mod.Positions)
    before = (tmp_path / "nt.offsets").read_bytes()
    offsets_mod.save((tmp_path, "key"), "nt", 10, moved)
    assert (tmp_path / "nt.offsets").read_bytes() == before


def test_recorded_positions_are_used_as_they_are_and_moved_by_the_edits(tmp_path, monkeypatch):
    """Against replacements made by slicing: texts that also occur elsewhere
    (a search would refuse them) are replaced where the record says, and the
    positions recorded after are where each article's text now starts."""
    rng = random.Random(5)
    path = tmp_path / "text"
    monkeypatch.setattr(graph.incremental, "_search", lambda *a: pytest.fail("searched"))
    for _ in range(200):
        pieces = [rng.randbytes(rng.randint(0, 40)) for _ in range(rng.randint(2, 30))]
        ids = [f"article/{i}" for i in range(len(pieces))]
        starts = list(itertools.accumulate(map(len, pieces), initial=0))[:-1]
        text = b"".join(pieces)
        path.write_bytes(text)
        chosen = sorted(rng.sample(range(len(pieces)), rng.randint(1, min(4, len(pieces)))))
        chosen = [i for i in chosen if pieces[i]]  # an empty text is no edit
        if not chosen:
            continue
        edits = [(pieces[i], rng.randbytes(rng.randint(0, 50))) for i in chosen]
        save_to = (str(tmp_path / "offsets"), "new key")
        positions = graph.incremental._Positions("nt", len(text), dict(zip(ids, starts)), [ids[i] for i in chosen],
                                                 save_to)
        assert graph.incremental._patch_file(path, edits, {}, positions)
        new_pieces = list(pieces)
        for i, (_, new) in zip(chosen, edits):
            new_pieces[i] = new
        assert path.read_bytes() == b"".join(new_pieces)
        size, at = offsets_mod.load(*save_to[:1], "nt", "new key")
        assert size == len(b"".join(new_pieces))
        assert at == dict(zip(ids, itertools.accumulate(map(len, new_pieces), initial=0)))


def test_a_file_a_patch_leaves_as_it_was_keeps_its_positions(work, tmp_path, monkeypatch):
    """An article's type shows in graph.json only (the RDF says NewsArticle for
    "article" and "story" alike): the RDF files are not rewritten, and their
    records go on under the new key, so the next patch searches them no more
    than the one before."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    searches = _Searches(monkeypatch)
    victim = next(p for p in _single_file_articles(work, 30) if "\ntype: article\n" in p.read_text(encoding="utf-8"))
    before = {name: (out / EXPORTERS[name].filename).read_bytes() for name in ("nt", "ttl", "jsonld")}
    _edit(victim, "\ntype: article\n", "\ntype: story\n")
    _build_cli(work, out)
    assert {name: (out / EXPORTERS[name].filename).read_bytes() for name in ("nt", "ttl", "jsonld")} == before
    _edit(victim, 'title: "', 'title: "Then a new title: ')
    paths = _Paths(monkeypatch)
    _build_cli(work, out)
    assert (paths.full, paths.patched) == (0, [True])
    assert searches.names == []
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)
    _check_recorded(graph.build([work]), out)


@pytest.mark.parametrize("name", ["nt", "trig", "json"])
def test_positions_written_over_a_longer_spare_record_the_files_size(tmp_path, name):
    """A file written over its spare is cut to length only when closed: the
    size recorded is the file's, not the spare's."""
    kg = graph.build(["seeds/"])
    out, spares = tmp_path / "out", tmp_path / "spares"
    out.mkdir()
    spares.mkdir()
    path = out / EXPORTERS[name].filename
    path.write_bytes(b"the last version")
    (spares / path.name).write_bytes(b"x" * 12_000_000)  # the one before: longer than the file written now
    option = {offsets_mod.OFFSETS_OPTION: (str(tmp_path / "offsets"), "key")}
    with recycling(out, spares):
        write_exports(kg, out, [name], **option)
    assert path.stat().st_size < 12_000_000
    if hasattr(graph.export.files.fcntl, "F_SETLEASE"):
        assert not (spares / path.name).exists() or (spares / path.name).read_bytes() == b"the last version"
    size, at = offsets_mod.load(tmp_path / "offsets", name, "key")
    assert size == path.stat().st_size
    data = path.read_bytes()
    for a in kg.articles.values():
        if a.files:
            text = article_line(a).encode("utf-8") if name == "json" else article_texts(kg, a)[name]
            assert data.find(text) == at[a.id]


# Random sequences of changes, seeded (a failure replays): edits, copies, deletions and mistakes mixed

#: Pieces of text the edits insert: YAML escapes, markup, and characters each
#: format escapes its own way (JSON's \u2028, Turtle's quotes, the page's </script>).
_PIECES = ('\\"', "\\\\", "é", "☃", "😀", "<b>", "</script>", "<!--", "&amp;", "'", "\\n", "\\t", " ", "\\u200b",
           "\\u202e", "e\\u0301", "{", "}", ",", ":", "#", "@", "%", "x", "Ω", "中文", "`", ">", "\\u2028")


def _random_change(rng: random.Random, work: Path, pristine: Path, again: Path | None = None) -> str:
    """One change to a random input file of ``work``: what a user's edits, copies,
    deletions and mistakes do to a corpus (``pristine``: the files as they were).
    ``again``: the file changed last, changed again one time in three (a patch
    made over the last patch and its spare, as a user editing one article makes)."""
    files = sorted(p for p in work.rglob("*.md") if "data" not in p.relative_to(work).parts)
    path = again if again is not None and again.exists() and rng.random() < 1 / 3 else rng.choice(files)
    text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5)))
    kind = rng.choices(["title", "title cut", "same size", "excerpt", "date", "topic added", "topic dropped",
                        "provider", "related title", "related dropped", "url", "deleted", "copied", "broken",
                        "emptied", "touched", "body", "restored"],
                       [6, 3, 3, 4, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 3])[0]
    if kind == "title":
        _sub(path, r'^title: "', lambda m: m.group(0) + text)
    elif kind == "title cut":  # shorter: every byte after it moves back, and a spare is a length ahead
        _sub(path, r'^(title: ")(.+)"$', lambda m: m.group(1) + m.group(2)[:len(m.group(2)) // 2].rstrip("\\") + '"')
    elif kind == "same size":  # a title's first letter changed: the file keeps its size, only its time tells
        _sub(path, r'^(title: ")[A-Za-z]', lambda m: m.group(1) + rng.choice("QZqz"))
    elif kind == "excerpt":
        _sub(path, r'^excerpt: "', lambda m: m.group(0) + text)
    elif kind == "date":
        date = rng.choice(["2019-01-01T00:00:00Z", "2031-12-31T23:59:59Z", "1999-02-03", "not a date", ""])
        _sub(path, r"^publishedDateTime: .*$", lambda m: f"publishedDateTime: {date}")
    elif kind == "topic added":
        topic = rng.choice(["Azure", "AZURE", "Power Apps", "A Topic Of Its Own"])
        _sub(path, r"^topics:\n", lambda m: f"topics:\n  - {topic}\n")
    elif kind == "topic dropped":
        _sub(path, r"^topics:\n  - .*\n", lambda m: "topics:\n")
    elif kind == "provider":
        name = rng.choice(["Microsoft", "Another Name", "MSFT"])
        _sub(path, r"^provider:\n  name: .*$", lambda m: f"provider:\n  name: {name}")
    elif kind == "related title":
        _sub(path, r'^  - title: "', lambda m: m.group(0) + text)
    elif kind == "related dropped":
        _sub(path, r"^related:\n  - title: .*\n(?:    .*\n)*", lambda m: "related:\n")
    elif kind == "url":
        _sub(path, r'^webUrl: "([^"]*)"', lambda m: f'webUrl: "{m.group(1)}?v={rng.randint(0, 3)}"')
    elif kind == "deleted":
        path.unlink()
    elif kind == "copied":  # a second file for the same article: merged
        shutil.copyfile(path, path.with_name(f"copy-{rng.randint(0, 9)}-{path.name}"))
    elif kind == "broken":
        _sub(path, r'^title: "', lambda m: 'title: [not closed "')
    elif kind == "emptied":
        path.write_bytes(b"")
    elif kind == "touched":
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    elif kind == "body":  # the bytes change, the article does not
        path.write_text(path.read_text(encoding="utf-8") + text + "\n", encoding="utf-8")
    else:  # restored (or deleted, for a copy)
        original = pristine / path.relative_to(work)
        if original.exists():
            shutil.copyfile(original, path)
        else:
            path.unlink()
    return f"{kind}: {path.relative_to(work)}"


@pytest.mark.parametrize("seed", [1, 2])
def test_random_sequences_of_changes_always_give_a_clean_builds_bytes(subset, work, tmp_path, monkeypatch, seed):
    """Each cached rebuild, after one to three random changes (see
    :func:`_random_change`), writes the exports a build without a cache writes,
    byte for byte, whichever path it takes and with one worker or two; the
    sequence takes both paths, and the caches each rebuild leaves are those the
    next one starts from."""
    rng = random.Random(seed)
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    paths = _Paths(monkeypatch)
    taken = collections.Counter()
    changes = []
    for round_ in range(7):
        for _ in range(rng.choice([1, 1, 2, 3])):
            again = work / changes[-1].split(": ", 1)[1] if changes else None
            changes.append(_random_change(rng, work, subset, again))
        full, patched = paths.full, len(paths.patched)
        _build_cli(work, out, "-j", rng.choice(["1", "2"]))  # the exports written by one process or two
        taken["patched" if True in paths.patched[patched:] else "full" if paths.full > full else "none"] += 1
        shutil.rmtree(clean, ignore_errors=True)
        _build_cli(work, clean, "--no-cache")
        assert _tree(out) == _tree(clean), (round_, changes)
    assert taken["patched"] and taken["full"], taken


def test_the_builds_summary_says_what_the_caches_did(work, tmp_path):
    out = tmp_path / "out"
    inputs = sum(1 for p in work.rglob("*") if p.suffix in (".md", ".markdown", ".txt"))

    def cache_line(*extra: str) -> list[str]:
        result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if line.startswith("cache:")]
        # The files' lines: exports kept are not said to be written, nor a report a patch left alone.
        said = {line.split(": ")[0]: line.split(": ", 1)[1].split(", ")
                for line in result.output.splitlines() if line.startswith(("wrote:", "patched:", "unchanged:"))}
        if "-q" in extra:
            assert said == {}, result.output
        elif lines and "exports kept" in lines[0]:
            assert list(said) == ["unchanged"], result.output
        elif lines and "exports patched" in lines[0]:
            assert said["unchanged"] == [str(out / "report.json")], result.output
            assert list(said) == ["patched", "unchanged"] and str(out / "graph.nt") in said["patched"], result.output
        else:
            assert list(said) == ["wrote"], result.output
        # each file said once, whatever it is said to be
        assert sorted(p for paths in said.values() for p in paths) == sorted(
            str(p) for p in out.iterdir() if not p.name.startswith(".")) or "-q" in extra, result.output
        return lines

    assert cache_line() == [f"cache: {inputs:,} files parsed (no cache yet); graph built, exports written"]
    assert cache_line() == [f"cache: {inputs:,} files unchanged, 0 parsed again; graph kept, exports kept"]
    target = _single_file_articles(work, 3)[2]
    _edit(target, 'title: "', 'title: "Edited ')
    assert cache_line() == [f"cache: {inputs - 1:,} files unchanged, 1 parsed again; graph patched, exports patched"]
    _add_topic(target)
    assert cache_line() == [f"cache: {inputs - 1:,} files unchanged, 1 parsed again; graph built, exports written"]
    (out / ".cache" / CACHE_FILE).write_bytes(b"damaged")
    (line,) = cache_line()
    assert line.startswith(f"cache: {inputs:,} files parsed (unreadable (") and line.endswith("; rebuilt); graph built"
                                                                                         ", exports kept"), line
    assert cache_line("-q") == [] and cache_line("--no-cache") == []


def test_the_same_formats_in_another_order_keep_the_exports(work, tmp_path):
    """`-f ttl,nt,json,report` then `-f report,json,nt,ttl` rewrote every file ("exports
    written"): the order of the formats changes none of them. Expected: kept, each file the
    same inode and modification time as before, and a patched edit after that equal to a
    clean build of the same formats."""
    out, clean = tmp_path / "out", tmp_path / "clean"

    def build(formats: str, folder=out, *extra: str) -> str:
        result = CliRunner().invoke(cli, ["build", str(work), "-o", str(folder), "-f", formats, *extra])
        assert result.exit_code == 0, result.output
        return "\n".join(line for line in result.output.splitlines() if line.startswith("cache:"))

    build("ttl,nt,json,report")
    files = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    assert build("report,json,nt,ttl").endswith("graph kept, exports kept")
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files} == before
    _edit(_single_file_articles(work, 1)[0], 'title: "', 'title: "Edited ')
    assert build("nt,report,ttl,json").endswith("graph patched, exports patched")
    build("ttl,nt,json,report", clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_replaced_articles_are_what_the_networkx_graph_then_says():
    """``kg.nx`` is built once; replacing articles afterwards left it saying the old titles."""
    from dataclasses import replace

    kg = graph.build(["seeds/"])
    a = next(a for a in kg.articles.values() if not a.is_stub)
    assert kg.nx.nodes[a.id]["title"] == a.title
    kg.replace_articles([replace(a, title="CHANGED")])
    assert kg.articles[a.id].title == kg.nx.nodes[a.id]["title"] == "CHANGED"


def test_a_spare_damaged_in_place_with_its_times_put_back_is_not_trusted(work, tmp_path):
    """A spare known to equal its file gets only the edits written into it; damaged
    in place (same size, times restored), the damage reached graph.nt."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out)
    a, b = _single_file_articles(work, 12)[6:8]
    same_length = lambda path, letter: _sub(path, r'^(title: ")[A-Za-z]', lambda m: m.group(1) + letter)  # noqa: E731
    same_length(a, "Q")
    _build_cli(work, out)  # patched; each spare caught up with its file, and known equal to it
    spare = out / ".cache" / "spares" / "graph.nt"
    assert spare.is_file()
    times = spare.stat()
    time.sleep(0.02)  # past the coarse clock tick that stamps the ctime
    with open(spare, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(b"#" if byte != b"#" else b"$")
    os.utime(spare, ns=(times.st_atime_ns, times.st_mtime_ns))
    same_length(b, "Z")
    _build_cli(work, out)
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


_DAMAGE = {
    "record a link to /dev/zero": lambda c: _relink(c / "exports.json", "/dev/zero"),  # read until memory ran out
    "parse cache a link to /dev/zero": lambda c: _relink(c / CACHE_FILE, "/dev/zero"),
    "catalogue cache a link to /dev/zero": lambda c: _relink(c / "catalog.pickle", "/dev/zero"),
    "snapshot a folder": lambda c: (os.unlink(c / "graph.pickle"), (c / "graph.pickle").mkdir(),
                                    (c / "graph.pickle" / "x").write_text("x")),
    "record a pipe": lambda c: (os.unlink(c / "exports.json"), os.mkfifo(c / "exports.json")),
    "offsets links to /dev/zero": lambda c: [_relink(p, "/dev/zero") for p in (c / "offsets").iterdir()],
    "the cache folder a file": lambda c: (shutil.rmtree(c), c.write_text("x")),
}


def _relink(path: Path, target: str) -> None:
    path.unlink()
    os.symlink(target, path)


@pytest.mark.parametrize("damage", sorted(_DAMAGE))
def test_a_cache_file_replaced_by_a_link_a_folder_or_a_pipe_is_replaced_by_the_build(work, tmp_path, damage):
    """The cache is newsgraph's own and safe to delete: a file of it made a link to
    /dev/zero, a folder or a pipe, or the cache folder made a file, failed every
    later build until deleted by hand, or ran out of memory reading. The build
    replaces it, and its exports are a clean build's (written by write_exports)."""
    runner = CliRunner()
    out = tmp_path / "out"
    argv = ["build", str(work), "-o", str(out), "-q", "-j", "1"]
    assert runner.invoke(cli, argv).exit_code == 0
    _DAMAGE[damage](out / ".cache")
    for _ in range(2):  # the build after the damage, and the one after it (the cache written again)
        done = runner.invoke(cli, argv)
        assert done.exit_code == 0, done.output
    clean = tmp_path / "clean"
    write_exports(graph.build([work]), clean)
    assert {k: v for k, v in _tree(out).items() if k != LOCK_NAME} == _tree(clean)
    assert (out / ".cache").is_dir() and (out / ".cache" / "exports.json").is_file()


def test_a_rebuild_removes_what_killed_builds_left_in_the_caches_folders(work, tmp_path):
    """A build killed while recording the articles' positions left its temporary files
    in .cache/offsets/ (118 KB each, one per format and killed build), never removed:
    that folder, like the cache's others, is cleared of those whose writer is gone."""
    import subprocess

    out = tmp_path / "out"
    _build_cli(work, out)
    ended = subprocess.Popen(["true"])
    ended.wait()
    offsets = out / ".cache" / "offsets"
    assert offsets.is_dir()
    dead, alive = f".nt.offsets.{ended.pid}-k1d2e3f4.tmp", f".nt.offsets.{os.getpid()}-bbbb2222.tmp"
    for name in (dead, alive):
        (offsets / name).write_bytes(b"half")
    _build_cli(work, out)
    assert not (offsets / dead).exists() and (offsets / alive).exists()


def test_an_exports_record_that_cannot_be_saved_is_said(work, tmp_path, monkeypatch):
    """A .cache/ the build could not write to (another user's) made every build write
    all its exports again, 3.7 s where 0.2 s would do, with status 0 and no word."""
    import graph.export.files as files_mod

    out = tmp_path / "out"
    real = files_mod.atomic_writer

    def refusing(path, *a, **k):
        if Path(path).name == "exports.json":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(files_mod, "atomic_writer", refusing)
    result = CliRunner().invoke(cli, ["build", str(work), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("cache:")]
    inputs = sum(1 for p in work.rglob("*") if p.suffix in (".md", ".markdown", ".txt"))
    assert line == (f"cache: {inputs:,} files parsed (the exports' record not saved: Permission denied, so the "
                    "next build writes them all again); graph built, exports written"), line


def test_a_rebuild_after_most_files_changed_unpickles_only_the_entries_it_reuses(work, tmp_path, monkeypatch):
    """A rebuild after most files changed (a corpus exported again, a replace across every
    file) unpickled every entry of the cache: each changed file's old one, though there were
    too many changes to patch the last graph, and every pack, to reuse a few files (0.8 s of
    CPU on the real corpus with 142 of 3,855 files unchanged). Now only the unchanged files'
    entries are; the exports still equal a clean build's."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    _build_cli(work, out, "-j", "1")
    files = sorted(work.rglob("*.md"))
    changed = [p for p in files if 'title: "' in p.read_text(encoding="utf-8")][:-3]
    kept = {str(p) for p in files} - {str(p) for p in changed}
    assert len(changed) > graph.incremental.MAX_PATCHED_ARTICLES and 2 * len(kept) < len(files) and kept
    for p in changed:
        _edit(p, 'title: "', 'title: "[again] ')
    got, everything = [], []
    real_get, real_all = packs_mod._StoredPacks.get, packs_mod._StoredPacks.all
    monkeypatch.setattr(packs_mod._StoredPacks, "get", lambda self, path: got.append(path) or real_get(self, path))
    monkeypatch.setattr(packs_mod._StoredPacks, "all", lambda self: everything.append(1) or real_all(self))
    _build_cli(work, out, "-j", "1")  # one process: the cache's save runs here, where it is counted
    assert not everything and got and set(got) <= kept  # no changed file's old entry, nor every pack
    _build_cli(work, clean, "--no-cache")
    assert _tree(out) == _tree(clean)


def test_changed_files_fetch_each_old_entry_when_asked_and_slice_as_a_list():
    """graph.cache.parsed.ChangedFiles: (old, new) pairs whose old entries come from the
    cache only when asked for; a slice is a list of pairs (it raised a TypeError)."""
    fetched = []

    class Cache:
        def parsed_file(self, path):
            fetched.append(path)
            return f"old {path}"

    changes = parsed_mod.ChangedFiles(Cache(), [("a.md", "new a"), ("b.md", "new b"), ("c.md", "new c")])
    assert len(changes) == 3 and fetched == []
    assert changes[-1] == ("old c.md", "new c") and fetched == ["c.md"]
    assert changes[:2] == [("old a.md", "new a"), ("old b.md", "new b")]
    assert list(changes) == [(f"old {p}.md", f"new {p}") for p in "abc"]
