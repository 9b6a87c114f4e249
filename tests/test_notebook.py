"""The tutorial notebook runs top to bottom (nbclient, a real Jupyter kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial_own_estate.ipynb"


def test_tutorial_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # a notebook user's kernel shows figures inline; CI's MPLBACKEND=Agg would hide them
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )  # fmt: skip
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("Plan for Camden and Islington: optimal" in h for h in html)
    assert any("leaflet" in h.lower() for h in html)  # the interactive map
    assert any("image/png" in o.get("data", {}) for o in outputs)  # plan.plot()
    assert "'map.svg'" in str(notebook.cells[-1].outputs[0]["data"]["text/plain"])
