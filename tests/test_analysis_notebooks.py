"""The notebooks are committed with the outputs of a run on seeds/.

nbmake (``--nbmake`` in pytest's addopts) runs every notebook top to bottom;
these checks make sure what GitHub shows is a complete, error-free run, in
order, reading ../seeds, with the figures the text talks about.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS][:3] == ["01-getting-started.ipynb", "02-sparql.ipynb",
                                              "03-providers-topics-communities.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_one_complete_run(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "not one run, top to bottom"
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "warnings in the committed outputs"
    assert any('graph.build(["../seeds"])' in "".join(c["source"]) for c in code)
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")


def test_analysis_notebook_shows_its_figures():
    nb = json.loads(NOTEBOOKS[2].read_text(encoding="utf-8"))
    images = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
              if "image/png" in o.get("data", {})]
    assert len(images) >= 5
