"""The drawing code as it was before the memory and speed work: the plain forms.

Kept (nearly verbatim) so tests can check that the compact forms now in
``graph.views``, ``graph.layout`` and ``graph.export.html`` give the same
page byte for byte: views with one ``(source, target, kind, weight)`` tuple per
edge, the layout in one function, the page data as whole lists, ``safe_link``
through ``urlsplit`` alone, and the page rendered by pyvis (its ``Network``,
jinja2 and newsgraph's template), as one string.

Helpers the work did not touch (the force layout call, disc fitting and
separation, node sizes, JSON escaping, CSS and script assets) are imported.
"""

from __future__ import annotations

import datetime as dt
import html
import html.entities
import json
import math
import re
from pathlib import Path
import random
from collections import Counter, defaultdict, deque
from itertools import chain, repeat
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from graph import __version__
from graph.errors import ExportError
from graph.export.html import (_COLORS, _DATA, PALETTE, _asset, _csp_hash, _darker, _outline,
                               _inline_script, json_for_script)
from graph.layout import (ARTICLE_SPACING, FR_GRID, LABEL_MAX, Layout, _fit_disc, _fr, _hub_radius, _nearest_distances, _pair_weights,
                          _separate, _sunflower, label_size, node_size)
from graph.views import View, ViewError, _date, _find_centre


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL, else ``None``."""
    if not url or not isinstance(url, str) or url != url.strip():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def edge_arrays(view: View, numbers: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ends and kinds of ``view.edges`` as arrays, in edge order."""
    n = len(view.edges)

    def ends(position: int) -> np.ndarray:
        ids = map(itemgetter(position), view.edges)
        return np.fromiter(map(numbers.get, ids, repeat(-1)), dtype=np.int64, count=n)

    return ends(0), ends(1), np.array(list(map(itemgetter(2), view.edges)), dtype=object)


def _shown(text: str | None) -> str | None:
    """Character references (ending in ``;``) decoded for the page: the
    display rule added after the speed work, written here on its own."""
    if not text:
        return text

    def one(m: re.Match) -> str:
        ref = m.group(0)
        if ref.startswith("&#"):
            return html.unescape(ref)
        return html.entities.html5.get(ref[1:], ref)  # a name HTML defines, with its ";"

    text = re.sub(r"&#?\w+;", one, text)
    return "".join(c for c in text if not ("\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069"))


def _shown_name(name: str | None) -> str | None:
    """A provider's name for the page: percent escapes decoded when they spell UTF-8
    text without control characters (written here on its own), then :func:`_shown`."""
    if name and re.search(r"%[0-9A-Fa-f]{2}", name):
        from urllib.parse import unquote_to_bytes

        try:
            decoded = unquote_to_bytes(name).decode("utf-8")
        except UnicodeDecodeError:
            decoded = name
        if not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in decoded):
            name = decoded
    return _shown(name)


def _shown_domain(domain: str | None) -> str | None:
    """A provider's domain for the page, written here on its own, by code-point blocks:
    a label in its punycode form (the standard library's codec) when it mixes Latin
    with a block other than Japanese, Chinese or Korean, or two of Greek, Cyrillic,
    Armenian and Cherokee; is any Cherokee; is Cyrillic, Greek or Armenian letters
    drawn as Latin ones alone; or holds a Latin letter that is no accented ASCII
    letter (by its decomposition) nor one of ß æ ø œ đ ð þ ł ŋ."""
    import unicodedata

    if not domain:
        return domain
    drawn_as_latin = {"cyrillic": "аскеһіјӏорԛѕԝхуъьҽпгѵѡ", "greek": "αβεικνορτυχωγηϲ",
                      "armenian": "օսցհոզգքաւոռ"}
    east_asian = ({"han", "kana"}, {"han", "bopomofo"}, {"han", "hangul"})

    def block(c: str) -> str | None:
        o = ord(c)
        if not c.isalpha():
            return None
        if o < 0x250 or 0x1E00 <= o < 0x1F00:
            if o < 0x80 or c.lower() in "ßæøœđðþłŋ":
                return "latin"
            first = unicodedata.decomposition(c).split(" ")[0]
            return "latin" if first and not first.startswith("<") and int(first, 16) < 0x80 else "odd latin"
        if 0x250 <= o < 0x2B0 or 0x1D00 <= o < 0x1DC0:
            return "odd latin"
        for name, low, high in (("greek", 0x370, 0x400), ("greek", 0x1F00, 0x2000), ("cyrillic", 0x400, 0x530),
                                ("armenian", 0x530, 0x590), ("cherokee", 0x13A0, 0x1400), ("cherokee", 0xAB70, 0xABC0),
                                ("kana", 0x3040, 0x3100), ("bopomofo", 0x3100, 0x3130), ("han", 0x3400, 0x4DC0),
                                ("han", 0x4E00, 0xA000), ("hangul", 0xAC00, 0xD7B0), ("hangul", 0x1100, 0x1200)):
            if low <= o < high:
                return name
        return "other"

    out = []
    for label in domain.split("."):
        letters = [c for c in label if block(c)]
        blocks = {block(c) for c in letters}
        rest = blocks - {"latin"}
        asian = any(rest <= allowed for allowed in east_asian)
        odd = ("odd latin" in blocks or "cherokee" in blocks
               or (len(rest) > 1 and not asian) or ("latin" in blocks and rest and not asian)
               or (len(blocks) == 1 and blocks <= drawn_as_latin.keys()
                   and all(c in drawn_as_latin[next(iter(blocks))] for c in letters)))
        if odd:
            label = "xn--" + label.encode("punycode").decode("ascii")
        out.append(label)
    return _shown(".".join(out))


