"""``estates-opt compare-governance INSTANCE_DIR --out OUT_DIR``: joint vs separate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from estates_opt.cli._scenario import (
    add_run_options,
    cache_dir,
    dask_options,
    progress_bar,
    scenario_output,
    write_csv,
    write_json,
)
from estates_opt.io import read_instance
from estates_opt.optimize.options import MEASURE_GAP


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``compare-governance``."""
    parser = subparsers.add_parser(
        "compare-governance",
        help="what planning jointly gains over each borough planning alone",
        description=(
            "Solve each group (--by, default borough) alone with its pro rata share of the "
            "budget and targets, and the whole jointly; write groups.csv (separate plans, "
            "totals, joint, gain), cross_boundary.csv (demand served across a boundary), "
            "cross_pairs.csv (marriage pairs across a boundary), decisions.csv (sites "
            "decided differently) and summary.json."
        ),
    )
    add_run_options(parser, mip_gap=MEASURE_GAP)
    parser.add_argument(
        "--by", default="borough", help="grouping column of sites and zones (default: borough)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Split, solve, compare, write."""
    from estates_opt.scenarios.governance import compare_governance

    instance = read_instance(args.instance)
    out = Path(args.out)
    with scenario_output(args, "governance") as target:
        with progress_bar(args, "governance", None) as update:
            result = compare_governance(
                instance,
                args.by,
                cache_dir=cache_dir(args),
                solver=args.solver,
                mip_gap=args.mip_gap,
                time_limit=args.time_limit,
                progress=lambda done, total, row: update(done, total, row),
                **dask_options(args),
            )
        cross = result.cross_boundary
        summary = {
            "by": result.by,
            "gain": result.gain,
            "separate_feasible": result.separate_feasible,
            "joint_from_union": result.joint_from_union,
            "message": result.message,
            "cross_boundary_demand_m2": float(cross["demand_m2"].sum()) if not cross.empty else 0.0,
            "cross_boundary_pairs": len(result.cross_pairs),
        }
        with target.write() as tmp:
            write_csv(tmp / "groups.csv", result.groups)
            write_csv(tmp / "cross_boundary.csv", cross)
            write_csv(tmp / "cross_pairs.csv", result.cross_pairs)
            write_csv(tmp / "decisions.csv", result.decisions)
            write_json(tmp / "summary.json", summary)
    if not args.quiet:
        print(result.groups.to_string(index=False), file=sys.stderr)
        if result.message:
            print(f"note: {result.message}", file=sys.stderr)
        print(f"  written    {out}", file=sys.stderr)
    return 0
