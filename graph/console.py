"""The ``newsgraph`` console script (and ``python -m graph``): :func:`graph.cli.main`,
with a Ctrl-C while the command's modules load ending as one during the command does.

Why a module of its own: loading what a command needs (click, the reader, the
builder, the exporters) takes about 0.1 s, and a Ctrl-C in that time printed
Python's traceback, since click's handler, which says ``Aborted!``, was not in
place yet. ``import graph`` loads only :mod:`graph.errors`, so the ``try``
below covers nearly all of that time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``newsgraph`` command."""
    try:
        from .cli import main as run_command
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C is the same request
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):  # a closed stderr: the status says it
            sys.stderr.write("\nAborted!\n")  # what click says for a Ctrl-C during a command, with its status
            sys.stderr.flush()
        # Without the usual teardown: a module whose loading was cut short may be
        # half set up (a C extension's, among them), and nothing else was done yet.
        os._exit(1)
    run_command()