def _site_link(domain: str | None) -> str | None:
    """A provider's home page, when urllib reads its domain back as the whole host."""
    if not domain or any(not (c.isalnum() or c in "-._") for c in domain):
        return None
    url = f"https://{domain}/"
    return safe_link(url) if urlsplit(url).hostname == domain.lower() else None


def _article_node(kg, a, degree: int) -> dict[str, Any]:
    provider = kg.providers.get(a.provider_id) if a.provider_id else None
    return {
        "kind": "article",
        "label": _shown(a.title) or a.url,
        "weight": degree,
        "stub": a.is_stub,
        "type": a.type,
        "is_published": a.is_published,
        "date": _date(a.published),
        "date_only": a.published is not None and not isinstance(a.published, dt.datetime),
        "provider": a.provider_id,
        "provider_name": _shown_name(provider.name) if provider else None,
        "topics": list(a.topic_ids),
        "topic_labels": [_shown(kg.topics[t].label) for t in a.topic_ids if t in kg.topics],
        "excerpt": _shown(a.excerpt),
        # featured_content (raw HTML) is deliberately never carried into a view.
        "link": safe_link(a.web_url) or safe_link(a.url) or safe_link(a.original_url),
    }


def _degrees(edges: list[tuple[str, str, str]]) -> Counter:
    """Edges at each node (``edges`` as :meth:`KnowledgeGraph.edges` yields them)."""
    deg = Counter(map(itemgetter(0), edges))  # counting in C, not one `+= 1` per end
    deg.update(map(itemgetter(1), edges))
    return deg


MAX_ARTICLES = 20_000


def full_view(kg, max_articles: int | None = MAX_ARTICLES) -> View:
    """Every node and every edge of ``kg``; node weight is its degree."""
    all_edges = list(kg.edges())
    deg = _degrees(all_edges)
    nodes: dict[str, dict[str, Any]] = {}
    for t in kg.topics.values():
        nodes[t.id] = {"kind": "topic", "label": _shown(t.label), "weight": deg[t.id], "detail": _shown(t.key)}
    for p in kg.providers.values():
        nodes[p.id] = {"kind": "provider", "label": _shown_name(p.name), "weight": deg[p.id], "detail": _shown_domain(p.domain),
                       "link": _site_link(p.domain)}
    articles = kg.articles.values()
    total = len(kg.articles)
    if max_articles is not None and total > max_articles:
        keep = set(sorted(kg.articles, key=lambda i: (-deg[i], i))[:max_articles])
        articles = [a for a in articles if a.id in keep]
    for a in articles:
        nodes[a.id] = _article_node(kg, a, deg[a.id])
    if len(articles) != total:  # related articles in the whole graph, each once
        for a in articles:
            nodes[a.id]["related_total"] = len({d if s == a.id else s for s, d, k in kg.edges()
                                                if k == "related" and a.id in (s, d)})
    is_node = nodes.__contains__
    if all(map(is_node, map(itemgetter(0), all_edges))) and all(map(is_node, map(itemgetter(1), all_edges))):
        edges = [e + (1,) for e in all_edges]  # every end drawn (checked in C above): no test per edge
    else:
        edges = [(s, d, k, 1) for s, d, k in all_edges if s in nodes and d in nodes]
    n_files = kg.report.article_files
    shown = f"{total:,}" if len(articles) == total else f"{len(articles):,} of {total:,}"
    title = f"News graph: {shown} {'article' if total == 1 else 'articles'} from {n_files:,} " \
            f"{'file' if n_files == 1 else 'files'}"
    if len(articles) != total:
        title += " (the most connected; draw any part with newsgraph html --topic, --provider or --article)"
    return View("full", title, nodes, edges)


