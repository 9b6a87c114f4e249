"""The board report: HTML page (rendered in a real headless Chromium), workbook, GeoPackage.

The estate is small and built in code: six zones on a line in two boroughs, a protected
hub, three disposable sites (one named like a script, one like a spreadsheet formula,
one with matplotlib's maths markers) and an empty candidate site with a new-build
project. Site names are untrusted text: the page must show them escaped, the workbook
as text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from matplotlib import image as mpimg
from openpyxl import load_workbook

import estates_opt as eo
from estates_opt.cli import main
from estates_opt.progress import Progress
from estates_opt.report import ReportData, Section, write_excel, write_geopackage, write_html
from estates_opt.report.excel import flatten_summary
from estates_opt.report.maps import approximate_boroughs

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://example.invalid","x")'


def _instance(**scenario: object) -> eo.Instance:
    site = {"owner": "", "y": 0.0, "running_cost": 50_000.0, "backlog_cost": 0.0,
            "earliest_disposal": 1}  # fmt: skip
    sites = pd.DataFrame([
        {**site, "site_id": "S1", "name": SCRIPT_NAME, "borough": "A", "x": 1_000.0,
         "capacity_m2": 500.0, "market_value": 0.0, "housing_units": 0.0, "disposable": False,
         "services": "primary_care;social_care"},
        {**site, "site_id": "S2", "name": FORMULA_NAME, "borough": "B", "x": 4_000.0,
         "capacity_m2": 400.0, "market_value": 2e6, "housing_units": 20.0, "disposable": True,
         "services": "primary_care"},
        {**site, "site_id": "S3", "name": "Small $clinic$ & co", "borough": "A", "x": 2_500.0,
         "capacity_m2": 100.0, "market_value": 1e6, "housing_units": 10.0, "disposable": True,
         "services": "primary_care"},
        {**site, "site_id": "S4", "name": "Candidate land", "borough": "B", "x": 5_000.0,
         "capacity_m2": 0.0, "running_cost": 0.0, "market_value": 0.0, "housing_units": 0.0,
         "disposable": False, "services": ""},
        {**site, "site_id": "S5", "name": "Old hall", "borough": "B", "x": 3_500.0,
         "capacity_m2": 300.0, "market_value": 3e6, "housing_units": 30.0, "disposable": True,
         "earliest_disposal": 2, "backlog_cost": 300_000.0, "services": "primary_care"},
    ])  # fmt: skip
    zones = pd.DataFrame({
        "zone_id": [f"Z{i}" for i in range(6)],
        "borough": ["A", "A", "A", "B", "B", "B"],
        "x": [0.0, 1_000.0, 2_000.0, 3_000.0, 4_000.0, 5_000.0],
        "y": [500.0, -500.0, 500.0, -500.0, 500.0, -500.0],
        "population": [1_000.0] * 6,
    })  # fmt: skip
    projects = pd.DataFrame([
        {"project_id": "P1", "site_id": "S4", "kind": "new_build", "capex": 1e6,
         "added_capacity_m2": 300.0, "services": "primary_care;social_care",
         "running_cost_delta": 20_000.0, "build_periods": 1, "earliest_start": 1,
         "exclusive_group": ""},
    ])  # fmt: skip
    services = {
        "primary_care": eo.Service(space_per_1000=100.0, max_distance_m=8_000.0,
                                   travel_cost_per_person_km=0.5),
        "social_care": eo.Service(space_per_1000=20.0, max_distance_m=8_000.0),
    }  # fmt: skip
    base = dict(periods=3, capital_budget=600_000.0, receipt_retention=0.5, housing_target=25.0,
                receipts_target=1e6, utilisation_max=0.95, services=services,
                build=("P1",))  # fmt: skip
    base.update(scenario)
    return eo.Instance.from_frames(sites, zones, eo.Scenario(**base), projects=projects,
                                   name="tiny <estate>")  # fmt: skip


@pytest.fixture(scope="module")
def plan() -> eo.Plan:
    plan = eo.solve(_instance(), mip_gap=0.0)
    assert plan.status is eo.Status.OPTIMAL, plan
    return plan


@pytest.fixture(scope="module")
def out_dir(plan: eo.Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    eo.write_plan(plan, out)
    return out


@pytest.fixture(scope="module")
def report(out_dir: Path) -> Path:
    return write_html(out_dir, out_dir / "report.html")


def test_folder_and_plan_give_the_same_tables(plan: eo.Plan, out_dir: Path) -> None:
    a, b = ReportData.from_plan(plan), ReportData.from_folder(out_dir)
    assert a.sites["category"].tolist() == b.sites["category"].tolist()
    assert a.sites["name"].tolist() == b.sites["name"].tolist()
    assert a.sites["reason"].tolist() == b.sites["reason"].tolist()
    pd.testing.assert_frame_equal(a.cash_flow, b.cash_flow, check_dtype=False)
    assert dict(flatten_summary(a.kpis)) == pytest.approx(dict(flatten_summary(b.kpis)))
    categories = dict(zip(a.sites["site_id"], a.sites["category"], strict=True))
    assert categories["S4"] == "new_build"  # locked build on an empty candidate site
    assert categories["S1"] == "colocation"  # hosts primary and social care
    assert set(a.disposals["site_id"]) == set(plan.disposals["site_id"])


def test_page_is_self_contained_and_escaped(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert SCRIPT_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page  # no script needed, none from the data
    # every src/href is inline data or an anchor: nothing to fetch
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page)
    assert links and all(link.startswith(("data:", "#")) for link in links)
    assert "<link" not in page and "@import" not in page
    assert page.count('src="data:image/png;base64,') >= 4  # map, cash flow, targets, utilisation


def test_extra_sections_are_appended(plan: eo.Plan, tmp_path: Path) -> None:
    extra = Section("Fair access <draft>", "<p>by decile</p>", anchor="fair-access")
    page = write_html(plan, tmp_path / "r.html", sections=[extra]).read_text(encoding="utf-8")
    assert "<title>Estate plan: tiny &lt;estate&gt;</title>" in page
    assert '<section id="fair-access"><h2>Fair access &lt;draft&gt;</h2><p>by decile</p>' in page
    assert page.index('id="projects"') < page.index('id="fair-access"') < page.index('id="about"')


def test_plan_to_html(plan: eo.Plan, tmp_path: Path) -> None:
    path = plan.to_html(tmp_path / "plan.html")
    assert path.exists() and "Map of the estate" in path.read_text(encoding="utf-8")


def test_infeasible_plan_reports_its_shortfalls(tmp_path: Path) -> None:
    plan = eo.solve(_instance(housing_target=1_000.0), mip_gap=0.0)
    assert plan.status is eo.Status.INFEASIBLE
    eo.write_plan(plan, tmp_path / "out")
    page = write_html(tmp_path / "out", tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Why there is no plan" in page and "infeasible" in page
    write_excel(tmp_path / "out", tmp_path / "r.xlsx")


def test_workbook_holds_the_summary_numbers(out_dir: Path, tmp_path: Path) -> None:
    path = write_excel(out_dir, tmp_path / "plan.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:5] == ["summary", "sites", "projects", "cash flow",
                                 "assignments summary"]  # fmt: skip
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    cells = {row[0]: row[1] for row in wb["summary"].iter_rows(min_row=2, values_only=True)}
    expected = dict(flatten_summary(summary))
    for key in ("objective", "receipts", "housing_units", "sites_disposed", "projects_built",
                "capex", "running_cost_saving_per_year", "utilisation_before",
                "utilisation_after", "cash_position.p3"):  # fmt: skip
        assert cells[key] == expected[key], key
    # openpyxl writes 16 significant digits (Excel shows 15): equal to that precision
    assert set(cells) == {"instance", *expected}
    for key, value in expected.items():
        if isinstance(value, float):
            assert cells[key] == pytest.approx(value, rel=1e-15), key
        else:
            assert cells[key] == value, key
    sites = wb["sites"]
    header = [c.value for c in sites[1]]
    names = {row[0].value: row[header.index("name")] for row in sites.iter_rows(min_row=2)}
    assert names["S2"].value == FORMULA_NAME and names["S2"].data_type == "s"
    assert names["S1"].value == SCRIPT_NAME
    cash = pd.read_csv(out_dir / "cash_flow.csv")
    rows = list(wb["cash flow"].iter_rows(min_row=2, values_only=True))
    assert [r[list(cash.columns).index("capex")] for r in rows] == cash["capex"].tolist()


def test_geopackage_layers(out_dir: Path, tmp_path: Path) -> None:
    path = write_geopackage(out_dir, tmp_path / "board.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert {"sites", "zones", "zone_cells", "boroughs", "assignments_last_period"} <= set(layers)
    info = pyogrio.read_info(path, layer="sites")
    assert info["features"] == 5 and info["crs"] == "EPSG:27700"
    assert "category" in info["fields"]


def test_approximate_boroughs_cover_every_zone(plan: eo.Plan) -> None:
    data = ReportData.from_plan(plan)
    outlines = approximate_boroughs(data)
    assert outlines is not None and sorted(outlines["borough"]) == ["A", "B"]
    assert outlines.union_all().contains(plan.zones.union_all())
    assert outlines.iloc[0].geometry.intersection(outlines.iloc[1].geometry).area < 1e-6


def test_cli_report(out_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(out_dir, folder)
    gpkg = tmp_path / "qgis.gpkg"
    assert main(["-q", "report", str(folder), "--gpkg", str(gpkg)]) == 0
    assert (folder / "report.html").exists() and (folder / "plan.xlsx").exists() and gpkg.exists()
    assert main(["-q", "report", str(tmp_path / "missing")]) == 2


def test_progress_logs_when_not_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="estates_opt.progress"):
        with Progress(live=False) as progress, progress.phase("solving") as phase:
            phase.update(incumbent=1_234.0, gap=0.05)
        with Progress(quiet=True) as quiet, quiet.phase("writing"):
            pass
    assert "solving done in" in caplog.text and "incumbent £1,234  gap 5.00%" in caplog.text
    assert "writing" not in caplog.text
    assert [name for name, _ in progress.finished] == ["solving"]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def test_page_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    flags = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,3000",
    ]  # fmt: skip
    url = report.resolve().as_uri()
    shot = tmp_path / "report.png"
    run = subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True,
                         timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1000
    assert float(np.std(pixels[..., :3])) > 0.05  # not a blank page
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, timeout=120,
                         check=True).stdout.decode("utf-8")  # fmt: skip
    assert len(re.findall(r'<img class="map"[^>]*src="data:image/png;base64,', dom)) == 1
    assert len(re.findall(r'<img class="chart"[^>]*src="data:image/png;base64,', dom)) >= 3
    assert SCRIPT_NAME not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
