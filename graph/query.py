"""SPARQL over a build: rows, DataFrames and terminal output, on two engines.

* :func:`sparql` runs a query over RDF data (an exported file, a
  :class:`~graph.KnowledgeGraph`, an ``rdflib.Graph`` or a
  ``pyoxigraph.Store``) with ``engine="oxigraph"`` (default; pyoxigraph, in
  memory or on disk with ``store=``) or ``engine="rdflib"`` (many times
  slower, and departing from SPARQL 1.1 more often: the README lists how)
  and returns a :class:`QueryResult`.
* :func:`sparql_dataframe` returns a pandas DataFrame with typed columns
  (integers, floats, booleans, timezone-aware datetimes, dates as datetimes).
* :func:`example_queries` lists the named queries shipped in
  ``graph/data/queries/`` (``newsgraph query --list``); their names can be
  used wherever a query is expected.

The vocabulary prefixes (``schema:``, ``ng:``, ``skos:``, ``dct:``, ``prov:``,
``rdf:``, ``rdfs:``, ``xsd:``) are predeclared, so short queries need no
``PREFIX`` lines. A syntax error raises :class:`~graph.errors.QueryError` with
the 1-based line and column.

Examples
--------
>>> import graph
>>> kg = graph.build(["seeds/000_661d67e696f09288.txt"])
>>> r = sparql(kg, "SELECT ?h WHERE { ?a ng:isStub false ; schema:headline ?h }")
>>> r.to_python()
[('Baltimore May Soon Ban Facial Recognition for Everyone but Cops',)]
>>> df = sparql_dataframe(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?a ng:related ?b }")
>>> int(df.loc[0, "n"]), str(df["n"].dtype)
(2, 'int64')
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import difflib
import functools
import itertools
import json
import os
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .errors import QueryError, ResultFormatError
from .namespaces import PREFIXES, RDF, XSD, prefixed_name
from .rdflib_literals import literals_said_once

if TYPE_CHECKING:  # imported where used: a query on one engine needs nothing of the other
    import pandas
    import pyoxigraph
    import rdflib

__all__ = [
    "ENGINES",
    "OUTPUT_FORMATS",
    "Term",
    "QueryResult",
    "ExampleQuery",
    "example_queries",
    "resolve_query",
    "rdf_format",
    "load_rdflib",
    "open_store",
    "sparql",
    "sparql_dataframe",
    "write_csv_of_tsv",
    "check_nesting",
    "MAX_QUERY_NESTING",
    "TERMINAL_ROWS",
    "TERMINAL_COUNT",
]

#: Query engines by name.
ENGINES = ("rdflib", "oxigraph")
#: What :meth:`QueryResult.write` can produce.
OUTPUT_FORMATS = ("table", "csv", "tsv", "json", "nt")

_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_FLOAT_TYPES = {XSD + "decimal", XSD + "double", XSD + "float"}
_XSD_STRING = XSD + "string"
# XSD's lexical forms (ASCII digits only), with the spaces around a value its
# whiteSpace "collapse" facet allows
_XSD_SPACE = " \t\n\r"


def _xsd_form(core: str) -> re.Pattern[str]:
    return re.compile(rf"[{_XSD_SPACE}]*(?:{core})[{_XSD_SPACE}]*")


_DECIMAL_FORM = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_TIME_ZONE = r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
_XSD_INTEGER = _xsd_form(r"[+-]?[0-9]+")
_XSD_DECIMAL = _xsd_form(_DECIMAL_FORM)
_XSD_DOUBLE = _xsd_form(_DECIMAL_FORM + r"(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_XSD_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}
_XSD_DATETIME_FORM = _xsd_form(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?" + _TIME_ZONE)
_XSD_DATE_FORM = _xsd_form(r"([0-9]{4}-[0-9]{2}-[0-9]{2})" + _TIME_ZONE)
_XSD_DATETIME = XSD + "dateTime"


@dataclass(frozen=True, slots=True)
class Term:
    """One RDF term of a result, independent of the engine.

    ``kind`` is ``"uri"``, ``"literal"`` or ``"bnode"``; a literal's
    ``datatype`` is always set (``xsd:string`` for plain strings) unless it has
    a ``language``.
    """

    kind: str
    value: str
    datatype: str | None = None
    language: str | None = None

    def to_python(self) -> Any:
        """The value as Python: ``int``, ``float``, ``bool``, ``datetime``, ``date`` or ``str``.

        >>> Term("literal", "42", XSD + "integer").to_python()
        42
        >>> Term("literal", "2021-06-18T11:00:00Z", XSD + "dateTime").to_python()
        datetime.datetime(2021, 6, 18, 11, 0, tzinfo=datetime.timezone.utc)
        """
        if self.kind != "literal" or self.datatype is None:
            return self.value
        d, v = self.datatype, self.value
        # Only what XSD's lexical forms allow: Python's int(), float() and fromisoformat()
        # also read "1_000", "١٢", "inf" and "2021-06-18 11:00", and a boolean was True
        # for "true" or "1" and False for anything else ("yes" too).
        try:
            if d in _INTEGER_TYPES:
                return int(v) if _XSD_INTEGER.fullmatch(v) else v
            if d == XSD + "decimal":
                return float(decimal.Decimal(v)) if _XSD_DECIMAL.fullmatch(v) else v
            if d in _FLOAT_TYPES:
                return float(v.replace("INF", "inf")) if _XSD_DOUBLE.fullmatch(v) else v
            if d == XSD + "boolean":
                return _XSD_BOOLEAN.get(v.strip(_XSD_SPACE), v)
            if d == XSD + "dateTime":
                if not _XSD_DATETIME_FORM.fullmatch(v):
                    return v
                return dt.datetime.fromisoformat(v.strip(_XSD_SPACE).replace("Z", "+00:00"))
            if d == XSD + "date":
                found = _XSD_DATE_FORM.fullmatch(v)
                return dt.date.fromisoformat(found.group(1)) if found else v
        except (ValueError, decimal.InvalidOperation):  # a year past 9999, a 30th of February
            return v  # an ill-typed literal stays as written
        return v

    def ntriples(self) -> str:
        """The term in N-Triples syntax."""
        from .export.rdf import escape_string

        if self.kind == "uri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return f"_:{self.value}"
        text = f'"{escape_string(self.value)}"'
        if self.language:
            return f"{text}@{self.language}"
        if self.datatype and self.datatype != _XSD_STRING:
            return f"{text}^^<{self.datatype}>"
        return text


@dataclass
class QueryResult:
    """The result of a query.

    ``variables`` names the columns and ``rows`` holds one tuple of
    :class:`Term` (or ``None`` when unbound) per solution. An ``ASK`` query
    sets ``boolean``; a ``CONSTRUCT``/``DESCRIBE`` gives the columns
    ``subject``, ``predicate``, ``object`` and sets ``triples``: its rows are
    a graph's triples, in N-Triples order (an engine has none of its own;
    rdflib's changed with the process's hash seed).

    A result of ``sparql(..., stream=True)`` may hold its rows as an iterator
    instead, computed as they are read: :meth:`write` then writes them one by
    one, in constant memory, and every other use (``len``, :meth:`to_python`,
    :meth:`to_dataframe`, ``rows`` after them) first reads them all into a list.
    """

    variables: list[str]
    rows: list[tuple[Term | None, ...]] | Iterator[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: bool = False
    #: The base IRI the data was built with, when it is newsgraph's: the table writes its
    #: IRIs as ``provider:wired.com`` under it, as a query may (None: the default base).
    base_iri: str | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_triples(cls, triples: Iterable[tuple[Term, Term, Term]]) -> "QueryResult":
        """The result of a ``CONSTRUCT`` or ``DESCRIBE``: ``triples``, sorted as N-Triples lines,
        blank nodes labelled ``b0``, ``b1``... by :func:`_canonical_blank_nodes`.

        >>> a, b = Term("uri", "https://x.example/a"), Term("uri", "https://x.example/b")
        >>> [s.value for s, _, _ in QueryResult.of_triples([(b, a, a), (a, b, b)]).rows]
        ['https://x.example/a', 'https://x.example/b']
        """
        rows = sorted(_canonical_blank_nodes(list(triples)), key=_line_key)
        return cls(["subject", "predicate", "object"], rows, triples=True)

    def _all_rows(self) -> list[tuple[Term | None, ...]]:
        """``rows`` as a list, read into one first when they are a stream."""
        if not isinstance(self.rows, list):
            self.rows = list(self.rows)
        return self.rows

    def __len__(self) -> int:
        return len(self._all_rows())

    def to_python(self) -> list[tuple[Any, ...]]:
        """Rows of Python values (see :meth:`Term.to_python`)."""
        return [tuple(None if t is None else t.to_python() for t in row) for row in self._all_rows()]

    def to_dataframe(self):
        """A pandas DataFrame with one typed column per variable.

        Integer columns are ``int64`` (``Int64`` when some rows are unbound;
        Python ints, ``object``, when one is beyond 64 bits), decimals and
        doubles ``float64``, booleans ``bool``/``boolean``,
        ``xsd:dateTime`` and ``xsd:date`` values (alone or mixed) UTC
        datetimes (``datetime64[us, UTC]``, as in :mod:`graph.frames`; a date
        is its midnight UTC), everything else strings, and so is a column
        holding a value that is not of its type (``"12a"^^xsd:integer``: not in
        XSD's lexical form), and one with no value at all (an empty result).
        """
        import pandas as pd

        if self.boolean is not None:
            return pd.DataFrame({"boolean": [self.boolean]})
        data = {}
        rows = self._all_rows()
        for i, name in enumerate(self.variables):
            column = [row[i] for row in rows]
            data[name] = _typed_column(column, pd)
        return pd.DataFrame(data, columns=self.variables)

    def write(self, fmt: str, out: IO[str]) -> None:
        """Write the result as ``table``, ``csv``, ``tsv`` or ``json`` (SPARQL 1.1 formats),
        or, for a ``CONSTRUCT`` or ``DESCRIBE``, ``nt`` (N-Triples).

        A ``table`` written to a terminal cuts long values to fit, and shows the
        first :data:`TERMINAL_ROWS` rows and the count of all; written to a file
        or a pipe, it holds every row and every value whole."""
        if fmt == "nt":
            if not self.triples:
                raise ResultFormatError("-f nt writes the graph of a CONSTRUCT or DESCRIBE; this query's result "
                                        f"is {'a boolean' if self.boolean is not None else 'a table'}: use csv, tsv "
                                        "or json")
            for s, p, o in self.rows:
                out.write(f"{s.ntriples()} {p.ntriples()} {o.ntriples()} .\n")
        elif fmt == "json":
            self._write_json(out)
        elif fmt == "csv":
            w = csv.writer(out, lineterminator="\r\n")
            if self.boolean is not None:
                w.writerows([["boolean"], ["true" if self.boolean else "false"]])
                return
            w.writerow(self.variables)
            # SPARQL 1.1's CSV: a blank node as _:label, else one is not told from a string
            w.writerows(["" if t is None else f"_:{t.value}" if t.kind == "bnode" else t.value for t in row]
                        for row in self.rows)
        elif fmt == "tsv":
            if self.boolean is not None:
                out.write(f"?boolean\n{'true' if self.boolean else 'false'}\n")
                return
            out.write("\t".join("?" + v for v in self.variables) + "\n")
            for row in self.rows:
                out.write("\t".join("" if t is None else t.ntriples() for t in row) + "\n")
        elif fmt == "table":
            self._table(out)
        else:
            raise ResultFormatError(f"unknown output format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")

    def _write_json(self, out: IO[str]) -> None:
        """SPARQL 1.1 JSON results, as ``json.dump(..., indent=1)`` writes them, a binding
        at a time (a stream's rows are never all in memory)."""
        if self.boolean is not None:
            json.dump({"head": {}, "boolean": self.boolean}, out, ensure_ascii=False, indent=1)
            out.write("\n")
            return
        head = json.dumps({"vars": self.variables}, ensure_ascii=False, indent=1).replace("\n", "\n ")
        out.write(f'{{\n "head": {head},\n "results": {{\n  "bindings": [')
        first = True
        for row in self.rows:
            out.write("\n   " if first else ",\n   ")
            first = False
            out.write(json.dumps(self._binding(row), ensure_ascii=False, indent=1).replace("\n", "\n   "))
        out.write("\n  ]\n }\n}\n" if not first else "]\n }\n}\n")

    def _binding(self, row: tuple[Term | None, ...]) -> dict[str, dict[str, str]]:
        b = {}
        for name, t in zip(self.variables, row):
            if t is None:
                continue
            cell: dict[str, str] = {"type": t.kind, "value": t.value}
            if t.language:
                cell["xml:lang"] = t.language
            elif t.kind == "literal" and t.datatype and t.datatype != _XSD_STRING:
                cell["datatype"] = t.datatype
            b[name] = cell
        return b

    def _table(self, out: IO[str]) -> None:
        if not out.isatty():
            self._plain_table(out)
            return
        from rich.console import Console
        from rich.table import Table

        console = Console(file=out, highlight=False, markup=False)
        if self.boolean is not None:
            console.print("true" if self.boolean else "false")
            return
        table = Table(*self.variables, show_lines=False)
        iris = _table_iris(self.base_iri)
        # the first rows only: no one reads a million in a terminal, and rich lays out all
        # it is given (minutes, and every row held); the others are counted as they come
        rows = iter(self.rows)
        for row in itertools.islice(rows, TERMINAL_ROWS):
            table.add_row(*[_table_cell(t, iris) for t in row])
        console.print(table)
        shown = table.row_count
        # counted up to TERMINAL_COUNT: a cross product of the corpus (7e10 rows) counted for
        # hours at full speed, the count line never came; stopping the count ends the query
        more = sum(1 for _ in itertools.islice(rows, TERMINAL_COUNT - shown + 1))
        total = f"more than {TERMINAL_COUNT:,}" if shown + more > TERMINAL_COUNT else f"{shown + more:,}"
        console.print(f"{total} row(s)" + (f", the first {shown:,} shown (-f csv or a pipe gives all)"
                                           if more else ""), soft_wrap=True)

    def _plain_table(self, out: IO[str]) -> None:
        """The table for a file or a pipe: every value whole (a terminal's table cuts long
        ones to fit), columns padded with spaces, one line per row: control characters
        and line breaks as ``\\xNN`` (:func:`graph.report.for_terminal`), as they would be
        obeyed where the table is shown; a backslash doubled so the two are told apart."""
        if self.boolean is not None:
            out.write(("true" if self.boolean else "false") + "\n")
            return

        iris = _table_iris(self.base_iri)

        def cells(row: tuple[Term | None, ...]) -> list[str]:
            return [_table_cell(t, iris) for t in row]

        # in blocks, as psql does with FETCH_COUNT: a result of any size in bounded memory;
        # a column widens where a block holds a longer value (in most results, never)
        widths = [len(v) for v in self.variables]
        lines = [self.variables]  # the header (and its rule), written with the first block
        count = 0
        rows = iter(self.rows)
        while True:
            block = [cells(row) for row in itertools.islice(rows, _TABLE_BLOCK)]
            widths = [max([w] + [len(row[i]) for row in block]) for i, w in enumerate(widths)]
            if not count:
                lines.append(["-" * w for w in widths])
            for row in lines + block:
                out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
            lines = []
            count += len(block)
            if len(block) < _TABLE_BLOCK:
                break
        out.write(f"{count:,} row(s)\n")


#: Rows a table shown in a terminal holds (QueryResult._table); it counts the others,
#: up to TERMINAL_COUNT rows in all ("more than 1,000,000 row(s)").
TERMINAL_ROWS = 1_000
TERMINAL_COUNT = 1_000_000
#: Rows a table written to a file or a pipe lays out at a time (QueryResult._plain_table).
_TABLE_BLOCK = 10_000


def _table_cell(t: Term | None, iris: Callable[[str], str]) -> str:
    """A value as a table shows it, in a terminal or not: an IRI as ``iris`` writes it
    (:func:`_table_iris`: ``provider:wired.com``, or ``<...>``); the data's control
    characters as ``\\xNN`` (:func:`graph.report.for_terminal`: a terminal would obey an
    escape sequence from a headline), a backslash doubled so the two are told apart."""
    from .report import for_terminal

    return for_terminal(("" if t is None else _short(t, iris)).replace("\\", "\\\\"))


def _short(t: Term, iris: Callable[[str], str]) -> str:
    if t.kind == "bnode":
        return f"_:{t.value}"
    if t.kind == "uri":
        return iris(t.value)
    return t.value


@functools.lru_cache(maxsize=8)
def _table_iris(base_iri: str | None = None) -> Callable[[str], str]:
    """A function: IRI -> the table's cell, its prefixed name under :func:`_query_prefixes`
    where a query reads that name back as the same IRI on either engine
    (:func:`graph.namespaces.prefixed_name`: ``topic:c%23``, not ``provider:abc.com.au``,
    which oxigraph's parser refuses), else under one of their namespaces ``<IRI>``, and an
    IRI under none (a page's URL) as it is.

    A table's names are typed into queries: the rest of the IRI after the namespace was
    written whatever it was, and a source file's src:corpus/seed/a.txt was a syntax
    error, a topic "AI."'s topic:ai. the topic "AI" and the triple's end, without a word.

    >>> cell = _table_iris()
    >>> [cell("https://example.org/newsgraph/id/" + rest) for rest in ("topic/c%23", "topic/ai.")]
    ['topic:c%23', '<https://example.org/newsgraph/id/topic/ai.>']
    >>> cell("https://example.org/newsgraph/id/source/corpus/seed/a.txt")
    '<https://example.org/newsgraph/id/source/corpus/seed/a.txt>'
    >>> cell("https://www.wired.com/story/x/")
    'https://www.wired.com/story/x/'
    """
    prefixes = _query_prefixes(base_iri)
    name = prefixed_name(prefixes, in_queries=True)
    namespaces = tuple(prefixes.values())

    def written(iri: str) -> str:
        found = name(iri)
        if found is not None:
            return found
        return f"<{iri}>" if iri.startswith(namespaces) else iri

    return written


def _typed_column(column: list[Term | None], pd: Any) -> Any:
    present = [t for t in column if t is not None]
    missing = len(present) < len(column)
    kinds = {("lit:" + (t.datatype or "")) if t.kind == "literal" else t.kind for t in present}

    def values() -> list[Any] | None:
        """The Python values, or None when one is ill-typed (it stays text: so does its column)."""
        out = [None if t is None else t.to_python() for t in column]
        return None if any(type(v) is str for v in out) else out

    typed = values() if present and not kinds & {"uri", "bnode"} else None
    if typed is not None:
        if kinds <= {"lit:" + d for d in _INTEGER_TYPES}:
            if any(v is not None and not -(1 << 63) <= v < (1 << 63) for v in typed):
                return pd.array(typed, dtype="object")  # int64 raised OverflowError: Python's ints hold them exactly
            return pd.array(typed, dtype="Int64" if missing else "int64")
        if kinds <= {"lit:" + d for d in _FLOAT_TYPES | _INTEGER_TYPES}:
            try:  # an integer among floats is a float, as in pandas, however many its digits
                return pd.array([float("nan") if v is None else float(v) for v in typed], dtype="float64")
            except OverflowError:  # past a float's range (about 1e308): the values, exactly
                return pd.array(typed, dtype="object")
        if kinds == {"lit:" + XSD + "boolean"}:
            return pd.array(typed, dtype="boolean" if missing else "bool")
        if kinds <= {"lit:" + XSD + "dateTime", "lit:" + XSD + "date"}:
            from .frames import DATES, utc_dates  # a date is its midnight UTC, as in the frames

            return pd.Series(utc_dates(typed), dtype="object").astype(DATES)
    return pd.array([None if t is None else t.value for t in column], dtype="string")


# --------------------------------------------------------------------------
# Example queries
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleQuery:
    """A named query shipped with the package: ``name``, one-line ``description``, ``text``."""

    name: str
    description: str
    text: str


def example_queries() -> dict[str, ExampleQuery]:
    """The named example queries, by name (from ``graph/data/queries/*.rq``).

    The description is the first ``#`` comment line of the file.

    >>> "top-providers" in example_queries()
    True
    """
    out = {}
    folder = resources.files("graph") / "data" / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        first = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), "")
        name = entry.name[:-3]
        out[name] = ExampleQuery(name, first, text)
    return out


