"""Lean imports of igraph and pyvis for the command line (graph.drawing_deps)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
from graph import drawing_deps
drawing_deps.use_lean_imports({lean})
ig = drawing_deps.import_igraph()
net = drawing_deps.import_pyvis_network()
# both work: a layout and a page
g = ig.Graph([(0, 1), (1, 2)])
layout = g.layout_fruchterman_reingold(seed=[[0, 0], [1, 0], [2, 0]], niter=10)
html = net.Network(directed=True).generate_html()
loaded = sorted(m for m in ("matplotlib", "IPython", "networkx", "jsonpickle") if m in sys.modules)
import importlib.util
later = importlib.util.find_spec("matplotlib") is not None  # the real module is still importable
import networkx  # and so is the real networkx, after pyvis got its stub
later_nx = networkx.path_graph(3).number_of_edges() == 2
import jsonpickle  # and the real jsonpickle
later_jp = jsonpickle.decode(jsonpickle.encode([1, "a"])) == [1, "a"]
stub_says = []
for module in (net.nx, net.jsonpickle):
    try:
        module.anything
    except AttributeError:  # the real module: no such attribute
        stub_says.append(None)
    except RuntimeError as err:  # the stub: says why
        stub_says.append(str(err))
print(json.dumps({{"loaded": loaded, "points": len(layout), "page": "vis" in html, "later": later,
                  "later_nx": later_nx, "later_jp": later_jp, "stub_says": stub_says}}))
"""


def _probe(lean: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(lean=lean)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_lean_imports_skip_matplotlib_and_ipython_and_still_work():
    normal, lean = _probe(False), _probe(True)
    # matplotlib and IPython are test dependencies, so the normal imports load them
    assert normal["loaded"] == ["IPython", "jsonpickle", "matplotlib", "networkx"]
    assert lean["loaded"] == []
    assert lean["points"] == normal["points"] == 3 and lean["page"] and normal["page"]
    assert lean["later"] and lean["later_nx"] and normal["later_nx"] and lean["later_jp"]
    assert normal["stub_says"] == [None, None]
    assert ["networkx.anything:" in lean["stub_says"][0], "jsonpickle.anything:" in lean["stub_says"][1]] == [True] * 2
    assert all("lean imports" in said for said in lean["stub_says"])


def test_lean_imports_leave_loaded_modules_alone():
    import matplotlib

    from graph.drawing_deps import lean_imports

    with lean_imports():
        assert sys.modules["matplotlib"] is matplotlib
    assert sys.modules["matplotlib"] is matplotlib


def test_stub_modules_answer_lookups_of_module_attributes_as_missing():
    # Code that looks through sys.modules (inspect.getmodule, warnings) asks for
    # __file__ and the like with getattr(module, name, default): a stub must
    # say "no such attribute" there, and explain itself for anything else.
    from graph.drawing_deps import _stub

    stub = _stub("networkx")
    assert getattr(stub, "__file__", None) is None and not hasattr(stub, "__path__")
    with pytest.raises(RuntimeError, match="lean imports"):
        stub.Graph  # noqa: B018
