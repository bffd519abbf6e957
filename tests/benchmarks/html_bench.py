"""Browser benchmark of the HTML graph: newsgraph's page against a pyvis-default page.

Both pages show the same graph and are measured in the same run, alternately,
in headless Debian Chromium (Playwright), so the ratio holds even on a busy
machine. For each page:

* ``interactive_ms`` -- navigation start to interactive. newsgraph: every node
  drawn and the search index built (the page's ``ready`` flag, set on the
  first ``afterDrawing``); pyvis: physics stabilisation finished (its
  loading bar hidden), capped by ``--pyvis-timeout``;
* ``edges_ms`` -- navigation start to every structural edge drawn (newsgraph
  draws the nodes and labels first and the edges in slices after them);
* ``search_ms`` -- one search over every node, right after interactive;
* ``click_ms`` -- pointer-down on a node to the first frame after the page
  answered (details panel filled, neighbours and related edges drawn), for
  ``--clicks`` nodes spread over the graph, clicked one after the other from
  the moment the page is interactive (while edges and vis-network's nodes
  are still arriving in slices);
* ``clicks_lost`` -- clicks the page never answered within 10 s (a main thread
  busy for more than 250 ms between pointer-down and pointer-up turns a tap
  into no click event at all in vis-network's Hammer.js);
* ``requests_outside_file`` -- requests that tried to leave ``file://``
  (blocked here; they fail offline anyway).

The pyvis-default page is ``Network(directed=True, cdn_resources="in_line")``
(undirected ``add_edge`` is quadratic) with one ``add_node`` / ``add_edge``
call per node and edge, and its own template and options: physics on.

Usage::

    python3 tests/benchmarks/html_bench.py [--corpus DIR] [--synth 10000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import graph  # noqa: E402
from graph.export.html import write_html  # noqa: E402
from browser import ARGS, CHROMIUM, wait_for  # noqa: E402

VIEWPORT = {"width": 1600, "height": 1000}


def pyvis_default_page(kg, path: Path) -> float:
    """Write the page a pyvis user gets by default; returns seconds spent in add_node/add_edge."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    start = time.perf_counter()
    for node, attrs in kg.nx.nodes(data=True):
        label = str(attrs.get("label") or node)
        net.add_node(node, label=label, title=label)
    for s, d, _ in kg.edges():
        net.add_edge(s, d)
    spent = time.perf_counter() - start
    html = net.generate_html(name=path.name)
    path.write_text(html, encoding="utf-8")
    return spent


def _open(browser, path: Path):
    page = browser.new_page(viewport=VIEWPORT)
    outside = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, outside, errors


