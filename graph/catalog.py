"""Optional catalogues that enrich provider and topic nodes.

A catalogue folder (``_data/`` in the Jekyll sites, ``data/`` in the shared
corpus) holds ``organizations/*.md`` (front matter: ``name``, ``domain``,
``images``) and ``topics/*.yaml`` (``name``, ``keywords``, ``hashtags``,
``images``). :func:`find_catalogs` detects them beside a news folder;
:func:`load_catalog` reads one; :func:`enrich` applies entries to resolved
providers and topics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from .errors import FrontMatterError
from .model import (Provider, Topic, Warning_, _describe, _digits_over_limit, coerce_images,
                    escaped_nuls_removed)
from .resolve import provider_id, provider_key, topic_id, topic_key

__all__ = ["TOPIC_FILES", "Catalog", "find_catalogs", "is_catalog_folder", "catalog_files", "load_catalog", "load_catalogs", "catalog_entry", "enrich"]

_NAMES = ("_data", "data")
#: The catalogue's topic files inside its ``topics/`` folder (organisations are ``*.md``, inputs too).
TOPIC_FILES = "*.y*ml"
#: The kind of a catalogue entry without ``taxonomy``, by the folder it is in.
_KIND_OF_FOLDER = {"organizations": "organization", "topics": "topic"}


@dataclass
class Catalog:
    """Catalogue entries by node id, with the files they came from."""

    providers: dict[str, dict] = field(default_factory=dict)
    topics: dict[str, dict] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    #: Files that could not be read (``{path, reason, line}``) and files that
    #: are no catalogue entry (``{path, reason}``), as the build report lists them.
    rejected: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def add(self, data: Any, path: str) -> str | None:
        """Add one entry: ``None`` when added, else why it is no catalogue entry
        (the reason the build report gives for skipping its file)."""
        entry = _entry(data, path, self.warnings)
        if isinstance(entry, str):
            return entry
        kind, node_id, values = entry
        target = self.providers if kind == "organization" else self.topics
        # Deterministic: the first file by path wins a field; lists are unions.
        old = target.get(node_id)
        if old is None:
            target[node_id] = values
        else:
            for k, v in values.items():
                if isinstance(v, tuple):
                    old[k] = tuple(dict.fromkeys(old.get(k, ()) + v))
                elif old.get(k) is None:
                    old[k] = v
                elif v is not None and v != old[k] and k != "catalog":  # a value left out: said
                    self.warnings.append(Warning_(
                        path, f"{k} {_shown(v)} left out: {old['catalog']} describes the same "
                              f"{'provider' if kind == 'organization' else kind} as {_shown(old[k])}, and comes first"))
        self.files.append(path)
        return None


def is_catalog_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds an ``organizations`` or a ``topics`` folder (what a catalogue is)."""
    return os.path.isdir(os.path.join(folder, "organizations")) or os.path.isdir(os.path.join(folder, "topics"))


def find_catalogs(inputs: Iterable[str | os.PathLike]) -> list[str]:
    """Catalogue folders beside the given inputs.

    For each input folder, ``_data/`` or ``data/`` inside it or inside its
    parent counts when it has an ``organizations`` or ``topics`` folder.
    """
    found: list[str] = []
    for given in inputs:
        p = Path(given)
        if not p.is_dir():
            continue
        for base in (p, p.parent):
            for name in _NAMES:
                cand = base / name
                if is_catalog_folder(cand):
                    s = str(cand)
                    if s not in found:
                        found.append(s)
    return found


def _said_text(value: Any, key: str, path: str, warnings: list[Warning_] | None) -> str | None:
    """A catalogue text as written: a string, or a whole number written out; ``None``
    for anything else, and, with a warning (into ``warnings``), for a number of more
    digits than Python writes as text.

    >>> said = []
    >>> [_said_text(v, "name", "t.yaml", said) for v in ("AI", 42, 10 ** 5000, [1])], said[0].message
    (['AI', '42', None, None], 'name has a whole number of 5,001 digits; left out')
    """
    if isinstance(value, str):
        if "\x00" in value:  # written as an escape: removed, as an article's are
            value, said = escaped_nuls_removed(value, key)
            if warnings is not None:
                warnings.append(Warning_(path, said))
        return value
    if not isinstance(value, int):
        return None
    if _digits_over_limit(value) is None:
        return str(value)
    if warnings is not None:
        warnings.append(Warning_(path, f"{key} has {_describe(value)}; left out"))
    return None


