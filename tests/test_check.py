"""The independent plan checker (issue 4): known-answer plans pass, broken plans are named.

Each mutation test breaks one rule of MODEL.md in a reference plan of
``../shared/instances`` and asserts the checker names that rule (``"4.7"`` is
constraint 7 of section 4, ``"3"`` a variable outside its section 3 domain, ``"6"`` an
output column that contradicts the inputs).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from estates_opt.check import CheckReport, PlanCheckError, Violation, check
from estates_opt.errors import EstatesOptError, InputError
from estates_opt.instance import Instance
from estates_opt.io import read_instance
from estates_opt.io.plan_files import PlanFiles, read_plan_files
from estates_opt.scenario import Scenario, Service


@pytest.fixture(scope="module")
def p01(shared_instances: Path) -> tuple[Instance, PlanFiles]:
    folder = shared_instances / "p01"
    return read_instance(folder), read_plan_files(folder / "reference_plan")


@pytest.fixture(scope="module")
def p02(shared_instances: Path) -> tuple[Instance, PlanFiles]:
    folder = shared_instances / "p02"
    return read_instance(folder), read_plan_files(folder / "reference_plan")


def _edit(plan: PlanFiles, table: str, rows: pd.Series | str, **values: object) -> PlanFiles:
    """A copy of the plan with ``values`` written into the selected rows of one table."""
    frame = getattr(plan, table).copy()
    mask = frame[frame.columns[0]] == rows if isinstance(rows, str) else rows
    for column, value in values.items():
        frame.loc[mask, column] = value
    return dataclasses.replace(plan, **{table: frame})


def _found(report: CheckReport, constraint: str, name: str | None = None, **places: object):
    """The violations of one constraint (and name) at the given places; at least one."""
    hits = [
        v
        for v in report.violations
        if v.constraint == constraint
        and (name is None or v.name == name)
        and all(getattr(v, key) == value for key, value in places.items())
    ]
    assert hits, f"expected a {constraint} {name or ''} violation at {places}, got:\n{report}"
    assert not report.ok
    return hits


# -- known answers -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["p01", "p02"])
def test_reference_plans_pass_with_their_npv_terms(shared_instances: Path, name: str) -> None:
    folder = shared_instances / name / "reference_plan"
    summary = json.loads((folder / "summary.json").read_text())
    report = check(read_instance(shared_instances / name), folder)

    assert report.ok, str(report)
    assert report.violations == ()
    expected = summary["kpis"]["npv_terms"]
    assert list(report.npv_terms) == list(expected)
    for term, value in expected.items():
        assert report.npv_terms[term] == pytest.approx(value, rel=1e-6, abs=1e-3), term
    assert report.npv == pytest.approx(summary["objective"], rel=1e-6)
    assert report.objective == summary["objective"]
    assert report.objective_gap is not None and report.objective_gap < 1e-9
    assert report.raise_if_failed() is report
    assert str(report).startswith("Plan check: ok")


def test_plan_files_object_and_duck_typed_plan_agree(p01) -> None:
    inst, plan = p01
    duck = SimpleNamespace(
        site_decisions=plan.site_decisions[["site_id", "dispose_period"]],
        project_decisions=plan.project_decisions[["project_id", "start_period"]],
        assignments=plan.assignments.assign(extra="ignored"),
        marriage_pairs=plan.marriage_pairs[["site_a", "site_b", "period"]],
        objective=None,
    )
    a, b = check(inst, plan), check(inst, duck)
    assert a.ok and b.ok
    assert b.npv == pytest.approx(a.npv, rel=1e-12)
    assert b.objective is None and b.objective_gap is None


def _two_sites() -> Instance:
    """Site A, a point at (0, 0); site B, a 100 m square whose nearest corner is 5 km away."""
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["A", "B"],
            "borough": ["X", "Y"],
            "capacity_m2": [100.0, 80.0],
            "running_cost": [1000.0, 500.0],
            "backlog_cost": [200.0, 100.0],
            "market_value": [10000.0, 20000.0],
            "housing_units": [5.0, 3.0],
            "disposable": [True, True],
            "earliest_disposal": [1, 1],
            "services": ["gp", "gp"],
        },
        geometry=[Point(0, 0), box(3000, 4000, 3100, 4100)],
        crs=27700,
    )
    zones = pd.DataFrame(
        {"zone_id": ["Z"], "borough": ["X"], "x": [300.0], "y": [400.0], "population": [500.0]}
    )
    scenario = Scenario(
        periods=2,
        discount_rate=0.1,
        capital_budget=0.0,
        marriage_distance_m=5000.0,
        services={"gp": Service(100.0, 5000.0, 2.0)},
    )
    return Instance.from_frames(sites, zones, scenario)


def test_hand_worked_npv_and_polygon_pair_distance() -> None:
    # Sell B in period 1, serve zone Z (500 residents, 500 m from A) at A in both periods.
    # delta = (1, 1/1.1). receipts 20,000; B saves 1 * 500 + 100 / 2 = 550 a period;
    # travel 2 GBP * 500 residents * 0.5 km = 500 a period.
    plan = SimpleNamespace(
        site_decisions=pd.DataFrame({"site_id": ["A", "B"], "dispose_period": [np.nan, 1]}),
        project_decisions=pd.DataFrame({"project_id": [], "start_period": []}),
        assignments=pd.DataFrame(
            {"zone_id": "Z", "site_id": "A", "service": "gp", "period": [1, 2], "share": 1.0}
        ),
        marriage_pairs=pd.DataFrame({"site_a": [], "site_b": [], "period": []}),
        objective=20000 + 550 * (1 + 1 / 1.1) - 500 * (1 + 1 / 1.1),
    )
    inst = _two_sites()
    report = check(inst, plan)
    assert report.ok, str(report)
    assert report.npv_terms == pytest.approx(
        {
            "receipts": 20000.0,
            "running_and_backlog_saving": 1050.0,
            "capex": 0.0,
            "project_running_cost": 0.0,
            "travel_cost": -500 * (1 + 1 / 1.1),
        }
    )
    # A pair is measured between geometries: A to B's corner is exactly 5,000 m, so it
    # is a real pair (B's representative point is further); only A's retention breaks it.
    pair = pd.DataFrame({"site_a": ["B"], "site_b": ["A"], "period": [1]})
    report = check(inst, SimpleNamespace(**{**vars(plan), "marriage_pairs": pair}))
    assert report.by_constraint() == {"4.8 marriage": 1, "5 objective": 1}
    assert report.npv_terms["receipts"] == pytest.approx(20000.0 + 0.1 * 30000.0)


# -- section 3 domains and constraint 1 --------------------------------------------------


def test_disposing_a_non_disposable_site_is_rejected(p01) -> None:
    inst, plan = p01
    bad = _edit(plan, "site_decisions", "S10", decision="dispose", dispose_period=2.0)
    report = check(inst, bad)
    (hit,) = _found(report, "3", "disposal domain", site="S10", period=2)
    assert "not disposable" in hit.message
    _found(report, "4.3", "capacity", site="S10", period=2)  # its demand has nowhere to go


def test_disposal_before_earliest_disposal_is_rejected(p02) -> None:
    inst, plan = p02  # S03: earliest_disposal 2, disposed in 2 by the reference
    bad = _edit(plan, "site_decisions", "S03", dispose_period=1.0)
    (hit,) = _found(check(inst, bad), "3", "disposal domain", site="S03", period=1)
    assert hit.amount == 1.0


def test_disposal_locks_keep_and_dispose(p01) -> None:
    inst, plan = p01  # locks: keep S05, dispose S13
    _found(
        check(inst, _edit(plan, "site_decisions", "S05", dispose_period=4.0)),
        "3",
        "disposal domain",
        site="S05",
    )
    retained = _edit(plan, "site_decisions", "S13", decision="retain", dispose_period=np.nan)
    _found(check(inst, retained), "4.1", "once", site="S13")


def test_dispose_period_outside_the_horizon_is_rejected(p01) -> None:
    inst, plan = p01
    _found(
        check(inst, _edit(plan, "site_decisions", "S04", dispose_period=5.0)),
        "3",
        "disposal domain",
        site="S04",
    )


def test_a_site_decided_twice_breaks_once(p01) -> None:
    inst, plan = p01
    twice = pd.concat([plan.site_decisions, plan.site_decisions.iloc[[3]]], ignore_index=True)
    _found(check(inst, dataclasses.replace(plan, site_decisions=twice)), "4.1", "once", site="S04")


def test_project_started_too_late_is_rejected(p01) -> None:
    inst, plan = p01  # P03 builds in 2 periods: the last start ready by T = 4 is 2
    bad = _edit(plan, "project_decisions", "P03", start_period=3.0, ready_period=5.0)
    (hit,) = _found(check(inst, bad), "3", "project start domain", project="P03", period=3)
    assert hit.amount == 1.0


def test_project_locks_build_and_forbid(p01) -> None:
    inst, plan = p01  # locks: build P05, forbid P08
    unbuilt = _edit(
        plan, "project_decisions", "P05", start_period=np.nan, ready_period=np.nan, capex=0.0
    )
    _found(check(inst, unbuilt), "4.1", "once", project="P05")
    forbidden = _edit(
        plan, "project_decisions", "P08", start_period=1.0, ready_period=1.0, capex=580000.0
    )
    _found(check(inst, forbidden), "3", "project start domain", project="P08")


# -- section 4 constraints ---------------------------------------------------------------


def test_dropped_assignment_row_breaks_coverage(p01) -> None:
    inst, plan = p01
    a = plan.assignments
    keep = ~((a.zone_id == "Z001") & (a.service == "primary_care") & (a.period == 2))
    report = check(inst, dataclasses.replace(plan, assignments=a[keep]))
    (hit,) = _found(report, "4.2", "coverage", zone="Z001", service="primary_care", period=2)
    assert hit.amount == pytest.approx(1.0)
    assert report.by_constraint()["4.2 coverage"] == 1


def test_overloaded_site_breaks_capacity(p01) -> None:
    inst, plan = p01  # S05 runs at U_max = 0.85 in period 1; Z001 is 1.3 km away
    a = plan.assignments
    row = (a.zone_id == "Z001") & (a.service == "primary_care") & (a.period == 1)
    report = check(inst, _edit(plan, "assignments", row, site_id="S05"))
    (hit,) = _found(report, "4.3", "capacity", site="S05", period=1)
    assert hit.amount > 0
    assert not [v for v in report.violations if v.constraint == "4.2"]


def test_service_not_yet_available_breaks_availability(p02) -> None:
    inst, plan = p02  # S18 hosts social_care; primary_care only once P11 is ready (period 2)
    a = plan.assignments
    row = a.index[(a.zone_id == "Z020") & (a.service == "primary_care") & (a.period == 1)][0]
    moved = a.loc[[row]].assign(site_id="S18", share=0.02)
    a = pd.concat([a.assign(share=a.share.where(a.index != row, a.share - 0.02)), moved])
    report = check(inst, dataclasses.replace(plan, assignments=a))
    _found(report, "4.5", "service availability", site="S18", service="primary_care", period=1)
    assert report.by_constraint().keys() <= {
        "4.5 service availability",
        "6 site_decisions utilisation_p1",
        "5 objective",
    }


def test_utilisation_floor(p01) -> None:
    inst, plan = p01  # S02 runs at 0.778 in period 3, the floor binds from period 2
    report = check(inst.with_scenario(utilisation_min=0.8), plan)
    _found(report, "4.4", "utilisation floor", site="S02", period=3)


def test_project_on_a_disposed_site(p01) -> None:
    inst, plan = p01  # S04 is disposed in period 3; P06 extends S04
    bad = _edit(
        plan, "project_decisions", "P06", start_period=1.0, ready_period=2.0, capex=1670000.0
    )
    _found(check(inst, bad), "4.6", "no project on a disposed site", project="P06", site="S04")


def test_two_projects_of_one_exclusive_group(p01) -> None:
    inst, plan = p01  # P04 and P05 are both options_S03; P05 is built
    bad = _edit(
        plan, "project_decisions", "P04", start_period=1.0, ready_period=2.0, capex=3610000.0
    )
    (hit,) = _found(check(inst, bad), "4.7", "exclusive group")
    assert hit.project == "P04, P05"


def test_fake_marriage_pairs(p01) -> None:
    inst, plan = p01  # S04 and S06 are both disposed in period 3 but 5 km apart
    fake = pd.DataFrame(
        [
            {
                "site_a": "S04",
                "site_b": "S06",
                "period": 3,
                "value_uplift": 1.5e6,
                "housing_uplift": 0.0,
            }
        ]
    )
    pairs = pd.concat([plan.marriage_pairs, fake], ignore_index=True)
    report = check(inst, dataclasses.replace(plan, marriage_pairs=pairs))
    (hit,) = _found(report, "3", "marriage pair domain", site="S04 & S06")
    assert hit.amount > 4000
    _found(report, "5", "objective")


def test_marriage_pair_sold_in_different_periods(p01) -> None:
    inst, plan = p01  # the pair S07 & S13 is realised in period 1
    bad = _edit(plan, "site_decisions", "S13", dispose_period=2.0)
    _found(check(inst, bad), "4.8", "marriage", site="S07 & S13", period=1)


def test_cash_constraint(p01) -> None:
    inst, plan = p01
    report = check(inst.with_scenario(receipt_retention=0.0), plan)
    hits = _found(report, "4.9", "capital", period=1)
    assert hits[0].amount > 1e6


def test_receipts_and_housing_targets(p01) -> None:
    inst, plan = p01  # the plan sells 130 homes and 40.818m GBP of receipts
    report = check(inst.with_scenario(receipts_target=41e6, housing_target=131.0), plan)
    (hit,) = _found(report, "4.10", "receipts target")
    assert hit.amount == pytest.approx(41e6 - 40.818e6)
    (hit,) = _found(report, "4.11", "housing", borough=None)
    assert hit.amount == pytest.approx(1.0)


def test_housing_by_borough_splits_pair_uplift(p01) -> None:
    # E09000019 sells S04 (12 homes) and S13 (16); the pair S07 (E09000007) & S13 adds
    # 0.5 * (26 + 16) = 21 homes, half to each borough: 28 + 10.5 = 38.5.
    inst, plan = p01
    inst = inst.with_scenario(marriage_housing_uplift=0.5)
    met = check(inst.with_scenario(housing_by_borough={"E09000019": 38.5}), plan)
    assert not [v for v in met.violations if v.constraint == "4.11"]
    short = check(inst.with_scenario(housing_by_borough={"E09000019": 38.6}), plan)
    (hit,) = _found(short, "4.11", "housing", borough="E09000019")
    assert hit.amount == pytest.approx(0.1)
    _found(short, "6", "marriage_pairs housing_uplift", site="S07 & S13")


# -- arcs, shares and section 6 columns --------------------------------------------------


def test_assignment_off_the_arcs(p01, p02) -> None:
    inst, plan = p01
    a = plan.assignments
    row = (a.zone_id == "Z001") & (a.service == "social_care") & (a.period == 1)
    report = check(inst, _edit(plan, "assignments", row, site_id="S01"))  # S01: primary care
    _found(report, "3", "assignment arc", zone="Z001", site="S01", service="social_care")
    far = (a.zone_id == "Z001") & (a.service == "primary_care") & (a.period == 1)
    report = check(inst, _edit(plan, "assignments", far, site_id="S09"))  # 8.6 km away
    (hit,) = _found(report, "3", "assignment arc", zone="Z001", site="S09")
    assert "reach" in hit.message
    inst, plan = p02
    a = plan.assignments
    listed = set(zip(inst.travel.zone_id, inst.travel.site_id, strict=True))
    assert ("Z032", "S18") not in listed
    row = (a.zone_id == "Z032") & (a.service == "social_care") & (a.period == 1)
    report = check(inst, _edit(plan, "assignments", row, site_id="S18"))
    (hit,) = _found(report, "3", "assignment arc", zone="Z032", site="S18")
    assert "travel.csv" in hit.message


def test_shares_outside_zero_one_and_unknown_ids(p01) -> None:
    inst, plan = p01
    a = plan.assignments
    row = (a.zone_id == "Z001") & (a.service == "primary_care") & (a.period == 1)
    report = check(inst, _edit(plan, "assignments", row, share=1.5))
    _found(report, "3", "share domain", zone="Z001")
    _found(report, "4.2", "coverage", zone="Z001", period=1)
    report = check(inst, _edit(plan, "assignments", row, zone_id="Z999"))
    _found(report, "3", "assignment domain", zone="Z999")
    report = check(inst, _edit(plan, "site_decisions", "S01", site_id="S99"))
    _found(report, "6", "site_decisions", site="S99")
    _found(report, "6", "site_decisions", site="S01")  # no row left for S01


def test_output_columns_must_restate_the_inputs(p01) -> None:
    inst, plan = p01
    report = check(inst, _edit(plan, "site_decisions", "S04", receipt=1.0, utilisation_p1=0.5))
    _found(report, "6", "site_decisions receipt", site="S04")
    _found(report, "6", "site_decisions utilisation_p1", site="S04")
    report = check(inst, _edit(plan, "project_decisions", "P03", ready_period=2.0))
    (hit,) = _found(report, "6", "project_decisions ready_period", project="P03")
    assert "expected 3" in hit.message
    report = check(inst, _edit(plan, "site_decisions", "S04", decision="retain"))
    _found(report, "6", "site_decisions decision", site="S04")


def test_wrong_reported_objective(p01) -> None:
    inst, plan = p01
    summary = {**plan.summary, "objective": plan.objective + 1000.0}
    report = check(inst, dataclasses.replace(plan, summary=summary))
    (hit,) = _found(report, "5", "objective")
    assert hit.amount == pytest.approx(1000.0)
    assert report.objective_gap == pytest.approx(1000.0 / report.npv)


# -- the report --------------------------------------------------------------------------


def test_report_raises_prints_and_tabulates(p01) -> None:
    inst, plan = p01
    report = check(inst, _edit(plan, "site_decisions", "S10", dispose_period=2.0))
    with pytest.raises(PlanCheckError, match=r"\[3 disposal domain\] period 2, site S10") as err:
        report.raise_if_failed()
    assert err.value.report is report
    frame = report.to_frame()
    assert list(frame.columns[:4]) == ["constraint", "name", "amount", "message"]
    assert len(frame) == len(report.violations)
    assert Violation("4.9", "capital", 1.0, "short").number == 9
    assert Violation("3", "share domain", 1.0, "x").number is None


def test_plan_without_decisions_is_refused(p01) -> None:
    inst, plan = p01
    infeasible = dataclasses.replace(plan, summary={"status": "infeasible", "objective": None})
    with pytest.raises(EstatesOptError, match="infeasible"):
        check(inst, infeasible)


def test_missing_column_is_an_input_error(p01) -> None:
    inst, plan = p01
    plan = dataclasses.replace(plan, assignments=plan.assignments.drop(columns="share"))
    with pytest.raises(InputError, match=r"assignments\.csv, column share"):
        check(inst, plan)


# -- read_plan_files ---------------------------------------------------------------------


def test_read_plan_files_types(shared_instances: Path) -> None:
    plan = read_plan_files(shared_instances / "p01" / "reference_plan")
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(32899849.85, abs=0.01)
    sd = plan.site_decisions
    assert sd["site_id"].map(type).eq(str).all()
    assert sd["dispose_period"].dtype == float and sd["dispose_period"].isna().sum() == 9
    assert plan.project_decisions["ready_period"].isna().sum() == 7
    assert plan.assignments["period"].dtype == np.int64
    assert list(plan.marriage_pairs.columns) == [
        "site_a",
        "site_b",
        "period",
        "value_uplift",
        "housing_uplift",
    ]


def test_read_plan_files_errors(tmp_path: Path, shared_instances: Path) -> None:
    source = shared_instances / "p01" / "reference_plan"
    for file in source.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
    text = (
        (tmp_path / "assignments.csv")
        .read_text()
        .replace("Z001,S03,primary_care,1,1.0", "NA,S03,primary_care,1,one")
    )
    (tmp_path / "assignments.csv").write_text(text)
    with pytest.raises(InputError, match=r"assignments.csv, row 1, column share: .*got 'one'"):
        read_plan_files(tmp_path)
    (tmp_path / "assignments.csv").write_text(text.replace(",one", ",1.0"))
    assert read_plan_files(tmp_path).assignments.loc[0, "zone_id"] == "NA"
    (tmp_path / "marriage_pairs.csv").unlink()
    with pytest.raises(InputError, match=r"marriage_pairs\.csv: file not found"):
        read_plan_files(tmp_path)
    (tmp_path / "summary.json").write_text('{"status": "infeasible", "objective": null}')
    empty = read_plan_files(tmp_path)
    assert empty.marriage_pairs.empty and empty.objective is None


def test_solved_and_written_plan_passes(p02, tmp_path: Path) -> None:
    # The checker shares no code with the model: a solved plan, in memory and written to
    # its section 6 folder, must pass it with the same NPV as the reference optimum.
    from estates_opt import solve, write_plan

    inst, reference = p02
    plan = solve(inst, mip_gap=0.0)
    in_memory = check(inst, plan)
    assert in_memory.ok, str(in_memory)
    assert in_memory.npv == pytest.approx(reference.objective, rel=2e-4)
    on_disk = check(inst, write_plan(plan, tmp_path / "out"))
    assert on_disk.ok, str(on_disk)
    assert on_disk.npv == pytest.approx(in_memory.npv, rel=1e-9)
