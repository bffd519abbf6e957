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
import numbers
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain
from typing import Any, Iterator

import numpy as np

from .errors import InvalidArgumentError
from .views import edge_table

__all__ = ["Layout", "compute_layout", "node_size", "label_size", "ARTICLE_SPACING", "LABEL_MAX"]

#: Distance unit between neighbouring articles of a group (canvas units).
ARTICLE_SPACING = 9.0
#: Characters of a label drawn on the canvas; a longer one is cut with an ellipsis (the
#: details panel and the tooltip show it whole). Hubs' too: a topic of 2,000 characters
#: (a broken feed's) drawn whole needed room that shrank the first frame to dots.
LABEL_MAX = 48
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
    drawn = min(len(node["label"] or ""), LABEL_MAX)
    return max(size, 0.3 * font * drawn) if font >= 30 else size


def _sunflower(n: int, spacing: float) -> np.ndarray:
    k = np.arange(n, dtype=float)
    r = spacing * np.sqrt(k + 0.5)
    a = k * _GOLDEN
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


#: Nodes above which a force layout (a group's, or the group graph's) uses igraph's
#: grid variant: exact repulsion is O(n^2) a round. On the real corpus's group graph
#: (851 groups and hubs) the grid variant took 0.02-0.03 s against 0.20-0.30 s, and its
#: picture is as legible or more (README, "How it is built, and why"): related articles
#: closer (0.083 of a random pair's distance against 0.096), 8 pairs of overlapping hub
#: labels against 67, as many articles covered; the picture is a little wider.
FR_GRID = 500


def _fr(n: int, edges: list[tuple[int, int]], weights: list[float], seed: int, niter: int = 500,
        grid: str | None = None) -> np.ndarray:
    """Fruchterman-Reingold positions of ``n`` nodes; ``grid``: igraph's argument,
    by default ``"grid"`` above :data:`FR_GRID` nodes."""
    from .drawing_deps import import_igraph

    igraph = import_igraph()
    if grid is None:
        grid = "grid" if n > FR_GRID else "nogrid"
    if n <= 1:  # nothing to lay out (igraph refuses an empty start matrix)
        return np.zeros((n, 2))
    g = igraph.Graph(n=n, edges=edges, directed=False)
    start = _sunflower(n, 1.0).tolist()  # a fixed start: no dependence on the RNG state
    random.seed(seed)
    lay = g.layout_fruchterman_reingold(weights=weights or None, niter=niter, seed=start, grid=grid)
    return np.array(lay.coords, dtype=float)


def _fit_disc(xy: np.ndarray, radius: float) -> np.ndarray:
    xy = xy - xy.mean(axis=0)
    far = float(np.sqrt((xy ** 2).sum(axis=1)).max()) if len(xy) else 0.0
    return xy * (radius / far) if far > 0 else xy


