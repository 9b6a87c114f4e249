"""Issue 4: the known-answer instances of ``../shared/instances`` (README there).

Each folder was solved to proven optimality by an independent implementation of
MODEL.md. At MIP gap 0 we must reach its NPV to 2e-4 relative (other optimal plans
may exist, so decisions are not compared, but these KPIs are pinned by the optimum),
and the plan checker must accept both our plan and the reference plan as written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import estates_opt as eo

NAMES = ["p01", "p02"]
KPIS = ["receipts", "housing_units", "sites_disposed"]


@pytest.fixture(scope="module", params=NAMES)
def known(request: pytest.FixtureRequest, shared_instances: Path) -> tuple:
    folder = shared_instances / request.param
    inst = eo.read_instance(folder)
    reference = json.loads((folder / "reference_plan" / "summary.json").read_text())
    plan = eo.solve(inst, mip_gap=0.0)
    return folder, inst, reference, plan


def test_reaches_reference_objective(known: tuple) -> None:
    _, _, reference, plan = known
    assert plan.status is eo.Status.OPTIMAL
    assert plan.objective == pytest.approx(reference["objective"], rel=2e-4)


def test_kpis_match_reference(known: tuple) -> None:
    _, _, reference, plan = known
    for kpi in KPIS:
        assert plan.kpis[kpi] == pytest.approx(reference["kpis"][kpi], rel=1e-9), kpi


def test_checker_accepts_our_plan(known: tuple, tmp_path: Path) -> None:
    _, inst, _, plan = known
    report = eo.check(inst, plan)
    assert report.ok, str(report)
    assert report.npv == pytest.approx(plan.objective, rel=1e-9)
    eo.write_plan(plan, tmp_path / "out")
    written = eo.check(inst, tmp_path / "out")
    assert written.ok, str(written)


def test_checker_accepts_reference_plan(known: tuple) -> None:
    folder, inst, reference, _ = known
    report = eo.check(inst, folder / "reference_plan")
    assert report.ok, str(report)
    assert report.npv == pytest.approx(reference["objective"], rel=1e-9)
    for term, value in reference["kpis"]["npv_terms"].items():
        assert report.npv_terms[term] == pytest.approx(value, rel=1e-9, abs=1e-6), term