def overview_view(kg) -> View:
    """Providers and topics; a provider -> topic edge weighted by their shared articles."""
    full = full_view(kg, max_articles=0)  # its providers and topics
    count: Counter = Counter()
    articles_of: Counter = Counter()
    stubs_of: Counter = Counter()
    for a in kg.articles.values():
        if a.provider_id:
            articles_of[a.provider_id] += 1
            stubs_of[a.provider_id] += a.is_stub
        for t in a.topic_ids:
            articles_of[t] += 1
            stubs_of[t] += a.is_stub
            if a.provider_id:
                count[(a.provider_id, t)] += 1
    nodes = {i: dict(n, weight=articles_of[i], stubs=stubs_of[i]) for i, n in full.nodes.items()
             if n["kind"] != "article"}
    edges = [(p, t, "articles", w) for (p, t), w in sorted(count.items())]
    return View("overview", f"Overview: {len(kg.providers):,} provider{'s' * (len(kg.providers) != 1)} and "
                            f"{len(kg.topics):,} topic{'s' * (len(kg.topics) != 1)}",
                nodes, edges)


def ego_view(kg, *, topic: str | None = None, provider: str | None = None, article: str | None = None,
             depth: int = 1) -> View:
    """Everything within ``depth`` steps of one topic, provider or article."""
    if depth < 0:
        raise ViewError("depth must be 0 or more")
    centre = _find_centre(kg, topic=topic, provider=provider, article=article)
    adj: dict[str, set[str]] = defaultdict(set)
    for s, d, _ in kg.edges():
        adj[s].add(d)
        adj[d].add(s)
    seen = {centre: 0}
    queue = deque([centre])
    while queue:
        n = queue.popleft()
        if seen[n] >= depth:
            continue
        for m in sorted(adj[n]):
            if m not in seen:
                seen[m] = seen[n] + 1
                queue.append(m)
    full = full_view(kg)
    nodes = {i: n for i, n in full.nodes.items() if i in seen}
    edges = [e for e in full.edges if e[0] in seen and e[1] in seen]
    for i, node in nodes.items():  # related articles in the whole graph, each once
        if node["kind"] == "article":
            node["related_total"] = len({d if s == i else s for s, d, k in kg.edges() if k == "related" and i in (s, d)})
        else:  # a hub: how many of its articles in the whole graph are stubs
            node["stubs"] = sum(a.is_stub and i in (a.provider_id, *a.topic_ids) for a in kg.articles.values())
    label = full.nodes[centre]["label"]
    return View("ego", f"{label} and what lies within {depth} step{'s' if depth != 1 else ''}", nodes, edges,
                centre=centre)


def _communities(n: int, related: np.ndarray, seed: int) -> list[list[int]]:
    """Louvain communities of the related graph (article numbers; ``related`` rows are pairs)."""
    from graph.drawing_deps import import_igraph

    igraph = import_igraph()

    pairs, weights = _pair_weights(related)
    g = igraph.Graph(n=n, edges=pairs.tolist(), directed=False)
    random.seed(seed)
    parts = g.community_multilevel(weights=weights.tolist() or None)
    return [sorted(part) for part in parts]


