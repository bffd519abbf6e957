"""Headless Chromium settings and helpers shared by the browser tests and
the HTML benchmark (tests/benchmarks/html_bench.py)."""

from __future__ import annotations

import time

__all__ = ["CHROMIUM", "ARGS", "wait_for"]

#: Debian's Chromium (installed by .ci/run); Playwright never downloads its own.
CHROMIUM = "/usr/bin/chromium"
#: Flags for a closed network: without the background-networking ones Chromium
#: keeps trying to reach Google's hosts.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def wait_for(page, expression: str, timeout_s: float = 60.0, interval_s: float = 0.005) -> None:
    """Poll ``expression`` with page.evaluate until true.

    Not ``page.wait_for_function``: its polling evaluates strings inside the page,
    which the page's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout_s} s: {expression}")
        time.sleep(interval_s)
