"""Layout helpers checked against a second way of computing the same thing."""

from __future__ import annotations

import numpy as np
import pytest

from graph.layout import _close_pairs


@pytest.mark.parametrize("n,rows", [(1, 256), (2, 1), (300, 64), (1000, 256), (1000, 7), (1500, None)])
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
