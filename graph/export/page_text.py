"""The page's JSON text, and an article's details in it.

Shared by the page writer (:mod:`graph.export.html`) and incremental builds
(:mod:`graph.incremental`), which swap one article's details for new ones
without the drawing's dependencies (numpy, igraph, pyvis).
"""

from __future__ import annotations

from typing import Any

from ..views import article_node
from .flatten import orjson  # imported there with Ctrl-C deferred (a crash otherwise)

__all__ = ["json_for_script", "article_description", "article_details_head"]

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_script(value: Any) -> str:
    """JSON text that is safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become ``\\u`` escapes (so no ``</script>`` or
    ``<!--`` can appear), and so do U+2028/U+2029.

    >>> json_for_script({"t": "</script><img src=x onerror=alert(1)>"})
    '{"t":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    >>> import json, numpy as np
    >>> json.loads(json_for_script(["a\\u2028b & c", np.float64(0.5)])) == ["a\\u2028b & c", 0.5]
    True
    """
    # orjson escapes strings as json.dumps(ensure_ascii=False) does (quote, backslash,
    # controls), twice as fast; a float that is not finite, which json.dumps refused
    # here, becomes null (a layout gives none).
    text = orjson.dumps(value, default=_float).decode("utf-8")
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def _float(value: Any) -> float:
    """A subclass of float (numpy's float64) as a float: orjson writes only floats themselves."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def article_description(d: dict[str, Any]) -> dict[str, Any]:
    """The first items of an article's details on the page (``d``: its node in the view), all of
    them from its own description: its place in the graph comes after (from ``"w"`` on)."""
    return {"k": "article", "l": d["label"], "s": bool(d.get("stub")) or None, "d": d.get("date"),
            "dd": d.get("date_only") or None,
            "e": d.get("excerpt"), "u": d.get("link"), "v": d.get("type") == "video" or None,
            # "published: false": the source site does not show the item (most of the corpus's Azure news)
            "h": d.get("is_published") is False or None}


def article_details_head(kg: Any, article: Any) -> str:
    """How the page's details of ``article`` begin, up to its weight: the text an incremental
    build (:mod:`graph.incremental`) swaps when the article's description changes.

    >>> import graph
    >>> kg = graph.build(["seeds/"])
    >>> a = next(a for a in kg.articles.values() if not a.is_stub)
    >>> from graph.export.html import render_html
    >>> article_details_head(kg, a) in render_html(kg)
    True
    """
    info = {k: v for k, v in article_description(article_node(kg, article, 0)).items() if v is not None}
    return json_for_script(info)[:-1] + ',"w":'
