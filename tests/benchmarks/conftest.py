"""Benchmarks are run by hand (``python3 tests/benchmarks/run.py``), never collected by pytest
(not even for doctests: importing them must not start a benchmark)."""

collect_ignore_glob = ["*.py"]