def compute_layout(view: Any, seed: int = 0) -> Layout:
    """Place every node of ``view`` (a :class:`graph.views.View`)."""
    nodes = view.nodes
    articles = [i for i, n in nodes.items() if n["kind"] == "article"]
    hubs = [i for i, n in nodes.items() if n["kind"] != "article"]
    art_index = {a: i for i, a in enumerate(articles)}
    # related edges as rows of article numbers (numpy from here on: the corpus has ~100k of them)
    art_s, art_d, edge_kinds = edge_arrays(view, art_index)
    is_related = (edge_kinds == "related") & (art_s >= 0) & (art_d >= 0)
    related = np.column_stack([art_s[is_related], art_d[is_related]])

    # 1. groups of articles
    topic_count = Counter(t for a in articles for t in nodes[a].get("topics", ()) if t in nodes)
    groups: list[list[str]] = []
    singles: dict[str, list[str]] = defaultdict(list)
    for part in (_communities(len(articles), related, seed) if articles else []):
        if len(part) > 1:
            groups.append([articles[i] for i in part])
            continue
        a = articles[part[0]]
        topics = [t for t in nodes[a].get("topics", ()) if t in nodes]
        if topics:
            key = min(topics, key=lambda t: (topic_count[t], t))
        else:
            key = nodes[a].get("provider") if nodes[a].get("provider") in nodes else "(none)"
        singles[key].append(a)
    groups.extend(sorted(v) for v in singles.values())
    groups.sort(key=lambda g: (-len(g), g[0]))
    group_of = {a: gi for gi, g in enumerate(groups) for a in g}
    names = []
    for g in groups:
        common = Counter(t for a in g for t in nodes[a].get("topics", ()) if t in nodes)
        # name a group by its most telling topic: most articles, weighed against the topic's size
        best = min(common, key=lambda t: (-common[t] ** 2 / topic_count[t], t)) if common else None
        names.append(nodes[best]["label"] if best else "related stories")

    # 2. each group on its own, scaled to a disc
    local: list[np.ndarray] = []
    radius_of_group = []
    group_arr = np.array([group_of[a] for a in articles], dtype=np.int64)
    member_arr = np.zeros(len(articles), dtype=np.int64)
    for g in groups:
        for i, a in enumerate(g):
            member_arr[art_index[a]] = i
    g_s, g_d = group_arr[related[:, 0]], group_arr[related[:, 1]]
    m_s, m_d = member_arr[related[:, 0]], member_arr[related[:, 1]]
    keep = (g_s == g_d) & (m_s != m_d)
    # distinct (group, low member, high member) rows, sorted: each group's inner edges are one slice
    width = int(member_arr.max(initial=0)) + 1
    codes = np.unique((g_s[keep] * width + np.minimum(m_s, m_d)[keep]) * width + np.maximum(m_s, m_d)[keep])
    inner = np.column_stack([codes // (width * width), codes // width % width, codes % width])
    bounds = np.searchsorted(inner[:, 0], np.arange(len(groups) + 1))
    for gi, g in enumerate(groups):
        # room per article: its drawn diameter and a gap (groups of much-linked articles need more)
        spacing = max(ARTICLE_SPACING, 2.3 * sum(node_size("article", nodes[a]["weight"]) for a in g) / len(g))
        radius = spacing * math.sqrt(len(g) + 0.5)
        pairs = inner[bounds[gi]:bounds[gi + 1], 1:].tolist()
        if len(g) >= 3 and pairs:
            grid = "grid" if len(g) > FR_GRID else "nogrid"  # igraph's grid variant for big groups
            xy = _fit_disc(_fr(len(g), pairs, [], seed + gi, niter=150, grid=grid), radius)
        else:
            xy = _sunflower(len(g), spacing)
        local.append(xy)
        radius_of_group.append(radius + spacing)

    # 3. groups and hubs together
    meta = [("g", gi) for gi in range(len(groups))] + [("h", h) for h in hubs]
    mindex = {m: i for i, m in enumerate(meta)}
    mw: Counter = Counter()
    between, counts = _pair_weights(np.column_stack([g_s, g_d]))   # groups are the first meta nodes
    for (gs, gd), c in zip(between.tolist(), counts.tolist()):
        mw[(gs, gd)] += c
    hubs_of = {a: [h for h in (nodes[a].get("provider"), *nodes[a].get("topics", ())) if h in nodes]
               for a in articles}
    hub_articles = Counter(chain.from_iterable(hubs_of.values()))
    for gi, g in enumerate(groups):
        pull = Counter(chain.from_iterable(hubs_of[a] for a in g))
        for h, c in pull.items():
            # a hub's pulls add up to 4, shared among its groups by article count
            mw[tuple(sorted((mindex[("g", gi)], mindex[("h", h)])))] += 4.0 * c / hub_articles[h]
    hub_set = set(hubs)
    for e in np.flatnonzero((art_s < 0) & (art_d < 0)).tolist():  # hub-to-hub edges (the overview)
        s, d, _, w = view.edges[e]
        if s in hub_set and d in hub_set:
            mw[tuple(sorted((mindex[("h", s)], mindex[("h", d)])))] += math.log1p(w)
    pairs = sorted(mw)
    # 150 rounds: the picture settles by then (500 cost 1 s more on the corpus and looked the same)
    xy = _fr(len(meta), pairs, [mw[p] for p in pairs], seed, niter=150,
             grid="grid" if len(meta) > FR_GRID else "nogrid")
    radii = np.array(radius_of_group + [_hub_radius(nodes[h]) for h in hubs])
    # Weakly tied groups drift far out in a force layout and stretch the picture:
    # pull every position in along its radius (r -> sqrt(r)), keeping the median radius.
    if len(xy) > 2:
        centre = np.median(xy, axis=0)
        rel_xy = xy - centre
        r = np.hypot(rel_xy[:, 0], rel_xy[:, 1])
        median_r = float(np.median(r)) or 1.0
        xy = centre + rel_xy * (np.sqrt(r / median_r) / np.maximum(r / median_r, 1e-9))[:, None]
    # scale so the discs roughly fill the picture, then remove overlaps
    nearest = _nearest_distances(xy) if len(xy) > 1 else np.ones(1)
    scale = float(np.median(2 * radii / np.maximum(nearest, 1e-9))) if len(xy) > 1 else 1.0
    xy = _separate(xy * scale, radii, gap=ARTICLE_SPACING)

    positions: dict[str, tuple[float, float]] = {}
    for gi, g in enumerate(groups):
        cx, cy = xy[mindex[("g", gi)]]
        for a, (x, y) in zip(g, local[gi]):
            positions[a] = (round(float(cx + x), 1), round(float(cy + y), 1))
    for h in hubs:
        x, y = xy[mindex[("h", h)]]
        positions[h] = (round(float(x), 1), round(float(y), 1))
    positions = {i: positions[i] for i in nodes}
    return Layout(positions, group_of, [len(g) for g in groups], names)


def _json_text_block(text: str) -> str:
    """Re-encode a JSON string (pyvis's options) through :func:`json_for_script`."""
    return json_for_script(json.loads(text))


def _vis_js() -> str:
    from graph.drawing_deps import import_pyvis_network

    import_pyvis_network()  # `import pyvis` imports pyvis.network: lean on the command line
    import pyvis

    path = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ExportError(f"cannot read vis-network from the pyvis package at {path}: {err}") from err


def _related_block(pairs: np.ndarray, n: int) -> dict[str, list[int]]:
    """Related edges (rows of node-number pairs), compact: per node the number it points to, and ..."""
    codes = np.sort(pairs[:, 0] * n + pairs[:, 1])  # sorts the pairs by source, then target
    source, target = codes // n, codes % n
    to = target.copy()
    same_run = source[1:] == source[:-1]
    to[1:][same_run] -= target[:-1][same_run]
    return {"count": np.bincount(source, minlength=n).tolist(), "to": to.tolist()}


def _page_data(view: View, seed: int) -> tuple[list[dict], dict, dict, dict]:
    """Nodes, drawn edges, vis-network options and the page's metadata (the page's four JSON blocks)."""
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

    vis_nodes, details = [], []
    for node_id in ids:
        d = view.nodes[node_id]
        kind, weight = d["kind"], int(d.get("weight") or 0)
        x, y = lay.positions[node_id]
        node: dict[str, Any] = {"id": node_id, "x": x, "y": y, "r": node_size(kind, weight)}
        if kind == "article":
            colour = PALETTE[lay.group.get(node_id, 0) % len(PALETTE)]
            stub = bool(d.get("stub"))
            # stubs hollow: white with a thicker border of the group's colour
            node["c"] = (style("dot", "#ffffff", _outline(colour), 2) if stub
                         else style("dot", colour, _outline(_darker(colour)), 1))
            provider = d.get("provider")
            topics = d.get("topics", [])
            info = {"k": kind, "l": d["label"], "s": stub or None, "d": d.get("date"),
                    "dd": True if d.get("date_only") else None, "e": d.get("excerpt"),
                    "u": d.get("link"), "v": True if d.get("type") == "video" else None,
                    "h": True if d.get("is_published") is False else None, "w": weight,
                    "g": lay.group.get(node_id, 0), "rn": d.get("related_total")}
            # provider and topics by node number; by name only when they are not drawn (ego views)
            if provider in index:
                info["p"] = index[provider]
            else:
                info["pn"] = d.get("provider_name")
            info["t"] = [index[t] for t in topics if t in index]
            others = [label for t, label in zip(topics, d.get("topic_labels", [])) if t not in index]
            info["tx"] = others or None
        else:
            colour = _COLORS[kind]
            node["c"] = style("square" if kind == "provider" else "star", colour, colour, 1)
            node["f"] = label_size(kind, weight)
            info = {"k": kind, "l": d["label"], "x": d.get("detail"), "u": d.get("link"), "w": weight,
                        "ws": d.get("stubs") or None}  # the overview's: stubs among its articles
        details.append({k: v for k, v in info.items() if v is not None})
        vis_nodes.append(node)

    sources, targets, kind_names = edge_arrays(view, index)
    if len(view.edges) and min(sources.min(), targets.min()) < 0:
        raise ExportError(f"view {view.name!r} has an edge to a node it does not have")
    is_related = kind_names == "related"
    drawn = np.flatnonzero(~is_related)  # related edges are not drawn, but listed for the selected article
    pairs = np.column_stack([sources[drawn], targets[drawn]]).ravel().tolist()
    kinds: list[str] = []
    kind_of, width = [], []
    for e in drawn.tolist():
        _, _, kind, weight = view.edges[e]
        if kind not in kinds:
            kinds.append(kind)
        kind_of.append(kinds.index(kind))
        width.append(round(1 + 2 * (weight ** 0.5), 1) if weight != 1 or kind == "articles" else 0)
    edges: dict[str, Any] = {"kinds": kinds, "pairs": pairs, "kind": kind_of}
    if any(width):
        edges["width"] = width

    options = {
        "autoResize": True,
        "physics": {"enabled": False, "stabilization": False},
        "layout": {"improvedLayout": False, "randomSeed": seed},
        "interaction": {"hover": True, "hideEdgesOnDrag": True, "tooltipDelay": 150,
                        "keyboard": {"enabled": True, "bindToWindow": False},
                        "multiselect": False, "selectConnectedEdges": False},
        "nodes": {"borderWidth": 1, "font": {"size": label_size("article", 0)},
                  "scaling": {"label": {"drawThreshold": 7}}},
        "edges": {"smooth": False},
    }
    present = {k: any(d["kind"] == k for d in view.nodes.values()) for k in ("article", "provider", "topic")}
    meta = {"title": view.title, "view": view.name, "details": details,
            "related": _related_block(np.column_stack([sources[is_related], targets[is_related]]), len(ids)),
            "styles": styles,
            "labelMax": LABEL_MAX,
            "groups": lay.group_names, "groupSizes": lay.group_sizes, "kinds": present,
            "colors": dict(_COLORS, palette=list(PALETTE), rings=[_outline(c) for c in PALETTE])}
    if view.centre is not None:  # an ego view's centre: selected when the page opens
        meta["centre"] = index[view.centre]
    return vis_nodes, edges, options, meta


def render_html(view: View, *, seed: int = 0) -> str:
    """The page for ``view``, rendered by pyvis (a ``Network`` with newsgraph's template) as one string."""
    from graph.drawing_deps import import_pyvis_network

    Network = import_pyvis_network().Network
    vis_nodes, vis_edges, options, meta = _page_data(view, seed)
    page_js = _inline_script(_asset("page.js"), "page.js")
    vis_js = _inline_script(_vis_js(), "vis-network")
    net = Network(height="100%", width="100%", directed=True, heading=view.title)
    net.set_template_dir(str(_DATA), "template.html")
    net.templateEnv.filters["json_block"] = json_for_script
    net.templateEnv.filters["json_text_block"] = _json_text_block
    net.templateEnv.globals.update(meta=meta, page_js=page_js, vis_js=vis_js, page_css=_asset("page.css"),
                                   version=__version__,
                                   script_hashes=" ".join(_csp_hash(s) for s in (vis_js, page_js)))
    # bulk: pyvis's add_node/add_edge are O(n) per call
    net.nodes = vis_nodes
    net.edges = vis_edges  # one object of parallel lists (see _page_data)
    net.node_ids = [n["id"] for n in vis_nodes]
    net.options = options
    return net.generate_html(name="graph.html")
