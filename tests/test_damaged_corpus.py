"""Real articles damaged at random: what a messy corpus does to a build.

Files of the real corpus are copied and damaged by seeded random changes
(bytes flipped, cut short, junk inserted, fields given the wrong type, odd
characters put into URLs...). Whatever the damage, a build raises nothing,
every file is in the graph or in the report with its reason, and the RDF
files are read back by two independent parsers (oxigraph, Raptor's rapper)
with the same triple count. The URL damage found a real bug: an undecodable
byte in an AMP alias's host made oxigraph refuse the whole N-Triples file.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import graph
from graph.export import write_exports
from test_rdf import RDF_FORMATS, ox_count, rapper_count

#: Characters put into URLs: ASCII, the BMP, beyond it, and some chosen ones.
_CHOSEN = "\ufffd\ufffc\ufe47\uff0f\uff05\ue000\U000e0100\u2028\u00a0\u200b%[]@:#?\\ \"<>"


def _url_char(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(_CHOSEN)
    if pick < 0.5:
        return chr(rng.randint(0x20, 0x7E))
    if pick < 0.8:
        return chr(rng.choice([rng.randint(0x80, 0xD7FF), rng.randint(0xE000, 0xFFFF)]))
    return chr(rng.randint(0x10000, 0x10FFFF))


def _odd_url(rng: random.Random, text: str) -> str:
    """A URL line of ``text`` rewritten as a double-quoted scalar holding an odd character."""
    lines = text.split("\n")
    at = [i for i, line in enumerate(lines) if line.lstrip(" -").startswith(
        ("webUrl:", "originalUrl:", "ampWebUrl:", "cdnAmpWebUrl:", "url:"))]
    if not at:
        return text
    i = rng.choice(at)
    key, _, value = lines[i].partition(":")
    value = value.strip().strip("'\"")
    cut = rng.randint(0, len(value))
    escaped = [part.replace("\\", "\\\\").replace('"', '\\"') for part in (value[:cut], value[cut:])]
    # YAML's \U escape for any character, so the file itself stays plain text
    lines[i] = f'{key}: "{escaped[0]}\\U{ord(_url_char(rng)):08X}{escaped[1]}"'
    return "\n".join(lines)


_JUNK = ["\x00", "\r", "\u2028", "\t", "---\n", "- ", ": ", "&a ", "*a ", "!!python/object ", "{", "[", "'", '"',
         "\\", "%YAML 1.1\n", "? ", "|\n", ">\n", "<<: *x\n", "\ufeff", "\udcff"]
_WRONG_TYPES = [("title:", "title: [1, 2]\nx1:"), ("related:", "related: 5\nx2:"),
                ("publishedDateTime:", "publishedDateTime: 2024-13-45T99:99:99Z\nx3:"),
                ("topics:", "topics: {a: 1}\nx4:"), ("provider:", "provider: 7\nx5:"),
                ("webUrl:", "webUrl: 'http://[::1'\nx6:"), ("images:", "images: 'x'\nx7:"),
                ("quality:", "quality: 1e400\nx8:"), ("heat:", "heat: .nan\nx9:"),
                ("title:", "title: " + "[" * 300 + "]" * 300 + "\nx10:"), ("excerpt:", "excerpt: &a [*a]\nx11:")]


def _damaged(rng: random.Random, raw: bytes) -> bytes:
    """``raw`` after one to three random kinds of damage."""
    for kind in rng.sample(range(8), rng.randint(1, 3)):
        if kind == 0:  # cut short
            raw = raw[:rng.randrange(len(raw) + 1)]
        elif kind == 1:  # bytes flipped
            data = bytearray(raw)
            for _ in range(rng.randint(1, 20)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            raw = bytes(data)
        elif kind == 2:  # junk inserted (a lone surrogate as the bytes Python would write for it)
            junk = rng.choice(_JUNK).encode("utf-8", "surrogateescape")
            for _ in range(rng.randint(1, 5)):
                at = rng.randrange(len(raw) + 1)
                raw = raw[:at] + junk + raw[at:]
        elif kind == 3:  # two lines swapped
            lines = raw.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            raw = b"\n".join(lines)
        elif kind == 4:  # a field of the wrong type
            old, new = rng.choice(_WRONG_TYPES)
            raw = raw.replace(old.encode(), new.encode(), 1)
        elif kind == 5:  # Windows line ends
            raw = raw.replace(b"\n", b"\r\n")
        elif kind == 6:  # front matter only
            end = raw.find(b"\n---", 4)
            raw = raw[:end + 1] if end > 0 else raw
        else:  # an odd character in a URL
            raw = _odd_url(rng, raw.decode("utf-8", "replace")).encode("utf-8")
    return raw


@pytest.fixture(scope="module", params=[1, 2])
def damaged(request, corpus_dir, tmp_path_factory):
    """A folder of 120 real files, each damaged (seeded), and their names."""
    rng = random.Random(request.param)
    articles = sorted(p for p in corpus_dir.rglob("*.md") if "_data" not in p.parts)
    folder = tmp_path_factory.mktemp(f"damaged-{request.param}")
    names = []
    for k, source in enumerate(rng.sample(articles, 120)):
        name = f"{k:03d}-{source.name}"
        (folder / name).write_bytes(_damaged(rng, source.read_bytes()))
        names.append(name)
    return folder, names


@pytest.mark.parametrize("fast_yaml", [True, False])
def test_every_damaged_file_is_in_the_graph_or_the_report(damaged, fast_yaml):
    folder, names = damaged
    kg = graph.build([folder], fast_yaml=fast_yaml)
    report = kg.report
    accounted = {Path(f).name for a in kg.articles.values() for f in a.files}
    accounted |= {Path(r["path"]).name for r in report.rejected}
    accounted |= {Path(s["path"]).name for s in report.skipped}
    accounted |= {Path(c).name for c in report.catalog_files}  # a copied catalogue entry is one
    assert set(names) <= accounted
    assert report.files_read == len(names)
    # each reason and warning names its file
    assert {Path(r["path"]).name for r in report.rejected} <= set(names)
    assert {Path(w.path).name for w in report.warnings} <= set(names)
    assert all(r["reason"] for r in report.rejected)


def test_the_rdf_of_damaged_files_reads_back_in_oxigraph_and_rapper(damaged, tmp_path):
    folder, _ = damaged
    kg = graph.build([folder])
    write_exports(kg, tmp_path, RDF_FORMATS)
    counts = {fmt: ox_count(tmp_path / f"graph.{fmt}", fmt) for fmt in RDF_FORMATS}
    counts |= {f"rapper {fmt}": rapper_count(tmp_path / f"graph.{fmt}", fmt) for fmt in ("nt", "ttl", "trig")}
    assert len(set(counts.values())) == 1, counts
    assert counts["nt"] > 1000  # most files still describe an article
