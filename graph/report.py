"""The build report: what was read, merged, skipped and rejected, and why.

Every input file ends in exactly one place: an article's ``files``, the
catalogue files, ``skipped`` (not an article: no front matter, empty) or
``rejected`` (an article that could not be read), each with its reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import Warning_

__all__ = ["BuildReport", "for_terminal", "undecoded_as_bytes", "counted"]

#: Control characters, line separators and the bidirectional controls (which reorder
#: what follows: "txt.md" shown for "\u202edm.txt"), as the HTML page leaves them out.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")


#: A byte of a file name that is not UTF-8, as Python holds it (a surrogate escape).
_UNDECODED = re.compile("[\udc80-\udcff]")


def undecoded_as_bytes(text: str) -> str:
    r"""``text`` with the undecodable bytes of the file names in it (Python's surrogate
    escapes) as ``\xNN``, as the graph and the report show them
    (:func:`graph.reader.shown_path`); printed as they were, they showed as ``\udcNN``.

    >>> import os
    >>> print(undecoded_as_bytes("no such file: " + os.fsdecode(b"caf\xe9.md")))
    no such file: caf\xe9.md
    """
    return _UNDECODED.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text) if not text.isascii() else text


def for_terminal(text: str) -> str:
    r"""``text`` with its control characters as ``\xNN`` escapes: a file name or a
    value may hold a line break (printing a fake line), an escape sequence, which a
    terminal would obey, or a bidirectional control, which reorders what is shown;
    and a file name's undecodable bytes too (:func:`undecoded_as_bytes`).

    >>> print(for_terminal("evil\x1b]0;PWNED\x07.md"), for_terminal("two\nlines.md"), for_terminal("a\u2028b"))
    evil\x1b]0;PWNED\x07.md two\x0alines.md a\u2028b
    >>> print(for_terminal("\u202edm.txt"))
    \u202edm.txt
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if m.group() < "\u0100" else f"\\u{ord(m.group()):04x}",
                        undecoded_as_bytes(text))


def counted(n: int, noun: str) -> str:
    """``n`` of ``noun``, in the plural but for one.

    >>> counted(1, "stub"), counted(1_083, "stub")
    ('1 stub', '1,083 stubs')
    """
    return f"{n:,} {noun}{'s' * (n != 1)}"


@dataclass
class BuildReport:
    """Counts and lists describing one build. ``as_dict`` gives ``report.json``."""

    inputs: list[str] = field(default_factory=list)
    files_read: int = 0
    article_files: int = 0
    catalog_files: list[str] = field(default_factory=list)
    ignored_files: int = 0
    articles: int = 0
    articles_full: int = 0
    articles_stub: int = 0
    providers: int = 0
    topics: int = 0
    edges: dict[str, int] = field(default_factory=dict)
    duplicates_merged: list[dict] = field(default_factory=list)
    self_links_dropped: int = 0
    catalog_used: dict[str, int] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    #: Made from a graph alone (:func:`graph.builder.report_of`: :func:`graph.load`
    #: without ``report.json``, a part taken with ``subgraph``): what was skipped,
    #: rejected or warned about is unknown. In ``report.json`` only when true (a
    #: part's report, written and read back, stated zeros of what it did not know).
    graph_only: bool = field(default=False, compare=False)

    def __repr__(self) -> str:
        # One line, not every warning and file (18 KB for the real corpus, typed in Jupyter).
        known = ("" if self.graph_only else
                 f", {len(self.skipped):,} skipped, {len(self.rejected):,} rejected, {len(self.warnings):,} warnings")
        return (f"<BuildReport: {self.article_files:,} article files, {self.articles:,} articles{known}; "
                ".summary() and .as_dict() for more>")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.graph_only:  # a build's report says all; its file as it always was
            del d["graph_only"]
        d["warnings"] = [w.as_dict() for w in self.warnings]
        d["rejected"] = sorted(self.rejected, key=lambda r: (r["path"], r.get("line") or 0))
        d["skipped"] = sorted(self.skipped, key=lambda r: r["path"])
        return d

    def to_json(self) -> str:
        """The text of ``report.json``."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    def digest(self) -> str:
        """SHA-256 (hex) of ``report.json``'s bytes as a build writes them:
        ``graph.json`` carries it, so that :func:`graph.load` pairs only the two
        files of one build (or of builds whose reports are the same)."""
        import hashlib

        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BuildReport":
        data = dict(data)
        data["warnings"] = [Warning_(**w) for w in data.get("warnings", [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> str:
        """A few lines for the terminal."""
        edges = ", ".join(f"{n:,} {k.replace('_', '-')}" for k, n in self.edges.items())
        # The four places a file ends in (module docstring), so the parts add up.
        parts = (self.article_files, len(self.catalog_files), len(self.skipped), len(self.rejected))
        files = (f"files: {sum(parts):,} ({counted(parts[0], 'article')}, {parts[1]:,} catalogue, "
                 f"{parts[2]:,} skipped, {parts[3]:,} rejected)")
        if self.ignored_files:
            files += (f"; {self.ignored_files:,} other file{'s' if self.ignored_files != 1 else ''} not read "
                      "(not .md, .markdown or .txt)")
        if self.graph_only:
            files = (f"files: {counted(self.article_files, 'article file')} (a graph without its build's report: "
                     "the catalogue, skipped and rejected files and the warnings are not known here)")
        lines = [
            files,
            f"articles: {self.articles:,} ({self.articles_full:,} full, {counted(self.articles_stub, 'stub')}); "
            f"providers: {self.providers:,}; topics: {self.topics:,}",
            f"edges: {edges}",
            f"duplicates merged: {len(self.duplicates_merged):,}"
            + ("" if self.graph_only else f"; warnings: {len(self.warnings):,}"),
        ]
        for r in self.rejected[:10]:
            where = f"{r['path']}:{r['line']}" if r.get("line") else r["path"]
            lines.append(for_terminal(f"rejected: {where}: {r['reason']}"))
        if len(self.rejected) > 10:
            lines.append(f"... and {len(self.rejected) - 10:,} more rejected (see report.json)")
        return "\n".join(lines)
