"""The interactive HTML graph: one self-contained, offline, escaped page.

pyvis generates the page (a :class:`pyvis.network.Network` fed its node and
edge lists in bulk, rendered with newsgraph's own template from
``graph/data/html/``); vis-network runs it (canvas, zoom, pan, picking,
events) while the page's script draws the picture into cached layers.
Everything the page needs is inlined: vis-network (the copy that ships inside
pyvis), the page's CSS and script, and the data. The page makes no network
request and opens from ``file://``.

Writing: the large JSON blocks reach pyvis's template as markers and are
written in pieces where they go, a thousand items at a time, so the page is
never held whole (:func:`_write_page`); the bytes are those pyvis renders
from the whole data (``tests/test_page_equivalence.py`` checks it).

Speed: the data is compact (nodes refer to a table of drawing styles and to
each other by number; related edges are delta-coded), because the browser
reads and parses it at every opening; see ``docs/readme-html.md`` for the
measurements.

Safety: input strings are never written into HTML or script source. All data
goes into ``<script type="application/json">`` blocks with ``<``, ``>``,
``&``, U+2028 and U+2029 escaped (:func:`json_for_script`), and the page
builds its DOM with ``textContent`` only. A Content-Security-Policy allows
just the page's two inline scripts (by hash), so an injected script or event
handler could not run even if one got through. ``featured_content`` (raw
HTML in the input) is never put in the page; links are made only for
``http``/``https`` URLs.

Legibility: positions come from :mod:`graph.layout` (groups of related
articles placed apart, physics off); the dense ``related`` edges are drawn
only for the selected article and the page says how many are hidden.

>>> import graph
>>> page = render_html(graph.build(["seeds/"]))
>>> page.startswith("<!DOCTYPE html>") and "https://cdn" not in page
True
"""

from __future__ import annotations

import base64
import colorsys
import functools
import hashlib
import html
import importlib.util
import json
import math
import numbers
import os
import re
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np

from .. import __version__
from ..errors import ExportError, InvalidArgumentError, UnknownFormatError
from ..layout import LABEL_MAX, compute_layout, label_size, node_size
from ..views import View, edge_table, ego_view, full_view, overview_view
from .page_text import article_description, json_for_script
from .files import atomic_writer

if TYPE_CHECKING:
    from IPython.display import HTML

    from ..builder import KnowledgeGraph

__all__ = ["write_html", "render_html", "make_view", "notebook_html", "json_for_script", "PALETTE"]

_DATA = Path(__file__).resolve().parent.parent / "data" / "html"

#: Colours of article groups (qualitative, none of them the hub or related-edge colours).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#9c755f", "#a0cbe8",
           "#8cd17d", "#b6992d", "#499894", "#ffbe7d", "#86bcb6")
_COLORS = {"provider": "#343a40", "topic": "#e03131", "edge": "rgba(73,80,87,0.07)",
           "related": "#ae3ec9", "highlight": "#1f2328"}

def _asset(name: str) -> str:
    return (_DATA / name).read_text(encoding="utf-8")


