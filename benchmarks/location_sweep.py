"""Ours beside the textbook model on a whole group of location cases, in one process.

``python -m benchmarks.location_sweep --group holmberg --out FILE.json``: for each case
(in order), our :func:`estates_opt.solve` and then :mod:`benchmarks.baseline_textbook`,
back to back, each with the case's gap and time limit and the 1-minute load average
recorded before it. Much cheaper than ``python -m benchmarks`` (no subprocess, no plan
check or write per case), for sets of many small instances such as Holmberg's 71; the
seconds are the solve calls alone (ours includes its model build, under 0.1 s here).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.__main__ import machine_info
from benchmarks.baseline_textbook import build_textbook, solve_textbook
from benchmarks.cases import CASES, Case

__all__ = ["main", "sweep"]


def _one(case: Case, time_limit: float | None) -> dict[str, Any]:
    import estates_opt as eo

    limit = case.time_limit if time_limit is None else time_limit
    assert case.arrays is not None and case.cost_offset is not None
    instance = case.read().validate()
    load = os.getloadavg()[0]
    began = time.perf_counter()
    plan = eo.solve(instance, mip_gap=case.mip_gap, time_limit=limit)
    ours_s = time.perf_counter() - began
    cost = case.cost_offset - plan.objective if plan.objective is not None else None
    bound = plan.best_bound
    cost_gap = None
    if cost and bound is not None:
        cost_gap = (cost - (case.cost_offset - bound)) / cost
    textbook_load = os.getloadavg()[0]
    arrays = case.arrays()
    began = time.perf_counter()
    lp = build_textbook(*arrays)
    gap = case.textbook_gap if case.textbook_gap is not None else case.mip_gap
    textbook = solve_textbook(lp, case.cost_offset, mip_gap=gap, time_limit=limit)
    textbook_s = time.perf_counter() - began
    return {
        "case": case.name,
        "known_cost": case.known_cost,
        "known_cost_kind": case.known_cost_kind,
        "time_limit": limit,
        "ours": {
            "seconds": ours_s,
            "status": plan.status.value,
            "gap": plan.mip_gap,
            "gap_asked": case.mip_gap,
            "cost": cost,
            "cost_gap": cost_gap,
            "solver": plan.solver,
            "load_average_1min": load,
        },
        "textbook": {
            "seconds": textbook_s,
            "status": textbook["status"],
            "cost": textbook["cost"],
            "cost_gap": textbook["cost_gap"],
            "gap_asked": gap,
            "nodes": textbook["nodes"],
            "load_average_1min": textbook_load,
        },
    }


def sweep(names: list[str], time_limit: float | None = None) -> dict[str, Any]:
    """Run the cases; the machine description and one record per case."""
    info = machine_info()
    rows = []
    for name in names:
        case = CASES[name]
        if not case.available():
            rows.append({"case": name, "error": "data not on this machine"})
            continue
        row = _one(case, time_limit)
        rows.append(row)
        ours, book = row["ours"], row["textbook"]
        print(
            f"{name:<16} ours {ours['seconds']:6.2f} s {ours['status']:<9} cost {ours['cost']:,.2f}"
            f"  textbook {book['seconds']:6.2f} s {book['status']:<10} cost {book['cost']:,.2f}"
            f"  load {ours['load_average_1min']:.1f}",
            flush=True,
        )
    info["load_average_end"] = list(os.getloadavg())
    return {"benchmark": "location_sweep", "machine": info, "results": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.location_sweep")
    parser.add_argument("--group", default="holmberg", help="holmberg, tbed1 or orlib")
    parser.add_argument("--cases", nargs="+", metavar="NAME", help="these cases instead")
    parser.add_argument("--time-limit", type=float, help="override every case's limit")
    parser.add_argument("--out", default="location_sweep.json")
    args = parser.parse_args(argv)
    names = args.cases or [n for n, c in CASES.items() if c.group == args.group]
    report = sweep(names, args.time_limit)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
