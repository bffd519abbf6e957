"""Reload a previous build from its exports, without re-reading the articles.

``newsgraph build --format json,report`` writes ``graph.json`` (node-link JSON,
see :mod:`graph.export.nodelink`) and ``report.json``. :func:`load` turns them
back into a :class:`~graph.builder.KnowledgeGraph` with the same articles,
providers and topics (equal dataclasses), so the same nodes, edges and
attributes, and the same :class:`~graph.report.BuildReport`.

Examples
--------
>>> import tempfile, graph
>>> from graph.export import write_exports
>>> kg = graph.build(["seeds/"])
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = write_exports(kg, tmp, ["json", "report"])
...     again = load(tmp)
>>> again.articles == kg.articles, again.report == kg.report
(True, True)
"""

from __future__ import annotations

import functools
import json
import os
import typing
from pathlib import Path
from typing import Any

from .builder import NODE_ATTRIBUTES, REQUIRED_NODE_ATTRIBUTES, KnowledgeGraph, report_of
from .errors import ArgumentTypeError, LoadError
from .model import EDGE_KINDS, Article, Image, Provider, Topic, coerce_datetime
from .report import BuildReport

__all__ = ["load", "load_report", "GRAPH_FILE", "REPORT_FILE"]

#: File names inside an exports folder.
GRAPH_FILE = "graph.json"
REPORT_FILE = "report.json"


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise LoadError(f"{path}: no such file (write it with `newsgraph build --format json,report`)") from err
    except UnicodeDecodeError as err:
        raise LoadError(f"{path}: not UTF-8 text (byte {err.start}); the file is corrupt") from err
    except OSError as err:
        raise LoadError(f"{path}: cannot read: {err.strerror or err}") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise LoadError(f"{path}:{err.lineno}: not valid JSON ({err.msg}, column {err.colno}); "
                        "the file is corrupt or truncated") from err
    except RecursionError as err:  # [[[[... a hundred thousand deep: valid JSON no build writes
        raise LoadError(f"{path}: JSON nested too deeply to read; the file is corrupt") from err
    except ValueError as err:  # a number of more digits than Python reads (sys.get_int_max_str_digits())
        raise LoadError(f"{path}: not readable JSON ({err}); the file is corrupt") from err


def _path(value: Any, what: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):  # Path(None) fails inside pathlib, naming neither
        raise ArgumentTypeError(f"path must be {what} (a str or os.PathLike), not {value!r}")
    return Path(value)


def load_report(path: str | os.PathLike) -> BuildReport:
    """Read a ``report.json`` back into a :class:`BuildReport`.

    Raises
    ------
    LoadError
        When the file is missing, not JSON, or not a build report.
    ArgumentTypeError
        When ``path`` is not a path.
    """
    path = _path(path, "a report.json")
    data = _read_json(path)
    if not isinstance(data, dict) or "articles" not in data:
        raise LoadError(f"{path}: not a newsgraph build report (expected a JSON object with 'articles')")
    try:
        return BuildReport.from_dict(data)
    except (TypeError, KeyError, AttributeError) as err:
        raise LoadError(f"{path}: not a newsgraph build report ({err})") from err


def _images(value: Any) -> tuple[Image, ...]:
    """Images as graph.json holds them ({url, width?, height?}), checked: a width of
    "big" was loaded and written into the RDF, and a url of 5 ended the RDF export
    in an AttributeError."""
    images = []
    for item in value or ():
        extra = sorted(set(item) - {"url", "width", "height"})
        if extra:
            raise ValueError(f"an image has the field {extra[0]!r}, which images do not have")
        if type(item.get("url")) is not str:
            raise ValueError(f"an image's url is {item.get('url')!r:.80}, not a string")
        for size in ("width", "height"):
            if type(item.get(size)) not in (int, type(None)):
                raise ValueError(f"an image's {size} is {item.get(size)!r:.80}, not an integer or null")
        images.append(Image(**item))
    return tuple(images)


def _date(value: Any):
    return None if value is None else coerce_datetime(value)


_ENTITY_CLASSES = {"article": Article, "provider": Provider, "topic": Topic}
_JSON_NAMES = {str: "string", int: "integer", bool: "boolean", list: "list", dict: "object"}
#: How each way a field is held (graph.builder.NODE_ATTRIBUTES) is read back; a missing list is empty.
_READ_BACK = {"value": lambda v: v, "list": lambda v: tuple(v or ()), "images": _images, "date": _date}


