"""``read_plan`` is the inverse of ``write_plan`` (issue 18): a plan folder gives back the
plan that was written, tables, figures and all."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import estates_opt as eo


@pytest.fixture(scope="module")
def written(
    shared_instances: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[eo.Plan, Path]:
    plan = eo.solve(eo.read_instance(shared_instances / "p02"), mip_gap=0.0)
    out = tmp_path_factory.mktemp("plan") / "p02"
    eo.write_plan(plan, out)
    return plan, out


def test_read_plan_gives_back_the_written_plan(written: tuple[eo.Plan, Path]) -> None:
    plan, out = written
    back = eo.read_plan(out)
    assert back.status is plan.status and back.objective == plan.objective
    assert back.best_bound == plan.best_bound and back.mip_gap == plan.mip_gap
    assert back.periods == plan.periods == 4 and back.instance_name == plan.instance_name
    assert back.kpis == json.loads(json.dumps(plan.kpis))
    for table in ("site_decisions", "project_decisions"):
        pd.testing.assert_frame_equal(
            getattr(back, table).reset_index(drop=True),
            getattr(plan, table).reset_index(drop=True),
            check_dtype=False,
        )
    pd.testing.assert_frame_equal(back.marriage_pairs, plan.marriage_pairs, check_dtype=False)
    pd.testing.assert_frame_equal(back.cash_flow, plan.cash_flow, check_dtype=False)
    shared = ["zone_id", "site_id", "service", "period", "share"]
    pd.testing.assert_frame_equal(
        back.assignments[shared], plan.assignments[shared], check_dtype=False
    )
    assert back.sites.geometry.equals(plan.sites.geometry.reset_index(drop=True))
    assert list(back.disposals["reason"]) == list(plan.disposals["reason"])


def test_a_plan_read_back_passes_the_checker(
    written: tuple[eo.Plan, Path], shared_instances: Path
) -> None:
    _, out = written
    report = eo.check(eo.read_instance(shared_instances / "p02"), eo.read_plan(out))
    assert report.ok, str(report)


def test_a_folder_of_section6_files_only_reads_without_geometry(shared_instances: Path) -> None:
    # the reference plan of p01 holds only the MODEL.md section 6 files (no plan.gpkg)
    plan = eo.read_plan(shared_instances / "p01" / "reference_plan")
    assert plan.status is eo.Status.OPTIMAL
    assert plan.objective == pytest.approx(32_899_849.85, abs=0.01)
    assert plan.sites.geometry.isna().all() and len(plan.sites) == 16
