"""The HTML page, without a browser: data, escaping, views, layout, CLI, notebook.

Expectations are computed independently of the page code: from the
KnowledgeGraph's edges, from networkx (ego graphs), from the stdlib HTML
parser, and from the hostile inputs' known payloads.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

import graph
from graph.cli import cli
from graph.errors import ExportError
from graph.export.html import json_for_script, notebook_html, render_html, write_html
from graph.layout import compute_layout
from graph.views import ViewError, ego_view, full_view, overview_view, safe_link

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
BLOCKS = ("ng-nodes", "ng-edges", "ng-options", "ng-meta")


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def parse_page(page: str) -> tuple[_Tags, dict]:
    tags = _Tags()
    tags.feed(page)
    blocks = {a.get("id"): json.loads(text) for a, text in tags.scripts if a.get("type") == "application/json"}
    return tags, blocks


@pytest.fixture(scope="module")
def hostile_kg():
    return graph.build([HOSTILE])


@pytest.fixture(scope="module")
def seeds_page(seeds_kg):
    return render_html(seeds_kg)


def related_pairs(block) -> list[tuple[int, int]]:
    """Decode the page's related edges: per node a count, then its targets delta-coded."""
    pairs, at = [], 0
    for source, count in enumerate(block["count"]):
        target = 0
        for k in range(count):
            target = block["to"][at] if k == 0 else target + block["to"][at]
            pairs.append((source, target))
            at += 1
    assert at == len(block["to"])
    return pairs


def edges_in_page(blocks) -> Counter:
    """Edges the page holds: drawn ones plus the related pairs it draws on demand."""
    ids = [n["id"] for n in blocks["ng-nodes"]]
    edges = blocks["ng-edges"]
    pairs, kinds = edges["pairs"], edges["kinds"]
    drawn = Counter((ids[pairs[2 * k]], ids[pairs[2 * k + 1]], kinds[c]) for k, c in enumerate(edges["kind"]))
    related = Counter((ids[s], ids[d], "related") for s, d in related_pairs(blocks["ng-meta"]["related"]))
    return drawn + related


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize("text", [
    "</script><script>alert(1)</script>", "<!-- x", "a & b", "line\u2028sep\u2029para", "\"quoted\" 'single'",
    "<img src=x onerror=alert(1)>", "\\u003c already escaped",
])
def test_json_for_script_round_trips_without_markup_characters(text):
    out = json_for_script({"t": text, "list": [text]})
    assert json.loads(out) == {"t": text, "list": [text]}
    for ch in "<>&\u2028\u2029":
        assert ch not in out


def test_safe_link_accepts_only_absolute_http_urls():
    assert safe_link("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_link("http://a.example") == "http://a.example"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>", "//a.example/x",
                "/relative", "ftp://a.example/", "https:///nohost", " https://a.example", None, ""):
        assert safe_link(bad) is None, bad


# ---------------------------------------------------------------- the page