@functools.cache
def _value_types(kind: str) -> dict[str, tuple[tuple[type, ...], type | None]]:
    """Attribute -> the exact types its JSON value may have, from the entity's
    annotations (``int | None``: an int or null, not a bool), and for a list the
    type of its items (a list may also be null: empty)."""
    hints = typing.get_type_hints(_ENTITY_CLASSES[kind])
    item_of = {"list": str, "images": dict}
    types: dict[str, tuple[tuple[type, ...], type | None]] = {}
    for name, field, held in NODE_ATTRIBUTES[kind]:
        if held == "value":
            hint = hints[field]
            types[name] = (tuple(t for t in typing.get_args(hint) or (hint,) if isinstance(t, type)), None)
        elif held in item_of:
            types[name] = ((list, type(None)), item_of[held])
    return types


def _fields(kind: str, node: dict) -> dict[str, Any]:
    """The entity fields that the attributes of ``node``, of ``kind``, hold (KeyError
    for a required one missing: see graph.builder.REQUIRED_NODE_ATTRIBUTES; TypeError
    for a value of a kind its field does not hold)."""
    missing = [name for name in REQUIRED_NODE_ATTRIBUTES[kind] if name not in node]
    if missing:
        raise KeyError(missing[0])
    # checked, not coerced: a string where a list belongs was read as its letters
    # (topics 't', 'o', 'p'...), and "no" as a flag broke the counts
    for name, (types, item) in _value_types(kind).items():
        value = node.get(name)
        if type(value) not in types:
            raise TypeError(f"node {node['id']!r}: {name} is {value!r}, not "
                            + " or ".join("null" if t is type(None) else _JSON_NAMES.get(t, t.__name__) for t in types))
        if item is not None and value and any(type(v) is not item for v in value):
            bad = next(v for v in value if type(v) is not item)
            raise TypeError(f"node {node['id']!r}: {name} holds {bad!r}, not only {_JSON_NAMES[item]}s")
    fields = {}
    for name, field, held in NODE_ATTRIBUTES[kind]:
        try:
            fields[field] = _READ_BACK[held](node.get(name))
        except (TypeError, ValueError) as err:  # named: "Invalid isoformat string: 'junk'" named neither
            raise TypeError(f"node {node['id']!r}: {name} is {node.get(name)!r:.80}: {err}") from err
    return fields


def _entities(nodes: list, edges: list) -> tuple[dict, dict, dict]:
    """Articles, providers and topics from the node-link lists (may raise KeyError/TypeError/ValueError)."""
    related: dict[str, list[str]] = {}
    for e in edges:
        if e["kind"] not in EDGE_KINDS:
            raise ValueError(f"edge {e['source']} -> {e['target']} has unknown kind {e['kind']!r}")
        if e["kind"] == "related":
            related.setdefault(e["source"], []).append(e["target"])
    made: dict[str, dict] = {"article": {}, "provider": {}, "topic": {}}
    for n in nodes:
        kind, nid = n["kind"], n["id"]
        if kind not in made:
            raise ValueError(f"node {nid!r} has unknown kind {kind!r}")
        fields = _fields(kind, n)
        if kind == "article":
            fields["related_ids"] = tuple(related.get(nid, ()))  # the related edges: not a node attribute
        made[kind][nid] = _ENTITY_CLASSES[kind](id=nid, **fields)
    articles, providers, topics = made["article"], made["provider"], made["topic"]
    known = articles.keys() | providers.keys() | topics.keys()
    for e in edges:
        for end in (e["source"], e["target"]):
            if end not in known:
                raise ValueError(f"edge {e['source']} -> {e['target']} names a node that is not in the file")
    return articles, providers, topics


def _holds_articles(folder: Path) -> bool:
    """Whether ``folder`` holds article files (``.md``, ``.txt``) itself or in
    a subfolder one level down: what a mistaken ``graph.load("seeds")`` gives
    (looking no deeper: a folder of millions of files is not walked for a message)."""
    from .reader import INPUT_SUFFIXES

    try:
        with os.scandir(folder) as entries:
            subfolders = []
            for entry in entries:
                if entry.name.lower().endswith(INPUT_SUFFIXES) and entry.is_file():
                    return True
                if entry.is_dir() and len(subfolders) < 64:
                    subfolders.append(entry.path)
        for sub in subfolders:
            with os.scandir(sub) as entries:
                if any(e.name.lower().endswith(INPUT_SUFFIXES) and e.is_file() for e in entries):
                    return True
    except OSError:
        return False
    return False


