"""The fast paths added for 100,000-article builds give what the plain code gives.

Each test computes the expectation a second, independent way: counting the
edges one by one, ``dataclasses.asdict``, networkx's own node-link data, and
related links re-derived from the records read again.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import networkx as nx

from graph.builder import KnowledgeGraph, _images
from graph.export.nodelink import write_nodelink
from graph.model import Article, Image, Provider
from graph.reader import read_file, scan
from graph.resolve import resolve


def test_edge_counts_equal_counting_every_edge(corpus_kg):
    counted = Counter(kind for _, _, kind in corpus_kg.edges())
    assert corpus_kg.edge_counts() == {kind: counted[kind] for kind in ("published_by", "about", "related")}
    assert corpus_kg.report.edges == corpus_kg.edge_counts()
    assert counted["related"] > 10_000  # the corpus has plenty of each kind


def test_images_equal_asdict(corpus_kg):
    images = [im for entities in (corpus_kg.articles, corpus_kg.providers, corpus_kg.topics)
              for e in entities.values() for im in e.images]
    assert len(images) > 1000
    assert _images(tuple(images)) == [dataclasses.asdict(im) for im in images]


def _networkx_nodelink(kg: KnowledgeGraph) -> dict:
    data = nx.node_link_data(kg.nx, edges="edges")
    data.pop("graph")
    return json.loads(json.dumps(data, default=str))  # dates as text, tuples as lists


def _written(kg: KnowledgeGraph, tmp_path) -> dict:
    path = tmp_path / "graph.json"
    write_nodelink(kg, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("graph")
    return data


def test_nodelink_edges_equal_networkx_on_corpus(corpus_kg, tmp_path):
    # The corpus takes the plain-id path (every id resolve makes is plain).
    written = _written(corpus_kg, tmp_path)
    expected = _networkx_nodelink(corpus_kg)
    assert written["edges"] == expected["edges"]
    assert [n["id"] for n in written["nodes"]] == [n["id"] for n in expected["nodes"]]


def test_nodelink_quoted_ids_and_dangling_targets(tmp_path):
    # A hand-made graph (as graph.load could give) with ids JSON must escape
    # and edges to nodes that are not entities: the slow paths.
    odd = 'article/with "quote" and \\ backslash'
    provider = Provider(id="provider/x.org", domain="x.org", name="X", images=(Image("https://i/1.png", 1, 2),))
    articles = {
        "article/a": Article(id="article/a", url="https://x.org/a", is_stub=False, provider_id="provider/x.org",
                             topic_ids=("topic/missing",), related_ids=(odd, "article/gone")),
        odd: Article(id=odd, url="https://x.org/b", is_stub=True, related_ids=("article/a",)),
    }
    kg = KnowledgeGraph(articles, {provider.id: provider}, {})
    written = _written(kg, tmp_path)
    expected = _networkx_nodelink(kg)
    assert written["edges"] == expected["edges"]
    assert written["nodes"] == expected["nodes"]
    assert [n["id"] for n in written["nodes"][-2:]] == ["topic/missing", "article/gone"]


def test_related_links_equal_records_read_again(corpus_dir, corpus_kg):
    # Every related stub's target, found through the canonical URL and aliases
    # of the built articles rather than by resolve's grouping.
    records = [p.record for p in map(lambda f: read_file(*f), scan([str(corpus_dir)]).files)
               if p.record is not None]
    article_of = {}
    for a in corpus_kg.articles.values():
        for url in (a.url, *a.aliases):
            article_of[url] = a.id
    expected: dict[str, set[str]] = {}
    self_links = 0
    for rec in records:
        src = article_of[rec.url]
        for stub in rec.related:
            dst = article_of[stub.url]
            if dst == src:
                self_links += 1
            else:
                expected.setdefault(src, set()).add(dst)
    got = {a.id: set(a.related_ids) for a in corpus_kg.articles.values() if a.related_ids}
    assert got == expected
    assert corpus_kg.report.self_links_dropped == self_links
    assert resolve(records).self_links == self_links