def test_page_is_self_contained(seeds_page):
    tags, blocks = parse_page(seeds_page)
    assert set(blocks) == set(BLOCKS)
    names = {t for t, _ in tags.tags}
    assert "link" not in names and "img" not in names and "iframe" not in names
    for tag, attrs in tags.tags:
        assert "src" not in attrs, (tag, attrs)
        assert not (attrs.get("href") or "").startswith(("http", "//")), (tag, attrs)
    assert not re.search(r"https?://cdn|@import|url\(\s*['\"]?https?:", seeds_page)
    csp = [a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "unsafe-inline" not in csp[0].split("style-src")[0]


def test_script_hashes_in_the_policy_match_the_inline_scripts(seeds_page):
    import base64
    import hashlib

    tags, _ = parse_page(seeds_page)
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    allowed = set(re.findall(r"'sha256-([^']+)'", csp))
    runnable = [text for attrs, text in tags.scripts if attrs.get("type") != "application/json"]
    assert len(runnable) == 2
    for text in runnable:
        assert base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() in allowed


def test_page_holds_every_node_and_edge_of_the_graph(seeds_kg, seeds_page):
    _, blocks = parse_page(seeds_page)
    assert {n["id"] for n in blocks["ng-nodes"]} == set(seeds_kg.nx.nodes)
    assert len(blocks["ng-nodes"]) == seeds_kg.nx.number_of_nodes()
    expected = Counter((s, d, k) for s, d, k in seeds_kg.nx.edges(keys=True))
    assert edges_in_page(blocks) == expected


def test_page_is_byte_identical_for_the_same_input(seeds_kg, tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    write_html(seeds_kg, a)
    write_html(graph.build([Path("seeds")]), b)
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_visual_encoding(seeds_kg, seeds_page):
    _, blocks = parse_page(seeds_page)
    styles = blocks["ng-meta"]["styles"]
    by_id = {n["id"]: n for n in blocks["ng-nodes"]}
    shapes = {seeds_kg.nx.nodes[i]["kind"]: set() for i in by_id}
    for i, n in by_id.items():
        shapes[seeds_kg.nx.nodes[i]["kind"]].add(styles[n["c"]]["shape"])
    assert shapes == {"article": {"dot"}, "provider": {"square"}, "topic": {"star"}}
    stub = next(a for a in seeds_kg.articles.values() if a.is_stub)
    full = next(a for a in seeds_kg.articles.values() if not a.is_stub)
    assert styles[by_id[stub.id]["c"]]["fill"] == "#ffffff"  # hollow
    assert styles[by_id[full.id]["c"]]["fill"] not in ("#ffffff", styles[by_id[stub.id]["c"]]["fill"])
    deg = dict(seeds_kg.nx.to_undirected(as_view=True).degree())
    arts = sorted(seeds_kg.articles, key=lambda i: deg[i])
    assert by_id[arts[0]]["r"] < by_id[arts[-1]]["r"]
    # articles of different groups get different colours
    groups = {}
    for a in seeds_kg.articles.values():
        if not a.is_stub:
            groups.setdefault(styles[by_id[a.id]["c"]]["fill"], set()).add(a.id)
    assert len(groups) > 3


def test_article_details_name_their_provider_and_topics(seeds_kg, seeds_page):
    """Articles refer to their provider and topics by node number; the names come from those nodes."""
    _, blocks = parse_page(seeds_page)
    ids = [n["id"] for n in blocks["ng-nodes"]]
    details = dict(zip(ids, blocks["ng-meta"]["details"]))
    for a in seeds_kg.articles.values():
        d = details[a.id]
        assert (ids[d["p"]] if "p" in d else None) == a.provider_id
        assert [ids[t] for t in d["t"]] == list(a.topic_ids)
        if a.provider_id:
            # as the page shows a name: "Morningstar%2c Inc." (the seeds' spelling) decoded
            name = seeds_kg.providers[a.provider_id].name
            assert details[a.provider_id]["l"] == (name.replace("%2c", ",") if "%2c" in name else name)


def test_hostile_strings_never_reach_markup(hostile_kg):
    page = render_html(hostile_kg)
    tags, blocks = parse_page(page)
    assert "FEATURED-CONTENT-MARKER" not in page  # featured HTML is never carried
    # the only elements are the template's own
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "h1", "div", "label", "input", "ul",
               "p", "aside", "section", "h2", "select", "option", "button", "main", "dl", "script"}
    assert {t for t, _ in tags.tags} <= allowed
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    # every title survives, exactly, as data
    labels = {d["l"] for d in blocks["ng-meta"]["details"]}
    assert {a.title for a in hostile_kg.articles.values()} <= labels
    assert {p.name for p in hostile_kg.providers.values()} <= labels
    assert {t.label for t in hostile_kg.topics.values()} <= labels
    links = [d["u"] for d in blocks["ng-meta"]["details"] if "u" in d]
    assert links and all(u.startswith(("https://", "http://")) for u in links)
    # the <title> is escaped text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title


# ---------------------------------------------------------------- views


def test_overview_weights_count_shared_articles(seeds_kg):
    view = overview_view(seeds_kg)
    expected = Counter()
    g = seeds_kg.nx
    for a, attrs in g.nodes(data=True):
        if attrs["kind"] != "article":
            continue
        providers = [d for _, d, k in g.out_edges(a, keys=True) if k == "published_by"]
        topics = [d for _, d, k in g.out_edges(a, keys=True) if k == "about"]
        for p in providers:
            for t in topics:
                expected[(p, t)] += 1
    assert {(s, d): w for s, d, _, w in view.edges} == dict(expected)
    assert {v["kind"] for v in view.nodes.values()} == {"provider", "topic"}


@pytest.mark.parametrize("depth", [1, 2])
def test_ego_view_matches_networkx_ego_graph(seeds_kg, depth):
    topic = max(seeds_kg.topics.values(), key=lambda t: (sum(t.id in a.topic_ids for a in seeds_kg.articles.values()), t.id))
    view = ego_view(seeds_kg, topic=topic.label.upper(), depth=depth)
    expected = nx.ego_graph(seeds_kg.nx.to_undirected(as_view=True), topic.id, radius=depth)
    assert set(view.nodes) == set(expected.nodes)
    assert Counter((s, d, k) for s, d, k, _ in view.edges) == Counter(
        (s, d, k) for s, d, k in seeds_kg.nx.edges(keys=True) if s in expected and d in expected)


def test_ego_view_by_provider_and_article(seeds_kg):
    a = next(a for a in seeds_kg.articles.values() if not a.is_stub and a.provider_id)
    view = ego_view(seeds_kg, article=a.url, depth=1)
    assert view.centre == a.id and a.provider_id in view.nodes
    p = seeds_kg.providers[a.provider_id]
    assert ego_view(seeds_kg, provider=p.domain).centre == p.id
    with pytest.raises(ViewError, match="no topic"):
        ego_view(seeds_kg, topic="no such topic at all")


def test_a_provider_name_shared_by_sites_is_an_error_listing_their_domains(corpus_kg):
    by_name = defaultdict(list)
    for p in corpus_kg.providers.values():
        by_name[p.name.casefold()].append(p)
    shared = sorted(name for name, ps in by_name.items() if len(ps) > 1)
    assert shared  # the real corpus has some ("PR Newswire": .com and .co.uk)
    for name in shared:
        ps = by_name[name]
        counts = {p.id: sum(a.provider_id == p.id for a in corpus_kg.articles.values()) for p in ps}
        with pytest.raises(ViewError) as err:
            ego_view(corpus_kg, provider=ps[0].name.upper())
        message = str(err.value)
        assert message.startswith(f"{len(ps)} providers are named ") and message.endswith("; give the domain")
        listed = [p.domain for p in sorted(ps, key=lambda p: (-counts[p.id], p.domain))]
        assert [m.split(" (")[0] for m in message.split(": ", 1)[1].split("; ")[0].split(", ")] == listed
        for p in ps:
            assert f"{p.domain} ({counts[p.id]:,} article" in message
            assert ego_view(corpus_kg, provider=p.domain, depth=0).centre == p.id  # the domain is unique
    unique = next(ps[0] for name, ps in sorted(by_name.items()) if len(ps) == 1)
    assert ego_view(corpus_kg, provider=unique.name, depth=0).centre == unique.id


# ---------------------------------------------------------------- layout


def test_layout_places_related_groups_together(corpus_kg):
    view = full_view(corpus_kg)
    lay = compute_layout(view)
    xy = np.array([lay.positions[i] for i in view.nodes])
    assert np.isfinite(xy).all()
    # articles linked by a related edge sit much closer than two articles picked at random
    pos = lay.positions
    linked = [np.hypot(pos[s][0] - pos[d][0], pos[s][1] - pos[d][1]) for s, d, k, _ in view.edges if k == "related"]
    arts = [i for i, n in view.nodes.items() if n["kind"] == "article"]
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(arts), size=(5000, 2))
    random_d = [np.hypot(pos[arts[a]][0] - pos[arts[b]][0], pos[arts[a]][1] - pos[arts[b]][1]) for a, b in pairs]
    assert np.median(linked) < np.median(random_d) / 5
    # the groups are communities of the related graph, checked against networkx's modularity
    und = nx.Graph()
    und.add_nodes_from(arts)
    und.add_edges_from((s, d) for s, d, k, _ in view.edges if k == "related" and s != d)
    related_groups = {}
    for a in arts:
        if und.degree(a):
            related_groups.setdefault(lay.group[a], set()).add(a)
    assert nx.community.modularity(und.subgraph(set().union(*related_groups.values())),
                                   list(related_groups.values())) > 0.8


