"""Smoke test of the benchmark suite (issue 5): it runs, plans are feasible, JSON complete.

No timing assertions: timings on a shared CI machine mean nothing.
"""

from __future__ import annotations

import json
import math

import pytest

import estates_opt as eo
from benchmarks.__main__ import main as bench_main
from benchmarks.asv_bench import BuildSuite
from benchmarks.baseline_pulp import build_pulp, solve_highs
from benchmarks.cases import CASES, ORLIB_CAPACITIES, get_case, quick_cases, synthetic_estate
from benchmarks.drivers import run_case_inline
from benchmarks.stress import step_name

TINY = "syn_40x16x2x2"


def test_registry_holds_the_issue_cases() -> None:
    names = set(CASES)
    assert {"ncl_pilot", "london", "p01", "p02"} <= names
    for stem, capacities in ORLIB_CAPACITIES.items():
        assert {f"{stem}_{c}" for c in capacities} <= names
    assert TINY in quick_cases()


def test_synthetic_estate_is_seeded_and_feasible() -> None:
    a = synthetic_estate(30, 12, 2, 2, seed=3)
    b = synthetic_estate(30, 12, 2, 2, seed=3)
    assert a.sites.drop(columns="geometry").equals(b.sites.drop(columns="geometry"))
    plan = eo.solve(a, mip_gap=1e-6, time_limit=60)
    assert plan.status.has_solution
    assert eo.check(a, plan).ok


def test_baseline_reaches_our_optimum() -> None:
    """The straightforward PuLP model is the same model: same optimal NPV."""
    inst = get_case(TINY).read().validate()
    ours = eo.solve(inst, mip_gap=1e-9)
    theirs = solve_highs(build_pulp(inst), mip_gap=1e-9, time_limit=3600.0)
    assert theirs["objective"] == pytest.approx(ours.objective, rel=1e-6)
    assert theirs["bound"] == pytest.approx(ours.objective, rel=1e-6)


def test_inline_run_records_phases_and_check() -> None:
    result = run_case_inline(get_case(TINY))
    assert result["error"] is None
    assert {"read", "validate", "build", "handoff", "solve", "check", "write"} <= set(
        result["seconds"]
    )
    assert result["check_ok"] is True
    assert result["peak_mb"] > 0


def test_memory_limit_is_a_clear_error() -> None:
    """Out of memory under RLIMIT_AS is reported, not a crash (issue 8 part 6)."""
    from benchmarks.drivers import run_in_subprocess

    result = run_in_subprocess(step_name(1), time_limit=5, mem_limit_gb=0.5)
    assert result["error"] is not None or result.get("status") == "no_solution"
    if result["error"]:
        assert result["error"].startswith("MemoryError")


def test_quick_run_writes_complete_json(tmp_path) -> None:
    out = tmp_path / "bench.json"
    assert bench_main(["--cases", TINY, "p01", "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    machine = report["machine"]
    for key in ("cpu", "cores", "ram_gb", "python", "load_average"):
        assert machine[key]
    for package in ("highspy", "ortools", "pulp", "numpy", "scipy"):
        assert machine["packages"][package]
    variants = {(r["case"], r["variant"]) for r in report["results"]}
    assert {(TINY, "ours"), (TINY, "pulp-cbc"), (TINY, "pulp-highs")} <= variants
    for result in report["results"]:
        assert result["error"] is None, result["error"]
        assert result["child_peak_mb"] > 0
        assert "solve" in result["seconds"] and "build" in result["seconds"]
        assert result["objective"] is not None
    rows = {row["case"]: row for row in report["summary"]}
    assert rows[TINY]["check_ok"] is True and rows["p01"]["check_ok"] is True
    assert rows["p01"]["npv_rel_error"] < 2e-4
    assert math.isfinite(rows[TINY]["build_speedup"])


def test_asv_classes_run() -> None:
    suite = BuildSuite()
    suite.setup("syn_250x100x4x5")
    suite.time_build("syn_250x100x4x5")
    assert suite.track_nonzeros("syn_250x100x4x5") > 0
