"""``estates-opt frontier INSTANCE_DIR --out OUT_DIR``: epsilon-constraint frontiers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from estates_opt.cli._scenario import (
    add_run_options,
    cache_dir,
    progress_bar,
    scenario_output,
    write_csv,
    write_plan_tables,
)
from estates_opt.io import read_instance
from estates_opt.optimize.options import MEASURE_GAP


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``frontier``."""
    parser = subparsers.add_parser(
        "frontier",
        help="trade-off frontier: NPV vs homes or vs travel distance",
        description=(
            "Trace the efficient frontier by the epsilon-constraint method: maximise NPV, "
            "then raise the housing target (--against housing) or lower the cap on the "
            "population-weighted average travel distance (--against distance) step by step "
            "until infeasible. Writes frontier_<against>.csv (one row per point, each plan "
            "checked), frontier_<against>.png and the plans along it (plans_<against>/)."
        ),
    )
    add_run_options(parser, dask=False, mip_gap=MEASURE_GAP)
    parser.add_argument(
        "--against",
        choices=["housing", "distance", "both"],
        default="housing",
        help="the second objective (default: housing)",
    )
    parser.add_argument(
        "--points", type=int, default=10, help="about how many points (sets the step; default 10)"
    )
    parser.add_argument(
        "--step", type=float, default=None, help="step in homes or metres (overrides --points)"
    )
    parser.add_argument("--max-points", type=int, default=60, help="stop after this many")
    return parser


def run(args: argparse.Namespace) -> int:
    """Check OUT_DIR, trace, check the plans, plot, write the folder whole."""
    from estates_opt.scenarios.frontier import distance_frontier, housing_frontier

    instance = read_instance(args.instance)
    out = Path(args.out)
    kinds = ["housing", "distance"] if args.against == "both" else [args.against]
    with scenario_output(args, "frontier") as target:
        frontiers = {}
        for kind in kinds:
            trace = housing_frontier if kind == "housing" else distance_frontier
            step_key = "step" if kind == "housing" else "step_m"
            with progress_bar(args, f"frontier ({kind})", None) as update:
                frontiers[kind] = trace(
                    instance,
                    points=args.points,
                    max_points=args.max_points,
                    solver=args.solver,
                    mip_gap=args.mip_gap,
                    time_limit=args.time_limit,
                    cache_dir=cache_dir(args),
                    progress=lambda i, row: update(i, None, row),
                    **{step_key: args.step},
                )
        with target.write() as tmp:
            for kind, frontier in frontiers.items():
                write_csv(tmp / f"frontier_{kind}.csv", frontier.table)
                if not frontier.table.empty:
                    frontier.plot(tmp / f"frontier_{kind}.png")
                points = zip(frontier.table["point"], frontier.plans, strict=True)
                for point, record in points:
                    write_plan_tables(tmp / f"plans_{kind}" / f"point_{point:02d}", record)
    code = 0
    for kind, frontier in frontiers.items():
        if not args.quiet:
            print(
                f"{kind}: {len(frontier.table)} points ({frontier.dropped} dominated "
                f"dropped); stopped: {frontier.stopped}",
                file=sys.stderr,
            )
            print(f"  written    {out / f'frontier_{kind}.csv'}", file=sys.stderr)
        if not frontier.table["check_ok"].all():
            print("error: a frontier plan failed the plan check", file=sys.stderr)
            code = 1
    return code
