"""The fast paths added for 100,000-article builds give what the plain code gives.

Each test computes the expectation a second, independent way: counting the
edges one by one, ``dataclasses.asdict``, networkx's own node-link data, and
related links, sources and copy counts re-derived from the records, copy by
copy.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter

import networkx as nx
import pytest

from graph.builder import KnowledgeGraph, _images
from graph.export.nodelink import write_nodelink
from graph.model import Article, ArticleRecord, Image, Provider
from graph.reader import iter_read, scan
from graph.resolve import resolve, topic_key


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


def _records_read_again(corpus_dir) -> list[ArticleRecord]:
    return [p.record for p in iter_read(scan([str(corpus_dir)]).files) if p.record is not None]


def _article_of(res) -> dict[str, str]:
    """Each URL's article, through the canonical URL and aliases of the resolved
    articles rather than by resolve's grouping."""
    return {url: a.id for a in res.articles.values() for url in (a.url, *a.aliases)}


def test_related_links_equal_records_read_again(corpus_dir, corpus_kg):
    records = _records_read_again(corpus_dir)
    expected = _by_copy(records, corpus_kg)
    got = {a.id: set(a.related_ids) for a in corpus_kg.articles.values() if a.related_ids}
    assert got == expected["related"]
    assert corpus_kg.report.self_links_dropped == expected["self_links"]
    assert resolve(records).self_links == expected["self_links"]


def _by_copy(records: list[ArticleRecord], res) -> dict:
    """What resolve gives for each article, worked out copy by copy: every
    listing of a stub is taken on its own, and the article of each record is
    found through the resolved articles' URLs and aliases (not resolve's grouping)."""
    article_of = _article_of(res)
    related: dict[str, set[str]] = {}
    sources: dict[str, set[str]] = {}
    spellings: dict[str, Counter] = {}
    self_links = 0
    for rec in records:
        src = article_of[rec.url]
        sources.setdefault(src, set()).add(rec.source)
        for listed in (rec, *rec.related):
            for t in listed.topics:
                if topic_key(t):
                    spellings.setdefault(topic_key(t), Counter())[t] += 1
        for stub in rec.related:
            dst = article_of[stub.url]
            sources.setdefault(dst, set()).add(rec.source)
            if dst == src:
                self_links += 1
            else:
                related.setdefault(src, set()).add(dst)
    labels = {key: max(sorted(c), key=c.__getitem__) for key, c in spellings.items()}
    return {"related": related, "sources": sources, "self_links": self_links, "labels": labels}


def _as_resolved(res) -> dict:
    return {
        "related": {a.id: set(a.related_ids) for a in res.articles.values() if a.related_ids},
        "sources": {a.id: set(a.sources) for a in res.articles.values()},
        "self_links": res.self_links,
        "labels": {t.key: t.label for t in res.topics.values()},
    }


def _sorted_tuples(res) -> bool:
    return all(list(a.related_ids) == sorted(set(a.related_ids)) and list(a.sources) == sorted(set(a.sources))
               for a in res.articles.values())


def test_sources_and_counts_equal_copy_by_copy_on_corpus(corpus_dir):
    records = _records_read_again(corpus_dir)
    res = resolve(records)
    assert sum(len(r.related) for r in records) > 90_000
    assert _as_resolved(res) == _by_copy(records, res)
    assert _sorted_tuples(res)


def _random_records(rng: random.Random, n_files: int) -> list[ArticleRecord]:
    urls = [f"https://n{i % 7}.example/{i}" for i in range(n_files * 2)]
    spellings = ["AI", "ai", "Cloud", "cloud", "CLOUD", "Data"]
    # Stubs shared by many files, and equal stubs that are distinct objects (as
    # from two reading workers): both are copies of one stub.
    pool = []
    for _ in range(n_files):
        url = rng.choice(urls)
        topics = tuple(rng.sample(spellings, rng.randint(0, 2)))
        stub = ArticleRecord(url, None, True, title=f"T {url[-2:]}", topics=topics, quality=rng.randint(1, 3))
        pool.append(stub)
        if rng.random() < 0.3:
            pool.append(dataclasses.replace(stub))
    files = []
    for i in range(n_files):
        related = tuple(rng.choice(pool) for _ in range(rng.choice([0, 0, 1, 5, 20])))
        # Some files list their own URL, some repeat an item.
        url = rng.choice(urls) if rng.random() < 0.5 else urls[i]
        if related and rng.random() < 0.2:
            related += (related[0],)
        files.append(ArticleRecord(url, f"f/{rng.randint(0, n_files)}-{i}.md", False, title=f"F{i}",
                                   topics=tuple(rng.sample(spellings, rng.randint(0, 3))), related=related))
    rng.shuffle(files)
    return files


@pytest.mark.parametrize("seed", range(8))
def test_sources_and_counts_equal_copy_by_copy_on_random_records(seed):
    records = _random_records(random.Random(seed), 300)
    res = resolve(records)
    assert _as_resolved(res) == _by_copy(records, res)
    assert _sorted_tuples(res)
    # A field only stubs have comes from the stub first listed by file name
    # (all of an URL's stubs rank alike here: one title, no date), and of the
    # stubs that file lists, the one listed first in the build: worked out copy by copy.
    seen: dict[int, int] = {}
    best: dict[str, tuple[str, int, int]] = {}
    article_of = _article_of(res)
    for rec in records:
        for stub in rec.related:
            seen.setdefault(id(stub), len(seen))
            aid = article_of[stub.url]
            if res.articles[aid].is_stub:
                best[aid] = min(best.get(aid, (rec.source, seen[id(stub)], stub.quality)),
                                (rec.source, seen[id(stub)], stub.quality))
    assert best and {aid: q for aid, (_, _, q) in best.items()} == {aid: res.articles[aid].quality for aid in best}
