"""igraph and pyvis, imported without the plotting, notebook and graph modules they pull in.

``import igraph`` imports matplotlib when it is installed (for igraph's own
plotting) and ``import pyvis.network`` imports IPython (for ``Network.show``
in notebooks), networkx (for ``Network.from_nx``) and jsonpickle (for
``Network.to_json``): 1.6 s and 65 MB of a command-line build that uses none
of them (igraph lays the page out, pyvis writes it; networkx alone is about
0.2 s, jsonpickle 0.06 s). :func:`lean_imports` makes the two imports skip
them: about 0.25 s and 45 MB instead.

It is for processes that only write files, such as ``newsgraph build``: the
command line turns it on (:func:`use_lean_imports`); a library user, who may
plot with igraph or show a pyvis network in the same process, gets the
normal imports. Modules already imported are left as they are.

>>> import sys
>>> before = dict(sys.modules)
>>> with lean_imports():
...     pass
>>> sys.modules == before   # nothing left behind
True
"""

from __future__ import annotations

import contextlib
import sys
import types
from typing import Any, Iterator

__all__ = ["lean_imports", "use_lean_imports", "import_igraph", "import_pyvis_network"]

_LEAN = False


def use_lean_imports(on: bool = True) -> None:
    """Make :func:`import_igraph` and :func:`import_pyvis_network` lean (the CLI does)."""
    global _LEAN
    _LEAN = on


def _stub(module: str) -> types.ModuleType:
    """A module whose every attribute raises: what pyvis gets for networkx
    (only ``Network.from_nx`` uses it) and jsonpickle (``Network.to_json``)."""
    stub = types.ModuleType(module)

    def missing(name: str) -> Any:
        if name.startswith("__"):  # what code looking through sys.modules asks (__file__, __path__...)
            raise AttributeError(name)
        raise RuntimeError(f"{module}.{name}: {module} was not loaded in this process (newsgraph's lean imports)")

    stub.__getattr__ = missing  # type: ignore[attr-defined]  # module __getattr__ (PEP 562)
    return stub


class _NoIFrame:
    """What pyvis's ``Network.show`` gets instead of IPython's IFrame."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("IPython was not loaded in this process (newsgraph's lean imports)")


@contextlib.contextmanager
def lean_imports() -> Iterator[None]:
    """While active, ``import matplotlib`` fails and ``IPython.display``, ``networkx`` and ``jsonpickle`` are stubs.

    Only names not imported yet are touched, and everything is put back on
    exit, so later imports of the real modules work.
    """
    added: list[str] = []
    if "matplotlib" not in sys.modules:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # import raises ImportError
        added.append("matplotlib")
    if "IPython" not in sys.modules:
        ipython = types.ModuleType("IPython")
        display = types.ModuleType("IPython.display")
        display.IFrame = _NoIFrame  # type: ignore[attr-defined]
        ipython.display = display  # type: ignore[attr-defined]
        sys.modules["IPython"], sys.modules["IPython.display"] = ipython, display
        added += ["IPython", "IPython.display"]
    for name in ("networkx", "jsonpickle"):
        if name not in sys.modules:
            sys.modules[name] = _stub(name)
            added.append(name)
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


def _import(name: str) -> types.ModuleType:
    import importlib

    if _LEAN and name not in sys.modules:
        with lean_imports():
            return importlib.import_module(name)
    return importlib.import_module(name)


def import_igraph() -> types.ModuleType:
    """``igraph``, imported lean when :func:`use_lean_imports` is on."""
    return _import("igraph")


def import_pyvis_network() -> types.ModuleType:
    """``pyvis.network``, imported lean when :func:`use_lean_imports` is on."""
    return _import("pyvis.network")
