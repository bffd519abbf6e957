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


def _resident(path, start: int, end: int) -> int:
    """How many of the pages of ``path`` between bytes ``start`` and ``end`` the page
    cache holds, as the kernel's ``mincore`` says (mapped, never read)."""
    import ctypes
    import mmap

    page = mmap.PAGESIZE
    with open(path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        count = (end - start + page - 1) // page
        flags = (ctypes.c_ubyte * count)()
        libc = ctypes.CDLL(None, use_errno=True)
        address = graph.export.files.mapping_address(mapped) + start
        assert libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(end - start), flags) == 0, ctypes.get_errno()
        return sum(f & 1 for f in flags)
    finally:
        mapped.close()


def _drops_synced_pages(folder) -> bool:
    """Whether this file system lets a synced file's pages go (not tmpfs, whose pages are the file)."""
    probe = folder / "probe.bin"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT)
    try:
        os.write(fd, b"p" * (1 << 20))
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    try:
        return _resident(probe, 0, 1 << 20) == 0
    finally:
        probe.unlink()


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here (macOS): pages are kept")
def test_a_new_file_leaves_the_page_cache_behind_its_writing_a_spare_keeps_its_pages(tmp_path, monkeypatch):
    """On a virtual machine that is handed its memory as it first touches it, a new page
    of the page cache cost 2.4 ms per megabyte (3 GB: 7.1 s in the kernel); the pages
    of a new export are dropped behind the writing, so the same few are used again."""
    from graph.export.files import recycling

    if not _drops_synced_pages(tmp_path):
        pytest.skip("this file system keeps a file's pages whatever it is told (tmpfs)")
    step = 1 << 20
    monkeypatch.setattr(graph.export.files, "_WRITEBACK_EVERY", step)
    piece, pieces = os.urandom(64 << 10), 160  # 10 MB: write-back started ten times
    size = len(piece) * pieces
    page = os.sysconf("SC_PAGE_SIZE")

    kept = tmp_path / "plain.bin"  # the control: written without atomic_writer, every page stays
    with open(kept, "wb") as fh:
        for _ in range(pieces):
            fh.write(piece)
        fh.flush()
        os.fsync(fh.fileno())
    assert _resident(kept, 0, size) == size // page

    out, spares = tmp_path / "out", tmp_path / "spares"
    target = out / "graph.nt"
    inodes = []
    with recycling(out, spares):
        for version in range(3):  # new, new (the first is kept as a spare), then written over that spare
            with atomic_writer(target, "wb", encoding=None) as fh:
                for i in range(pieces):
                    fh.write(piece)
                    if (i + 1) % (step // len(piece)) == 0:
                        # Rendering is slower than the disk: by the next step, the bytes whose
                        # write-back was started at this one are on it (here, in microseconds,
                        # they would not be; a page still being written is left where it is).
                        fh.flush()
                        os.fsync(fh.fileno())
            inodes.append(target.stat().st_ino)
            # Dropped at each start of the write-back: what was sent one start before, so
            # 9 MB of the 10 at the tenth start; the last step's pages stay.
            dropped = _resident(target, 0, 9 * step)
            assert _resident(target, 9 * step, size) == (size - 9 * step) // page, version
            if version < 2:
                assert dropped == 0, (version, dropped)
            else:  # written over the spare's pages (read back after the first version): kept
                assert dropped == 9 * step // page
            # read (after the counts: reading puts every page back): in the page cache as a
            # file in use is, and so the spare it becomes
            assert target.read_bytes() == piece * pieces
    assert inodes[2] == inodes[0] != inodes[1]
