"""The naive baseline: the script a user would write without newsgraph.

python-frontmatter to read each file, rdflib triples added by hand and
serialised as Turtle, networkx for the graph and pyvis ``from_nx`` +
``write_html`` for the picture. Kept deliberately plain (no caching, no
parallelism, one process): it is what the benchmark harness compares
``newsgraph build`` against.

Usage::

    python3 tests/benchmarks/naive.py CORPUS_DIR OUT_DIR
"""

import glob
import os
import sys

import frontmatter
import networkx as nx
from pyvis.network import Network
from rdflib import RDF, Graph, Literal, Namespace, URIRef

SCHEMA = Namespace("https://schema.org/")


def main(corpus, out):
    os.makedirs(out, exist_ok=True)
    g = Graph()
    g.bind("schema", SCHEMA)
    nxg = nx.DiGraph()
    files = sorted(glob.glob(os.path.join(corpus, "**", "*.md"), recursive=True)
                   + glob.glob(os.path.join(corpus, "**", "*.txt"), recursive=True))
    for path in files:
        if os.sep + "data" + os.sep in path:
            continue  # catalogues, not articles
        post = frontmatter.load(path)
        meta = post.metadata
        url = meta.get("webUrl") or meta.get("originalUrl")
        if not url or not meta.get("title"):
            continue
        art = URIRef(url.replace(" ", "%20"))
        g.add((art, RDF.type, SCHEMA.NewsArticle))
        g.add((art, SCHEMA.headline, Literal(meta["title"])))
        if meta.get("excerpt"):
            g.add((art, SCHEMA.description, Literal(meta["excerpt"])))
        if meta.get("publishedDateTime"):
            g.add((art, SCHEMA.datePublished, Literal(meta["publishedDateTime"])))
        nxg.add_node(url, label=str(meta["title"]), group="article")
        provider = meta.get("provider") or {}
        if provider.get("domain"):
            prov = URIRef("https://" + provider["domain"])
            g.add((prov, RDF.type, SCHEMA.Organization))
            g.add((prov, SCHEMA.name, Literal(provider.get("name") or provider["domain"])))
            g.add((art, SCHEMA.publisher, prov))
            nxg.add_node(provider["domain"], label=str(provider.get("name")), group="provider")
            nxg.add_edge(url, provider["domain"])
        for topic in meta.get("topics") or []:
            top = URIRef("https://example.org/topic/" + str(topic).replace(" ", "_"))
            g.add((top, RDF.type, SCHEMA.Thing))
            g.add((top, SCHEMA.name, Literal(topic)))
            g.add((art, SCHEMA.about, top))
            nxg.add_node(str(topic), label=str(topic), group="topic")
            nxg.add_edge(url, str(topic))
        for rel in meta.get("related") or []:
            rurl = rel.get("webUrl")
            if not rurl:
                continue
            r = URIRef(rurl.replace(" ", "%20"))
            g.add((r, RDF.type, SCHEMA.NewsArticle))
            if rel.get("title"):
                g.add((r, SCHEMA.headline, Literal(rel["title"])))
            g.add((art, SCHEMA.relatedLink, r))
            if rurl not in nxg:
                nxg.add_node(rurl, label=str(rel.get("title") or rurl), group="article")
            nxg.add_edge(url, rurl)
    g.serialize(os.path.join(out, "graph.ttl"), format="turtle")
    net = Network(height="900px", width="100%", directed=True)
    net.from_nx(nxg)
    net.write_html(os.path.join(out, "graph.html"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
