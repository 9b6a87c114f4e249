"""Issue 8, "done when": one mutated validated field of the NCL sample ends in exactly one of

- a plan (optimal, or feasible at the time limit) that the independent checker passes,
- an infeasibility diagnosis (status ``infeasible`` with shortfalls), or
- a clear :class:`InputError` naming files of the instance folder,

never anything else: no other exception, no unchecked plan, no ``no_solution`` unless
the time limit was really reached.

To keep the run affordable the mutations apply to ``ncl_sample.make_ncl_small`` (ten
Camden zones, ~30 sites, 3 periods, cut from the NCL sample cell for cell), which solves
in about half a second; every solve has a time limit.
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ncl_sample import copy_folder, make_ncl_small, read_rows, set_cell

import estates_opt as eo
from estates_opt.errors import DataWarning, InputError
from estates_opt.schema import PROJECTS, SITES, ZONES, Column

TIME_LIMIT = 10.0
FILES = {"sites.csv", "zones.csv", "projects.csv", "travel.csv", "scenario.toml"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_ncl_small(tmp_path_factory.mktemp("ncl") / "base")
    plan = eo.solve(eo.read_instance(folder))  # no time limit: optimal on any machine
    assert plan.status is eo.Status.OPTIMAL  # the unmutated sample is a feasible start
    return folder


def _outcome(folder: Path) -> str:
    """Read, solve and check; returns the kind of ending, fails on anything else."""
    try:
        inst = eo.read_instance(folder)
    except InputError as err:
        assert err.problems and str(err)
        assert all(p.file in FILES or p.file == str(folder) for p in err.problems), str(err)
        return "input error"
    with warnings.catch_warnings():
        # absurd magnitudes may be warned about (model.scaling); nothing else may warn
        warnings.simplefilter("ignore", DataWarning)
        plan = eo.solve(inst, mip_gap=1e-3, time_limit=TIME_LIMIT)
    if plan.status.has_solution:
        report = eo.check(inst, plan)
        assert report.ok, f"{plan}\n{report}"
        return str(plan.status)
    if plan.status is eo.Status.INFEASIBLE:
        assert isinstance(plan.shortfalls, pd.DataFrame) and len(plan.shortfalls), plan
        assert plan.shortfalls["requirement"].notna().all()
        return "infeasible"
    assert plan.timings["solve_s"] >= 0.9 * TIME_LIMIT, f"no_solution before the limit: {plan}"
    return "no_solution at the time limit"


# --- one CSV cell ----------------------------------------------------------------------

_TABLES = {f"{table.name}.csv": table for table in (SITES, ZONES, PROJECTS)}
_FIELDS = [(file, col.name) for file, table in _TABLES.items() for col in table.columns]

_TEXT_VALUES = {
    "services": ["", "community", "community;mental_health", "dentistry", "community;;"],
    "borough": ["", "E09000001", "Nowhere"],
    "kind": ["", "extend", "xyz"],
    "exclusive_group": ["", "G1"],
}


def _cell_value(col: Column, original: str, other: str, pick: int, factor: float) -> str:
    """A new value for a cell: typed edge cases, scaled originals, other rows' values."""
    if col.type is bool:
        return ["true", "false", "1", "0", "maybe", "", " TRUE "][pick % 7]
    if col.type in (int, float):
        specials = ["", "abc", "nan", "inf", "-inf", "-1", "0", "1", "2", "3", "4"]
        if pick % 2 == 0 or not original.strip():
            return specials[pick % len(specials)]
        value = float(original) * factor if original.strip() else factor
        return str(round(value)) if col.type is int else repr(value)
    if col.name in _TEXT_VALUES:
        choices = _TEXT_VALUES[col.name]
        return choices[pick % len(choices)]
    return ["", other, original + "-X", f" {original} ", "<b>&amp;</b>"][pick % 5]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(_FIELDS),
    row=st.integers(min_value=1, max_value=7),
    other=st.integers(min_value=1, max_value=7),
    pick=st.integers(min_value=0, max_value=50),
    factor=st.sampled_from([0.0, 0.1, 0.5, 2.0, 10.0, 1e3, 1e6]),
)
def test_one_mutated_cell(
    base: Path, field: tuple[str, str], row: int, other: int, pick: int, factor: float
) -> None:
    file, name = field
    col = _TABLES[file].column(name)
    header, rows = read_rows(base / file)
    assert name in header  # the sample carries every schema column
    row = (row - 1) % len(rows) + 1
    value = _cell_value(col, rows[row - 1][name], rows[(other - 1) % len(rows)][name], pick, factor)
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_folder(base, Path(tmp) / "inst")
        set_cell(folder / file, row, col.name, value)
        _outcome(folder)