def _strings(value: Any, key: str, path: str, warnings: list[Warning_] | None = None) -> tuple[str, ...]:
    """``keywords`` or ``hashtags``: a list (or one value) of texts or numbers; a number
    too long to write out is left out with a warning (into ``warnings``).

    >>> _strings(["ai", 42, True, None, " "], "keywords", "t.yaml"), _strings(42, "k", "t.yaml")
    (('ai', '42'), ('42',))
    >>> said = []
    >>> _strings({"a": 1}, "k", "t.yaml"), _strings([10 ** 5000, "x"], "hashtags", "t.yaml", said), said[0].message
    ((), ('x',), 'hashtags has a whole number of 5,001 digits; left out')

    Each text once, where it first comes (a catalogue of the real corpus lists
    ``model-driven apps`` twice: graph.json had it twice, the RDF once):

    >>> _strings(["a", "b", "a", 1, "1"], "keywords", "t.yaml")
    ('a', 'b', '1')
    """
    if not isinstance(value, list):
        value = [value]
    out: dict[str, None] = {}
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            continue
        text = _said_text(v, key, path, warnings)
        if text is not None and text.strip():
            out[text] = None
    return tuple(out)


def catalog_entry(data: Any, path: str, warnings: list[Warning_] | None = None) -> tuple[str, str, dict] | None:
    """``(kind, node id, fields)`` for one catalogue document, or ``None``;
    what was left out of its images is added to ``warnings``."""
    entry = _entry(data, path, warnings)
    return None if isinstance(entry, str) else entry


def _entry(data: Any, path: str, warnings: list[Warning_] | None) -> tuple[str, str, dict] | str:
    """:func:`catalog_entry`, or why ``data`` is none (a reason for the build report).

    >>> [_entry(d, "data/organizations/x.md", None) for d in ([], {"name": "X"}, {"domain": 5}, {"domain": " "})]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['catalogue file holding no fields (a list)', 'catalogue organization without a domain',
     'catalogue organization whose domain is not a text (5)', "catalogue organization whose domain ' ' names no host"]
    >>> [_entry(d, "data/topics/x.yaml", None) for d in ({"keywords": ["a"]}, {"name": "--"}, {"taxonomy": "person"})]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['catalogue topic without a name or _id', "catalogue topic whose name '--' has no letter, digit or symbol",
     "catalogue entry of taxonomy 'person': neither organization nor topic"]
    """
    if not isinstance(data, dict):
        return f"catalogue file holding no fields ({'nothing' if data is None else _kind_of(data)})"
    images, left_out = coerce_images(data.get("images"), path)
    if warnings is not None:
        warnings.extend(left_out)
    kind = data.get("taxonomy")
    if kind is None:  # the folder says which (an organisation without its domain is no topic), else the fields
        kind = _KIND_OF_FOLDER.get(os.path.basename(os.path.dirname(path))) or (
            "organization" if "domain" in data else "topic")
    name = (_said_text(data.get("name"), "name", path, warnings) or "").strip() or None
    if kind == "organization":
        domain = data.get("domain")
        if domain is None:
            return "catalogue organization without a domain"
        if not isinstance(domain, str):
            return f"catalogue organization whose domain is not a text ({_shown(domain)})"
        key = provider_key(domain)
        if not key:
            return f"catalogue organization whose domain {_shown(domain)} names no host"
        return kind, provider_id(key), {"name": name, "images": images, "catalog": path}
    if kind == "topic":
        label = name or (_said_text(data.get("_id"), "_id", path, warnings) if data.get("_id") else None)
        if not label:
            return "catalogue topic without a name or _id"
        key = topic_key(label)
        if not key:  # no letter, digit or symbol: it could enrich no topic
            return f"catalogue topic whose name {_shown(label)} has no letter, digit or symbol"
        return kind, topic_id(key), {
            "name": label,
            "keywords": _strings(data.get("keywords"), "keywords", path, warnings),
            "hashtags": _strings(data.get("hashtags"), "hashtags", path, warnings),
            "images": images,
            "catalog": path,
        }
    return f"catalogue entry of taxonomy {_shown(kind)}: neither organization nor topic"