def _vis_js() -> str:
    """vis-network as it ships inside the pyvis package."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ExportError("the page needs vis-network from the pyvis package, which is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ExportError(f"cannot read vis-network from the pyvis package at {path}: {err}") from err


def _inline_script(text: str, what: str) -> str:
    low = text.lower()
    if "</script" in low or "<!--" in low:
        raise ExportError(f"{what} cannot be inlined: it contains </script or <!--")
    return text


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def make_view(kg: KnowledgeGraph, view: str = "full", *, topic: str | None = None, provider: str | None = None,
              article: str | None = None, depth: int | None = None) -> View:
    """The :class:`~graph.views.View` that the options name: an ego view when
    ``topic``, ``provider`` or ``article`` is given (``depth`` steps around it,
    1 by default), else ``view``.

    Raises
    ------
    UnknownFormatError
        ``view`` is neither ``"full"`` nor ``"overview"``.
    InvalidArgumentError
        ``view="overview"`` with an ego view's centre: two pictures asked for
        (the ego view was drawn, without a word; ``newsgraph html`` refuses it too);
        ``depth`` without a centre (it was ignored; ``--depth`` is refused alike).
    """
    if view not in ("full", "overview"):
        raise UnknownFormatError(f"unknown view {view!r}; known: full, overview")
    if topic is not None or provider is not None or article is not None:
        if view == "overview":
            raise InvalidArgumentError("view='overview' draws every provider and topic, and an ego view is drawn "
                                       "around a topic, provider or article: give one or the other")
        return ego_view(kg, topic=topic, provider=provider, article=article, depth=1 if depth is None else depth)
    if depth is not None:
        raise InvalidArgumentError(f"depth={depth!r} is the size of an ego view: give topic, provider or article too")
    return full_view(kg) if view == "full" else overview_view(kg)


@functools.lru_cache(maxsize=None)
def _darker(hex_colour: str) -> str:
    """vis-network's border for a fill colour: saturation x1.25, value x0.8 (its parseColor).

    >>> _darker("#4e79a7")
    '#2d5886'
    """
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    return "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hsv_to_rgb(h, min(1.0, s * 1.25), v * 0.8))


def _contrast_with_white(rgb: tuple[float, float, float]) -> float:
    """WCAG's contrast ratio of a colour (channels 0-1) against white."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 1.05 / (0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] + 0.05)


def _outline(hex_colour: str, ratio: float = 3.0) -> str:
    """``hex_colour`` darkened, its hue and saturation kept, until it stands out from
    the white canvas by ``ratio``: WCAG 1.4.11's 3:1 for the parts of a picture one
    must see. A yellow group's stub ring stood out by 1.6:1, its dots' border by 2.7:1.

    >>> _outline("#4e79a7"), _outline("#edc948")
    ('#4e79a7', '#aa9034')
    """
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    rgb = (r, g, b)
    while _contrast_with_white(rgb) < ratio:
        v *= 0.97
        rgb = colorsys.hsv_to_rgb(h, s, v)
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _related_block(pairs: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Related edges (rows of node-number pairs), compact: per node the number it points to, and
    the targets sorted and delta-coded within each node's run (arrays; JSON lists in the page).

    >>> {k: v.tolist() for k, v in _related_block(np.array([(2, 0), (0, 3), (0, 1), (2, 0)]), 4).items()}
    {'count': [2, 0, 2, 0], 'to': [1, 2, 0, 0]}
    """
    codes = np.sort(pairs[:, 0] * n + pairs[:, 1])  # sorts the pairs by source, then target
    source, target = codes // n, codes % n
    to = target.copy()
    same_run = source[1:] == source[:-1]
    to[1:][same_run] -= target[:-1][same_run]
    return {"count": np.bincount(source, minlength=n), "to": to}


class _Items:
    """A JSON list written a block of items at a time (see :func:`_write_json`).

    ``items`` is an iterable (read once, in order) or a numpy array.
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any] | np.ndarray) -> None:
        self.items = items


#: Items of a list encoded at a time: each block's text is about 0.5 MB for the corpus's details.
_BLOCK = 1000


def _blocks(items: Iterable[Any] | np.ndarray) -> Iterator[list]:
    if isinstance(items, np.ndarray):
        for start in range(0, len(items), _BLOCK * 8):
            yield items[start:start + _BLOCK * 8].tolist()  # plain ints and floats
        return
    it = iter(items)
    while block := list(islice(it, _BLOCK)):
        yield block


def _streamed(value: Any) -> bool:
    return isinstance(value, (_Items, np.ndarray)) or (
        isinstance(value, dict) and any(map(_streamed, value.values())))


