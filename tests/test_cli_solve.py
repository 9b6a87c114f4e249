"""Issue 4: ``estates-opt solve INSTANCE_DIR --out OUT_DIR`` keeps MODEL.md section 6.

Exit codes: 0 solved (optimal or feasible), 2 bad input (one message naming file, row
and column; no traceback; nothing written), 3 infeasible (diagnosis written), 4 no
solution within the time limit. An existing non-empty OUT_DIR is only replaced with
``--overwrite``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from small import instance, site, travel, zone

import estates_opt as eo
import estates_opt.cli

FILES = [
    "summary.json",
    "site_decisions.csv",
    "project_decisions.csv",
    "assignments.csv",
    "marriage_pairs.csv",
]
HEADERS = {
    "site_decisions.csv": [
        "site_id",
        "decision",
        "dispose_period",
        "receipt",
        "housing_units",
        "utilisation_p1",
        "utilisation_p2",
    ],
    "project_decisions.csv": ["project_id", "site_id", "start_period", "ready_period", "capex"],
    "assignments.csv": ["zone_id", "site_id", "service", "period", "share"],
    "marriage_pairs.csv": ["site_a", "site_b", "period", "value_uplift", "housing_uplift"],
}
KPIS = [
    "receipts",
    "housing_units",
    "sites_disposed",
    "projects_built",
    "capex",
    "running_cost_saving_per_year",
    "utilisation_before",
    "utilisation_after",
]


def _marriage_folder(path: Path, **scenario: object) -> Path:
    # The marriage instance of test_model_known_optima over two periods, values 10x:
    # A and B (30 m apart) make a pair worth 0.1 * (10,000 + 20,000) = 3,000 sold together;
    # then ZA and ZB travel to C (1.1 km, 2.15 km): 3,250 a period.
    #   sell both in t=1: 33,000 - 2 * 3,250 = 26,500
    #   sell both in t=2: 33,000 - 1 * 3,250 = 29,750   (no discounting: later is better)
    #   sell one alone  : at most 20,000 - 2,150 = 17,850.          Optimum 29,750 in t=2.
    inst = instance(
        [
            site("A", x=0.0, capacity_m2=100, market_value=10_000),
            site("B", x=30.0, capacity_m2=100, market_value=20_000),
            site("C", x=5000.0, capacity_m2=200, disposable=False),
        ],
        [zone("ZA"), zone("ZB")],
        travel=travel(("ZA", "A", 0), ("ZA", "C", 1100), ("ZB", "B", 0), ("ZB", "C", 2150)),
        **{"periods": 2, "marriage_value_uplift": 0.1, **scenario},
    )
    return eo.write_instance(inst, path)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _solve(*args: str | Path) -> int:
    return estates_opt.cli.main(["-q", "solve", *map(str, args)])


def test_solve_writes_section6_files(tmp_path: Path) -> None:
    folder = _marriage_folder(tmp_path / "inst")
    out = tmp_path / "out"
    assert _solve(folder, "--out", out) == 0
    for name in FILES:
        assert (out / name).is_file(), name
    for name, header in HEADERS.items():
        assert _header(out / name) == header, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(10_000 + 20_000 + 3_000 - (1100 + 2150))
    for key in ("best_bound", "mip_gap", "solver"):
        assert key in summary
    assert set(summary["timings"]) >= {"build_s", "solve_s"}
    assert set(summary["kpis"]) >= set(KPIS)
    # before (t=1): 200 m2 of load over 400 m2; after (t=2): 200 m2 over C's 200 m2
    assert summary["kpis"]["utilisation_before"] == pytest.approx(0.5)
    assert summary["kpis"]["utilisation_after"] == pytest.approx(1.0)
    with (out / "marriage_pairs.csv").open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    assert [(p["site_a"], p["site_b"], p["period"]) for p in pairs] == [("A", "B", "2")]
    assert float(pairs[0]["value_uplift"]) == pytest.approx(3000)
    with (out / "site_decisions.csv").open(encoding="utf-8") as handle:
        sites = {row["site_id"]: row for row in csv.DictReader(handle)}
    assert sites["C"]["decision"] == "retain" and sites["C"]["dispose_period"] == ""
    assert sites["A"]["utilisation_p2"] == ""  # capacity 0 once sold: blank
    assert eo.check(eo.read_instance(folder), out).ok


def test_infeasible_exits_3_with_shortfalls(tmp_path: Path) -> None:
    # A and B hold 0 homes: a target of 7 homes is short by exactly 7.
    folder = _marriage_folder(tmp_path / "inst", housing_target=7.0)
    out = tmp_path / "out"
    assert _solve(folder, "--out", out) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["objective"] is None
    rows = [s for s in summary["shortfalls"] if s["requirement"] == "housing_target"]
    assert len(rows) == 1
    assert rows[0]["short_by"] == pytest.approx(7.0)


def test_tiny_time_limit_never_reports_optimal(shared_instances: Path, tmp_path: Path) -> None:
    # p01 takes seconds to prove optimal at gap 0; 0.05 s cannot prove it.
    out = tmp_path / "out"
    code = _solve(shared_instances / "p01", "--out", out, "--mip-gap", "0", "--time-limit", "0.05")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] != "optimal"
    if code == 0:
        assert summary["status"] == "feasible"
        assert summary["objective"] is not None
    else:
        assert code == 4
        assert summary["status"] == "no_solution"
        assert summary["objective"] is None


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Overwrite one cell of a CSV file (row 1 = the first data row)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[row - 1][column] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(
    ("file", "row", "column", "value"),
    [
        ("sites.csv", 1, "capacity_m2", "-250"),
        ("sites.csv", 3, "disposable", "maybe"),
        ("zones.csv", 2, "population", "many"),
    ],
)
def test_bad_csv_cell_exits_2_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    file: str,
    row: int,
    column: str,
    value: str,
) -> None:
    folder = _marriage_folder(tmp_path / "inst")
    _set_cell(folder / file, row, column, value)
    out = tmp_path / "out"
    assert _solve(folder, "--out", out) == 2
    err = capsys.readouterr().err
    for piece in (file, f"row {row}", f"column {column}", f"'{value}'"):
        assert piece in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_scenario_key_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _marriage_folder(tmp_path / "inst")
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("periods =", "periodz ="))
    out = tmp_path / "out"
    assert _solve(folder, "--out", out) == 2
    err = capsys.readouterr().err
    assert "scenario.toml" in err and "unknown key 'periodz'" in err, err
    assert "did you mean 'periods'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_existing_output_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _marriage_folder(tmp_path / "inst")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"previous": true}\n', encoding="utf-8")
    (out / "notes.txt").write_text("keep me\n", encoding="utf-8")
    assert _solve(folder, "--out", out) != 0
    err = capsys.readouterr().err
    assert "--overwrite" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.json"]
    assert (out / "summary.json").read_text(encoding="utf-8") == '{"previous": true}\n'
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    # --overwrite replaces only a previous plan: notes.txt was not written by solve
    assert _solve(folder, "--out", out, "--overwrite") == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "nothing was deleted" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.json"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    # without it, the previous plan is replaced by a complete one
    (out / "notes.txt").unlink()
    assert _solve(folder, "--out", out, "--overwrite") == 0
    assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