def _block_rows(n: int) -> int:
    """Rows of an n-column distance matrix to compute at a time: about 1 MB per temporary array
    (a fixed 256 rows took 1.7 MB per array for the corpus's 851 discs, 10 MB for 5,000).

    >>> _block_rows(851), _block_rows(100_000), _block_rows(10)
    (154, 8, 256)
    """
    return max(8, min(256, 131072 // max(n, 1)))


def _close_pairs(xy: np.ndarray, radius: np.ndarray, gap: float,
                 rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of discs closer than 1.5 times their touching distance,
    in row-major order, computed ``rows`` rows at a time (default :func:`_block_rows`):
    the whole n x n distance matrix would take 8 n^2 bytes (800 MB for 10,000 groups).
    Above :data:`META_GRID` discs, only the discs in neighbouring cells of a grid are
    compared (:func:`_close_pairs_by_cells`, the same pairs)."""
    n = len(xy)
    if n > META_GRID:
        return _close_pairs_by_cells(xy, radius, gap)
    rows = rows or _block_rows(n)
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


def _close_pairs_by_cells(xy: np.ndarray, radius: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_close_pairs` through a grid whose cells are as wide as the farthest a
    close pair can be apart: each disc is compared with the discs of its own and the
    eight neighbouring cells only (all n^2 pairs took 2 s a search for 20,000 topics).

    The largest discs (about the square root of their number, those larger
    than every other) are compared with every disc instead, and the grid's
    cells fit the others. Why: cells as wide as the largest disc put every
    small disc in a few cells when one disc is far larger than the rest (a
    group of 16,000 articles among their 16,000 providers: 6 s and 1.6 GB a
    search, the page's layout 65 s, with four times the discs taking 16 times as long).
    More than about sqrt(n) discs far larger than the rest would still widen the
    cells: the pairs are right, found in time growing faster than the discs.

    >>> rng = np.random.default_rng(1)
    >>> xy, r = rng.uniform(0, 400, (3000, 2)), rng.uniform(1, 6, 3000)
    >>> r[:3] = 90.0  # three discs far larger than the others
    >>> i, j = _close_pairs_by_cells(xy, r, 2.0)
    >>> x, y = xy[:, 0], xy[:, 1]
    >>> close = (x[:, None] - x) ** 2 + (y[:, None] - y) ** 2 < ((r[:, None] + r + 2.0) * 1.5) ** 2
    >>> bi, bj = np.nonzero(np.triu(close, 1))  # every pair, the plain way
    >>> bool(np.array_equal(i, bi) and np.array_equal(j, bj)), len(i) > 1000
    (True, True)
    """
    n = len(xy)
    x, y = xy[:, 0], xy[:, 1]
    by_size = np.argsort(radius, kind="stable")
    others = max(n - math.isqrt(n), 1)  # the discs in the grid: all but about sqrt(n) of the largest
    bound = radius[by_size[others - 1]]  # the grid's largest radius
    large = np.flatnonzero(radius > bound)  # larger than every disc in the grid (none when all are equal)
    in_grid = np.flatnonzero(radius <= bound)
    gi, gj = _grid_pairs(x[in_grid], y[in_grid], radius[in_grid], gap)
    found_i, found_j = [in_grid[gi]], [in_grid[gj]]  # in_grid is sorted: i < j still
    beyond = np.ones(n, dtype=bool)  # the discs a large one is compared with: not itself, nor the large before it
    for b in large.tolist():
        beyond[b] = False
        # the same sums as between the grid's discs: (r_i + r_j + gap) for i < j, added in either order
        close = (x - x[b]) ** 2 + (y - y[b]) ** 2 < ((radius + radius[b] + gap) * 1.5) ** 2
        close &= beyond
        others_close = np.flatnonzero(close)
        found_i.append(np.minimum(others_close, b))
        found_j.append(np.maximum(others_close, b))
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    row_major = np.lexsort((j, i))
    return i[row_major], j[row_major]


def _grid_pairs(x: np.ndarray, y: np.ndarray, radius: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """The close pairs ``i < j`` of the discs at ``x``, ``y`` (in no set order), found
    in a grid of cells as wide as the farthest apart a close pair can be."""
    n = len(x)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    size = 1.5 * (2 * float(radius.max()) + gap)  # no close pair is farther apart
    cx = np.floor((x - x.min()) / size).astype(np.int64)
    cy = np.floor((y - y.min()) / size).astype(np.int64)
    width = int(cy.max()) + 3  # a neighbour's row never wraps into another column
    cell = (cx + 1) * width + (cy + 1)
    order = np.argsort(cell, kind="stable")
    sorted_cells = cell[order]
    found_i, found_j = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            target = cell + dx * width + dy
            lo = np.searchsorted(sorted_cells, target, side="left")
            hi = np.searchsorted(sorted_cells, target, side="right")
            counts = hi - lo
            if not counts.sum():
                continue
            ii = np.repeat(np.arange(n), counts)
            # position k of the run of i: lo[i] + (k - where i's run starts)
            starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
            jj = order[starts + np.arange(len(ii))]
            keep = ii < jj
            ii, jj = ii[keep], jj[keep]
            close = (x[ii] - x[jj]) ** 2 + (y[ii] - y[jj]) ** 2 < ((radius[ii] + radius[jj] + gap) * 1.5) ** 2
            found_i.append(ii[close])
            found_j.append(jj[close])
    i = np.concatenate(found_i) if found_i else np.zeros(0, dtype=np.int64)
    j = np.concatenate(found_j) if found_j else np.zeros(0, dtype=np.int64)
    return i, j


def _nearest_distances(xy: np.ndarray, rows: int | None = None) -> np.ndarray:
    """Distance from each point to its nearest other point, ``rows`` rows at a time (default
    :func:`_block_rows`); above :data:`META_GRID` points, the nearest few found by a k-d
    tree (:func:`_nearest_by_tree`, the same distances).

    >>> _nearest_distances(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 5.0]])).tolist()
    [5.0, 1.0, 1.0]
    """
    n = len(xy)
    if n > META_GRID and np.isfinite(xy).all():  # the tree takes finite points only
        return _nearest_by_tree(xy)
    rows = rows or _block_rows(n)
    x, y = xy[:, 0], xy[:, 1]
    nearest2 = np.empty(n)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        dist2 = (x[start:stop, None] - x[None, :]) ** 2 + (y[start:stop, None] - y[None, :]) ** 2
        dist2[np.arange(stop - start), np.arange(start, stop)] = 1e18  # not itself
        nearest2[start:stop] = dist2.min(axis=1)
    return np.sqrt(nearest2)  # sqrt of the least square: the least distance


def _nearest_by_tree(xy: np.ndarray, candidates: int = 4) -> np.ndarray:
    """:func:`_nearest_distances` by a k-d tree (scipy's): each point's ``candidates``
    nearest points (itself among them), whose distances are then computed as the
    rows of :func:`_nearest_distances` compute them, the least kept. Why: comparing
    every pair took 25 s for one article's 64,000 topics, four times as many
    points taking 20 times as long; and the tree's own distances may differ from
    those in the last bit, which would move the picture.

    >>> rng = np.random.default_rng(3)
    >>> pts = np.round(rng.uniform(0, 50, (3000, 2)))  # whole numbers: ties and points on one another
    >>> every_pair = ((pts[:, None] - pts[None]) ** 2).sum(axis=2) + np.eye(3000) * 1e18
    >>> _nearest_by_tree(pts).tobytes() == np.sqrt(every_pair.min(axis=1)).tobytes()
    True
    """
    from scipy.spatial import cKDTree

    n = len(xy)
    k = min(candidates, n)
    _, found = cKDTree(xy).query(xy, k=k)
    x, y = xy[:, 0], xy[:, 1]
    dist2 = (x[:, None] - x[found]) ** 2 + (y[:, None] - y[found]) ** 2
    dist2[found == np.arange(n)[:, None]] = 1e18  # not itself
    return np.sqrt(dist2.min(axis=1))


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


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``numpy.unique(values)`` for a 1-d array, by sorting: numpy 2.4 finds unique
    values by hashing when nothing else is asked for, 20 times slower on 50,000 ints.

    >>> _sorted_unique(np.array([3, 1, 3, 2, 1])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _pair_weights(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct undirected pairs (rows ``(low, high)``, sorted, self-pairs dropped) and their counts."""
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not len(pairs):
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    width = int(high.max()) + 1
    codes, counts = np.unique(low * width + high, return_counts=True)  # 1-d: much faster than axis=0
    return np.column_stack([codes // width, codes % width]), counts.astype(float)


def _rows(pairs: np.ndarray) -> Iterator[list[int]]:
    """The rows of ``pairs`` as lists, made a block at a time (all at once took 6 MB for the
    corpus's related edges; ``Graph.add_edges`` a block at a time, 4 times the CPU at 10,000
    articles: it rebuilds the graph's indexes at every call).

    >>> list(_rows(np.array([[0, 1], [2, 3]])))
    [[0, 1], [2, 3]]
    """
    for start in range(0, len(pairs), _EDGE_BLOCK):
        yield from pairs[start:start + _EDGE_BLOCK].tolist()


#: Rows of an edge array turned into Python lists at a time by :func:`_rows`.
_EDGE_BLOCK = 8192


def _communities(n: int, related: np.ndarray, seed: int) -> list[list[int]]:
    """Louvain communities of the related graph (article numbers; ``related`` rows are pairs)."""
    from .drawing_deps import import_igraph

    igraph = import_igraph()

    pairs, weights = _pair_weights(related)
    g = igraph.Graph(n=n, edges=_rows(pairs), directed=False)
    del pairs
    random.seed(seed)
    # the array as it is: igraph reads it without a list of floats (8 MB at 10,000 articles)
    parts = g.community_multilevel(weights=weights if len(weights) else None)
    return [sorted(part) for part in parts]


def _article_edges(view: Any, art_index: dict[str, int]) -> tuple[np.ndarray, list[tuple[str, str, int]]]:
    """The related edges as rows of article numbers, and the hub-to-hub edges (the overview's) as
    ``(source, target, weight)``."""
    table = edge_table(view, art_index)
    related_code = table.kind_names.index("related") if "related" in table.kind_names else -1
    is_related = (table.kinds == related_code) & (table.sources >= 0) & (table.targets >= 0)
    related = np.column_stack([table.sources[is_related], table.targets[is_related]])
    nodes = view.nodes
    hub_edges = []
    for e in np.flatnonzero((table.sources < 0) & (table.targets < 0)).tolist():
        s, d, _, w = view.edges[e]
        if s in nodes and d in nodes:
            hub_edges.append((s, d, w))
    return related, hub_edges


def _groups(nodes: dict[str, dict], articles: list[str], related: np.ndarray, topic_count: Counter,
            seed: int) -> list[list[str]]:
    """Groups of articles: communities of the related graph, and the rest by topic or provider;
    largest first."""
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
    return groups


def _group_names(nodes: dict[str, dict], groups: list[list[str]], topic_count: Counter) -> list[str]:
    names = []
    for g in groups:
        common = Counter(t for a in g for t in nodes[a].get("topics", ()) if t in nodes)
        # name a group by its most telling topic: most articles, weighed against the topic's size
        best = min(common, key=lambda t: (-common[t] ** 2 / topic_count[t], t)) if common else None
        names.append(nodes[best]["label"] if best else "related stories")
    return names


def _group_discs(nodes: dict[str, dict], groups: list[list[str]], art_index: dict[str, int], related: np.ndarray,
                 seed: int) -> tuple[list[np.ndarray], list[float], np.ndarray, np.ndarray]:
    """Each group laid out on its own and scaled to a disc: the discs' points and radii, and the
    related edges between groups (distinct group pairs and their counts)."""
    local: list[np.ndarray] = []
    radius_of_group = []
    group_arr = np.zeros(len(art_index), dtype=np.int64)
    member_arr = np.zeros(len(art_index), dtype=np.int64)
    for gi, g in enumerate(groups):
        for i, a in enumerate(g):
            group_arr[art_index[a]] = gi
            member_arr[art_index[a]] = i
    g_s, g_d = group_arr[related[:, 0]], group_arr[related[:, 1]]
    between, counts = _pair_weights(np.column_stack([g_s, g_d]))   # groups are the first meta nodes
    m_s, m_d = member_arr[related[:, 0]], member_arr[related[:, 1]]
    keep = (g_s == g_d) & (m_s != m_d)
    # distinct (group, low member, high member) rows, sorted: each group's inner edges are one slice
    width = int(member_arr.max(initial=0)) + 1
    codes = _sorted_unique((g_s[keep] * width + np.minimum(m_s, m_d)[keep]) * width + np.maximum(m_s, m_d)[keep])
    del g_s, g_d, m_s, m_d, keep
    inner = np.column_stack([codes // (width * width), codes // width % width, codes % width])
    del codes
    bounds = np.searchsorted(inner[:, 0], np.arange(len(groups) + 1))
    for gi, g in enumerate(groups):
        # room per article: its drawn diameter and a gap (groups of much-linked articles need more)
        spacing = max(ARTICLE_SPACING, 2.3 * sum(node_size("article", nodes[a]["weight"]) for a in g) / len(g))
        radius = spacing * math.sqrt(len(g) + 0.5)
        if len(g) >= 3 and bounds[gi + 1] > bounds[gi]:
            pairs = inner[bounds[gi]:bounds[gi + 1], 1:].tolist()
            xy = _fit_disc(_fr(len(g), pairs, [], seed + gi, niter=150), radius)
        else:
            xy = _sunflower(len(g), spacing)
        local.append(xy)
        radius_of_group.append(radius + spacing)
    return local, radius_of_group, between, counts


def _meta_weights(nodes: dict[str, dict], groups: list[list[str]], hubs: list[str], between: np.ndarray,
                  counts: np.ndarray, hub_edges: list[tuple[str, str, int]]) -> Counter:
    """Weights of the group graph's edges (pairs of meta node numbers: groups first, then hubs)."""
    hub_number = {h: len(groups) + k for k, h in enumerate(hubs)}
    mw: Counter = Counter()
    for (gs, gd), c in zip(between.tolist(), counts.tolist()):
        mw[(gs, gd)] += c
    hubs_of = {a: [h for h in (nodes[a].get("provider"), *nodes[a].get("topics", ())) if h in nodes]
               for g in groups for a in g}
    hub_articles = Counter(chain.from_iterable(hubs_of.values()))
    for gi, g in enumerate(groups):
        pull = Counter(chain.from_iterable(hubs_of[a] for a in g))
        for h, c in pull.items():
            # a hub's pulls add up to 4, shared among its groups by article count
            mw[tuple(sorted((gi, hub_number[h])))] += 4.0 * c / hub_articles[h]
    for s, d, w in hub_edges:  # hub-to-hub edges (the overview)
        if s in hub_number and d in hub_number:
            mw[tuple(sorted((hub_number[s], hub_number[d])))] += math.log1p(w)
    return mw


#: Discs above which :func:`_close_pairs` compares only those in neighbouring grid cells.
META_GRID = 2000


def _place_meta(nodes: dict[str, dict], hubs: list[str], mw: Counter, radius_of_group: list[float],
                seed: int) -> np.ndarray:
    """Positions of the groups' discs and of the hubs: a force layout of the group graph, pulled in
    and spread out so the discs do not overlap."""
    pairs = sorted(mw)
    n = len(radius_of_group) + len(hubs)
    # 150 rounds: the picture settles by then (500 cost 1 s more on the corpus and looked the same).
    # Exact repulsion is O(n^2) a round: 8 s for 4,000 topics, minutes for 20,000, 0.2-0.3 s for
    # the real corpus's 851; igraph's grid variant above FR_GRID nodes.
    xy = _fr(n, pairs, [mw[p] for p in pairs], seed, niter=150)
    del pairs
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
    return _separate(xy * scale, radii, gap=ARTICLE_SPACING)


def _rounded(values: np.ndarray) -> list[float]:
    """Each value rounded to 0.1 by Python's ``round`` (correctly rounded, unlike ``numpy.round``).

    >>> _rounded(np.array([0.25, 2.675, -1.05]))
    [0.2, 2.7, -1.1]
    """
    return [round(v, 1) for v in values.tolist()]


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

    Raises
    ------
    InvalidArgumentError
        ``seed`` is not a whole number of at most 64 bits (the page writes it
        as a JSON number; text was taken until a graph had groups to seed).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not -2**63 <= seed < 2**63 - 2**20:
        raise InvalidArgumentError(f"seed must be a whole number of at most 64 bits, not {seed!r:.80}")
    seed = int(seed)  # numpy's integers too
    nodes = view.nodes
    articles = [i for i, n in nodes.items() if n["kind"] == "article"]
    hubs = [i for i, n in nodes.items() if n["kind"] != "article"]
    art_index = {a: i for i, a in enumerate(articles)}
    # related edges as rows of article numbers (numpy from here on: the corpus has ~100k of them)
    related, hub_edges = _article_edges(view, art_index)

    # 1. groups of articles
    topic_count = Counter(t for a in articles for t in nodes[a].get("topics", ()) if t in nodes)
    groups = _groups(nodes, articles, related, topic_count, seed)
    names = _group_names(nodes, groups, topic_count)
    # 2. each group on its own, scaled to a disc
    local, radius_of_group, between, counts = _group_discs(nodes, groups, art_index, related, seed)
    del related
    # 3. groups and hubs together
    mw = _meta_weights(nodes, groups, hubs, between, counts, hub_edges)
    xy = _place_meta(nodes, hubs, mw, radius_of_group, seed)
    del mw

    positions: dict[str, tuple[float, float]] = {}
    if groups:
        # every article at once: the same float additions as one at a time, rounded by Python
        members = list(chain.from_iterable(groups))
        sizes = [len(g) for g in groups]
        points = np.concatenate(local)
        centres = np.repeat(xy[:len(groups)], sizes, axis=0)
        positions.update(zip(members, zip(_rounded(centres[:, 0] + points[:, 0]),
                                          _rounded(centres[:, 1] + points[:, 1]))))
    if hubs:
        hub_xy = xy[len(groups):]
        positions.update(zip(hubs, zip(_rounded(hub_xy[:, 0]), _rounded(hub_xy[:, 1]))))
    positions = {i: positions[i] for i in nodes}
    group_of = {a: gi for gi, g in enumerate(groups) for a in g}
    return Layout(positions, group_of, [len(g) for g in groups], names)
