"""The estate workbook: ``estates-opt template`` writes it, ``solve`` reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import small

import estates_opt as eo
from estates_opt.cli import main
from estates_opt.io.workbook import read_workbook, write_template
from estates_opt.schema import TABLES


def tiny() -> eo.Instance:
    return small.instance(
        [small.site("KEEP", capacity_m2=100.0, disposable=False, services="gp"),
         small.site("SELL", x=500.0, capacity_m2=50.0, market_value=1e6, services="gp")],
        [small.zone("Z1")],
        projects=[small.project("EXT", "KEEP", added_capacity_m2=10.0)],
        keep=("KEEP",), housing_by_borough={"B1": 0.0},
    )  # fmt: skip


def test_workbook_reads_back_the_same_estate(tmp_path: Path) -> None:
    inst = tiny()
    path = write_template(tmp_path / "estate.xlsx", inst.scenario, inst)
    back = read_workbook(path)
    assert back.name == "estate"
    assert back.scenario == inst.scenario
    assert back.sites["site_id"].tolist() == ["KEEP", "SELL"]
    assert back.sites.geometry.equals(inst.sites.geometry)
    assert back.projects["project_id"].tolist() == ["EXT"]


def test_template_explains_every_column(tmp_path: Path) -> None:
    path = write_template(tmp_path / "estate.xlsx", tiny().scenario)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["sites", "zones", "projects", "travel", "scenario", "notes"]
    notes = pd.read_excel(path, sheet_name="notes")
    for table in TABLES.values():
        documented = set(notes.loc[notes["sheet"] == table.name, "column"])
        assert set(table.names) <= documented, table.name
    capacity = notes.set_index(["sheet", "column"]).loc[("sites", "capacity_m2")]
    assert capacity["unit"] == "m2" and capacity["required"] == "yes"
    assert {"postcode", "lon", "lat"} <= set(notes.loc[notes["sheet"] == "sites", "column"])


def test_cli_template_then_solve(tmp_path: Path) -> None:
    inst = tiny()
    path = write_template(tmp_path / "estate.xlsx", inst.scenario, inst)
    assert main(["-q", "solve", str(path), "--out", str(tmp_path / "plan")]) == 0
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert main(["-q", "template", "--out", str(tmp_path / "blank.xlsx")]) == 0
    assert main(["-q", "template", "--out", str(tmp_path / "blank.xlsx")]) == 2


def test_empty_template_names_the_sheets(tmp_path: Path) -> None:
    path = write_template(tmp_path / "estate.xlsx", tiny().scenario)
    with pytest.raises(eo.InputError, match=re.escape(
        "estate.xlsx [sites]: expected at least one data row, got none.\n"
        "estate.xlsx [zones]: expected at least one data row, got none."
    )):  # fmt: skip
        eo.read_instance(path)


def test_bad_cells_name_sheet_row_and_column(tmp_path: Path) -> None:
    inst = tiny()
    path = write_template(tmp_path / "estate.xlsx", inst.scenario, inst)
    book = openpyxl.load_workbook(path)
    book["projects"]["D2"] = -3  # capex of EXT
    book["scenario"]["C2"] = "many"  # horizon.periods
    book.save(path)
    with pytest.raises(eo.InputError) as info:
        eo.read_instance(path)
    assert str(info.value).splitlines()[0].startswith("estate.xlsx [scenario]: ")
    book["scenario"]["C2"] = 1
    book.save(path)
    with pytest.raises(eo.InputError, match="^" + re.escape(
        "estate.xlsx [projects], row 1, column capex: expected a finite number >= 0, got '-3'."
    )):  # fmt: skip
        eo.read_instance(path)