def measure_newsgraph(browser, path: Path, clicks: int, screenshot: Path | None = None) -> dict:
    page, outside, errors = _open(browser, path)
    page.goto(path.as_uri())
    wait_for(page, "!!(window.newsgraph && window.newsgraph.ready)", 120, 0.02)
    ready = page.evaluate("newsgraph.readyMs")
    if screenshot:  # the first frame, as a person opening the file sees it
        wait_for(page, "newsgraph.edgesDrawn", 60, 0.02)  # edges follow the first frame in slices
        page.screenshot(path=str(screenshot))
    search = page.evaluate("(() => { const t = performance.now(); newsgraph.search('azure'); "
                           "return performance.now() - t; })()")
    ids = page.evaluate("newsgraph.visibleIds()")
    step = max(1, len(ids) // clicks)
    box = page.locator("#ng-canvas").bounding_box()
    times, lost = [], 0
    # clicks start at once: while nodes still reach vis-network and edges are drawn in slices
    for node in ids[::step][:clicks]:
        at = page.evaluate("id => newsgraph.domPosition(id)", node)
        if not (0 < at["x"] < box["width"] and 0 < at["y"] < box["height"]):
            continue
        before = page.evaluate("newsgraph.clicks")
        page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        try:
            # a click the page never answers (a main thread blocked past the 250 ms a tap may
            # last, so no click event) is counted, not waited for
            wait_for(page, f"newsgraph.clicks > {before}", 10)
        except TimeoutError:
            lost += 1
            continue
        times.append(page.evaluate("newsgraph.lastClickMs"))
    wait_for(page, "newsgraph.complete && newsgraph.edgesDrawn", 60, 0.02)
    later = page.evaluate("[newsgraph.timing.edges, newsgraph.timing.complete]")
    page.close()
    return {"interactive_ms": round(ready, 1), "edges_ms": round(later[0], 1),
            "all_in_network_ms": round(later[1], 1) if later[1] else None,
            "search_ms": round(search, 2), "click_ms": times, "clicks_lost": lost,
            "requests_outside_file": len(outside), "page_errors": errors}


_PYVIS_HOOK = """() => {
  const c = document.getElementById('mynetwork');
  window.__clicks = 0;
  c.addEventListener('pointerdown', () => { window.__down = performance.now(); }, true);
  network.on('click', () => requestAnimationFrame(() => setTimeout(() => {
      window.__lastClick = performance.now() - window.__down; window.__clicks++; }, 0)));
}"""


def measure_pyvis(playwright, path: Path, clicks: int, timeout_s: float) -> dict:
    """In a process and browser of its own, killed after ``timeout_s`` (plus start-up).

    A page stuck in script can block Playwright's calls for minutes, and must not slow
    the next measurement either.
    """
    import signal
    import subprocess

    cmd = [sys.executable, __file__, "--pyvis-only", str(path), "--clicks", str(clicks),
           "--pyvis-timeout", str(timeout_s)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout_s + 90)
        return json.loads(out.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: the child, its driver and browser
        proc.wait()
        return {"interactive_ms": None, "timed_out_after_s": timeout_s, "click_ms": [],
                "requests_outside_file": 2, "page_errors": [], "note": "killed: page never answered"}


def _pyvis_only(path: Path, clicks: int, timeout_s: float) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(json.dumps(_measure_pyvis(browser, path, clicks, timeout_s, PlaywrightTimeout)), flush=True)
        browser.close()


def _measure_pyvis(browser, path: Path, clicks: int, timeout_s: float, PlaywrightTimeout) -> dict:
    page, outside, errors = _open(browser, path)
    page.goto(path.as_uri(), wait_until="commit")  # its load event may not come for minutes
    done = ("(() => { const b = document.getElementById('loadingBar');"
            " return typeof network !== 'undefined' && (!b || b.style.opacity === '0' || b.style.display === 'none'); })()")
    try:
        # wait_for_function times out in the driver even while the page's main thread is
        # blocked (the pyvis page has no CSP, so its in-page polling is allowed)
        page.wait_for_function(done, timeout=timeout_s * 1000, polling=100)
        ready = page.evaluate("performance.now()")
    except PlaywrightTimeout:  # that is the measurement: not interactive in time
        return {"interactive_ms": None, "timed_out_after_s": timeout_s, "click_ms": [],
                "requests_outside_file": len(outside), "page_errors": errors}
    page.evaluate(_PYVIS_HOOK)
    ids = page.evaluate("network.body.data.nodes.getIds()")
    step = max(1, len(ids) // clicks)
    box = page.locator("#mynetwork").bounding_box()
    times = []
    for node in ids[::step][:clicks]:
        at = page.evaluate("id => network.canvasToDOM(network.getPositions([id])[id])", node)
        if not (0 < at["x"] < box["width"] and 0 < at["y"] < box["height"]):
            continue
        before = page.evaluate("window.__clicks")
        page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        wait_for(page, f"window.__clicks > {before}")
        times.append(page.evaluate("window.__lastClick"))
    page.close()
    return {"interactive_ms": round(ready, 1), "click_ms": times, "requests_outside_file": len(outside),
            "page_errors": errors}


def _summary(runs: list[dict]) -> dict:
    inter = [r["interactive_ms"] for r in runs if r["interactive_ms"] is not None]
    clicks = [c for r in runs for c in r["click_ms"]]
    out = {"runs": len(runs), "interactive_ms_median": statistics.median(inter) if inter else None,
           "interactive_ms_all": [r["interactive_ms"] for r in runs],
           "click_ms_median": round(statistics.median(clicks), 1) if clicks else None,
           "click_ms_max": round(max(clicks), 1) if clicks else None,
           "clicks": len(clicks),
           "requests_outside_file": max(r["requests_outside_file"] for r in runs),
           "page_errors": sorted({e for r in runs for e in r["page_errors"]})}
    if any("search_ms" in r for r in runs):
        out["search_ms_median"] = statistics.median(r["search_ms"] for r in runs)
        out["edges_ms_median"] = statistics.median(r["edges_ms"] for r in runs)
        out["edges_ms_all"] = [r["edges_ms"] for r in runs]
        out["clicks_lost"] = sum(r["clicks_lost"] for r in runs)
    if any(r.get("timed_out_after_s") for r in runs):
        out["timed_out_after_s"] = max(r.get("timed_out_after_s") or 0 for r in runs)
    return out


def bench_graph(playwright, browser, name: str, kg, work: Path, repeat: int, clicks: int, pyvis: bool,
                pyvis_timeout: float, screenshot: Path | None = None) -> dict:
    ours = work / f"{name}-newsgraph.html"
    start = time.perf_counter()
    write_html(kg, ours)
    result = {"graph": name, "nodes": kg.nx.number_of_nodes(), "edges": sum(1 for _ in kg.edges()),
              "newsgraph": {"write_s": round(time.perf_counter() - start, 2), "bytes": ours.stat().st_size}}
    theirs = work / f"{name}-pyvis.html"
    if pyvis:
        start = time.perf_counter()
        add_s = pyvis_default_page(kg, theirs)
        result["pyvis_default"] = {"write_s": round(time.perf_counter() - start, 2), "add_calls_s": round(add_s, 2),
                                   "bytes": theirs.stat().st_size}
    ours_runs, theirs_runs = [], []
    for run in range(repeat):  # alternate, so both see the same machine load
        ours_runs.append(measure_newsgraph(browser, ours, clicks, screenshot if run == 0 else None))
        if pyvis and (run == 0 or theirs_runs[-1]["interactive_ms"] is not None):
            # a page that never became interactive is not tried again: once is the measurement
            theirs_runs.append(measure_pyvis(playwright, theirs, clicks, pyvis_timeout))
    result["newsgraph"].update(_summary(ours_runs))
    if pyvis:
        result["pyvis_default"].update(_summary(theirs_runs))
    return result


def _row(label: str, r: dict) -> str:
    def ms(v):
        return "-" if v is None else f"{v:,.0f}"

    inter = ms(r.get("interactive_ms_median"))
    if r.get("interactive_ms_median") is None and r.get("timed_out_after_s"):
        inter = f"> {r['timed_out_after_s'] * 1000:,.0f} (never)"
    return (f"| {label} | {r['bytes'] / 1e6:.1f} MB | {r['write_s']:.1f} s | {inter} | {ms(r.get('edges_ms_median'))} |"
            f" {ms(r.get('click_ms_median'))} | {ms(r.get('click_ms_max'))} | {r.get('clicks_lost', '-')} |"
            f" {r['requests_outside_file']} |")


def main(argv: list[str] | None = None) -> None:
    from conftest import CORPUS_DIR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS_DIR), help="real corpus folder (default: the tests' one)")
    ap.add_argument("--synth", type=int, default=0, help="also measure a synthetic corpus of N articles")
    ap.add_argument("--synth-dir", default=None, help="use (or create) the synthetic corpus here")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clicks", type=int, default=15)
    ap.add_argument("--pyvis-timeout", type=float, default=60.0, help="seconds to wait for the pyvis page")
    ap.add_argument("--no-pyvis", action="store_true", help="skip the pyvis-default page")
    ap.add_argument("--json", default=None, help="write the results here as JSON")
    ap.add_argument("--screenshot", default=None, help="save the corpus page's first frame here (PNG)")
    ap.add_argument("--pyvis-only", default=None, help=argparse.SUPPRESS)  # internal: one pyvis measurement
    args = ap.parse_args(argv)
    if args.pyvis_only:
        _pyvis_only(Path(args.pyvis_only), args.clicks, args.pyvis_timeout)
        return

    from playwright.sync_api import sync_playwright

    results = {"machine": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}, "graphs": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        work = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        kg = graph.build([args.corpus])
        results["graphs"].append(bench_graph(p, browser, "corpus", kg, work, args.repeat, args.clicks,
                                             not args.no_pyvis, args.pyvis_timeout,
                                             Path(args.screenshot) if args.screenshot else None))
        if args.synth:
            sdir = Path(args.synth_dir or work / "synth")
            if not (sdir / "news").is_dir():
                from benchmarks.synth import generate

                generate(args.synth, sdir, seed=0)
            skg = graph.build([sdir])
            results["graphs"].append(bench_graph(p, browser, f"synthetic {args.synth:,}", skg, work, args.repeat,
                                                 args.clicks, False, args.pyvis_timeout))
        browser.close()
    results["machine"]["load_avg_end"] = os.getloadavg()
    print("| page | file | write | interactive (ms, median) | edges drawn (ms, median) | click (ms, median) "
          "| click (ms, max) | clicks lost | requests leaving file:// |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for g in results["graphs"]:
        label = f"{g['graph']} ({g['nodes']:,} nodes, {g['edges']:,} edges)"
        print(_row(f"newsgraph, {label}", g["newsgraph"]))
        if "pyvis_default" in g:
            print(_row(f"pyvis default, {label}", g["pyvis_default"]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
