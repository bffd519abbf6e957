"""The fast forms of the drawing code (views, layout, HTML page data) checked
against plain, obviously correct ways of computing the same thing.

The fast forms exist for speed only: each must give exactly the same values
(bit for bit where floats are involved), because graph.html must not change.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import graph.layout as layout
from graph.export.html import _related_block
from graph.layout import _nearest_distances, _separate
from graph.views import _date, _degrees, edge_table, full_view


# --- references: the straightforward forms -----------------------------------------------------------

def _separate_reference(xy, radius, gap, rounds=150):
    """Push discs apart with (n, 2) rows and boolean masks, every round run (the form before the fast one)."""
    xy = xy.copy()
    n = len(xy)
    if n < 2:
        return xy
    inv_area = 1.0 / (radius ** 2 + 1.0)
    for step in range(rounds):
        if step % 15 == 0:
            x, y = xy[:, 0], xy[:, 1]
            dist2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
            i, j = np.nonzero(np.triu(dist2 < ((radius[:, None] + radius[None, :] + gap) * 1.5) ** 2, 1))
            need = radius[i] + radius[j] + gap
            share_i = inv_area[i] / (inv_area[i] + inv_area[j])
        d = xy[i] - xy[j]
        dist = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)
        overlap = need - dist
        hit = overlap > 0.01 * gap
        if not hit.any():
            if step % 15 == 0:
                break
            continue
        push = d[hit] * (overlap[hit] / dist[hit])[:, None] * 0.5
        a, b = push * share_i[hit][:, None], push * (1 - share_i[hit])[:, None]
        for axis in (0, 1):  # the pushes summed per disc with np.add.at (in order, as bincount does)
            plus, minus = np.zeros(n), np.zeros(n)
            np.add.at(plus, i[hit], a[:, axis])
            np.add.at(minus, j[hit], b[:, axis])
            xy[:, axis] += plus - minus
    return xy


def _related_reference(pairs, n):
    pairs = sorted(pairs)
    count, to = [0] * n, []
    previous_source = previous = None
    for source, target in pairs:
        count[source] += 1
        to.append(target - previous if source == previous_source else target)
        previous_source, previous = source, target
    return {"count": count, "to": to}


# --- layout ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_view(corpus_kg):
    return full_view(corpus_kg)


@pytest.fixture(scope="module")
def corpus_discs(corpus_view):
    """The discs the corpus layout separates (captured from a real layout)."""
    seen = []

    def capture(xy, radius, gap, rounds=150):
        seen.append((xy.copy(), radius.copy(), gap))
        return _separate(xy, radius, gap, rounds)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout, "_separate", capture)
        layout.compute_layout(corpus_view)
    assert len(seen) == 1
    return seen[0]


def _random_discs(n, seed, spread):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) * spread, rng.uniform(1, 30, n)


@pytest.mark.parametrize("n,seed,spread,gap", [(1, 0, 10, 9.0), (2, 1, 1, 9.0), (60, 2, 40, 9.0), (400, 3, 200, 9.0),
                                               (400, 4, 2000, 3.0), (300, 5, 1e-3, 9.0)])
def test_separate_equals_the_reference_bit_for_bit(n, seed, spread, gap):
    xy, radius = _random_discs(n, seed, spread)
    want = _separate_reference(xy, radius, gap)
    got = _separate(xy, radius, gap)
    assert got.tobytes() == want.tobytes()
    if n > 2 and spread < 1000:
        assert not np.array_equal(want, xy)  # the discs overlapped: something was pushed


def test_separate_skips_only_rounds_that_change_nothing():
    # far apart discs: no round moves anything, the result is the input
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0]])
    radius = np.array([5.0, 5.0, 5.0])
    assert _separate(xy, radius, 9.0).tobytes() == xy.tobytes()


def test_separate_on_the_corpus_discs(corpus_discs):
    xy, radius, gap = corpus_discs
    assert len(xy) > 500
    assert _separate(xy, radius, gap).tobytes() == _separate_reference(xy, radius, gap).tobytes()


@pytest.mark.parametrize("n,rows", [(2, 256), (3, 1), (257, 256), (700, 64), (2600, None)])  # 2600: a k-d tree
def test_nearest_distances_equal_the_dense_matrix(n, rows):
    xy, _ = _random_discs(n, n, 100)
    dense = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2) + np.eye(n) * 1e18).min(axis=1)
    assert _nearest_distances(xy, rows=rows).tobytes() == dense.tobytes()
    # and by hand for a small case: nearest of each of three points
    pts = np.array([[0.0, 0.0], [6.0, 8.0], [6.0, 9.0]])
    assert _nearest_distances(pts, rows=rows).tolist() == [10.0, 1.0, 1.0]


# --- views -------------------------------------------------------------------------------------------

def test_degrees_equal_networkx(corpus_kg):
    deg = _degrees(list(corpus_kg.edge_groups()))
    g = corpus_kg.nx
    assert {n: deg[n] for n in g.nodes} == dict(g.degree())
    assert sum(deg.values()) == 2 * g.number_of_edges()


def test_edge_table_equals_dict_lookups(corpus_view):
    v = corpus_view
    articles = {a: k for k, a in enumerate(i for i, n in v.nodes.items() if n["kind"] == "article")}
    table = edge_table(v, articles)
    sources, targets = table.sources, table.targets
    kinds = [table.kind_names[k] for k in table.kinds.tolist()]
    assert sources.tolist() == [articles.get(s, -1) for s, _, _, _ in v.edges]
    assert targets.tolist() == [articles.get(d, -1) for _, d, _, _ in v.edges]
    assert kinds == [k for _, _, k, _ in v.edges]
    assert set(kinds) == {"published_by", "about", "related"}
    assert (targets == -1).sum() == sum(k != "related" for _, _, k, _ in v.edges)  # providers and topics


def test_edge_table_of_an_empty_view():
    from graph.views import View

    table = edge_table(View("x", "x", {}, []), {})
    assert len(table.sources) == len(table.targets) == len(table.kinds) == 0
    assert table.kind_names == ()


@pytest.mark.parametrize("value", [
    dt.datetime(2021, 6, 18, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),  # next day in UTC
    dt.datetime(2020, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # previous year in UTC
    dt.datetime(999, 12, 31, 12, tzinfo=dt.timezone.utc),
    dt.datetime(1000, 1, 1, tzinfo=dt.timezone.utc),
    dt.datetime(9999, 12, 31, 12, tzinfo=dt.timezone.utc),
])
def test_date_is_the_utc_day_in_iso_8601(value):
    day = value.astimezone(dt.timezone.utc)
    # four-digit years, formatted by hand (strftime gives "999-12-31": the page compares dates as text)
    assert _date(value) == f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if day.year >= 1000:
        assert _date(value) == day.strftime("%Y-%m-%d")


def test_date_by_hand():
    assert _date(dt.datetime(2021, 6, 18, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))) == "2021-06-19"
    assert _date(dt.date(2020, 2, 29)) == "2020-02-29"
    assert _date(None) is None


def test_dates_of_the_corpus_equal_strftime(corpus_kg):
    values = [a.published for a in corpus_kg.articles.values() if isinstance(a.published, dt.datetime)]
    assert len(values) > 1000
    assert [_date(v) for v in values] == [v.astimezone(dt.timezone.utc).strftime("%Y-%m-%d") for v in values]


# --- page data ---------------------------------------------------------------------------------------

def _lists(block):
    return {k: v.tolist() for k, v in block.items()}


def test_related_block_by_hand():
    # node 0 -> 1, 3; node 2 -> 0 twice (a repeated edge stays)
    assert _lists(_related_block(np.array([(2, 0), (0, 3), (0, 1), (2, 0)]), 4)) == {"count": [2, 0, 2, 0],
                                                                                     "to": [1, 2, 0, 0]}
    assert _lists(_related_block(np.zeros((0, 2), dtype=np.int64), 3)) == {"count": [0, 0, 0], "to": []}


def test_related_block_equals_the_reference_on_the_corpus(corpus_view):
    index = {i: k for k, i in enumerate(corpus_view.nodes)}
    pairs = [(index[s], index[d]) for s, d, k, _ in corpus_view.edges if k == "related"]
    assert len(pairs) > 10_000
    got = _lists(_related_block(np.array(pairs, dtype=np.int64), len(index)))
    assert got == _related_reference(pairs, len(index))
    assert all(type(x) is int for x in got["to"][:100])  # plain ints: JSON as before


def test_related_block_random_with_repeats():
    rng = np.random.default_rng(7)
    pairs = [tuple(p) for p in rng.integers(0, 50, size=(3000, 2)).tolist()]
    assert _lists(_related_block(np.array(pairs), 50)) == _related_reference(pairs, 50)
