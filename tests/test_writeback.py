"""Exports go on their way to the disk while they are written (graph.export.files._PacedWriter).

The expectations are counted by hand from the bytes each test writes, and the
order of the calls the file system sees is recorded, not assumed.
"""

from __future__ import annotations

import os
import pickle

import pytest

import graph
import graph.export
import graph.export.files
import graph.export.rdf
from graph.export.files import atomic_writer
from graph.export.rdf import write_rdf


@pytest.fixture
def starts(monkeypatch):
    """The calls of ``start_writeback``: (descriptor, bytes the kernel holds for it then)."""
    calls: list[tuple[int, int]] = []
    real = graph.export.files.start_writeback

    def record(fd: int) -> None:
        calls.append((fd, os.fstat(fd).st_size))
        real(fd)

    monkeypatch.setattr(graph.export.files, "start_writeback", record)
    monkeypatch.setattr(graph.export.rdf, "start_writeback", record)
    return calls


def test_writeback_starts_each_time_so_many_bytes_are_written(tmp_path, monkeypatch, starts):
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_EVERY", 100)
    path = tmp_path / "out.bin"
    pieces = [bytes([65 + i]) * 40 for i in range(7)]  # 40, 80, 120 (start), 40, 80, 120 (start), 40
    with atomic_writer(path, "wb", encoding=None) as fh:
        for piece in pieces:
            assert fh.write(piece) == 40
    assert len(starts) == 2
    assert path.read_bytes() == b"".join(pieces)


def test_a_large_write_starts_writeback_of_the_bytes_it_wrote(tmp_path, monkeypatch, starts):
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_EVERY", 1000)
    path = tmp_path / "out.bin"
    with atomic_writer(path, "wb", encoding=None) as fh:
        fh.write(b"x" * 10)
        fh.write(b"y" * 50_000)  # larger than the writer's buffer: handed to the kernel at once
    # one start, made when the kernel held all 50,010 bytes
    assert [size for _, size in starts] == [50_010]
    assert path.read_bytes() == b"x" * 10 + b"y" * 50_000


def test_text_mode_counts_characters_and_the_file_keeps_its_methods(tmp_path, monkeypatch, starts):
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_EVERY", 10)
    path = tmp_path / "out.txt"
    with atomic_writer(path) as fh:
        fh.write("é" * 6)  # 6 characters (12 bytes): under 10
        assert not starts
        fh.write("ü" * 4)  # 10 characters: a start
        assert len(starts) == 1
        fh.write("\n")
        assert fh.writable() and fh.encoding == "utf-8"
    assert path.read_text(encoding="utf-8") == "é" * 6 + "ü" * 4 + "\n"


def test_binary_files_seek_and_take_pickles_through_it(tmp_path):
    path = tmp_path / "out.pickle"
    value = {"a": list(range(1000)), "b": "ü" * 100}
    with atomic_writer(path, "wb", encoding=None) as fh:
        fh.write(b"12345678")
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        end = fh.tell()
        fh.seek(0)
        fh.write(b"ABCD")
        fh.seek(end)
        assert os.fstat(fh.fileno()).st_size <= end
    data = path.read_bytes()
    assert data[:8] == b"ABCD5678" and len(data) == end
    assert pickle.loads(data[8:]) == value


def test_rdf_files_are_all_sent_to_disk_before_the_first_is_synced(tmp_path, monkeypatch, starts):
    # A writeback start far beyond the files' sizes: only the start before the syncs is made.
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_EVERY", 1 << 40)
    syncs: list[tuple[int, int]] = []  # (descriptor, starts made before it)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        syncs.append((fd, len(starts)))
        real_fsync(fd)

    monkeypatch.setattr(graph.export.files.os, "fsync", fsync)
    kg = graph.build(["seeds/"])
    paths = {name: tmp_path / f"graph.{name}" for name in ("nt", "ttl", "trig", "jsonld")}
    write_rdf(kg, paths)
    assert len({fd for fd, _ in syncs}) == 4
    assert [before for _, before in syncs] == [4, 4, 4, 4]  # every file's start came before the first sync
    assert {fd for fd, _ in starts} == {fd for fd, _ in syncs}
    # and each file was whole in the kernel when its writeback started
    assert sorted(size for _, size in starts) == sorted(p.stat().st_size for p in paths.values())


@pytest.mark.parametrize("durable", [True, False])
def test_a_file_is_synced_before_it_replaces_the_last_unless_told_not_to_be(tmp_path, monkeypatch, durable):
    path = tmp_path / "record"
    path.write_bytes(b"the last version")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("sync " + os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst, *args, **kwargs):
        events.append("move " + os.path.basename(src))
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(graph.export.files.os, "fsync", fsync)
    monkeypatch.setattr(graph.export.files.os, "replace", replace)
    with atomic_writer(path, "wb", encoding=None, durable=durable) as fh:
        fh.write(b"the new version")
        written = os.path.basename(os.readlink(f"/proc/self/fd/{fh.fileno()}"))
    assert path.read_bytes() == b"the new version"
    moves = [e for e in events if e.startswith("move")]
    assert moves == [f"move {written}"]
    assert events[:events.index(moves[0])] == ([f"sync {written}"] if durable else [])


def test_position_records_are_written_without_a_sync(tmp_path, monkeypatch):
    from graph.export import offsets

    synced: list[int] = []
    monkeypatch.setattr(graph.export.files.os, "fsync", synced.append)
    offsets.save((tmp_path, "key"), "nt", 10, {"a": 1})
    assert offsets.load(tmp_path, "nt", "key") == (10, {"a": 1}) and synced == []
