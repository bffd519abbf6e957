"""Benchmark of the RDF exports and the two SPARQL engines on the real corpus.

Everything runs in one process, one after another, in the same run, so the
ratios compare like with like even on a busy machine:

* writing each RDF format with newsgraph's streaming writers, and rdflib's own
  N-Triples and Turtle serializers on the same graph (for the ratio);
* loading ``graph.nt``: rdflib's parser, newsgraph's loader for the rdflib
  engine (pyoxigraph parser + term conversion), pyoxigraph in memory, and an
  on-disk pyoxigraph store (first load, then reuse);
* every example query on both engines (best of ``--repeat`` runs).

Usage::

    python3 tests/benchmarks/sparql_bench.py [CORPUS] [--repeat 3] [--json OUT]

Not collected by pytest (no ``test_`` file name).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def timed(fn, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def main(argv: list[str] | None = None) -> int:
    from conftest import CORPUS_DIR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(CORPUS_DIR))
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (best is kept)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)

    import rdflib

    import graph
    from graph.export import write_exports
    from graph.query import example_queries, load_rdflib, open_store, sparql

    results: dict = {"corpus": args.corpus, "write_s": {}, "load_s": {}, "query_s": {}}
    t, kg = timed(lambda: graph.build([args.corpus]))
    results["build_s"] = round(t, 2)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for fmt in ("nt", "ttl", "trig", "jsonld"):
            t, _ = timed(lambda: write_exports(kg, out, [fmt]))
            results["write_s"][f"newsgraph {fmt}"] = round(t, 2)
        nt = out / "graph.nt"
        t, g_native = timed(lambda: rdflib.Graph().parse(nt, format="nt"))
        results["load_s"]["rdflib parser"] = round(t, 2)
        results["triples"] = len(g_native)
        for fmt, name in (("nt", "rdflib serialize nt"), ("turtle", "rdflib serialize ttl")):
            t, _ = timed(lambda: g_native.serialize(out / f"rdflib.{fmt}", format=fmt, encoding="utf-8"))
            results["write_s"][name] = round(t, 2)
        del g_native
        t, g = timed(lambda: load_rdflib(nt))
        results["load_s"]["newsgraph rdflib loader"] = round(t, 2)
        t, store = timed(lambda: open_store(nt))
        results["load_s"]["oxigraph in memory"] = round(t, 2)
        # The store is closed when the object goes (one process may hold it).
        t = timed(lambda: open_store(nt, path=out / "store") and None)[0]
        results["load_s"]["oxigraph on disk (first)"] = round(t, 2)
        t = timed(lambda: open_store(nt, path=out / "store") and None)[0]
        results["load_s"]["oxigraph on disk (reuse)"] = round(t, 3)
        for name in example_queries():
            t_ox, r_ox = timed(lambda: sparql(store, name, engine="oxigraph"), args.repeat)
            t_rdf, r_rdf = timed(lambda: sparql(g, name, engine="rdflib"), 1)
            results["query_s"][name] = {"rows": len(r_ox), "rdflib": round(t_rdf, 2), "oxigraph": round(t_ox, 3),
                                        "same_rows": r_ox.rows == r_rdf.rows}
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
