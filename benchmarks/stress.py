"""Stress: grow a London-like estate until memory or time runs out (issue 8, part 6).

``python -m benchmarks.stress [--mem-limit-gb G] [--time-limit S] [--max-factor F]``

Step f builds and solves (``--time-limit``, default 30 s) the generated estate with
``2,500 f`` sites and ``1,000 f`` zones in a box ``40 sqrt(f)`` km wide (London's
density, so arcs grow linearly with f), 4 services and 5 periods, doubling f until a
step fails or exceeds ``--max-step-s``. Each step runs in a fresh subprocess under
``RLIMIT_AS`` (default: 75 % of the memory available now), so the end is a
``MemoryError`` or a solver's "memory limit reached" reported by the library, or (reported
as such) a native crash; never the kernel's OOM killer taking the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.drivers import run_in_subprocess

__all__ = ["available_gb", "main", "stress"]


def available_gb() -> float:
    """``MemAvailable`` of ``/proc/meminfo`` in GB (8 when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 8.0


def step_name(factor: float) -> str:
    """The generated case of one growth step."""
    sites, zones = round(2500 * factor), round(1000 * factor)
    return f"syn:{sites}:{zones}:4:5:{40 * math.sqrt(factor):.1f}"


def stress(
    *,
    mem_limit_gb: float,
    time_limit: float,
    start: float = 1.0,
    max_factor: float = 64.0,
    max_step_s: float = 900.0,
    progress: bool = True,
) -> dict[str, Any]:
    """Grow until a step fails or takes too long; returns every step and why it ended.

    A solve stopped by ``time_limit`` without a plan (``no_solution``) does not end the
    growth: the machine still holds the model; memory and wall time are the limits.
    """
    steps = []
    factor = start
    reason = f"reached max factor {max_factor:g}"
    while factor <= max_factor:
        name = step_name(factor)
        result = run_in_subprocess(
            name,
            "ours",
            time_limit=time_limit,
            mem_limit_gb=mem_limit_gb,
            wall_limit=3 * time_limit + 600,
        )
        sec = result.get("seconds", {})
        step = {
            "factor": factor,
            "case": name,
            "variables": result.get("model", {}).get("variables"),
            "nonzeros": result.get("model", {}).get("nonzeros"),
            "build_s": sec.get("build"),
            "handoff_s": sec.get("handoff"),
            "solve_s": sec.get("solve"),
            "status": result.get("status"),
            "gap": result.get("gap"),
            "peak_mb": result.get("child_peak_mb"),
            "error": result.get("error"),
            "message": result.get("message"),
            "wall_s": result.get("wall_s"),
        }
        steps.append(step)
        if progress:
            print(json.dumps(step), flush=True)
        if step["error"]:
            reason = step["error"]
            break
        if result.get("wall_s", 0.0) > max_step_s:
            reason = f"step took {result['wall_s']:.0f} s, over the {max_step_s:g} s budget"
            break
        factor *= 2
    return {
        "mem_limit_gb": mem_limit_gb,
        "time_limit": time_limit,
        "steps": steps,
        "ended_because": reason,
        "load_average": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stress", description=__doc__)
    parser.add_argument("--mem-limit-gb", type=float, default=None)
    parser.add_argument("--time-limit", type=float, default=30.0, help="solve limit a step")
    parser.add_argument("--max-step-s", type=float, default=900.0, help="wall budget a step")
    parser.add_argument("--start", type=float, default=1.0)
    parser.add_argument("--max-factor", type=float, default=64.0)
    parser.add_argument("--out", default="stress_results.json")
    args = parser.parse_args(argv)
    limit = args.mem_limit_gb or round(0.75 * available_gb(), 1)
    report = stress(
        mem_limit_gb=limit,
        time_limit=args.time_limit,
        start=args.start,
        max_factor=args.max_factor,
        max_step_s=args.max_step_s,
    )
    from benchmarks.__main__ import machine_info  # lazy: __main__ imports this module

    report["machine"] = machine_info()
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"ended because: {report['ended_because']}; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