def _write_json(value: Any, write: Callable[[str], Any]) -> None:
    """Write :func:`json_for_script` of ``value`` in pieces: the same text, never all of it at once.

    ``value`` may hold :class:`_Items` and numpy arrays (written as lists), at
    any depth of dicts. A list's text is ``[`` and its items' texts joined by
    ``,`` and ``]``, a dict's is ``{``, its ``"key":value`` texts joined by ``,``
    and ``}`` (compact separators), and the escapes replace single characters,
    so the pieces add up to the text of the whole.

    >>> out = []
    >>> _write_json({"a": _Items(iter(range(2500))), "b": np.arange(3), "c": "<"}, out.append)
    >>> "".join(out) == json_for_script({"a": list(range(2500)), "b": [0, 1, 2], "c": "<"})
    True
    """
    if isinstance(value, (_Items, np.ndarray)):
        write("[")
        sep = ""
        for block in _blocks(value.items if isinstance(value, _Items) else value):
            write(sep + json_for_script(block)[1:-1])
            sep = ","
        write("]")
    elif isinstance(value, dict) and _streamed(value):
        sep = "{"
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON keys written in pieces must be strings, not {key!r}")
            write(sep + json_for_script(key) + ":")
            _write_json(item, write)
            sep = ","
        write("}" if sep == "," else "{}")
    else:
        write(json_for_script(value))


