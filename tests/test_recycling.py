"""Atomic writes that keep the replaced version as a spare (graph.export.files.recycling).

The expectations are the bytes each test wrote itself, and the inode numbers
the file system gives: which file was written over is seen, not assumed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import graph.export
import graph.export.files
from graph.errors import ExportError
from graph.export.files import atomic_writer, recycling

pytestmark = pytest.mark.skipif(not hasattr(graph.export.files.fcntl, "F_SETLEASE"), reason="needs Linux leases")


def write(path: Path, data: bytes, fail: bool = False) -> None:
    with atomic_writer(path, "wb", encoding=None) as fh:
        fh.write(data)
        if fail:
            raise RuntimeError("interrupted")


def test_each_version_is_written_over_the_one_before_last(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "cache" / "spares"
    target = out / "graph.nt"
    versions = [b"first version, the longest of all\n" * 50, b"second\n", b"third, a little longer\n" * 3, b"4th\n"]
    inodes = []
    with recycling(out, spares):
        for data in versions:
            write(target, data)
            assert target.read_bytes() == data  # cut to its length, whatever the spare held
            inodes.append(target.stat().st_ino)
            assert sorted(os.listdir(out)) == ["graph.nt"]  # no temporary file left beside it
    # The first write had no file to keep; each later one kept the file it replaced.
    assert (spares / "graph.nt").read_bytes() == versions[-2]
    assert len(set(inodes[:2])) == 2 and inodes[2] == inodes[0] and inodes[3] == inodes[1]
    assert sorted(os.listdir(spares)) == ["graph.nt"]


def test_without_recycling_no_spare_is_kept_or_used(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    write(out / "a.json", b"one")
    write(out / "a.json", b"two")
    assert not spares.exists()
    with recycling(out, spares):
        write(out / "a.json", b"three")
        write(out / "sub" / "b.csv", b"elsewhere")  # only files directly in the folder keep spares
        write(out / "sub" / "b.csv", b"elsewhere, again")
    assert os.listdir(spares) == ["a.json"] and (spares / "a.json").read_bytes() == b"two"
    write(out / "a.json", b"four")  # outside: the spare stays as it was
    assert (spares / "a.json").read_bytes() == b"two" and (out / "a.json").read_bytes() == b"four"


def test_a_spare_someone_still_reads_is_never_written_over(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    target = out / "graph.ttl"
    with recycling(out, spares):
        write(target, b"version one\n" * 1000)
        write(target, b"version two\n")
    # Another process opens version one (now the spare) and keeps reading it.
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1], 'rb'); print('open', flush=True); "
         "sys.stdin.read(); sys.stdout.write(f.read().decode())", str(spares / "graph.ttl")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline() == "open\n"
        spare_inode = (spares / "graph.ttl").stat().st_ino
        with recycling(out, spares):
            write(target, b"version three\n")
        assert target.read_bytes() == b"version three\n"
        assert target.stat().st_ino != spare_inode  # a new file, not the spare being read
        assert (spares / "graph.ttl").read_bytes() == b"version two\n"
    finally:
        text, _ = reader.communicate("")
    assert text == "version one\n" * 1000


def test_a_write_that_fails_leaves_the_file_and_keeps_the_spare_usable(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    target = out / "graph.json"
    with recycling(out, spares):
        write(target, b"one" * 100)
        write(target, b"two" * 100)
        with pytest.raises(RuntimeError):
            write(target, b"three, half written", fail=True)
        assert target.read_bytes() == b"two" * 100
        assert os.listdir(out) == ["graph.json"] and os.listdir(spares) == ["graph.json"]
        write(target, b"four")
    assert target.read_bytes() == b"four"
    assert (spares / "graph.json").read_bytes() == b"two" * 100


def test_files_over_the_size_limit_keep_no_spare(tmp_path, monkeypatch):
    monkeypatch.setattr(graph.export.files, "SPARE_MAX_BYTES", 10)
    out, spares = tmp_path / "out", tmp_path / "spares"
    with recycling(out, spares):
        write(out / "small", b"0123456789")
        write(out / "small", b"x")
        write(out / "large", b"0123456789a")
        write(out / "large", b"y")
    assert os.listdir(spares) == ["small"] and (spares / "small").read_bytes() == b"0123456789"


def test_a_spare_linked_elsewhere_is_not_written_over(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    with recycling(out, spares):
        write(out / "f", b"one")
        write(out / "f", b"two")
    os.link(spares / "f", tmp_path / "my-copy")  # someone's hard link to it
    with recycling(out, spares):
        write(out / "f", b"three")
    assert (tmp_path / "my-copy").read_bytes() == b"one"
    assert (out / "f").read_bytes() == b"three" and (spares / "f").read_bytes() == b"two"


def test_a_symbolic_link_is_refused_and_neither_it_nor_what_it_points_to_written(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    out.mkdir()
    mine = tmp_path / "my-file"
    mine.write_bytes(b"mine")
    (out / "graph.json").symlink_to(mine)
    with recycling(out, spares):
        with pytest.raises(ExportError, match="graph.json is a symbolic link"):
            write(out / "graph.json", b"one")
    assert mine.read_bytes() == b"mine" and (out / "graph.json").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["graph.json"]  # no temporary file left


@pytest.mark.parametrize("kind", ["fifo", "device link"])
def test_a_pipe_or_device_is_refused_not_replaced(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    if kind == "fifo":
        os.mkfifo(out / "graph.html")
    else:
        (out / "graph.html").symlink_to("/dev/null")
    before = os.lstat(out / "graph.html")
    with pytest.raises(ExportError):
        write(out / "graph.html", b"page")
    after = os.lstat(out / "graph.html")
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert os.stat("/dev/null").st_rdev != 0  # the device itself untouched


def test_a_folder_in_the_files_place_is_named_not_the_temporary_file(tmp_path):
    out = tmp_path / "out"
    (out / "graph.ttl").mkdir(parents=True)
    with pytest.raises(ExportError) as err:
        write(out / "graph.ttl", b"ttl")
    assert str(err.value) == f"cannot write {out / 'graph.ttl'}: a folder is in its place; " \
                             "give a file's path or move the folder"
    assert os.listdir(out) == ["graph.ttl"] and os.listdir(out / "graph.ttl") == []


@pytest.mark.parametrize("failing", ["mkstemp", "chmod", "immutable folder"])
def test_a_file_that_cannot_be_written_is_named_not_its_temporary_file(tmp_path, monkeypatch, failing, seeds_kg):
    """A read-only exports folder said 'cannot write out/.graph.ttl.2301-sgjdf9gz.tmp':
    a hidden name the user never asked for. The system's error, with the file's own name."""
    import errno
    import shutil

    out = tmp_path / "out"
    out.mkdir()
    if failing == "immutable folder":  # what a read-only folder does to root, who ignores permissions
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(out)]).returncode:
            pytest.fail("chattr +i is needed here (e2fsprogs): the other two cases imitate it")
    else:
        real = getattr(graph.export.files.tempfile if failing == "mkstemp" else graph.export.files.os, failing)

        def refuse(*args, **kwargs):
            if failing == "mkstemp":
                raise PermissionError(errno.EACCES, "Permission denied", str(out / ".graph.ttl.1-abcd1234.tmp"))
            real(*args, **kwargs)
            raise PermissionError(errno.EPERM, "Operation not permitted", args[0])

        monkeypatch.setattr(graph.export.files.tempfile if failing == "mkstemp" else graph.export.files.os,
                            failing, refuse)
    try:
        with pytest.raises(ExportError) as err:
            graph.export.write_exports(seeds_kg, out, ["ttl"])
    finally:
        if failing == "immutable folder":
            subprocess.run(["chattr", "-i", str(out)], check=True)
    reason = "Permission denied" if failing == "mkstemp" else "Operation not permitted"
    assert str(err.value) == f"cannot write {out / 'graph.ttl'}: {reason}"
    assert os.listdir(out) == []


@pytest.mark.parametrize("blocker", ["file", "broken link"])
def test_a_file_where_a_folder_of_the_path_should_be_is_named(tmp_path, blocker):
    afile = tmp_path / "afile"
    if blocker == "file":
        afile.write_bytes(b"mine")
    else:
        afile.symlink_to(tmp_path / "nowhere")
    what = "a file" if blocker == "file" else f"a link to '{tmp_path / 'nowhere'}', which does not exist"
    with pytest.raises(ExportError) as err:
        write(afile / "sub" / "x.html", b"page")
    assert str(err.value) == f"cannot write {afile}/sub/x.html: {afile} is {what}, not a folder"
    assert sorted(os.listdir(tmp_path)) == ["afile"]


def test_where_leases_are_refused_no_spare_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(graph.export.files, "_unshared", lambda fd: False)
    out, spares = tmp_path / "out", tmp_path / "spares"
    with recycling(out, spares):
        for data in (b"one", b"two", b"three"):
            write(out / "f", data)
    assert (out / "f").read_bytes() == b"three"
    assert not spares.exists() or os.listdir(spares) == []


def test_a_link_left_by_a_crash_is_dropped(tmp_path):
    out, spares = tmp_path / "out", tmp_path / "spares"
    with recycling(out, spares):
        write(out / "f", b"one")
        spares.mkdir()
        (spares / "f.next").write_bytes(b"left by a crash between link and rename")
        write(out / "f", b"two")
        write(out / "f", b"three")
    assert os.listdir(spares) == ["f"] and (spares / "f").read_bytes() == b"two"
    assert (out / "f").read_bytes() == b"three"


def test_a_build_that_fails_half_way_says_which_files_are_new_and_which_old(tmp_path, seeds_kg):
    """Each file is replaced whole, but a write failing at one file left the
    files before it new and the others old, and said only which file it could
    not write: query and serve then read the last build's RDF beside this
    build's page. The files named as new and old are those whose inode
    changed, and did not."""
    import shutil

    out = tmp_path / "out"
    formats = list(graph.export.DEFAULT_FORMATS)
    graph.export.write_exports(seeds_kg, out, formats, jobs=1)
    files = sorted(p for p in out.iterdir() if p.is_file() and not p.name.startswith("."))
    before = {p.name: os.stat(p).st_ino for p in files}
    # the cheapest format's file: written last (the costliest first, with one worker)
    last = min(formats, key=lambda name: graph.export.EXPORTERS[name].cost)
    blocked = out / graph.export.EXPORTERS[last].filename
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(blocked)]).returncode:
        pytest.fail("chattr +i is needed here (e2fsprogs)")
    try:
        with pytest.raises(ExportError) as err:
            graph.export.write_exports(seeds_kg, out, formats, jobs=1)
    finally:
        subprocess.run(["chattr", "-i", str(blocked)], check=True)
    new = [name for name, ino in before.items() if os.stat(out / name).st_ino != ino]
    old = [name for name, ino in before.items() if os.stat(out / name).st_ino == ino]
    assert new and blocked.name in old
    message = str(err.value)
    assert message.startswith(f"cannot write {blocked}: Operation not permitted; {out} now holds this build's ")
    said_new, said_old = message.split("this build's ")[1].split(" beside the last build's ")
    said_old = said_old.removesuffix(": build again before using them")
    assert sorted(said_new.split(", ")) == sorted(new) and sorted(said_old.split(", ")) == sorted(old)
