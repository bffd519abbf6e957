"""Layout for drawing: groups of related articles, placed apart, with their topics.

Precomputing positions in Python is what lets the HTML page draw at once with
physics off. A force layout of the whole corpus (articles, providers and
topics together) is a hairball: the hubs (one provider, one topic, each with
thousands of articles) pull everything into one disc. This module instead
draws a *group-in-a-box* picture:

1. articles are grouped into communities of the ``related`` graph (Louvain,
   igraph's ``community_multilevel``: 0.02 s on the real corpus); an article
   with no related edge joins a group of its most specific topic (the topic
   with fewest articles), or of its provider;
2. each group is laid out on its own (Fruchterman-Reingold on its related
   edges, or a sunflower disc when it has none) and scaled to a disc whose
   area grows with its size;
3. groups, topics and providers are placed by a Fruchterman-Reingold layout of
   the *group graph* (a group is pulled towards groups it shares related edges
   with and towards its topics and providers, each hub's pull normalised so a
   hub sits among its groups rather than swallowing them); overlapping discs
   are then pushed apart.

Everything is seeded, so the same view gives the same positions.

>>> import graph
>>> from graph.views import full_view
>>> v = full_view(graph.build(["seeds/"]))
>>> lay = compute_layout(v)
>>> set(lay.positions) == set(v.nodes)
True
>>> lay.positions == compute_layout(v).positions   # deterministic
True
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from .views import edge_arrays

__all__ = ["Layout", "compute_layout", "node_size", "label_size", "ARTICLE_SPACING"]

#: Distance unit between neighbouring articles of a group (canvas units).
ARTICLE_SPACING = 9.0
_GOLDEN = math.pi * (3 - math.sqrt(5))


@dataclass
class Layout:
    """Positions and groups.

    Attributes
    ----------
    positions : dict
        Node id -> ``(x, y)`` in canvas units, rounded to 0.1.
    group : dict
        Article id -> group number (0 is the largest group).
    group_sizes : list of int
        Articles per group, by group number.
    group_names : list of str
        A short description of each group (its most common topic, or "related stories").
    """

    positions: dict[str, tuple[float, float]]
    group: dict[str, int]
    group_sizes: list[int]
    group_names: list[str]


def node_size(kind: str, weight: int) -> float:
    """Drawn radius of a node from its kind and weight (degree or article count).

    >>> node_size("article", 0) < node_size("article", 100) < node_size("topic", 100)
    True
    """
    if kind == "article":
        return round(2.5 + 0.4 * math.sqrt(weight), 1)
    if kind == "provider":
        return round(3 + 1.5 * math.sqrt(weight), 1)
    return round(8 + 1.5 * math.sqrt(weight), 1)


def label_size(kind: str, weight: int) -> int:
    """Font size of a node's label: hubs large enough to read at the first frame.

    >>> label_size("topic", 3000) > label_size("provider", 3000) > label_size("article", 3000)
    True
    """
    if kind == "article":
        return 3  # readable from a zoom of about 2.5, where the articles of a group stand apart
    if kind == "provider":
        return int(12 + 14 * math.log10(1 + weight))
    return int(30 + 12 * math.log10(1 + weight))


def _hub_radius(node: dict) -> float:
    """Room a topic or provider needs: its shape, or its label when that is readable at first sight."""
    size = node_size(node["kind"], node["weight"]) * 1.6
    font = label_size(node["kind"], node["weight"])
    return max(size, 0.3 * font * len(node["label"] or "")) if font >= 30 else size


def _sunflower(n: int, spacing: float) -> np.ndarray:
    k = np.arange(n, dtype=float)
    r = spacing * np.sqrt(k + 0.5)
    a = k * _GOLDEN
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def _fr(n: int, edges: list[tuple[int, int]], weights: list[float], seed: int, niter: int = 500,
        grid: str = "nogrid") -> np.ndarray:
    from .drawing_deps import import_igraph

    igraph = import_igraph()

    if n == 1:
        return np.zeros((1, 2))
    g = igraph.Graph(n=n, edges=edges, directed=False)
    start = _sunflower(n, 1.0).tolist()  # a fixed start: no dependence on the RNG state
    random.seed(seed)
    lay = g.layout_fruchterman_reingold(weights=weights or None, niter=niter, seed=start, grid=grid)
    return np.array(lay.coords, dtype=float)


def _fit_disc(xy: np.ndarray, radius: float) -> np.ndarray:
    xy = xy - xy.mean(axis=0)
    far = float(np.sqrt((xy ** 2).sum(axis=1)).max()) if len(xy) else 0.0
    return xy * (radius / far) if far > 0 else xy


def _close_pairs(xy: np.ndarray, radius: np.ndarray, gap: float, rows: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of discs closer than 1.5 times their touching distance,
    in row-major order, computed ``rows`` rows at a time: the whole n x n
    distance matrix would take 8 n^2 bytes (800 MB for 10,000 groups)."""
    n = len(xy)
    x, y = xy[:, 0], xy[:, 1]
    found_i, found_j = [], []
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        # only the columns from `start` on: every pair wanted has j > i >= start
        dist2 = (x[start:stop, None] - x[None, start:]) ** 2 + (y[start:stop, None] - y[None, start:]) ** 2  # no hypot
        close = dist2 < ((radius[start:stop, None] + radius[None, start:] + gap) * 1.5) ** 2
        close &= np.arange(n - start)[None, :] > np.arange(stop - start)[:, None]  # upper triangle
        ii, jj = np.nonzero(close)
        found_i.append(ii + start)
        found_j.append(jj + start)
    return np.concatenate(found_i), np.concatenate(found_j)


