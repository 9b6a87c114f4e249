"""Timed phases of one case, each run in a fresh subprocess with its peak memory.

Phases of our pipeline (variant ``ours``): read (files or generator to tables),
validate (``Instance.from_frames``), build (``build_model``), hand-off (the arrays into
highspy's ``passModel`` and OR-Tools' ``model_builder``), solve (``estates_opt.optimize.solve``,
so every improvement of the core shows up), check (``estates_opt.check``) and write
(``write_plan``). Baseline variants (``pulp-cbc``, ``pulp-highs``, ``pulp-build``) run
:mod:`benchmarks.baseline_pulp` on the same validated instance; ``textbook`` (location
cases) runs :mod:`benchmarks.baseline_textbook` on the case's arrays.

The parent starts ``python -m benchmarks.drivers CASE VARIANT OUT.json``, waits with
``os.wait4`` for the child's own ``ru_maxrss`` (peak resident memory) and kills it at a
hard wall-clock limit. ``--mem-limit-gb`` sets ``RLIMIT_AS`` in the child, so running
out of memory is a ``MemoryError`` reported in the JSON, not the kernel's OOM killer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.cases import Case, get_case, orlib_fixed_cost

__all__ = ["VARIANTS", "run_case_inline", "run_in_subprocess"]

VARIANTS = ("ours", "textbook", "pulp-cbc", "pulp-highs", "pulp-build")
REPO = Path(__file__).resolve().parents[1]


def _peak_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Phases:
    """Records seconds and the peak memory after each phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}
        self.current = "start"

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.current = name
        began = time.perf_counter()
        out = fn(*args, **kwargs)
        self.seconds[name] = time.perf_counter() - began
        self.peak_mb[name] = _peak_mb()
        return out


def _ours(case: Case, result: dict[str, Any], phases: _Phases, time_limit: float) -> None:
    import highspy
    from highspy._core import _Highs

    import estates_opt as eo
    from estates_opt.backends.highs import to_highs_lp
    from estates_opt.model.build import build_model

    raw = phases.run("read", case.read)
    instance = phases.run("validate", raw.validate)
    model = phases.run("build", build_model, instance)
    result["model"] = model.describe()
    # the first build in a fresh process pays one-off costs (lazy imports, caches)
    model = phases.run("build_repeat", build_model, instance)

    def handoff_highs(built: Any) -> None:
        h = _Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(to_highs_lp(built))

    phases.run("handoff", handoff_highs, model)
    try:
        from estates_opt.backends.ortools import to_model_builder

        phases.run("handoff_ortools", to_model_builder, model)
    except ImportError:  # OR-Tools not installed: the HiGHS hand-off is the measure
        pass
    del model
    trace: list[tuple[float, float | None, float | None, float]] = []
    began = time.perf_counter()

    def record(best: float | None, bound: float | None, gap: float | None) -> None:
        """(seconds into the solve, incumbent, bound, gap) each time the gap narrows."""
        if gap is not None and (not trace or gap < trace[-1][3] - 1e-4):
            trace.append((round(time.perf_counter() - began, 2), best, bound, gap))

    plan = phases.run(
        "solve", eo.solve, instance, mip_gap=case.mip_gap, time_limit=time_limit,
        on_progress=record,
    )  # fmt: skip
    result["trace"] = trace
    result.update(
        status=plan.status.value,
        objective=plan.objective,
        bound=plan.best_bound,
        gap=plan.mip_gap,
        solver=plan.solver,
        message=plan.message,
        solver_s=plan.timings.get("solve_s"),
        solve_build_s=plan.timings.get("build_s"),
        highs=highspy.__name__,
    )
    if plan.status.has_solution:
        report = phases.run("check", eo.check, instance, plan)
        result["check_ok"] = bool(report.ok)
        result["check_violations"] = len(report.violations)
        if not report.ok:
            result["check_report"] = str(report)[:4000]
        with tempfile.TemporaryDirectory(prefix="bench_plan_") as tmp:
            phases.run("write", eo.write_plan, plan, Path(tmp) / "plan")


def _baseline(
    case: Case, variant: str, result: dict[str, Any], phases: _Phases, time_limit: float
) -> None:
    from benchmarks.baseline_pulp import build_pulp, solve_cbc, solve_highs

    raw = phases.run("read", case.read)
    instance = phases.run("validate", raw.validate)
    model = phases.run("build", build_pulp, instance)
    result["model"] = model.stats
    if variant == "pulp-build":
        return
    solve = solve_cbc if variant == "pulp-cbc" else solve_highs
    began = time.perf_counter()
    out = solve(model, mip_gap=case.mip_gap, time_limit=time_limit)
    phases.seconds["handoff"] = out.pop("handoff_s")
    phases.seconds["solve"] = time.perf_counter() - began - phases.seconds["handoff"]
    phases.peak_mb["solve"] = _peak_mb()
    result.update(out)
    result["solver_s"] = out["solve_s"]