def resolve_query(query_or_file: str) -> str:
    """The SPARQL text for an example name, a ``.rq`` file path, or SPARQL text itself.

    >>> resolve_query("SELECT * WHERE { ?s ?p ?o }")
    'SELECT * WHERE { ?s ?p ?o }'
    """
    return _query_and_file(query_or_file)[0]


def _query_and_file(query_or_file: str) -> tuple[str, str | None]:
    """:func:`resolve_query`'s text, and the file it was read from (``None`` for text or an example)."""
    examples = example_queries()
    if query_or_file in examples:
        return examples[query_or_file].text, None
    looks_like_path = "\n" not in query_or_file and "{" not in query_or_file and len(query_or_file) < 4096
    # a file, or a pipe or device named as one (/dev/stdin, a shell's <(...)): not isfile()
    if looks_like_path and os.path.exists(query_or_file) and not os.path.isdir(query_or_file):
        try:
            # utf-8-sig: editors on Windows save a byte order mark, which SPARQL parsers refuse
            return Path(query_or_file).read_text(encoding="utf-8-sig"), query_or_file
        except (OSError, UnicodeDecodeError) as err:
            raise QueryError(f"cannot read query file {query_or_file}: {err}") from err
    if looks_like_path and os.path.isdir(query_or_file):
        raise QueryError(f"{query_or_file} is a folder, not a query file")
    if looks_like_path and query_or_file.rstrip().endswith((".rq", ".sparql")):  # spaces and all
        raise QueryError(f"{query_or_file}: no such query file")
    if looks_like_path and re.fullmatch(r"[\w.\-/\\]+", query_or_file):
        if "/" in query_or_file:
            raise QueryError(f"{query_or_file}: no such query file")
        close = difflib.get_close_matches(query_or_file, examples, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise QueryError(f"{query_or_file!r} is neither an example query, nor a file, nor SPARQL; "
                         f"{hint}examples: {', '.join(examples)}")
    return query_or_file, None


# --------------------------------------------------------------------------
# Loading data
# --------------------------------------------------------------------------

_FORMATS = {".ttl": "TURTLE", ".turtle": "TURTLE", ".nt": "N_TRIPLES", ".ntriples": "N_TRIPLES",
            ".jsonld": "JSON_LD", ".json": "JSON_LD", ".trig": "TRIG", ".nq": "N_QUADS", ".rdf": "RDF_XML",
            ".owl": "RDF_XML", ".xml": "RDF_XML"}


def rdf_format(path: str | os.PathLike) -> Any:
    """The :class:`pyoxigraph.RdfFormat` of the RDF file ``path``, by its suffix.

    Raises
    ------
    QueryError
        For a suffix that is not an RDF format's, and for newsgraph's own
        ``graph.json``: node-link JSON (networkx), which a JSON-LD parser
        would read as no triples at all.
    """
    import pyoxigraph

    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise QueryError(f"{path}: unknown RDF file type {suffix!r}; use one of {', '.join(sorted(_FORMATS))}")
    if suffix == ".json":
        head = _head(path)
        if _is_nodelink(head):
            raise QueryError(f"{path} is newsgraph's node-link JSON (for graph.load and networkx), not RDF; "
                             f"use graph.nt, graph.ttl, graph.trig or graph.jsonld")
        if head and b'"@' not in head:  # report.json, say: a JSON-LD parser reads it as no triple at all
            raise QueryError(f"{path}: JSON without any JSON-LD keyword (@context, @id, @graph), not RDF; "
                             f"use graph.nt, graph.ttl, graph.trig or graph.jsonld")
    return getattr(pyoxigraph.RdfFormat, _FORMATS[suffix])


def _head(path: str | os.PathLike) -> bytes:
    """The first 64 kB of ``path`` (nothing when it cannot be read: the parser says why)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(65536)
    except OSError:
        return b""


def _is_nodelink(head: bytes) -> bool:
    """Whether a file opening with ``head`` is newsgraph's ``graph.json`` (its format is named in the first line).

    >>> _is_nodelink(b'{"directed":true,"graph":{"format":"newsgraph-nodelink/1"')
    True
    >>> _is_nodelink(b'{"directed": true, "graph": {"format": "newsgraph-nodelink/1"')  # as written before 2026-12-03
    True
    """
    import re

    from .export.nodelink import NODELINK_FORMAT

    return re.search(rb'"format"\s*:\s*"' + re.escape(NODELINK_FORMAT.encode()) + rb'"', head[:4096]) is not None


def _parse_error(path: str | os.PathLike, err: Exception) -> QueryError:
    if isinstance(err, MemoryError):
        # oxigraph's parsers hold one term at most 16 MB long ("Reached the buffer maximal size")
        return QueryError(f"{path}: cannot be read: a term (an IRI or a text) is longer than the RDF parser "
                          f"can hold ({err})")
    if isinstance(path, (str, os.PathLike)) and _head(path).startswith(b"\xef\xbb\xbf"):
        # The parser names the mark itself, an invisible character ("\ufeff is not a valid subject").
        return QueryError(f"{path}: not valid RDF: it starts with a byte order mark (U+FEFF, as some Windows "
                          "editors save files), which the RDF parser does not take: save it as UTF-8 without it")
    return QueryError(f"{path}: not valid RDF: {err}")


def _check_file(path: str | os.PathLike) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise QueryError(f"cannot query a {type(path).__module__}.{type(path).__name__}: give an RDF file, a "
                         "KnowledgeGraph, an rdflib.Graph (engine='rdflib') or a pyoxigraph.Store "
                         "(engine='oxigraph')")
    if not os.path.exists(path):
        raise QueryError(f"{path}: no such file (write it with `newsgraph build`)")
    if os.path.isdir(path):
        raise QueryError(f"{path}: is a folder, expected an RDF file")


def load_rdflib(source: Any, *, base_iri: str | None = None) -> rdflib.Graph:
    """An ``rdflib.Graph`` of ``source``: a file path, a KnowledgeGraph or an ``rdflib.Graph``.

    Files are parsed with pyoxigraph's parser (several times faster than
    rdflib's own on large files) and the terms converted; named graphs of TriG
    and N-Quads files are merged into one graph.

    Raises
    ------
    QueryError
        When the file is missing or not valid RDF (the message names the file).
    """
    import pyoxigraph
    import rdflib

    if isinstance(source, rdflib.Graph):
        return source
    if hasattr(source, "articles") and hasattr(source, "report"):
        from .export.rdf import ntriples

        quads = pyoxigraph.parse(ntriples(source, base_iri), format=pyoxigraph.RdfFormat.N_TRIPLES)
        where: Any = "<graph>"
    else:
        _check_file(source)
        quads = pyoxigraph.parse(path=os.fspath(source), format=rdf_format(source))
        where = source
    cache: dict[Any, Any] = {}
    URIRef, Literal, BNode = rdflib.URIRef, rdflib.Literal, rdflib.BNode

    def convert(t):
        if isinstance(t, pyoxigraph.NamedNode):
            v = t.value
            r = cache.get(v)
            if r is None:
                r = cache[v] = URIRef(v)
            return r
        if isinstance(t, pyoxigraph.BlankNode):
            return BNode(t.value)
        if t.language:
            return Literal(t.value, lang=t.language)
        d = t.datatype.value
        if d == _XSD_STRING:
            return Literal(t.value)
        key = (t.value, d)
        r = cache.get(key)
        if r is None:
            # Every literal keeps its text, as oxigraph does: rdflib would write a UTC
            # date-time with +00:00 where the exports write Z, and "no"^^xsd:boolean as
            # "false", and STR(?x) would differ by engine.
            r = cache[key] = Literal(t.value, datatype=URIRef(d), normalize=False)
        return r

    g = rdflib.Graph()
    try:
        with literals_said_once():  # a literal its datatype refuses: a warning, not a traceback per literal
            g.addN((convert(q.subject), convert(q.predicate), convert(q.object), g) for q in quads)
    except (SyntaxError, MemoryError) as err:
        raise _parse_error(where, err) from err
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


_META_GRAPH = "urn:newsgraph:store"


def open_store(source: Any, *, path: str | os.PathLike | None = None,
               base_iri: str | None = None) -> pyoxigraph.Store:
    """A ``pyoxigraph.Store`` holding ``source`` (file, KnowledgeGraph or Store).

    With ``path`` the store lives on disk and is reused by later calls as long
    as the data file is unchanged (same path, size, modification and change
    times, inode; not a file changed too shortly before the store was made:
    see :func:`graph.cache.fingerprints._is_settled`);
    otherwise it is cleared and reloaded.
    """
    import pyoxigraph as ox

    if isinstance(source, ox.Store):
        return source
    is_kg = hasattr(source, "articles") and hasattr(source, "report")
    if not is_kg:
        _check_file(source)
    if path is not None and os.path.isdir(path) and any(os.scandir(path)) \
            and not os.path.isfile(os.path.join(path, "CURRENT")):  # every RocksDB folder has it
        raise QueryError(f"{path}: not empty and not an oxigraph store; give a new or empty folder to --store")
    from .serve import is_serve_store

    if path is not None and is_serve_store(path):
        # Its marker vouches for what it holds: reloading it here would leave serve a stale marker.
        raise QueryError(f"{path}: a store made by newsgraph serve; query it through its endpoint "
                         "(newsgraph serve), or give --store another folder")
    try:
        store = ox.Store(os.fspath(path)) if path is not None else ox.Store()
    except (OSError, RuntimeError) as err:  # RuntimeError: a damaged store ("Corruption: ...")
        raise QueryError(f"cannot open the oxigraph store at {path}: {err}") from err
    meta = ox.NamedNode(_META_GRAPH)
    stamp = None
    if path is not None:
        if not is_kg:
            from .cache.fingerprints import _input_signature, _is_settled

            since = time.time_ns()  # before the file is read
            sig = _input_signature(os.stat(source))
            stamp = ox.Literal(f"{os.path.abspath(source)}|{'|'.join(map(str, sig))}")
            if any(q.object == stamp for q in store.quads_for_pattern(meta, meta, None, meta)):
                return store
            if not _is_settled(sig, since):
                stamp = None  # changed just now: it may change again with the same times (loaded afresh next time)
        # A graph in memory has no stamp: it is loaded afresh, never on top of what the store held.
        store.clear()
    try:
        if is_kg:
            from .export.rdf import ntriples

            store.bulk_load(ntriples(source, base_iri), format=ox.RdfFormat.N_TRIPLES)
        else:
            fmt = rdf_format(source)
            if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
                # Queries read the default graph: merge the named graphs into it.
                store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object)
                                  for q in ox.parse(path=os.fspath(source), format=fmt))
            else:
                store.bulk_load(path=os.fspath(source), format=fmt)
    except (SyntaxError, MemoryError) as err:
        raise _parse_error(source, err) from err
    except RuntimeError as err:  # the store's own failure: a damaged store, or a full disk
        raise QueryError(f"cannot load {source} into the oxigraph store at {path}: {err}") from err
    if stamp is not None:
        store.add(ox.Quad(meta, meta, stamp, meta))
        store.flush()
    return store


# --------------------------------------------------------------------------
# Running queries
# --------------------------------------------------------------------------

_OX_POSITION = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.S)


@functools.lru_cache(maxsize=8)
def _query_prefixes(base_iri: str | None = None) -> dict[str, str]:
    """The prefixes a query may use undeclared: the vocabularies', and those of the minted
    IRIs (``article:``, ``provider:``...) under ``base_iri`` (default: the default base)."""
    from .export.rdf import data_prefixes

    return {**PREFIXES, **data_prefixes(base_iri)}


#: A minted article IRI: the base IRI, ``article/`` and 16 hex digits (graph.namespaces).
_ARTICLE_IRI = re.compile(r"(.+)article/[0-9a-f]{16}", re.S)


def _minted_base(data: Any) -> str | None:
    """The base IRI the data's articles were minted under (``newsgraph build --base-iri``),
    from the first article found (a ``pyoxigraph.Store`` or an rdflib graph); ``None``
    when it has none, or its IRIs are not newsgraph's.

    Why: ``article:``, ``provider:``... are predeclared for queries; under the default
    base only, a query of a build with its own base found nothing, without a word.
    """
    from .export.rdf import ARTICLE_CLASSES

    if hasattr(data, "quads_for_pattern"):  # a pyoxigraph.Store
        import pyoxigraph as ox

        articles = (q.subject.value for cls in ARTICLE_CLASSES
                    for q in data.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(cls)))
    else:
        import rdflib

        articles = (str(s) for cls in ARTICLE_CLASSES for s in data.subjects(rdflib.RDF.type, rdflib.URIRef(cls)))
    first = next(articles, None)
    m = _ARTICLE_IRI.fullmatch(first) if first is not None else None
    return m.group(1) if m else None


def _parse_rdflib(text: str, base_iri: str | None = None) -> tuple[Any, Any]:
    """rdflib's parse tree and prepared query of ``text`` (its undeclared prefixes:
    :func:`_query_prefixes` of ``base_iri``); a :class:`QueryError` with line and
    column for a syntax error or an undeclared prefix."""
    import pyparsing
    from rdflib.plugins.sparql.parser import parseQuery

    from .rdflib_sparql import translate_query

    try:
        tree = parseQuery(text)
        return tree, translate_query(tree, _query_prefixes(base_iri))
    except pyparsing.ParseException as err:
        raise QueryError(f"SPARQL syntax error at line {err.lineno}, column {err.col}: {err.msg}",
                         err.lineno, err.col) from err
    except Exception as err:  # rdflib raises assorted errors for bad prefixes etc.
        raise _unknown_prefix(text, err) or QueryError(f"invalid SPARQL: {err}") from err


_CONSTRUCT_WHERE = re.compile(r"(?i)(?<![\w?$:\-])CONSTRUCT\s+WHERE(?![\w:\-])")


def _run_rdflib(data: Any, text: str, stream: bool, base_iri: str | None) -> QueryResult:
    tree, prepared = _parse_rdflib(text, base_iri)
    short = _CONSTRUCT_WHERE.search(_keywords_only(text))
    if short:
        # rdflib parses the short form but its evaluation fails ("'NoneType' object is not iterable")
        line, column = _line_column(text, short.start())
        raise QueryError(f"CONSTRUCT WHERE (the short form, at line {line}, column {column}) is not run by the "
                         "rdflib engine: write CONSTRUCT { pattern } WHERE { pattern }, or use --engine oxigraph")
    with _failures_as_query_errors():
        # rdflib evaluates lazily: errors come while the rows are read, so reading is inside
        res = data.query(prepared)
        if res.type == "ASK":
            return QueryResult([], boolean=bool(res.askAnswer))
        if res.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult.of_triples(tuple(_from_rdflib(t) for t in triple) for triple in res.graph)
        variables = list(res.vars)
        if "projection" not in tree[1]:
            # SELECT *: rdflib lists the variables in set order, which changes with the hash seed
            code = _without_comments(text)
            variables.sort(key=lambda v: (_first_use(code, str(v)), str(v)))
        # From the bindings, not by iterating res: rdflib's iterator skips a row whose
        # variables are all unbound (an OPTIONAL that found nothing), which oxigraph keeps.
        # Streamed, from the generator behind them: both of rdflib's ways to them keep every
        # row (Result.bindings makes a list; its iterator appends each to one), and a large
        # result filled the machine's memory before `| head` saw its first row.
        bindings = getattr(res, "_genbindings", None) if stream else None
        names = [str(v) for v in variables]
        rows = (tuple(_from_rdflib(binding.get(v)) for v in variables)
                for binding in (bindings if bindings is not None else res.bindings))
        if not stream:
            return QueryResult(names, list(rows))
        first = list(itertools.islice(rows, 1))  # an error found at once is raised here, as oxigraph's are
        return QueryResult(names, _query_errors(itertools.chain(first, rows)))


#: The outermost projection is ``*`` (the first SELECT of the text is the outermost one).
_SELECT_STAR = re.compile(r"(?i)\bSELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*")


#: A comment, or an IRI or string, long or short (group 1): text in which a ``#`` starts no
#: comment and a word is no keyword. A string left open runs to the end of its line (a
#: long one, of the text), as the parser reads it: tried again from every quote of a line
#: of 64,000 unclosed ones, the search took 16 s, and a server answered no one meanwhile.
_COMMENT_OR_TERM = re.compile(r"(<[^<>\"{}|^`\\\x00-\x20]*>"
                              r'|"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\\?\Z)'
                              r"|'''(?:[^'\\]|\\[\s\S]|'(?!''))*(?:'''|\\?\Z)"
                              r'|"(?:[^"\\\n\r]|\\.)*(?:"|\\?(?=[\n\r]|\Z))'
                              r"|'(?:[^'\\\n\r]|\\.)*(?:'|\\?(?=[\n\r]|\Z))"
                              # an escape in a prefixed name (ex:it\'s), which opens no string
                              r"|\\[_~.\-!$&'()*+,;=/?#@%])"
                              r"|#[^\n\r]*")  # SPARQL ends a comment at either line end


def _without_comments(text: str) -> str:
    r"""``text`` without its ``#`` comments (a ``#`` inside an IRI or a string is kept).

    >>> _without_comments('SELECT * # all of it\nWHERE { ?s <https://x.example/#a> "#b" }')
    'SELECT * \nWHERE { ?s <https://x.example/#a> "#b" }'
    """
    return _COMMENT_OR_TERM.sub(lambda m: m.group(1) or "", text)


def _keywords_only(text: str) -> str:
    """``text`` with each IRI, string and comment blanked (line ends kept, so places are
    the same): a word left is a keyword, or part of a variable or a prefixed name.

    >>> text = 'SELECT * { ?s <http://e/SERVICE> "SERVICE" } # SERVICE'
    >>> _keywords_only(text).split(), len(_keywords_only(text)) == len(text)
    (['SELECT', '*', '{', '?s', '}'], True)
    """
    return _COMMENT_OR_TERM.sub(lambda m: _NOT_A_LINE_END.sub(" ", m.group(0)), text)


_NOT_A_LINE_END = re.compile(r"[^\n]")


def _keyword_at(text: str, word: str) -> tuple[int, int] | None:
    """The line and column of ``word`` where ``text`` first uses it as a keyword: not as a
    variable (``?service``), not in a prefixed name (``ex:service``), not in an IRI, a
    string or a comment; ``None`` if it does not.

    >>> _keyword_at("SELECT ?service WHERE { ?service ex:SERVICE 'SERVICE' } # SERVICE", "SERVICE")
    >>> _keyword_at("SELECT * WHERE {\\n  SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }", "SERVICE")
    (2, 3)
    """
    found = re.search(r"(?i)(?<![\w?$:\-])" + word + r"(?![\w:\-])", _keywords_only(text))
    return _line_column(text, found.start()) if found else None


_LIMIT_OR_OFFSET = re.compile(r"(?i)(?<![\w?$:\-])(LIMIT|OFFSET)\s+0*([0-9]{19,})")  # 19 digits and more
# rdflib's islice takes an OFFSET and a LIMIT whose sum is at most 2^63 - 1; oxigraph called a
# count past 2^64 "not a non negative integer"
_COUNT_MAX = (1 << 62) - 1


def _check_counts(text: str) -> None:
    r"""Refuse a ``LIMIT`` or ``OFFSET`` beyond what the engines count to, with its place;
    each engine said so in its own odd words ("query failed: Stop argument for islice()
    must be...", "expected one of The query limit should be...").

    >>> _check_counts("SELECT * { ?s ?p ?o } OFFSET 4611686018427387903 LIMIT 4611686018427387903")
    >>> _check_counts("SELECT * { ?s ?p ?o }\nOFFSET 99999999999999999999")
    Traceback (most recent call last):
    ...
    graph.errors.QueryError: OFFSET 99999999999999999999 is more than the engines count to (4,611,686,018,427,387,903) at line 2, column 1
    """
    for found in _LIMIT_OR_OFFSET.finditer(_keywords_only(text)):
        digits = found.group(2)
        if len(digits) > 19 or int(digits) > _COUNT_MAX:
            line, column = _line_column(text, found.start())
            shown = digits if len(digits) <= 40 else f"of {len(digits):,} digits"
            raise QueryError(f"{found.group(1).upper()} {shown} is more than the engines count to ({_COUNT_MAX:,}) "
                             f"at line {line}, column {column}", line, column)


#: Deepest nesting of ``{``, ``(`` and ``[`` a query may have (see :func:`check_nesting`).
MAX_QUERY_NESTING = 256
_BRACKET = re.compile(r"[{(\[\])}]")


def check_nesting(text: str) -> None:
    """Refuse ``text`` if its groups, brackets or parentheses nest deeper than
    :data:`MAX_QUERY_NESTING` (IRIs, strings and comments aside): the check
    ``newsgraph query`` and ``newsgraph serve``'s front make before parsing.

    Why: oxigraph's parser recurses once per level and overflowed its stack at
    2,500 levels of ``{``, ending the process (a segmentation fault, and for
    ``newsgraph serve`` the server); rdflib's parser gave up sooner. Real
    queries nest a few levels.

    >>> check_nesting("SELECT * { { ?s ?p '{{{{' } }")
    >>> check_nesting("ASK " + "{" * 300 + "}" * 300)
    Traceback (most recent call last):
    ...
    graph.errors.QueryError: the query nests deeper than 256 levels of {, ( and [ at line 1, column 261
    """
    depth = 0
    for bracket in _BRACKET.finditer(_keywords_only(text)):
        if bracket.group() in "{([":
            depth += 1
            if depth > MAX_QUERY_NESTING:
                line, column = _line_column(text, bracket.start())
                raise QueryError(f"the query nests deeper than {MAX_QUERY_NESTING} levels of {{, ( and [ "
                                 f"at line {line}, column {column}", line, column)
        else:
            depth -= 1


_EITHER_WORD = re.compile(r"(?i)service|from")


def _reaches_out(text: str) -> dict[str, str]:
    """Which of ``SERVICE`` and ``FROM`` ``text`` uses, each with where (``" at line L,
    column C"``, or ``""`` where the text cannot say).

    As rdflib's parser reads the query, with ``\\u`` escapes decoded (rdflib decodes them
    everywhere) and a comment ended at a carriage return as at a line feed (as oxigraph ends
    it). (A look at the words
    alone missed a SERVICE after a name holding ``\\'``, or spelt ``\\u0053ERVICE``.)
    Where rdflib cannot parse the query (oxigraph may still run it): FROM by the words
    (:func:`_keyword_at`), and SERVICE, which reaches the network, by the word anywhere.

    >>> _reaches_out("SELECT * WHERE { ?s ex:it\\\\'s ?o . SERVICE <http://e/> { ?s ?p ?o } FILTER(?o != 'q') }")
    {'SERVICE': ' at line 1, column 35'}
    >>> _reaches_out("SELECT ?from WHERE { ?from <http://e/SERVICE> 'FROM' }  # SERVICE")
    {}
    """
    from rdflib.plugins.sparql.algebra import traverse
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    found: dict[str, str] = {}
    decoded = expandUnicodeEscapes(text)
    if not _EITHER_WORD.search(decoded):
        return found  # most queries: no parse (20 ms a query, on the default engine's path)

    def place(word: str) -> str:
        at = _keyword_at(text, word)
        return f" at line {at[0]}, column {at[1]}" if at else ""

    try:
        tree = parseQuery(text.replace("\r", "\n"))
    except Exception:
        # oxigraph may still run it: by the words, and SERVICE, which reaches the network,
        # by the word anywhere (in a string too), escapes decoded
        if re.search(r"(?i)service", decoded):
            found["SERVICE"] = place("SERVICE")
        if _keyword_at(text, "FROM"):
            found["FROM"] = place("FROM")
        return found
    if "datasetClause" in tree[1]:  # (CompValue.get's default is the key itself)
        found["FROM"] = place("FROM")

    def visit(node: Any) -> None:
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            found.setdefault("SERVICE", place("SERVICE"))

    traverse(tree[1], visitPost=visit)
    return found


# Neither refusal is a syntax error: no line and column attributes, so the CLI exits with status 1.

def _service_refused(where: str) -> QueryError:
    """``SERVICE``: both engines would send part of the query over the network to the endpoint it names."""
    return QueryError(f"SERVICE{where} would send the query over the network to another endpoint, which "
                      "newsgraph does not do unless asked: pass --allow-service (allow_service=True)")


def _dataset_clause_refused(where: str) -> QueryError:
    """``FROM`` or ``FROM NAMED`` where the data is one graph: rdflib loads the IRI, from the
    network, as the data (and ignored it over a plain graph), where oxigraph finds no such
    graph and so no row."""
    return QueryError(f"FROM{where} chooses graphs of a dataset, and the data here is one graph, all the "
                      "triples given (rdflib would load the IRI from the network): remove FROM (and FROM "
                      "NAMED) and the query runs over all of them")


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _first_use(text: str, name: str) -> int:
    """Where ``?name`` (or ``$name``) first occurs in ``text``.

    >>> _first_use("SELECT * WHERE { ?s ?p ?o . ?o ?q ?sx }", "s")
    17
    """
    found = re.search(r"[?$]" + re.escape(name) + r"(?![\w\u00b7\u0300-\u036f\u203f-\u2040])", text)
    return found.start() if found else len(text)


def _unknown_prefix(text: str, err: Exception) -> QueryError | None:
    r"""rdflib's unknown-prefix error with the line and column of the prefix's first use.

    >>> str(_unknown_prefix("SELECT ?x\nWHERE { ?x foo:bar 1 }", Exception("Unknown namespace prefix : foo")))
    "SPARQL syntax error at line 2, column 12: unknown prefix 'foo:' (declare it with PREFIX)"
    """
    m = re.fullmatch(r"Unknown namespace prefix : (\S*)", str(err))
    used = m and re.search(r"(?<![\w:<.-])" + re.escape(m.group(1)) + ":", text)
    if not used:
        return None
    line, column = _line_column(text, used.start())
    return QueryError(f"SPARQL syntax error at line {line}, column {column}: unknown prefix "
                      f"{m.group(1) + ':'!r} (declare it with PREFIX)", line, column)


def _line_key(triple: tuple[Term, Term, Term]) -> tuple[str, str, str]:
    return triple[0].ntriples(), triple[1].ntriples(), triple[2].ntriples()


#: Refinements one connected part may spend searching for its smallest form; past
#: them, alike blank nodes are told apart by the engine's names (see
#: :func:`_canonical_blank_nodes`).
_CANONICAL_SEARCH_MAX = 2000


def _canonical_blank_nodes(triples: list[tuple[Term, Term, Term]]) -> list[tuple[Term, Term, Term]]:
    """``triples`` with their blank nodes labelled by the graph's shape, not by the engine.

    Why: each engine, and each run, names a ``CONSTRUCT`` template's blank nodes
    anew (``_:N9c4b...``, ``_:c8ff...``), and the lines were sorted by those names,
    so the same query gave other bytes every time and on each engine.

    How: the blank nodes fall into connected parts (one per solution of a
    template, as a rule). In each, a node is named by what it is linked to,
    refined until the names stop telling more nodes apart (colour refinement);
    where nodes are still alike, each is singled out in turn and the smallest
    resulting lines are kept, so the part's form does not depend on which one
    the engine listed first. The parts are then ordered by their forms and
    their nodes named ``b0``, ``b1``... (rdflib's canonical labelling took more
    than ten minutes for the 4,600 blank nodes of a template over every
    article's topic; this takes a fraction of a second.) A part so symmetric
    that the search spends :data:`_CANONICAL_SEARCH_MAX` refinements is finished
    by the engine's names. Without a blank node, ``triples`` as given.

    >>> a, p = Term("uri", "https://x.example/a"), Term("uri", "https://x.example/p")
    >>> one = _canonical_blank_nodes([(a, p, Term("bnode", "N1f3")), (Term("bnode", "N1f3"), p, a)])
    >>> other = _canonical_blank_nodes([(Term("bnode", "zz"), p, a), (a, p, Term("bnode", "zz"))])
    >>> sorted(one, key=_line_key) == sorted(other, key=_line_key), sorted({t.value for x in one for t in x})
    (True, ['b0', 'https://x.example/a', 'https://x.example/p'])
    """
    links: dict[str, list[tuple[str, str, Term]]] = {}
    for s, p, o in triples:
        if s.kind == "bnode":
            links.setdefault(s.value, []).append(("out", p.ntriples(), o))
        if o.kind == "bnode":
            links.setdefault(o.value, []).append(("in", p.ntriples(), s))
    if not links:
        return triples
    joined = {node: node for node in links}  # union-find over blank nodes linked to one another

    def root(node: str) -> str:
        while joined[node] != node:
            joined[node] = joined[joined[node]]
            node = joined[node]
        return node

    for s, _, o in triples:
        if s.kind == "bnode" and o.kind == "bnode" and root(s.value) != root(o.value):
            joined[root(s.value)] = root(o.value)
    parts: dict[str, list[tuple[Term, Term, Term]]] = {}
    out = []
    for triple in triples:
        node = triple[0] if triple[0].kind == "bnode" else triple[2] if triple[2].kind == "bnode" else None
        if node is None:
            out.append(triple)
        else:
            parts.setdefault(root(node.value), []).append(triple)
    named = 0
    for _, part, number in sorted((_part_form(part, links) for part in parts.values()), key=lambda f: f[0]):
        for triple in part:
            out.append(tuple(Term("bnode", f"b{named + number[t.value]}") if t.kind == "bnode" else t
                             for t in triple))
        named += len(number)
    return out


def _part_form(part: list[tuple[Term, Term, Term]], links: dict[str, list[tuple[str, str, Term]]]
               ) -> tuple[tuple[tuple[str, ...], ...], list[tuple[Term, Term, Term]], dict[str, int]]:
    """One connected part's form (its lines, blank nodes numbered by their first
    line), its triples and the number each blank node gets: see
    :func:`_canonical_blank_nodes`."""
    import hashlib

    nodes = sorted({t.value for triple in part for t in triple if t.kind == "bnode"})
    budget = [_CANONICAL_SEARCH_MAX]

    def refined(colour: dict[str, str]) -> dict[str, str]:
        classes = len(set(colour.values()))
        while True:
            budget[0] -= 1
            new = {}
            for node in nodes:
                seen = sorted(f"{way} {p} {'_:' + colour[t.value] if t.kind == 'bnode' else t.ntriples()}"
                              for way, p, t in links[node])
                new[node] = hashlib.sha256("\n".join([colour[node], *seen]).encode()).hexdigest()
            colour, before, classes = new, classes, len(set(new.values()))
            if classes == before:  # a refinement only splits classes: this ends
                return colour

    def written(colour: dict[str, str]) -> tuple[tuple[tuple[str, ...], ...], dict[str, int]]:
        lines = sorted(tuple("_:" + colour[t.value] if t.kind == "bnode" else t.ntriples() for t in triple)
                       for triple in part)
        first: dict[str, int] = {}
        for line in lines:
            for word in line:
                if word.startswith("_:") and word not in first:
                    first[word] = len(first)
        form = tuple(tuple(f"_:{first[w]}" if w in first else w for w in line) for line in lines)
        return form, {node: first["_:" + colour[node]] for node in nodes}

    def smallest(colour: dict[str, str]) -> tuple[tuple[tuple[str, ...], ...], dict[str, int]]:
        classes: dict[str, list[str]] = {}
        for node in nodes:
            classes.setdefault(colour[node], []).append(node)
        tied = [c for c, members in classes.items() if len(members) > 1]
        if not tied:
            return written(colour)
        first = min(tied)
        found = []
        for node in classes[first]:  # each singled out in turn: the smallest lines win
            singled = dict(colour)
            singled[node] = hashlib.sha256(f"{first}*".encode()).hexdigest()
            found.append(smallest(refined(singled)))
            if budget[0] <= 0:
                break  # out of budget: the first (by the engine's names) stands
        return min(found, key=lambda f: f[0])

    form, number = smallest(refined(dict.fromkeys(nodes, "")))
    return form, part, number


def _from_rdflib(t: Any) -> Term | None:
    import rdflib

    if t is None:
        return None
    if isinstance(t, rdflib.URIRef):
        return Term("uri", str(t))
    if isinstance(t, rdflib.BNode):
        return Term("bnode", str(t))
    if t.language:
        return Term("literal", str(t), None, t.language)
    return Term("literal", str(t), str(t.datatype) if t.datatype else _XSD_STRING)


def _run_oxigraph(store: Any, text: str, stream: bool, base_iri: str | None) -> QueryResult:
    import pyoxigraph as ox

    meta = ox.NamedNode(_META_GRAPH)
    graphs = list(store.named_graphs())
    # the store's own stamp (open_store) is not data: GRAPH ?g must not find it
    named = [g for g in graphs if g != meta] if meta in graphs else None
    try:
        res = store.query(text, prefixes=_query_prefixes(base_iri), named_graphs=named)
    except SyntaxError as err:
        # An undeclared prefix: oxigraph lists every character it expected ("expected one of
        # Prefix not found, ['%'], ...") past the name; rdflib's parser names it, where it is.
        # (For other errors oxigraph's place is the better one.)
        if "Prefix not found" in str(err):
            try:
                _parse_rdflib(text)
            except QueryError as words:
                if "unknown prefix" in str(words):
                    raise words from err
        message = str(err)
        m = _OX_POSITION.match(message)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            detail = m.group(3) if len(m.group(3)) <= 200 else m.group(3)[:200] + "..."
            raise QueryError(f"SPARQL syntax error at line {line}, column {col}: {detail}", line, col) from err
        raise QueryError(f"SPARQL syntax error: {message}") from err
    except (OSError, RuntimeError) as err:  # RuntimeError: a function oxigraph does not have (xsd:interger)
        raise QueryError(f"query failed: {err}") from err
    with _failures_as_query_errors():  # solutions are computed as they are read: so are their errors
        if isinstance(res, ox.QueryBoolean):
            return QueryResult([], boolean=bool(res))
        if isinstance(res, ox.QueryTriples):
            return QueryResult.of_triples((_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object))
                                          for t in res)
        names = [v.value for v in res.variables]
        order = list(range(len(names)))
        code = _without_comments(text)
        if _SELECT_STAR.search(code):
            # SELECT *: oxigraph lists the variables in an order of its own (?o ?p ?s): as
            # _run_rdflib does, by first use, so both engines give the same columns
            order.sort(key=lambda i: (_first_use(code, names[i]), names[i]))
        rows = (tuple(_from_ox(sol[i]) for i in order) for sol in res)
        if not stream:
            return QueryResult([names[i] for i in order], list(rows))
        # the first row read here, where an error found at once (as most are) is raised by
        # sparql() itself, before the caller writes anything
        first = list(itertools.islice(rows, 1))
        return QueryResult([names[i] for i in order], _query_errors(itertools.chain(first, rows)))


@contextlib.contextmanager
def _failures_as_query_errors() -> Iterator[None]:
    """An engine's failure inside the block raised as a :class:`QueryError` ("query failed: ...")."""
    try:
        yield
    except QueryError:
        raise
    except Exception as err:
        raise QueryError(f"query failed: {err}") from err


def _query_errors(rows: Iterator[tuple[Term | None, ...]]) -> Iterator[tuple[Term | None, ...]]:
    """``rows``, with an error met while reading them raised as a :class:`QueryError`."""
    with _failures_as_query_errors():
        yield from rows


def _from_ox(t: Any) -> Term | None:
    import pyoxigraph as ox

    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return Term("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return Term("bnode", t.value)
    if isinstance(t, ox.Triple):  # it has no .language: the AttributeError said nothing useful
        raise QueryError(f"a result holds an RDF 1.2 triple term ({t}), which newsgraph's results cannot "
                         "hold; select its parts with SUBJECT(), PREDICATE() and OBJECT()")
    if t.language:
        return Term("literal", t.value, None, t.language)
    return Term("literal", t.value, t.datatype.value)


def write_csv_of_tsv(results: IO[bytes], out: IO[str]) -> None:
    r"""Write the SPARQL 1.1 TSV results read from ``results`` to ``out`` as CSV
    results, a row at a time, as ``newsgraph query -f csv`` writes them
    (:meth:`QueryResult.write`).

    Why: Oxigraph's own CSV writes an IRI as it is, never quoted, so one
    with a comma in it (two of the real corpus's URLs have one) split its row
    into a column too many. TSV writes terms unambiguously; ``newsgraph
    serve`` asks its Oxigraph for TSV and answers CSV with this.

    Raises
    ------
    QueryError
        When ``results`` are not valid TSV results (or hold an RDF 1.2 triple term).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> write_csv_of_tsv(io.BytesIO(b'?page\t?title\n<https://x.example/a,b>\t"A \\"b\\", c"@en\n'), out)
    >>> out.getvalue()
    'page,title\r\n"https://x.example/a,b","A ""b"", c"\r\n'
    """
    import pyoxigraph as ox

    with _failures_as_query_errors():
        parsed = ox.parse_query_results(results, ox.QueryResultsFormat.TSV)
        if isinstance(parsed, ox.QueryBoolean):
            QueryResult([], boolean=bool(parsed)).write("csv", out)
            return
        width = len(parsed.variables)
        rows = (tuple(_from_ox(solution[i]) for i in range(width)) for solution in parsed)
        QueryResult([v.value for v in parsed.variables], rows).write("csv", out)


def sparql(source: Any, query: str, *, engine: str = "oxigraph", store: str | os.PathLike | None = None,
           base_iri: str | None = None, allow_service: bool = False, stream: bool = False) -> QueryResult:
    """Run a SPARQL query over ``source``.

    Parameters
    ----------
    source : path, KnowledgeGraph, rdflib.Graph or pyoxigraph.Store
        The data: an RDF file (``.ttl``, ``.nt``, ``.jsonld``, ``.trig``, …),
        an exports folder (its ``graph.nt``, else ``graph.ttl``, as
        ``newsgraph query`` takes it), a built graph, or an already loaded
        graph or store.
    query : str
        SPARQL text, the name of an example query, or a ``.rq`` file.
    engine : {"rdflib", "oxigraph"}
    store : path, optional
        With ``engine="oxigraph"``: keep the store on disk here (reused while
        the data file is unchanged).
    base_iri : str, optional
        Base IRI used when ``source`` is a KnowledgeGraph.
    allow_service : bool
        Run a query with ``SERVICE`` (a federated query), which sends part of
        the query over the network to the endpoint it names and takes its rows
        into the answer; refused unless set, so that a query file from
        elsewhere makes no requests from this machine.
    stream : bool
        A ``SELECT``'s rows are an iterator, computed as they are read (see
        :class:`QueryResult`): a result of any size is written by
        :meth:`QueryResult.write` in constant memory, with either engine.
        Errors found after the first row are raised while reading them. A
        ``CONSTRUCT``/``DESCRIBE`` is whole all the same (its triples are
        sorted).

    Returns
    -------
    QueryResult

    Raises
    ------
    QueryError
        Syntax errors (with ``line`` and ``column``), unreadable data, failures;
        an update, ``SERVICE`` (unless allowed), and ``FROM`` but over a
        ``pyoxigraph.Store`` of one's own, before anything runs.
    """
    if not isinstance(query, (str, os.PathLike)):
        raise QueryError(f"the query must be SPARQL text, an example's name or a .rq file, not {query!r}")
    text, file = _query_and_file(os.fspath(query))
    if isinstance(source, (str, os.PathLike)) and os.path.isdir(source):  # refused, where the CLI took it
        from .errors import ServeError
        from .serve import find_rdf_source

        try:
            source = find_rdf_source(source)
        except ServeError as err:
            raise QueryError(str(err)) from err
    try:
        return _checked_and_run(source, text, engine, base_iri, store, allow_service, stream)
    except QueryError as err:
        if file is None or err.line is None:
            raise
        # an error at a place in a .rq file: the file named, as an editor or a compiler names it
        raise QueryError(f"{file}:{err.line}: {err}", err.line, err.column) from err


def _checked_and_run(source: Any, text: str, engine: str, base_iri: str | None, store: Any,
                     allow_service: bool, stream: bool) -> QueryResult:
    code = _without_comments(text)
    if not code.strip():  # oxigraph said "expected [_]"
        raise QueryError("the query is empty (white space and comments only): give SPARQL text, an example "
                         "query's name or a .rq file", 1, 1)
    update = _UPDATE.match(code)
    if update:
        raise QueryError(f"{update.group(1).upper()} is SPARQL Update, which newsgraph query does not run: "
                         "it reads the exports; to change a graph, serve it with `newsgraph serve "
                         "--allow-update` and send the update to its /update endpoint")
    if engine not in ENGINES:
        raise QueryError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    check_nesting(text)
    _check_counts(text)
    reaches = _reaches_out(text)
    if "SERVICE" in reaches and not allow_service:
        raise _service_refused(reaches["SERVICE"])
    # a store of one's own may hold named graphs; what newsgraph loads does not
    if "FROM" in reaches and (engine == "rdflib" or not _is_oxigraph_store(source)):
        raise _dataset_clause_refused(reaches["FROM"])
    # rdflib makes the query's literals and the data's: one warning per datatype it refuses
    with literals_said_once() if engine == "rdflib" else contextlib.nullcontext():
        data = load_rdflib(source, base_iri=base_iri) if engine == "rdflib" else open_store(source, path=store,
                                                                                           base_iri=base_iri)
        minted = _minted_base(data)  # the data's own: its prefixed names, in the query and in the table
        result = (_run_rdflib if engine == "rdflib" else _run_oxigraph)(data, text, stream, minted)
    result.base_iri = minted
    return result


def _is_oxigraph_store(source: Any) -> bool:
    import pyoxigraph

    return isinstance(source, pyoxigraph.Store)


#: An update's first keyword, after any PREFIX and BASE (in text without comments).
#: (White space, then declarations each followed by white space: ``(\s+|...)*`` tried every
#: split of a run of spaces, 18 s for 26 of them before a SELECT.)
_UPDATE = re.compile(r"\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
                     r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)


def sparql_dataframe(source: Any, query: str, **options: Any) -> pandas.DataFrame:
    """:func:`sparql` as a pandas DataFrame with typed columns (see :meth:`QueryResult.to_dataframe`)."""
    return sparql(source, query, **options).to_dataframe()
