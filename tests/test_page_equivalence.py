"""The page as written now (compact views, layout in parts, the template filled and
the large blocks written piece by piece where pyvis's rendering marks them)
against the plain forms it replaced (``reference_drawing``: views of tuples,
the layout in one function, whole lists, pyvis and jinja2 rendering one
string). graph.html must not change: every comparison is byte
for byte, on the real corpus, seeds/ and the hostile inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import graph
import reference_drawing as plain
from graph.export.html import (_asset, _Items, _vis_js, _write_json, _write_page, json_for_script, render_html,
                               write_html)
from graph.layout import _rounded, _sorted_unique
from graph.views import EdgeList, View, edge_table, ego_view, full_view, overview_view, safe_link

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"


@pytest.fixture(scope="module")
def hostile_kg():
    return graph.build([HOSTILE])


# --- pages ----------------------------------------------------------------------------------------------

def _seeds_cases(kg):
    topic = max(kg.topics.values(), key=lambda t: (sum(t.id in a.topic_ids for a in kg.articles.values()), t.id))
    article = next(a for a in kg.articles.values() if not a.is_stub and a.provider_id)
    provider = kg.providers[article.provider_id]
    return [
        ({}, plain.full_view(kg)),
        ({"view": "overview"}, plain.overview_view(kg)),
        ({"topic": topic.label, "depth": 1}, plain.ego_view(kg, topic=topic.label, depth=1)),
        ({"topic": topic.label, "depth": 2}, plain.ego_view(kg, topic=topic.label, depth=2)),
        ({"article": article.url}, plain.ego_view(kg, article=article.url)),
        ({"provider": provider.domain}, plain.ego_view(kg, provider=provider.domain)),
    ]


def test_seeds_pages_equal_the_pyvis_rendering_of_the_plain_forms(seeds_kg, tmp_path):
    for options, plain_view in _seeds_cases(seeds_kg):
        want = plain.render_html(plain_view)
        assert render_html(seeds_kg, **options) == want, options
        write_html(seeds_kg, tmp_path / "graph.html", **options)
        assert (tmp_path / "graph.html").read_bytes() == want.encode("utf-8"), options


def test_other_seeds_give_the_same_page_both_ways(seeds_kg):
    # another layout seed: other positions and groups, still the same bytes
    assert render_html(seeds_kg, seed=3) == plain.render_html(plain.full_view(seeds_kg), seed=3)


def test_hostile_pages_equal_the_plain_forms(hostile_kg):
    assert render_html(hostile_kg) == plain.render_html(plain.full_view(hostile_kg))
    # a hostile title is escaped in <title> exactly as jinja2's e filter does it
    v = full_view(hostile_kg)
    title = "</title><script>alert(\"x\")</script> & 'q' \u2028"
    p = plain.full_view(hostile_kg)
    assert render_html(View(v.name, title, v.nodes, v.edges)) == plain.render_html(View(p.name, title, p.nodes,
                                                                                       p.edges))


@pytest.fixture(scope="module")
def corpus_pieces(corpus_kg):
    pieces: list[str] = []
    _write_page(full_view(corpus_kg), 0, pieces.append)
    return pieces


def test_corpus_page_equals_the_plain_forms_and_is_written_in_pieces(corpus_kg, corpus_pieces, tmp_path):
    want = plain.render_html(plain.full_view(corpus_kg))
    assert "".join(corpus_pieces) == want
    write_html(corpus_kg, tmp_path / "graph.html")
    assert (tmp_path / "graph.html").read_bytes() == want.encode("utf-8")
    # never the whole page, nor a whole block, at once: the largest piece is the
    # end of what pyvis rendered (vis-network, page.js and the template's last lines)
    start = want.index('id="ng-meta">')
    meta_block = want[start:want.index("</script>", start)]
    scripts = len(plain._vis_js()) + len(_asset("page.js"))
    assert scripts < max(map(len, corpus_pieces)) < scripts + 1_000 < len(meta_block) / 4


def test_corpus_page_of_a_limited_view_equals_the_plain_forms(corpus_kg):
    # fewer articles than the graph has: edges to left-out articles are dropped
    got = render_html(full_view(corpus_kg, max_articles=700))
    assert got == plain.render_html(plain.full_view(corpus_kg, max_articles=700))


def test_pyvis_generates_the_page_and_never_holds_a_large_block(seeds_kg, tmp_path, monkeypatch):
    """pyvis renders the page (the design keeps it the generator), but what it
    renders holds the large blocks only as markers: the template's text and
    the small fields."""
    import pyvis.network

    rendered: list[str] = []
    real = pyvis.network.Network.generate_html

    def generate_html(self, *args, **kwargs):
        rendered.append(real(self, *args, **kwargs))
        return rendered[-1]

    monkeypatch.setattr(pyvis.network.Network, "generate_html", generate_html)
    write_html(seeds_kg, tmp_path / "graph.html")
    page = (tmp_path / "graph.html").read_text(encoding="utf-8")
    assert len(rendered) == 1 and "vis-network" in rendered[0]
    assert page.startswith(rendered[0][:200])
    article = next(a for a in seeds_kg.articles.values() if a.title)
    assert json_for_script(article.title)[1:-1] in page and json_for_script(article.title)[1:-1] not in rendered[0]
    assert len(rendered[0]) < len(_vis_js()) + 100_000 < len(page)


# --- JSON written in pieces -----------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 999, 1000, 1001, 2500])
def test_json_in_pieces_equals_the_whole_text(n):
    items = [{"l": f"<b>{k}</b> & \u2028", "x": k / 7, "t": [k, k + 1], "n": None} for k in range(n)]
    value = {"a": _Items(iter(items)), "ints": np.arange(n * 9) - 4, "floats": np.linspace(-1, 1, n),
             "deep": {"b": _Items(x * 3 for x in range(n)), "c": "</script>"}, "empty": {}, "s": "é"}
    pieces: list[str] = []
    _write_json(value, pieces.append)
    want = json_for_script({"a": items, "ints": (np.arange(n * 9) - 4).tolist(),
                            "floats": np.linspace(-1, 1, n).tolist(),
                            "deep": {"b": [x * 3 for x in range(n)], "c": "</script>"}, "empty": {}, "s": "é"})
    assert "".join(pieces) == want
    assert json.loads("".join(pieces))["a"] == items


def test_json_in_pieces_refuses_non_string_keys():
    with pytest.raises(TypeError):
        _write_json({1: _Items([1])}, [].append)


# --- views ----------------------------------------------------------------------------------------------

def test_corpus_views_equal_the_plain_views(corpus_kg):
    for got, want in ((full_view(corpus_kg), plain.full_view(corpus_kg)),
                      (full_view(corpus_kg, max_articles=300), plain.full_view(corpus_kg, max_articles=300)),
                      (overview_view(corpus_kg), plain.overview_view(corpus_kg))):
        assert (got.name, got.title, got.nodes) == (want.name, want.title, want.nodes)
        assert list(got.edges) == want.edges
    topic = max(corpus_kg.topics)
    got, want = ego_view(corpus_kg, topic=topic, depth=2), plain.ego_view(corpus_kg, topic=topic, depth=2)
    assert (got.nodes, got.centre, list(got.edges)) == (want.nodes, want.centre, want.edges)


def test_edge_list_reads_like_the_tuple_list(corpus_kg):
    edges = full_view(corpus_kg).edges
    tuples = plain.full_view(corpus_kg).edges
    assert isinstance(edges, EdgeList) and len(edges) == len(tuples) > 3 * 8192  # iteration crosses blocks
    assert edges == tuples and not edges == tuples[:-1] and edges != tuples[::-1]
    for k in (0, 8191, 8192, len(tuples) - 1, -1, -len(tuples)):
        assert edges[k] == tuples[k]
    assert edges[5:9] == tuples[5:9] and edges[::-25000] == tuples[::-25000]
    with pytest.raises(IndexError):
        edges[len(tuples)]
    mask = np.arange(len(edges)) % 3 == 0
    assert list(edges.select(mask)) == tuples[::3]


def test_edge_table_of_a_list_and_of_an_edge_list_agree(corpus_kg):
    v = full_view(corpus_kg)
    as_list = View(v.name, v.title, v.nodes, list(v.edges))
    numbers = {node: k for k, node in enumerate(reversed(list(v.nodes))) if k % 5}  # some ends unnumbered: -1
    compact, listed = edge_table(v, numbers), edge_table(as_list, numbers)
    assert compact.sources.tolist() == listed.sources.tolist()
    assert compact.targets.tolist() == listed.targets.tolist()
    assert [compact.kind_names[k] for k in compact.kinds.tolist()] == [listed.kind_names[k] for k in listed.kinds]
    assert compact.weights is None and listed.weights is None
    assert [compact.kind_names[k] for k in compact.kinds.tolist()] == plain.edge_arrays(as_list, numbers)[2].tolist()


def test_edge_table_keeps_weights_other_than_one(seeds_kg):
    v = overview_view(seeds_kg)
    t = edge_table(v, {n: k for k, n in enumerate(v.nodes)})
    assert t.weights is not None and t.weights.tolist() == [w for *_, w in v.edges]
    assert max(t.weights) > 1


# --- small helpers against their plain forms --------------------------------------------------------------

_CRAFTED_URLS = [
    "http://a", "https://a.b:8080/x?y#z", "HTTP://a.b", "Https://a.b/", "http://[::1]/", "http://[::1/",
    "http://a b", "http://a\tb.com", "http://a.com\n", "http://", "https:///x", "http://ä.com/", "http://a.com/ä",
    "http://a.com/\x7f", "\x01http://a.com", "\x1fhttp://a.com", "http://a.com ", " http://a.com",
    "http://a.com:abc/", "http://a.com:80", "http://a.com:", "http://-/", "http://a..b/", "http://a.com#frag",
    "http://a.com?q", "javascript:alert(1)", "http:/a.com", "http:\\\\a.com", "http://user@a.com/",
    "http://a.com/<script>", "https://a.com/%2F..%2F", "ftp://a.com/", "//a.com/", "http://a.com/\u2028",
    "http://\uff21.com/", "http://a.com\u3000", "", None,
]


def test_safe_link_equals_urlsplit_on_every_corpus_url(corpus_kg):
    urls = {u for a in corpus_kg.articles.values() for u in (a.web_url, a.url, a.original_url) if u}
    urls |= {f"https://{p.domain}/" for p in corpus_kg.providers.values() if p.domain}
    assert len(urls) > 4000
    assert [safe_link(u) for u in sorted(urls)] == [plain.safe_link(u) for u in sorted(urls)]
    for url in _CRAFTED_URLS:
        assert safe_link(url) == plain.safe_link(url), repr(url)
    assert safe_link("HTTP://a.b") == "HTTP://a.b" and safe_link("http://[::1/") is None  # both paths used


@pytest.mark.parametrize("values", [[], [5], [3, 3, 3], [-2, 7, -2, 0, 7, 1]])
def test_sorted_unique_equals_numpy_unique_by_hand(values):
    got = _sorted_unique(np.array(values, dtype=np.int64))
    assert got.tolist() == sorted(set(values)) == np.unique(np.array(values, dtype=np.int64)).tolist()


def test_sorted_unique_equals_numpy_unique_at_random():
    values = np.random.default_rng(4).integers(-10**12, 10**12, size=60_000) // 1000  # repeats
    assert np.array_equal(_sorted_unique(values), np.unique(values))


def test_rounded_equals_python_round_of_each_sum():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=5000) * 3000, rng.normal(size=5000) * 40
    halves = np.array([0.25, 0.35, 2.675, -1.05, 1e-17, -0.0])  # ties and near-ties in binary
    want = [round(float(x + y), 1) for x, y in zip(a, b)] + [round(float(x), 1) for x in halves]
    assert _rounded(a + b) + _rounded(halves) == want
    assert [round(float(x), 1) for x in halves] != np.round(halves, 1).tolist()  # numpy's differs: not used