def _textbook(case: Case, result: dict[str, Any], phases: _Phases, time_limit: float) -> None:
    from benchmarks.baseline_textbook import build_textbook, solve_textbook

    if case.arrays is None or case.cost_offset is None:
        raise ValueError(f"{case.name}: the textbook baseline needs a location case's arrays.")
    arrays = phases.run("read", case.arrays)
    lp = phases.run("build", build_textbook, *arrays)
    result["model"] = {"variables": lp.num_col_, "constraints": lp.num_row_}
    gap = case.textbook_gap if case.textbook_gap is not None else case.mip_gap
    out = solve_textbook(lp, case.cost_offset, mip_gap=gap, time_limit=time_limit)
    phases.seconds["handoff"] = out.pop("handoff_s")
    phases.seconds["solve"] = out["solve_s"]
    phases.peak_mb["solve"] = _peak_mb()
    result.update(out)
    result["solver_s"] = out["solve_s"]
    result["textbook_gap_asked"] = gap


def run_case_inline(
    case: Case, variant: str = "ours", *, time_limit: float | None = None
) -> dict[str, Any]:
    """Run one case in this process (the child's job); never raises for a case failure."""
    phases = _Phases()
    limit = case.time_limit if time_limit is None else time_limit
    if variant != "ours" and case.baseline_time_limit is not None and time_limit is None:
        limit = case.baseline_time_limit
    result: dict[str, Any] = {
        "case": case.name,
        "group": case.group,
        "variant": variant,
        "size": case.size,
        "mip_gap_asked": case.mip_gap,
        "time_limit": limit,
        "error": None,
    }
    try:
        if variant == "ours":
            _ours(case, result, phases, limit)
        elif variant == "textbook":
            _textbook(case, result, phases, limit)
        elif variant in VARIANTS:
            _baseline(case, variant, result, phases, limit)
        else:
            raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}.")
    except MemoryError:
        result["error"] = f"MemoryError: out of memory in phase '{phases.current}'"
    except Exception as err:  # a benchmark records failures instead of stopping the run
        result["error"] = f"{type(err).__name__}: {err}"
        result["traceback"] = traceback.format_exc(limit=5)
    result["seconds"] = phases.seconds
    result["peak_mb_after"] = phases.peak_mb
    result["peak_mb"] = _peak_mb()
    if case.known_cost is not None and result.get("objective") is not None:
        fixed = orlib_fixed_cost(case)
        if fixed is not None:
            cost = fixed - float(result["objective"])
            result["cost"] = cost
            result["known_cost"] = case.known_cost
            result["known_cost_kind"] = case.known_cost_kind
            result["cost_rel_error"] = abs(cost - case.known_cost) / case.known_cost
            result["cost_minus_known"] = cost - case.known_cost
            if result.get("bound") is not None:  # the proved gap on the cost scale
                result["cost_gap"] = (cost - (fixed - float(result["bound"]))) / cost
    if case.known_npv is not None and result.get("objective") is not None:
        result["known_npv"] = case.known_npv
        result["npv_rel_error"] = abs(result["objective"] - case.known_npv) / abs(case.known_npv)
    return result


def run_in_subprocess(
    name: str,
    variant: str = "ours",
    *,
    time_limit: float | None = None,
    mem_limit_gb: float | None = None,
    wall_limit: float | None = None,
) -> dict[str, Any]:
    """Run a case in a fresh interpreter; its peak memory comes from ``os.wait4``.

    A child killed by the wall limit or by a signal is reported with ``error`` set.
    """
    case = get_case(name)
    limit = time_limit if time_limit is not None else case.time_limit
    if variant != "ours" and case.baseline_time_limit is not None and time_limit is None:
        limit = case.baseline_time_limit
    wall = wall_limit if wall_limit is not None else 1.5 * limit + 180.0
    with tempfile.TemporaryDirectory(prefix="bench_case_") as tmp:
        out = Path(tmp) / "result.json"
        err_path = Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "benchmarks.drivers", name, variant, str(out)]
        if time_limit is not None:
            cmd += ["--time-limit", str(time_limit)]
        if mem_limit_gb is not None:
            cmd += ["--mem-limit-gb", str(mem_limit_gb)]
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        began = time.perf_counter()
        with open(err_path, "wb") as err_file:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
                env=env,
                start_new_session=True,
            )
            timer = threading.Timer(wall, _kill_group, args=(proc.pid,))
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - began
        if out.exists():
            result = json.loads(out.read_text(encoding="utf-8"))
        else:
            result = {"case": name, "variant": variant, "seconds": {}, "peak_mb_after": {}}
            stderr = err_path.read_text(encoding="utf-8", errors="replace")[-800:]
            code = proc.returncode
            if code < 0:
                why = f"killed by signal {signal.Signals(-code).name}"
                if -code == signal.SIGKILL and elapsed >= wall:
                    why += f" at the wall-clock limit of {wall:.0f} s"
            else:
                why = f"exited with code {code}"
            result["error"] = f"child {why}; stderr tail: {stderr.strip()[-300:]}"
    result["child_peak_mb"] = usage.ru_maxrss / 1024.0
    result["wall_s"] = elapsed
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # the child leads its own session (and CBC's)


def main(argv: list[str] | None = None) -> int:
    """Child entry point: run one case and write its JSON."""
    parser = argparse.ArgumentParser(description="Run one benchmark case (child process).")
    parser.add_argument("case")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("out")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--mem-limit-gb", type=float, default=None)
    args = parser.parse_args(argv)
    if args.mem_limit_gb is not None:
        limit = int(args.mem_limit_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result = run_case_inline(get_case(args.case), args.variant, time_limit=args.time_limit)
    Path(args.out).write_text(json.dumps(result, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