def _page_data(view: View, seed: int) -> tuple[_Items, dict, dict, dict]:
    """Nodes, drawn edges, vis-network options and the page's metadata (the page's four JSON blocks).

    Compact on purpose: a page is read and parsed at every opening, so nodes refer to a table
    of drawing styles and to each other by number (their place in the node list).

    The nodes and the metadata's ``details`` are :class:`_Items` made as they are
    written, and the drawing styles are numbered as the nodes are made: write
    the blocks in the page's order (nodes before metadata), each once.
    """
    lay = compute_layout(view, seed=seed)
    ids = list(view.nodes)
    index = {i: k for k, i in enumerate(ids)}
    styles: list[dict] = []
    style_index: dict[tuple, int] = {}

    def style(shape: str, fill: str, border: str, width: int) -> int:
        key = (shape, fill, border, width)
        if key not in style_index:
            style_index[key] = len(styles)
            styles.append({"shape": shape, "fill": fill, "border": border, "width": width})
        return style_index[key]

    def vis_nodes() -> Iterator[dict]:
        for node_id in ids:
            d = view.nodes[node_id]
            kind, weight = d["kind"], int(d.get("weight") or 0)
            x, y = lay.positions[node_id]
            node: dict[str, Any] = {"id": node_id, "x": x, "y": y, "r": node_size(kind, weight)}
            if kind == "article":
                colour = PALETTE[lay.group.get(node_id, 0) % len(PALETTE)]
                # stubs hollow: white with a thicker border of the group's colour
                node["c"] = (style("dot", "#ffffff", _outline(colour), 2) if d.get("stub")
                             else style("dot", colour, _outline(_darker(colour)), 1))
            else:
                colour = _COLORS[kind]
                node["c"] = style("square" if kind == "provider" else "star", colour, colour, 1)
                node["f"] = label_size(kind, weight)
            yield node

    def details() -> Iterator[dict]:
        for node_id in ids:
            d = view.nodes[node_id]
            kind, weight = d["kind"], int(d.get("weight") or 0)
            if kind == "article":
                provider = d.get("provider")
                topics = d.get("topics", [])
                info = {**article_description(d), "w": weight, "g": lay.group.get(node_id, 0),
                        "rn": d.get("related_total")}  # a centred page's: related articles in all
                # provider and topics by node number; by name only when they are not drawn (ego views)
                if provider in index:
                    info["p"] = index[provider]
                else:
                    info["pn"] = d.get("provider_name")
                info["t"] = [index[t] for t in topics if t in index]
                others = [label for t, label in zip(topics, d.get("topic_labels", [])) if t not in index]
                info["tx"] = others or None
            else:
                info = {"k": kind, "l": d["label"], "x": d.get("detail"), "u": d.get("link"), "w": weight,
                        "ws": d.get("stubs") or None}  # the overview's: stubs among its articles
            yield {k: v for k, v in info.items() if v is not None}

    table = edge_table(view, index)
    if len(table.sources) and min(table.sources.min(), table.targets.min()) < 0:
        raise ExportError(f"view {view.name!r} has an edge to a node it does not have")
    related_code = table.kind_names.index("related") if "related" in table.kind_names else -1
    is_related = table.kinds == related_code
    drawn = np.flatnonzero(~is_related)  # related edges are not drawn, but listed for the selected article
    drawn_kinds = table.kinds[drawn]
    # kinds numbered in the order they first appear among the drawn edges
    codes, first = np.unique(drawn_kinds, return_index=True)
    order = codes[np.argsort(first)].tolist()
    renumber = np.zeros(len(table.kind_names), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    kinds = [table.kind_names[c] for c in order]
    weights = [1] * len(drawn) if table.weights is None else table.weights[drawn].tolist()
    width_of: dict[tuple[int, int], float | int] = {}
    for kind_code, weight in set(zip(drawn_kinds.tolist(), weights)):
        width_of[kind_code, weight] = (round(1 + 2 * (weight ** 0.5), 1)
                                       if weight != 1 or table.kind_names[kind_code] == "articles" else 0)
    width = list(map(width_of.__getitem__, zip(drawn_kinds.tolist(), weights)))
    edges: dict[str, Any] = {"kinds": kinds,
                             "pairs": np.column_stack([table.sources[drawn], table.targets[drawn]]).ravel(),
                             "kind": renumber[drawn_kinds]}
    if any(width):
        edges["width"] = width

    options = {
        "autoResize": True,
        "physics": {"enabled": False, "stabilization": False},
        "layout": {"improvedLayout": False, "randomSeed": seed},
        "interaction": {"hover": True, "hideEdgesOnDrag": True, "tooltipDelay": 150,
                        # arrows move and +/- zoom while the graph has focus (Tab to it): no other
                        # keyboard way to zoom in to the titles; not bound to the window, where
                        # the arrows belong to the search box and the menus
                        "keyboard": {"enabled": True, "bindToWindow": False},
                        "multiselect": False, "selectConnectedEdges": False},
        "nodes": {"borderWidth": 1, "font": {"size": label_size("article", 0)},
                  "scaling": {"label": {"drawThreshold": 7}}},
        "edges": {"smooth": False},
    }
    present = {k: any(d["kind"] == k for d in view.nodes.values()) for k in ("article", "provider", "topic")}
    meta = {"title": view.title, "view": view.name, "details": _Items(details()),
            "related": _related_block(np.column_stack([table.sources[is_related], table.targets[is_related]]),
                                      len(ids)),
            "styles": styles,
            "labelMax": LABEL_MAX,
            "groups": lay.group_names, "groupSizes": lay.group_sizes, "kinds": present,
            "colors": dict(_COLORS, palette=list(PALETTE), rings=[_outline(c) for c in PALETTE])}
    if view.centre is not None:  # an ego view's centre: selected when the page opens
        meta["centre"] = index[view.centre]
    return _Items(vis_nodes()), edges, options, meta


class _Marked(list):
    """An empty list standing for a large JSON block among pyvis's data.

    pyvis looks through its node list for tooltips (this one has no items);
    the ``json_block`` filter then puts a marker where the block goes, and
    :func:`_write_page` writes the block there in pieces.
    """

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _json_text_block(text: str) -> str:
    """Re-encode a JSON string (pyvis's options) through :func:`json_for_script`."""
    return json_for_script(json.loads(text))


def _write_page(view: View, seed: int, write: Callable[[str], Any]) -> None:
    """Write the page of ``view`` through ``write`` (one piece of text at a time).

    pyvis generates the page from newsgraph's template, given its data in
    bulk. The large JSON blocks (nodes, drawn edges, metadata) reach the
    template as markers, and are written in pieces where pyvis put them: the
    page is never one string (6.8 MB for the real corpus, as it holds
    non-Latin-1 text, plus its encoded copy), nor are its node and detail
    lists ever whole. The bytes are those pyvis renders from the whole data
    (``tests/test_page_equivalence.py``).
    """
    from ..drawing_deps import import_pyvis_network

    Network = import_pyvis_network().Network
    vis_nodes, vis_edges, options, meta = _page_data(view, seed)
    page_js = _inline_script(_asset("page.js"), "page.js")
    vis_js = _inline_script(_vis_js(), "vis-network")
    # A marker no input can contain (it is random) and no block's text can
    # (JSON escapes control characters); it never reaches the page.
    token = "\x00" + os.urandom(16).hex()
    blocks: list[Any] = []

    def json_block(value: Any) -> str:
        if not isinstance(value, _Marked):
            return json_for_script(value)
        blocks.append(value.value)
        return f"{token}:{len(blocks) - 1}\x00"

    net = Network(height="100%", width="100%", directed=True, heading=view.title)
    net.set_template_dir(str(_DATA), "template.html")
    net.templateEnv.filters["json_block"] = json_block
    net.templateEnv.filters["json_text_block"] = _json_text_block
    net.templateEnv.globals.update(meta=_Marked(meta), page_js=page_js, vis_js=vis_js,
                                   page_css=_asset("page.css"), version=__version__,
                                   script_hashes=" ".join(_csp_hash(s) for s in (vis_js, page_js)))
    net.nodes = _Marked(vis_nodes)  # in bulk: pyvis's add_node/add_edge are O(n) per call
    net.edges = _Marked(vis_edges)
    net.options = options
    skeleton = net.generate_html(name="graph.html")
    pieces = re.split(re.escape(token) + r":(\d+)\x00", skeleton)
    if len(pieces) != 2 * len(blocks) + 1:
        raise ExportError(f"{_DATA / 'template.html'}: each large block must appear once in the page")
    for i, piece in enumerate(pieces):
        if i % 2:
            _write_json(blocks[int(piece)], write)
        else:
            write(piece)


def render_html(source: KnowledgeGraph | View, *, seed: int = 0, **view_options: Any) -> str:
    """The page for ``source`` (a :class:`~graph.builder.KnowledgeGraph` or a :class:`~graph.views.View`).

    Parameters
    ----------
    source : KnowledgeGraph or View
        What to draw; a graph is turned into a view by :func:`make_view`.
    seed : int
        Layout seed.
    **view_options
        ``view``, ``topic``, ``provider``, ``article``, ``depth`` (see :func:`make_view`).
    """
    view = source if isinstance(source, View) else make_view(source, **view_options)
    pieces: list[str] = []
    _write_page(view, seed, pieces.append)
    return "".join(pieces)


def write_html(kg: KnowledgeGraph, path: str | os.PathLike, *, view: str = "full", topic: str | None = None,
               provider: str | None = None, article: str | None = None, depth: int | None = None, seed: int = 0,
               **_other: Any) -> None:
    """Write the page for ``kg`` to ``path`` atomically (other exporters' options are ignored).

    Raises
    ------
    ExportError
        Unknown view, or ``path`` cannot be written (named, with the system's reason);
        :class:`~graph.views.ViewError` when an ego view's centre is not in the graph.
    """
    drawn = make_view(kg, view, topic=topic, provider=provider, article=article, depth=depth)
    try:
        with atomic_writer(path) as fh:
            _write_page(drawn, seed, fh.write)  # as it is made: never the whole page in memory
    except OSError as err:
        raise ExportError(f"cannot write {os.fspath(path)}: {err.strerror or err}") from err


def notebook_html(source: KnowledgeGraph | View, *, height: float = 700, **options: Any) -> HTML:
    """The page as an ``IPython.display.HTML`` for inline display in Jupyter,
    ``height`` pixels high (a number, 0 or more; ``500.0`` is 500).

    The page goes into a sandboxed ``<iframe srcdoc>`` (scripts allowed, no
    same-origin access to the notebook), so it behaves exactly as the file does.

    >>> import graph
    >>> shown = notebook_html(graph.build(["seeds/"]), height=400)
    >>> shown.data.startswith('<div class="newsgraph"><iframe srcdoc=')
    True
    """
    from IPython.display import HTML

    # pixels: "100%" gave int()'s ValueError; a float (a computed height) is a number too
    if isinstance(height, bool) or not isinstance(height, numbers.Real) or not 0 <= height < math.inf:
        raise InvalidArgumentError(f"height must be a number of pixels, 0 or more, not {height!r}")
    page = render_html(source, **options)
    return HTML(f'<div class="newsgraph"><iframe srcdoc="{html.escape(page, quote=True)}" '
                f'style="width:100%;height:{round(height)}px;border:1px solid #d0d7de" '
                'sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe></div>')
