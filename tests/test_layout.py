"""Layout helpers checked against a second way of computing the same thing."""

from __future__ import annotations

import numpy as np
import pytest

from graph.layout import FR_GRID, META_GRID, _close_pairs, _close_pairs_by_cells


@pytest.mark.parametrize("n,rows", [(1, 256), (2, 1), (300, 64), (1000, 256), (1000, 7), (1500, None),
                                    (META_GRID + 500, None)])  # by cells
def test_close_pairs_in_row_blocks_equal_the_whole_matrix(n, rows):
    rng = np.random.default_rng(n)
    xy = rng.normal(size=(n, 2)) * 50
    radius = rng.uniform(1, 10, n)
    gap = 3.0
    # the dense n x n computation, as the layout did it before blocks
    x, y = xy[:, 0], xy[:, 1]
    dist2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    want_i, want_j = np.nonzero(np.triu(dist2 < ((radius[:, None] + radius[None, :] + gap) * 1.5) ** 2, 1))
    got_i, got_j = _close_pairs(xy, radius, gap, rows=rows)  # None: rows by _block_rows (87 for 1500)
    assert np.array_equal(got_i, want_i) and np.array_equal(got_j, want_j)
    if n >= 300:
        assert len(want_i) > 100  # the case is not trivially empty


@pytest.mark.parametrize("spread", [1.0, 0.01, 100.0])  # discs overlapping a lot, some, hardly at all
def test_close_pairs_by_cells_equal_the_whole_matrix(spread):
    rng = np.random.default_rng(7)
    n = 2500
    xy = rng.normal(size=(n, 2)) * 50 * spread
    radius = np.concatenate([rng.uniform(1, 10, n - 1), [400.0]])  # one very large disc, as a big label makes
    x, y = xy[:, 0], xy[:, 1]
    dist2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    want_i, want_j = np.nonzero(np.triu(dist2 < ((radius[:, None] + radius[None, :] + 3.0) * 1.5) ** 2, 1))
    got_i, got_j = _close_pairs_by_cells(xy, radius, 3.0)
    assert np.array_equal(got_i, want_i) and np.array_equal(got_j, want_j) and len(want_i) > 0


def _one_group_among_its_providers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The group graph's discs when n articles share their topics and each has its own
    provider: one group disc as wide as n articles need, among n small provider discs."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 60 * np.sqrt(n), (n + 1, 2))
    radius = np.full(n + 1, 6.0)
    radius[0] = 9.0 * np.sqrt(n)
    return xy, radius


def test_close_pairs_beside_one_very_large_disc_take_memory_in_proportion_to_the_discs():
    """The grid's cells were as wide as the largest disc: beside one group of 16,000 articles,
    its 16,000 providers shared a few cells and every pair of them was a candidate (1.6 GB
    and 6 s a search; the page's layout took 65 s and 2.6 GB, four times the discs sixteen
    times as long). Memory, traced, is what is checked: not a timing."""
    import tracemalloc

    peaks = {}
    for n in (4000, 16000):
        xy, radius = _one_group_among_its_providers(n)
        tracemalloc.start()
        try:
            got_i, got_j = _close_pairs_by_cells(xy, radius, 9.0)
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # the same pairs as every pair compared, a block of rows at a time
        x, y = xy[:, 0], xy[:, 1]
        want_i, want_j = [], []
        for start in range(0, n + 1, 500):
            rows = slice(start, start + 500)
            close = (x[rows, None] - x) ** 2 + (y[rows, None] - y) ** 2 < ((radius[rows, None] + radius + 9.0) * 1.5) ** 2
            ii, jj = np.nonzero(close)
            keep = ii + start < jj
            want_i.append(ii[keep] + start)
            want_j.append(jj[keep])
        assert np.array_equal(got_i, np.concatenate(want_i)) and np.array_equal(got_j, np.concatenate(want_j))
        assert len(got_i) > n // 2  # many discs close to one another, or to the group
    assert peaks[16000] < 64e6, peaks  # 1,586 MB before
    assert peaks[16000] / peaks[4000] < 8, peaks  # 4 as the discs grow, not 16


@pytest.mark.parametrize("topics", [700, 2500])
def test_hundreds_or_thousands_of_hubs_take_the_grid_paths_and_get_apart(tmp_path, monkeypatch, topics):
    # One article with 2,500 topics: the force layout of groups and hubs repelled every pair
    # every round, and the separation compared every pair (8 s for 4,000 topics, minutes for 20,000).
    # With 700 (the real corpus has 851 groups and hubs), the force layout alone takes the grid.
    import graph
    import graph.layout as layout
    from graph.drawing_deps import import_igraph
    from graph.views import full_view

    (tmp_path / "a.md").write_text("---\ntitle: many\nwebUrl: https://ex.org/many\ntopics:\n"
                                   + "".join(f"  - topic {k}\n" for k in range(topics)) + "---\n")
    kg = graph.build([tmp_path])
    grids, by_cells = [], []
    fr_class, real_cells = import_igraph().Graph, layout._close_pairs_by_cells
    real_fr = fr_class.layout_fruchterman_reingold  # what igraph is asked, however _fr decides it
    monkeypatch.setattr(fr_class, "layout_fruchterman_reingold",
                        lambda g, *a, **k: grids.append((g.vcount(), k.get("grid"))) or real_fr(g, *a, **k))
    monkeypatch.setattr(layout, "_close_pairs_by_cells", lambda *a: by_cells.append(len(a[0])) or real_cells(*a))
    placed = layout.compute_layout(full_view(kg))
    hubs = len(kg.topics) + len(kg.providers)
    assert hubs > FR_GRID and (hubs + 1, "grid") in grids
    if hubs > META_GRID:
        assert by_cells and set(by_cells) == {hubs + 1}
    else:
        assert not by_cells
    xy = np.array([placed.positions[t] for t in kg.topics])
    assert np.isfinite(xy).all() and len({tuple(p) for p in xy.tolist()}) == len(xy)  # every topic a place