# --- one scenario value ----------------------------------------------------------------

_SCENARIO = {
    r"^periods = .*$": ["0", "1", "2", "4", "-1", "2.5"],
    r"^period_years = .*$": ["0.5", "2.0", "0.0", "-1.0", "inf"],
    r"^discount_rate = .*$": ["-1.0", "-0.5", "0.0", "0.1", "1.0", "nan"],
    r"^growth_per_year = .*$": ["0.05", "-0.5", "-1.0", "0.5"],
    r"^max = .*$": ["0.5", "1.0", "1.5", "0.0", "0.05"],
    r"^min = .*$": ["0.1", "0.5", "0.95", "-0.1"],
    r"^capital_budget = .*$": ["0.0", "1e9", "-1.0", "[1e6, 1e6, 1e6]", "[1e6]", "[0, 0, 5e7]"],
    r"^receipt_retention = .*$": ["0.0", "0.5", "2.0"],
    r"^receipts_target = .*$": ["0.0", "1e7", "1e8", "1e12", "-1.0"],
    r"^target = .*$": ["0.0", "100.0", "1e3", "1e6", "-1.0"],
    # by_borough (empty by default, so not in the file) is added under [housing]
    r"^\[housing\]$": [
        "[housing]\nby_borough = {E09000007 = 5.0}",
        "[housing]\nby_borough = {E09000007 = 1e5}",
        "[housing]\nby_borough = {X = 1.0}",
    ],
    r"^distance_m = .*$": ["0.0", "500.0", "5000.0", "-5.0"],
    r"^value_uplift = .*$": ["0.0", "1.0", "-0.1"],
    r"^housing_uplift = .*$": ["0.5", "2.0"],
    r"^space_per_1000 = .*$": ["0.0", "10.0", "1000.0", "-1.0"],
    r"^max_distance_m = .*$": ["1.0", "500.0", "1e5", "0.0", "inf"],
    r"^travel_cost_per_person_km = .*$": ["0.0", "100.0", "-1.0"],
}
_LOCKS = ["keep", "dispose", "build", "forbid"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    key=st.sampled_from([*_SCENARIO, *_LOCKS]),
    pick=st.integers(min_value=0, max_value=50),
    rows=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=2),
)
def test_one_mutated_scenario_value(base: Path, key: str, pick: int, rows: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = copy_folder(base, Path(tmp) / "inst")
        path = folder / "scenario.toml"
        text = path.read_text(encoding="utf-8")
        if key in _LOCKS:
            file, column = (
                ("projects.csv", "project_id")
                if key in ("build", "forbid")
                else (
                    "sites.csv",
                    "site_id",
                )
            )
            ids = [r[column] for r in read_rows(folder / file)[1]]
            chosen = ", ".join(f'"{ids[(r * (pick + 1)) % len(ids)]}"' for r in rows)
            text = re.sub(rf"^{key} = \[\]$", f"{key} = [{chosen}]", text, flags=re.M)
        else:
            values = _SCENARIO[key]
            value = values[pick % len(values)]
            prefix = key.strip("^").split(" = ")[0]
            replacement = (
                value if value.startswith("[") and "\n" in value else f"{prefix} = {value}"
            )
            text, count = re.subn(key, replacement, text, count=1, flags=re.M)
            assert count == 1
        path.write_text(text, encoding="utf-8")
        _outcome(folder)


def test_outcome_classifies_the_three_endings(base: Path, tmp_path: Path) -> None:
    """The oracle itself: one example of each ending."""
    assert _outcome(base) == "optimal"
    bad = copy_folder(base, tmp_path / "bad")
    set_cell(bad / "sites.csv", 1, "capacity_m2", "-1")
    assert _outcome(bad) == "input error"
    short = copy_folder(base, tmp_path / "short")
    text = (short / "scenario.toml").read_text(encoding="utf-8")
    (short / "scenario.toml").write_text(
        re.sub(r"^target = .*$", "target = 1e6", text, flags=re.M), encoding="utf-8"
    )
    assert _outcome(short) == "infeasible"
    assert math.isfinite(TIME_LIMIT)