def _kind_of(value: Any) -> str:
    return {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true or false"}.get(
        type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value in a reason, cut to 60 characters (the report is read in a terminal too)."""
    text = repr(value) if isinstance(value, str) else _said_text(value, "", "", None) or _kind_of(value)
    return text if len(text) <= 60 else text[:57] + "..."


def catalog_files(folder: str | os.PathLike) -> list[Path]:
    """The files :func:`load_catalog` reads: ``organizations/*.md``, then ``topics/*.y*ml``."""
    root = Path(folder)
    return sorted((root / "organizations").glob("*.md")) + sorted((root / "topics").glob(TOPIC_FILES))


def load_catalog(folder: str | os.PathLike, catalog: Catalog | None = None) -> Catalog:
    """Read ``organizations/*.md`` and ``topics/*.y*ml`` under ``folder``."""
    # reader imports this module (TOPIC_FILES) at its top, so reader is imported here
    from .reader import FrontMatter, decode, load_front_matter, shown_path, split_front_matter

    catalog = catalog or Catalog()
    for f in catalog_files(folder):
        path = shown_path(str(f))
        try:
            raw = f.read_bytes()
        except OSError as err:  # gone, unreadable
            catalog.rejected.append({"path": path, "reason": f"catalogue file not read: {err.strerror or err}",
                                     "line": None})
            continue
        try:
            text = decode(raw, path, catalog.warnings)  # as an article's: BOMs, UTF-16 and -32, bad bytes, NULs
            # the same loading as an article's: duplicate keys, surrogates and alias bombs alike
            fm = split_front_matter(text, path) if f.suffix == ".md" else FrontMatter("yaml", text, 1)
            data = None if fm is None else load_front_matter(fm, path, catalog.warnings)
        except FrontMatterError as err:  # a fence never closed, or front matter that does not load
            catalog.rejected.append({"path": path, "reason": err.reason, "line": err.line})
            continue
        reason = catalog.add(data, path)
        if reason is not None:
            catalog.skipped.append({"path": path, "reason": reason})
    return catalog


def load_catalogs(folders: Iterable[str | os.PathLike]) -> Catalog:
    """Read each of ``folders`` in turn into one :class:`Catalog`."""
    catalog = Catalog()
    for folder in folders:
        load_catalog(folder, catalog)
    return catalog


def enrich(providers: dict[str, Provider], topics: dict[str, Topic], catalog: Catalog) -> dict[str, int]:
    """Apply catalogue entries to existing nodes (no node is created).

    The catalogue's name becomes the display name; the names seen in the
    articles stay as alternative names. Returns counts of entries used.
    """
    used = {"providers": 0, "topics": 0}
    for pid, entry in catalog.providers.items():
        p = providers.get(pid)
        if p is None:
            continue
        used["providers"] += 1
        name = entry.get("name") or p.name
        alt = tuple(sorted(({p.name} | set(p.alt_names)) - {name}))
        providers[pid] = replace(p, name=name, alt_names=alt,
                                 images=tuple(dict.fromkeys(entry.get("images", ()) + p.images)),
                                 catalog=entry.get("catalog"))
    for tid, entry in catalog.topics.items():
        t = topics.get(tid)
        if t is None:
            continue
        used["topics"] += 1
        topics[tid] = replace(t, keywords=entry.get("keywords", ()), hashtags=entry.get("hashtags", ()),
                              images=entry.get("images", ()), catalog=entry.get("catalog"))
    return used
