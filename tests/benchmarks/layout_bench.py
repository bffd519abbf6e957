"""Compare layouts of the real corpus for the HTML page: time and legibility.

Layouts:

* ``fr-whole`` -- igraph Fruchterman-Reingold on the whole graph (every node, every edge),
  scaled to the same extent as the other so node and font sizes compare;
* ``newsgraph`` -- :func:`graph.layout.compute_layout` (groups of related articles placed apart).

Legibility measures, at the zoom that fits the picture into a 1,400 x 950 px canvas:

* ``related_over_random`` -- median length of a related edge over the median
  distance between two random articles (lower: related articles sit together);
* ``hub_label_overlaps`` -- pairs of topic/provider labels readable at that zoom
  (font >= 7 px on screen) whose boxes overlap;
* ``articles_covered`` -- share of articles whose centre lies inside another article's disc.

Usage::

    python3 tests/benchmarks/layout_bench.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import graph  # noqa: E402
from graph.layout import compute_layout, label_size, node_size  # noqa: E402
from graph.views import full_view  # noqa: E402

CANVAS = (1400, 950)


def fr_whole(view) -> dict:
    import igraph

    ids = list(view.nodes)
    index = {i: k for k, i in enumerate(ids)}
    g = igraph.Graph(n=len(ids), edges=[(index[s], index[d]) for s, d, _, _ in view.edges], directed=False)
    random.seed(0)
    lay = g.layout_fruchterman_reingold(niter=500)
    return {i: (x, y) for i, (x, y) in zip(ids, lay.coords)}


def same_extent(pos: dict, like: dict) -> dict:
    """``pos`` scaled to the extent of ``like``, so both are judged with the same node and font sizes."""
    a, b = np.array(list(pos.values())), np.array(list(like.values()))
    k = float((b.max(axis=0) - b.min(axis=0)).max() / (a.max(axis=0) - a.min(axis=0)).max())
    return {i: (x * k, y * k) for i, (x, y) in pos.items()}


def legibility(view, pos: dict) -> dict:
    xy = np.array([pos[i] for i in view.nodes])
    span = xy.max(axis=0) - xy.min(axis=0)
    zoom = min(CANVAS[0] / span[0], CANVAS[1] / span[1])
    arts = [i for i, n in view.nodes.items() if n["kind"] == "article"]
    rel = [np.hypot(*(np.subtract(pos[s], pos[d]))) for s, d, k, _ in view.edges if k == "related" and s != d]
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(arts), size=(20000, 2))
    rnd = [np.hypot(*(np.subtract(pos[arts[a]], pos[arts[b]]))) for a, b in pick if a != b]
    boxes = []
    for i, n in view.nodes.items():
        if n["kind"] == "article":
            continue
        font = label_size(n["kind"], n["weight"])
        if font * zoom < 7:
            continue
        w, h = 0.55 * font * len(n["label"] or ""), font
        x, y = pos[i][0], pos[i][1] + node_size(n["kind"], n["weight"]) + 4
        boxes.append((x - w / 2, y, x + w / 2, y + h))
    overlaps = sum(1 for a in range(len(boxes)) for b in range(a + 1, len(boxes))
                   if boxes[a][0] < boxes[b][2] and boxes[b][0] < boxes[a][2]
                   and boxes[a][1] < boxes[b][3] and boxes[b][1] < boxes[a][3])
    axy = np.array([pos[a] for a in arts])
    size = np.array([node_size("article", view.nodes[a]["weight"]) for a in arts])
    covered = 0
    order = np.argsort(axy[:, 0])
    for k, i in enumerate(order):  # sweep along x
        for j in order[k + 1:]:
            if axy[j, 0] - axy[i, 0] > 40:
                break
            d = np.hypot(*(axy[i] - axy[j]))
            if d < max(size[i], size[j]):
                covered += 1
                break
    return {"related_over_random": round(float(np.median(rel) / np.median(rnd)), 3),
            "readable_hub_labels": len(boxes), "hub_label_overlaps": overlaps,
            "articles_covered": round(covered / len(arts), 3), "fit_zoom": round(float(zoom), 3)}


def main(argv=None) -> None:
    from conftest import CORPUS_DIR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS_DIR))
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    view = full_view(graph.build([args.corpus]))
    out, seconds, layouts = {}, {}, {}
    for name, fn in (("newsgraph", lambda v: compute_layout(v).positions), ("fr-whole", fr_whole)):
        start = time.perf_counter()
        layouts[name] = fn(view)
        seconds[name] = round(time.perf_counter() - start, 2)
    layouts["fr-whole"] = same_extent(layouts["fr-whole"], layouts["newsgraph"])
    for name in ("fr-whole", "newsgraph"):
        out[name] = {"seconds": seconds[name], **legibility(view, layouts[name])}
    print("| layout | seconds | related / random distance | readable hub labels | overlapping label pairs |"
          " articles covered |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in out.items():
        print(f"| {name} | {r['seconds']} | {r['related_over_random']} | {r['readable_hub_labels']} |"
              f" {r['hub_label_overlaps']} | {r['articles_covered']:.1%} |")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