# ---------------------------------------------------------------- CLI and notebook


def test_cli_html_writes_each_view(tmp_path, seeds_kg):
    runner = CliRunner()
    topic = next(iter(seeds_kg.topics.values())).label
    for args, name in ((["--view", "full"], "full.html"), (["--view", "overview"], "ov.html"),
                       (["--topic", topic, "--depth", "2"], "ego.html")):
        out = tmp_path / name
        result = runner.invoke(cli, ["html", "seeds", "-q", "-o", str(out), *args])
        assert result.exit_code == 0, result.output
        _, blocks = parse_page(out.read_text(encoding="utf-8"))
        assert blocks["ng-meta"]["view"] == ("ego" if "--topic" in args else args[1])


@pytest.mark.parametrize("args, message", [
    (["--view", "overview", "--topic", "ai"], "--view overview draws every provider and topic; --topic"),
    (["--topic", "ai", "--provider", "wired.com"], "an ego view has one centre: give one of --topic, --provider"),
])
def test_cli_html_conflicting_views_are_usage_errors(tmp_path, args, message):
    # the overview with --topic silently drew the ego view; two centres failed only after reading
    result = CliRunner().invoke(cli, ["html", "seeds", "-q", *args, "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "x.html").exists()


def test_cli_html_errors_are_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["html", "seeds", "-q", "--provider", "no-such.example", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "no provider 'no-such.example'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()
    assert runner.invoke(cli, ["html", "--help"]).exit_code == 0


def test_a_page_that_cannot_be_written_is_an_export_error_naming_it(seeds_kg):
    """The library says it (write_html raised a bare NotADirectoryError), and the
    command line gives that one line."""
    where = Path("/proc/newsgraph-no-such-folder/page.html")  # a folder not even root can make
    said = f"cannot write {where}: No such file or directory"
    with pytest.raises(ExportError, match=re.escape(said)):
        write_html(seeds_kg, where)
    result = CliRunner().invoke(cli, ["html", "seeds", "-q", "-o", str(where)])
    assert (result.exit_code, result.output) == (1, f"Error: {said}\n")


def test_notebook_display_is_the_same_page_in_a_sandboxed_iframe(seeds_kg, seeds_page):
    shown = notebook_html(seeds_kg, height=500)
    m = re.fullmatch(r'<div class="newsgraph"><iframe srcdoc="([^"]*)" style="[^"]*" sandbox="([^"]*)"></iframe></div>',
                     shown.data)
    assert m, shown.data[:200]
    assert html.unescape(m.group(1)) == seeds_page
    assert "allow-same-origin" not in m.group(2)
    # a computed height (a float, numpy's too) is taken as the whole number of pixels it is near
    for height, px in ((500.0, 500), (np.float64(420.4), 420), (np.int64(300), 300)):
        assert f"height:{px}px;" in notebook_html(seeds_kg, height=height).data


def test_build_writes_graph_html_through_the_export_registry(seeds_kg, tmp_path):
    from graph.export import write_exports

    written = write_exports(seeds_kg, tmp_path, ["html"], base_iri="https://example.org/")  # other formats' option
    assert written == {"html": tmp_path / "graph.html"}
    _, blocks = parse_page(written["html"].read_text(encoding="utf-8"))
    assert len(blocks["ng-nodes"]) == seeds_kg.nx.number_of_nodes()


def _contrast_on_white(hex_colour: str) -> float:
    """WCAG 2's contrast ratio of an sRGB colour with white (written out here, apart
    from the page's code)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return (1.0 + 0.05) / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_article_and_stub_stands_out_from_the_canvas(corpus_kg):
    """WCAG 1.4.11: the outline one must see to find a node stands out from the white
    canvas by 3:1. A yellow group's stub rings stood out by 1.6:1, its dots' borders
    by 2.7:1 (10 of the 12 ring colours were under 3:1). The fills keep the palette."""
    from graph.export.html import PALETTE

    _, blocks = parse_page(render_html(corpus_kg))
    meta = blocks["ng-meta"]
    dots = [s for s in meta["styles"] if s["shape"] == "dot"]
    assert {s["fill"] for s in dots} - {"#ffffff"} <= set(PALETTE) and any(s["fill"] == "#ffffff" for s in dots)
    assert len({s["border"] for s in dots}) >= 12  # a ring and a border for most groups
    for style in dots:
        assert _contrast_on_white(style["border"]) >= 3.0, style
    assert [_contrast_on_white(c) >= 3.0 for c in meta["colors"]["rings"]] == [True] * len(PALETTE)


def test_depth_without_a_centre_is_refused_as_the_command_line_refuses_it(seeds_kg, tmp_path):
    """notebook_html(kg, depth=2) (and render_html, write_html) drew the whole graph,
    the depth ignored without a word, where `newsgraph html --depth 2` is a usage
    error. Expected: refused; with a centre, the depth is the ego view's."""
    for draw in (lambda **o: render_html(seeds_kg, **o), lambda **o: notebook_html(seeds_kg, **o),
                 lambda **o: write_html(seeds_kg, tmp_path / "p.html", **o)):
        for options in ({"depth": 2}, {"depth": 0, "view": "overview"}, {"depth": 1, "view": "full"}):
            with pytest.raises(graph.InvalidArgumentError, match="is the size of an ego view"):
                draw(**options)
    assert not (tmp_path / "p.html").exists()
    topic = next(iter(seeds_kg.topics.values())).label
    assert render_html(seeds_kg, topic=topic, depth=2) == render_html(ego_view(seeds_kg, topic=topic, depth=2))
    assert render_html(seeds_kg, topic=topic) == render_html(ego_view(seeds_kg, topic=topic, depth=1))
    assert render_html(seeds_kg) == render_html(full_view(seeds_kg))
