r"""Attribute flattening shared by the exports that only hold scalars.

GraphML, GEXF and CSV cells hold one number, flag or string per attribute,
while the graph's attributes also hold lists (topics, sources), lists of
mappings (images) and dates. The rules, in one place:

* ``None`` and empty lists are omitted (an absent attribute means "not known");
* dates and date-times become ISO 8601 strings (UTC written as ``Z``);
* lists of strings become JSON arrays, or text joined by
  :data:`ARRAY_DELIMITER` with ``list_style="joined"`` (what ``neo4j-admin``
  reads as ``string[]``);
* anything else that is not a scalar (images) becomes JSON, keys sorted.

Examples
--------
>>> import datetime as dt
>>> flatten_attributes({"title": "A", "quality": 3, "heat": None, "topics": ["x", "y"],
...                     "published": dt.datetime(2021, 6, 18, 11, 0, tzinfo=dt.timezone.utc)})
{'title': 'A', 'quality': 3, 'topics': '["x","y"]', 'published': '2021-06-18T11:00:00Z'}
>>> flatten_attributes({"topics": ["x", "y"], "aliases": []}, list_style="joined")
{'topics': 'x\x1fy'}
"""

from __future__ import annotations

import datetime as dt
import signal
from typing import Any, Literal, Mapping

from ..children import signals_deferred

# A Ctrl-C (or SIGTERM, which the command makes one) raised while orjson's module
# sets itself up crashed the process (a segmentation fault; orjson 3.8 to 3.13, 279
# of 300 interrupted imports): handled once it is imported. graph.export.page_text
# takes it from here.
with signals_deferred({signal.SIGINT, signal.SIGTERM}):
    import orjson

__all__ = ["iso_date", "to_json", "flatten_value", "flatten_attributes", "ARRAY_DELIMITER"]

#: Separator of ``list_style="joined"``: U+001F, the unit separator, which no
#: text of a news article uses (``;`` does, in URLs and names), passed to
#: ``neo4j-admin`` as ``--array-delimiter=U+001F``. An item holding it has it
#: replaced with U+FFFD, as the XML formats do with what XML cannot hold.
ARRAY_DELIMITER = "\x1f"

Scalar = str | int | float | bool


def iso_date(value: dt.date | dt.datetime) -> str:
    """ISO 8601 text of a date or date-time in XSD's canonical form: UTC date-times
    end in ``Z``, fractions of a second have no trailing zeros.

    >>> iso_date(dt.date(2021, 6, 18))
    '2021-06-18'
    >>> iso_date(dt.datetime(2021, 6, 18, 11, 0, tzinfo=dt.timezone.utc))
    '2021-06-18T11:00:00Z'
    >>> iso_date(dt.datetime(2021, 6, 18, 11, 0, 0, 100000, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))))
    '2021-06-18T11:00:00.1+05:30'
    """
    text = value.isoformat()
    if value.__class__ is not dt.date and value.microsecond:  # ".100000": ".1", as oxigraph gives it back
        dot = text.index(".", 19)
        end = dot + 7
        text = text[:dot] + ("." + text[dot + 1:end].rstrip("0")) + text[end:]
    # Only a date-time whose offset is zero ends so (a date has no offset): no
    # utcoffset() call, as this runs for every article of every RDF export.
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return iso_date(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


#: Keys sorted; dates handed to :func:`_json_default` (orjson's own spelling
#: of a UTC time is not :func:`iso_date`'s).
_TO_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def to_json(value: Any) -> str:
    """Compact, deterministic JSON (keys sorted, non-ASCII kept, dates as ISO 8601).

    Strings are escaped as ``json.dumps(..., ensure_ascii=False)`` escapes them
    (quote, backslash and controls only), with no spaces after separators.
    Written by orjson: ``graph.json`` is mostly this, and the standard
    library's encoder took 0.2 s of the real corpus's 0.3 s for it, on the
    exporting process that ends last (see the README's "Dependencies").

    >>> to_json({"b": [1, "é"], "a": dt.date(2021, 6, 18), "c": {"y", "x"}})
    '{"a":"2021-06-18","b":[1,"é"],"c":["x","y"]}'
    """
    return orjson.dumps(value, default=_json_default, option=_TO_JSON).decode("utf-8")


def flatten_value(value: Any, list_style: Literal["json", "joined"] = "json") -> Scalar | None:
    r"""One attribute value as a scalar, or ``None`` when it should be omitted.

    >>> flatten_value(["a", "b"]), flatten_value(["a;b", "c\x1fd"], "joined")
    ('["a","b"]', 'a;b\x1fc�d')
    >>> flatten_value([{"url": "u", "width": None}], "joined")
    '[{"url":"u","width":null}]'
    """
    if value is None:
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return iso_date(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if list_style == "joined" and all(isinstance(v, str) for v in value):
            return ARRAY_DELIMITER.join(v.replace(ARRAY_DELIMITER, "\ufffd") for v in value)
        return to_json(list(value))
    return to_json(value)


def flatten_attributes(attrs: Mapping[str, Any],
                       list_style: Literal["json", "joined"] = "json") -> dict[str, Scalar]:
    """Every attribute of ``attrs`` flattened by :func:`flatten_value`, omitted ones dropped."""
    out: dict[str, Scalar] = {}
    for key, value in attrs.items():
        flat = flatten_value(value, list_style)
        if flat is not None:
            out[key] = flat
    return out
