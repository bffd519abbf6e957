"""CSV files for ``neo4j-admin database import`` (the folder ``neo4j/``).

One node file per node kind and one relationship file per edge kind, each
with its header on the first line (neo4j-admin's header conventions)::

    neo4j/articles.csv     id:ID,:LABEL,title,...,published:datetime,quality:long,stub:boolean,topics:string[],...
    neo4j/providers.csv    id:ID,:LABEL,name,domain,...
    neo4j/topics.csv       id:ID,:LABEL,label,key,...
    neo4j/published_by.csv :START_ID,:END_ID,:TYPE      (type PUBLISHED_BY)
    neo4j/about.csv        :START_ID,:END_ID,:TYPE      (type ABOUT)
    neo4j/related.csv      :START_ID,:END_ID,:TYPE      (type RELATED)

Labels are ``Article`` (plus ``Stub`` for articles known only from ``related``
lists: two labels, joined by the array delimiter as neo4j-admin reads them), ``Provider`` and ``Topic``; ids are the graph's node ids. Lists of text
are ``string[]`` joined by U+001F (:data:`~graph.export.flatten.ARRAY_DELIMITER`,
which no article text uses, where ``;`` is common in URLs: an item holding a
``;`` once turned its whole column into JSON text); lists of images are JSON text; dates ISO 8601
(``datetime``; a date alone is its midnight UTC, as in the DataFrames); missing
values empty cells; a NUL character (which many CSV readers refuse) U+FFFD, as in
the XML formats. Excerpts may hold line breaks inside quoted cells (a cell
with a lone carriage return is quoted too), so
import with ``--multiline-fields=true`` and the delimiter::

    neo4j-admin database import full --multiline-fields=true --array-delimiter=U+001F \\
        --nodes=neo4j/articles.csv --nodes=neo4j/providers.csv --nodes=neo4j/topics.csv \\
        --relationships=neo4j/published_by.csv --relationships=neo4j/about.csv \\
        --relationships=neo4j/related.csv neo4j

The folder is written beside its target under a temporary name and renamed
into place when complete.

>>> import csv, os, tempfile, graph
>>> kg = graph.build(["seeds/"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_neo4j(kg, os.path.join(tmp, "neo4j"))
...     with open(os.path.join(tmp, "neo4j", "related.csv"), encoding="utf-8") as fh:
...         rows = list(csv.reader(fh))
>>> rows[0], len(rows) - 1 == kg.report.edges["related"]
([':START_ID', ':END_ID', ':TYPE'], True)
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

from ..builder import NODE_ATTRIBUTES
from ..model import EDGE_KINDS, NODE_KINDS
from .files import Move, move_into_place, temporary_prefix
from .flatten import ARRAY_DELIMITER, flatten_value

__all__ = ["write_neo4j", "NODE_FILES", "EDGE_FILES"]

#: File of each node kind and of each edge kind inside the folder.
NODE_FILES = {"article": "articles.csv", "provider": "providers.csv", "topic": "topics.csv"}
EDGE_FILES = {kind: f"{kind}.csv" for kind in EDGE_KINDS}

# Attributes whose neo4j type is not string, by Python type of their values.
_TYPES = ((bool, "boolean"), (int, "long"), (float, "double"), (dt.date, "datetime"))
# Already given by the id and the label columns.
_SKIP = {"kind"}
# Lists written as JSON text: their items are mappings.
_JSON_LISTS = {"images"}


@functools.cache  # derived from the classes: the same for every export
def _declared_types() -> dict[str, dict[str, str]]:
    """The neo4j-admin type of each attribute of :data:`graph.builder.NODE_ATTRIBUTES`
    whose values are not text, by node kind, from the entity classes' field types."""
    import typing

    from .. import model

    classes = {"article": model.Article, "provider": model.Provider, "topic": model.Topic}
    out: dict[str, dict[str, str]] = {}
    for kind, schema in NODE_ATTRIBUTES.items():
        hints = typing.get_type_hints(classes[kind])
        types = out[kind] = {}
        for name, field_name, held in schema:
            if held == "list":
                types[name] = "string[]"
                continue
            if held == "date":
                types[name] = "datetime"
                continue
            if held != "value":  # images: JSON text
                continue
            # a field's type, or its union's members but None (all classes: a value is no container)
            given = set(typing.get_args(hints[field_name]) or (hints[field_name],)) - {type(None)}
            for py, neo in _TYPES:
                if given and all(isinstance(t, type) and issubclass(t, py) for t in given):
                    types[name] = neo
                    break
    return out


