"""Results in a notebook and the report for print: _repr_html_, plot(ax=), explore(),
Frontier.plot(ax=), real borough outlines and names, captions, A4 print, figure files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import estates_opt as eo
from estates_opt.report import ReportData, write_html
from estates_opt.scenarios.frontier import Frontier

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_estate"
COLUMNS = {
    "Site code": "site_id", "Site name": "name", "Borough": "borough", "Owner": "owner",
    "Floor area (m2)": "capacity_m2", "Running cost (GBP/yr)": "running_cost",
    "Backlog (GBP)": "backlog_cost", "Market value (GBP)": "market_value",
    "Homes if sold": "housing_units", "Can be sold": "disposable", "Services": "services",
}  # fmt: skip


@pytest.fixture(scope="module")
def plan() -> eo.Plan:
    sites = eo.read_sites(EXAMPLE / "sites.xlsx", columns=COLUMNS)
    zones = eo.read_zones(EXAMPLE / "zones.csv")
    scenario = eo.Scenario(
        periods=3, capital_budget=2e6, receipts_target=10e6, housing_target=60,
        services={"primary_care": eo.Service(space_per_1000=80, max_distance_m=3500),
                  "community": eo.Service(space_per_1000=30, max_distance_m=5000)},
    )  # fmt: skip
    inst = eo.Instance.from_frames(sites, zones, scenario, name="Camden and Islington")
    return eo.solve(inst, time_limit=30).raise_for_status()


def test_repr_html_shows_status_npv_targets_and_decisions(plan: eo.Plan) -> None:
    page = plan._repr_html_()
    assert "Plan for Camden and Islington: optimal" in page
    assert f"£{plan.objective:,.0f}" in page
    assert "£10,000,000 &#10003;" in page  # receipts target met
    top = plan.disposals.sort_values("receipt", ascending=False).iloc[0]
    assert f"sell <b>{top['name']}</b> in period {int(top['dispose_period'])}" in page
    assert "<caption" in page and 'scope="row"' in page


def test_plot_draws_on_the_given_axes(plan: eo.Plan) -> None:
    ax = Figure().subplots()
    assert plan.plot(ax=ax) is ax
    assert len(ax.collections) > 0  # zones, outlines and sites
    labels = {t.get_text() for t in ax.texts}
    assert {"Camden", "Islington"} <= labels  # real names, not E09 codes


def test_explore_is_a_folium_map_of_the_sites(plan: eo.Plan) -> None:
    folium = pytest.importorskip("folium")
    fmap = plan.explore()
    assert isinstance(fmap, folium.Map)
    page = fmap.get_root().render()
    assert '"name": "King\\u0027s Cross clinic"' in page  # a site, with its tooltip fields
    assert "Islington" in page


def test_frontier_plots_on_axes() -> None:
    table = pd.DataFrame({"point": [0, 1], "housing_units": [10.0, 20.0],
                          "objective": [5e6, 4e6]})  # fmt: skip
    ax = Figure().subplots()
    assert Frontier("housing", table).plot(ax=ax) is ax
    assert ax.get_xlabel() == "homes delivered"


def test_report_has_real_boroughs(plan: eo.Plan) -> None:
    data = ReportData.from_plan(plan)
    assert data.boroughs is not None
    assert sorted(data.boroughs["borough_name"]) == ["Camden", "Islington"]
    assert data.boroughs.area.sum() == pytest.approx(36.6e6, rel=0.05)  # 21.8 + 14.9 km2


def test_report_title_captions_print_and_figures(plan: eo.Plan, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    write_html(plan, out)
    page = out.read_text()
    assert "<title>Estate plan: Camden and Islington</title>" in page
    assert "<caption>Capital cash flow per period (GBP)</caption>" in page
    assert '<th scope="col">Site</th>' in page
    assert "@page{size:A4" in page and "break-before:page" in page
    figures = sorted(p.name for p in (tmp_path / "out" / "report_figures").iterdir())
    assert {"map.png", "map.svg", "cash_flow.png", "cash_flow.svg"} <= set(figures)
    assert (tmp_path / "out" / "report_figures" / "map.svg").read_text().startswith("<?xml")


def test_report_from_a_folder_is_titled_by_the_estate(plan: eo.Plan, tmp_path: Path) -> None:
    eo.write_plan(plan, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["instance"] == (
        "Camden and Islington"
    )
    write_html(tmp_path / "out", tmp_path / "report.html")
    assert "<h1>Estate plan: Camden and Islington</h1>" in (tmp_path / "report.html").read_text()


def test_the_report_leaves_the_matplotlib_backend_alone(tmp_path: Path) -> None:
    code = (
        "import matplotlib, estates_opt.report, estates_opt.report.notebook;"
        "print(matplotlib.get_backend())"
    )
    env = {**os.environ, "MPLBACKEND": "svg"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=tmp_path)  # fmt: skip
    assert run.stdout.strip() == "svg"