def _counts(report: BuildReport) -> dict[str, int]:
    """What a report counts of its graph's nodes and edges, by name (``related edges``)."""
    return {"articles": report.articles, "providers": report.providers, "topics": report.topics,
            **{f"{kind} edges": n for kind, n in report.edges.items()}}


def load(path: str | os.PathLike = "exports") -> KnowledgeGraph:
    """Reload the graph (and, if present, the report) written by a previous build.

    Parameters
    ----------
    path : path
        An exports folder holding ``graph.json`` (and ``report.json``), or the
        ``graph.json`` file itself.

    Returns
    -------
    KnowledgeGraph
        Equal entities to the build that wrote the files; ``.nx`` gives the
        same nodes, edges and attributes. Without ``report.json`` the report
        holds what the graph tells: the counts, the article files and the
        duplicates merged (not the catalogue files, nor what was skipped,
        rejected or warned about: only the report has those), and its summary
        says so.

    Raises
    ------
    LoadError
        When ``graph.json`` is missing, is not JSON, or is not a newsgraph
        node-link graph (a node without the attributes of its kind, or with a
        value of a kind its field does not hold), or ``report.json`` exists but
        is corrupt; the message names the file.
    ArgumentTypeError
        When ``path`` is not a path.
    """
    path = _path(path, "an exports folder or its graph.json")
    if path.is_file() and path.suffix != ".json":
        raise LoadError(f"{path}: expected an exports folder or its {GRAPH_FILE}, not a {path.suffix or 'plain'} "
                        "file (RDF exports are queried with graph.query.sparql or `newsgraph query`)")
    graph_file = path if path.suffix == ".json" and not path.is_dir() else path / GRAPH_FILE
    if path.is_dir() and not graph_file.exists() and _holds_articles(path):
        raise LoadError(f"{path}: no {GRAPH_FILE} here but article files (.md, .txt): graph.build({str(path)!r}) "
                        f"reads articles; graph.load reads the exports that `newsgraph build {path}` writes")
    data = _read_json(graph_file)
    from .export.nodelink import NODELINK_FORMAT

    fmt = data.get("graph", {}).get("format") if isinstance(data, dict) and isinstance(data.get("graph"), dict) \
        else None
    if fmt != NODELINK_FORMAT:
        raise LoadError(f"{graph_file}: not a newsgraph node-link graph (graph.format is {fmt!r}, "
                        f"expected {NODELINK_FORMAT!r})")
    if not isinstance(data.get("nodes"), list) or not isinstance(data.get("edges"), list):
        raise LoadError(f"{graph_file}: 'nodes' and 'edges' must be lists")
    try:
        articles, providers, topics = _entities(data["nodes"], data["edges"])
    except KeyError as err:
        raise LoadError(f"{graph_file}: a node or edge lacks the field {err}; the file is corrupt") from err
    except (TypeError, ValueError, AttributeError) as err:
        raise LoadError(f"{graph_file}: {err}; the file is corrupt") from err

    report_file = graph_file.parent / REPORT_FILE
    kg = KnowledgeGraph(articles, providers, topics)
    kg.report = counts = report_of(kg, counts_only=report_file.exists())  # the lists only without the file
    if report_file.exists():
        kg.report = load_report(report_file)
        said, found = _counts(kg.report), _counts(counts)
        if said != found:  # named: "1465 vs 1465 articles" was said of a difference in edges
            differ = [f"{said.get(name, 0):,} vs {found.get(name, 0):,} {name}" for name in dict.fromkeys([*said, *found])
                      if said.get(name, 0) != found.get(name, 0)]
            raise LoadError(f"{report_file}: does not describe {graph_file} (a different build: the report "
                            f"counts {', '.join(differ)} in the graph); write both with "
                            "`newsgraph build --format json,report`")
        # a graph.json from before the digest was written: the counts only
        digest = data["graph"].get("report")
        if digest is not None and kg.report.digest() != digest:  # the report read, written as a build writes it
            raise LoadError(f"{report_file}: does not describe {graph_file} (a different build: the counts "
                            "agree, the report does not); write both with `newsgraph build --format json,report`")
    return kg