def _column_type(name: str, values: Iterable[Any], declared: str | None = None) -> str:
    """neo4j-admin type of the column ``name`` from its (non-None) values; with none,
    the type ``declared`` for it (the header of a corpus whose articles all lack a field
    was ``removed``, another's ``removed:boolean``: the same column, two types)."""
    seen = {type(v) for v in values if v is not None}
    if not seen:
        return declared or "string"
    if seen <= {list, tuple}:
        # Lists of texts (topics, aliases), even when all are empty: the header
        # is the same for every corpus; images (mappings) are JSON text.
        texts = name not in _JSON_LISTS and all(isinstance(i, str) for v in values if v for i in v)
        return "string[]" if texts else "string"
    for py, neo in _TYPES:
        # bool is an int and datetime a date: the first match in _TYPES is the narrowest.
        if all(isinstance(v, py) for v in values if v is not None) and (py is not int or bool not in seen):
            return neo
    return "string"


def _node_rows(nodes: list[tuple[str, dict]], kind: str) -> tuple[list[str], list[list[Any]]]:
    # The schema's columns first, in its order, whether or not any node has them: the
    # header is the same for every corpus (one without topics wrote topics.csv as two columns)
    schema = ["label", *(name for name, _, _ in NODE_ATTRIBUTES.get(kind, ()))]
    names: list[str] = list(dict.fromkeys([*schema, *(k for _, d in nodes for k in d if k not in _SKIP)]))
    declared = _declared_types().get(kind, {})
    types = {name: _column_type(name, [d.get(name) for _, d in nodes], declared.get(name)) for name in names}
    header = ["id:ID", ":LABEL"] + [name if types[name] == "string" else f"{name}:{types[name]}" for name in names]
    rows = []
    for node, d in nodes:
        # two labels are an array too: joined as the import is told (--array-delimiter), so
        # that a stub is :Article:Stub, not one label named "Article;Stub"
        label = kind.capitalize() + (ARRAY_DELIMITER + "Stub" if d.get("stub") else "")
        rows.append([node, label] + [_cell(d.get(name), types[name]) for name in names])
    return header, rows


def _cell(value: Any, column_type: str) -> Any:
    if column_type == "datetime" and not isinstance(value, dt.datetime) and isinstance(value, dt.date):
        from ..frames import to_utc  # a date is its midnight UTC, as in the frames

        value = to_utc(value)  # neo4j would take a date alone in the database's zone
    flat = flatten_value(value, "joined" if column_type == "string[]" else "json")
    if flat is None:
        return ""
    if type(flat) is str and "\x00" in flat:  # a NUL, which many CSV readers refuse: as the XML formats do
        return flat.replace("\x00", "\ufffd")
    return str(flat).lower() if isinstance(flat, bool) else flat


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]], *, text: bool = True) -> None:
    """``text``: the rows may hold free text (node files; an edge file holds ids only)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        if not text:
            writer.writerows(rows)
            return
        for row in rows:
            # Python's writer quotes a cell holding its line end ("\n") but not a lone "\r",
            # which CSV readers (Python's, neo4j-admin's) take as a line end too: the row
            # came apart. Such a cell is quoted by hand; an empty cell stays bare, as the
            # writer leaves it (neo4j-admin imports a quoted "" as an empty string, not as
            # a missing value).
            if any(type(c) is str and "\r" in c for c in row):
                fh.write(",".join(_quoted(c) if type(c) is str and "\r" in c else _cell_text(c) for c in row)
                         + "\n")
            else:
                writer.writerow(row)


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _cell_text(cell: Any) -> str:
    """``cell`` as the csv writer writes it in a row (quoted only where it must be; alone,
    an empty cell is written quoted, as a row of one empty cell must be)."""
    if cell == "":
        return ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cell])
    return out.getvalue()[:-1]


def write_neo4j(kg: Any, path: str | os.PathLike, **options: Any) -> None:
    """Write ``kg`` as neo4j-admin import CSV files into the folder ``path`` (atomically).

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph to write.
    path : path
        The folder to (re)create, normally ``exports/neo4j``. Anything in an
        existing folder of that name is replaced.
    **options
        Ignored (the registry passes every format the same options).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    g = kg.nx
    tmp = Path(tempfile.mkdtemp(prefix=temporary_prefix(target), suffix=".tmp", dir=target.parent))
    try:
        for kind in NODE_KINDS:
            nodes = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == kind]
            _write_csv(tmp / NODE_FILES[kind], *_node_rows(nodes, kind))
        for kind in EDGE_KINDS:
            _write_csv(tmp / EDGE_FILES[kind], [":START_ID", ":END_ID", ":TYPE"],
                       ([s, t, kind.upper()] for s, t, k in kg.edges() if k == kind), text=False)
        os.chmod(tmp, 0o755)
        move_into_place(Move(os.fspath(tmp), os.fspath(target), folder=True))
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