def _nearest_distances(xy: np.ndarray, rows: int = 256) -> np.ndarray:
    """Distance from each point to its nearest other point, ``rows`` rows at a time.

    >>> _nearest_distances(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 5.0]])).tolist()
    [5.0, 1.0, 1.0]
    """
    n = len(xy)
    x, y = xy[:, 0], xy[:, 1]
    nearest2 = np.empty(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        dist2 = (x[start:stop, None] - x[None, :]) ** 2 + (y[start:stop, None] - y[None, :]) ** 2
        dist2[np.arange(stop - start), np.arange(start, stop)] = 1e18  # not itself
        nearest2[start:stop] = dist2.min(axis=1)
    return np.sqrt(nearest2)  # sqrt of the least square: the least distance


def _separate(xy: np.ndarray, radius: np.ndarray, gap: float, rounds: int = 150) -> np.ndarray:
    """Push overlapping discs apart.

    Relaxation on the pairs that are close (found again every 15 rounds), so a
    round costs O(close pairs) rather than O(n^2).
    """
    n = len(xy)
    if n < 2:
        return xy.copy()
    # x and y apart: indexing 1-d arrays is faster than rows of an (n, 2) array
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    inv_area = 1.0 / (radius ** 2 + 1.0)
    i = j = np.zeros(0, dtype=int)
    step = 0
    while step < rounds:
        if step % 15 == 0:
            i, j = _close_pairs(np.column_stack([x, y]), radius, gap)
            need = radius[i] + radius[j] + gap
            share_i = inv_area[i] / (inv_area[i] + inv_area[j])  # small discs move more
        dx, dy = x[i] - x[j], y[i] - y[j]
        dist = np.maximum(np.hypot(dx, dy), 1e-6)
        overlap = need - dist
        hit = np.flatnonzero(overlap > 0.01 * gap)
        if not len(hit):
            if step % 15 == 0:
                break
            step += 15 - step % 15  # nothing moved: the rounds up to the next search would find the same
            continue
        hit_i, hit_j, share = i[hit], j[hit], share_i[hit]
        factor = overlap[hit] / dist[hit]
        for coord, delta in ((x, dx), (y, dy)):
            push = delta[hit] * factor * 0.5
            # bincount sums the pushes per disc (np.add.at does the same, many times slower)
            coord += np.bincount(hit_i, push * share, n) - np.bincount(hit_j, push * (1 - share), n)
        step += 1
    return np.column_stack([x, y])


def _pair_weights(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct undirected pairs (rows ``(low, high)``, sorted, self-pairs dropped) and their counts."""
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not len(pairs):
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    width = int(high.max()) + 1
    codes, counts = np.unique(low * width + high, return_counts=True)  # 1-d: much faster than axis=0
    return np.column_stack([codes // width, codes % width]), counts.astype(float)


def _communities(n: int, related: np.ndarray, seed: int) -> list[list[int]]:
    """Louvain communities of the related graph (article numbers; ``related`` rows are pairs)."""
    from .drawing_deps import import_igraph

    igraph = import_igraph()

    pairs, weights = _pair_weights(related)
    g = igraph.Graph(n=n, edges=pairs.tolist(), directed=False)
    random.seed(seed)
    parts = g.community_multilevel(weights=weights.tolist() or None)
    return [sorted(part) for part in parts]


def compute_layout(view: Any, seed: int = 0) -> Layout:
    """Place every node of ``view`` (a :class:`graph.views.View`).

    Parameters
    ----------
    view : View
        What to place.
    seed : int
        Seed of the community detection and the force layouts.

    Returns
    -------
    Layout
    """
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
            # igraph's grid variant for big groups: exact repulsion is O(n^2) per round
            grid = "grid" if len(g) > 500 else "nogrid"
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
    xy = _fr(len(meta), pairs, [mw[p] for p in pairs], seed, niter=150)
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
