"""The build report as ``report.json``."""

from __future__ import annotations

import os
from typing import Any

from .files import atomic_writer

__all__ = ["write_report"]


def write_report(kg: Any, path: str | os.PathLike, **options: Any) -> None:
    """Write ``kg.report`` as indented JSON (deterministic)."""
    with atomic_writer(path) as fh:
        fh.write(kg.report.to_json())
