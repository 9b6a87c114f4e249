"""``estates-opt sweep INSTANCE_DIR --out OUT_DIR``: run a scenario set on Dask.

The options and helpers the scenario commands share live in
:mod:`estates_opt.cli._scenario`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.cli._scenario import (
    add_run_options,
    cache_dir,
    dask_options,
    plan_folders,
    progress_bar,
    scenario_output,
    write_csv,
    write_plan_tables,
)
from estates_opt.errors import InputError, Problem
from estates_opt.io import read_instance

#: exit code of a sweep in which some scenarios failed (status ``error``)
EXIT_FAILED_ROWS = 5


def _parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``KEY=V1,V2`` axes; more than :data:`MAX_GRID` combinations is an input error."""
    from estates_opt.scenarios.spec import check_grid

    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise InputError(Problem("--grid", f"expected KEY=V1,V2,..., got '{item}'."))
        parsed = []
        for value in values.split(","):
            try:
                parsed.append(json.loads(value))
            except ValueError:
                parsed.append(value)
        grid[key.strip()] = parsed
    problems = check_grid(grid, "--grid")
    if problems:
        raise InputError(problems)
    return grid


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sweep``."""
    parser = subparsers.add_parser(
        "sweep",
        help="solve a set of what-if scenarios in parallel (Dask)",
        description=(
            "Solve every scenario of INSTANCE_DIR/scenarios.toml (or --scenarios FILE, or "
            "--grid KEY=V1,V2 ...) on a Dask cluster and write OUT_DIR/sweep.csv (one row "
            "per scenario: parameters, status, objective, KPIs). Solved scenarios are "
            "cached; a rerun (--overwrite) skips them. Failed scenarios are reported in "
            "their row. A grid may have at most 10,000 combinations. Exit codes: 0 every "
            "scenario ran (optimal, feasible, infeasible or no_solution), 1 the files could "
            "not be written, 2 bad input (an empty scenario set, a grid too large) or an "
            f"OUT_DIR that cannot be used, {EXIT_FAILED_ROWS} some scenarios failed "
            "(status error; sweep.csv is written and names them)."
        ),
    )
    add_run_options(parser)
    parser.add_argument(
        "--scenarios",
        metavar="FILE",
        default=None,
        help="scenario set TOML (default: INSTANCE_DIR/scenarios.toml)",
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a grid axis instead of a file (repeatable), e.g. housing_target=0,100,200",
    )
    parser.add_argument(
        "--plans",
        action="store_true",
        help="also write each scenario's decision tables to OUT_DIR/plans/ (one folder "
        "per scenario, listed in plans/index.csv)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Read the set and the instance, check OUT_DIR, run the set, write the table (and plans)."""
    from estates_opt.scenarios.spec import SCENARIOS_FILE, ScenarioSet, read_scenario_set

    grid = _parse_grid(args.grid) if args.grid else None  # refused before anything is built
    instance = read_instance(args.instance)
    if grid is not None:
        scenarios, source = ScenarioSet.grid(None, **grid), "--grid"
    else:
        path = Path(args.scenarios) if args.scenarios else Path(args.instance) / SCENARIOS_FILE
        scenarios, source = read_scenario_set(path, instance), path.name
    if not len(scenarios):
        raise InputError(Problem(source, "expected at least one scenario, got none."))
    with scenario_output(args, "sweep") as target:
        table = _sweep(args, instance, scenarios, target)
    failed = table[table["status"] == "error"]
    if not args.quiet:
        counts = table["status"].value_counts().to_dict()
        cached = int(table["cached"].sum())
        print(
            f"{len(table)} scenarios ({cached} from cache): "
            + ", ".join(f"{n} {s}" for s, n in counts.items()),
            file=sys.stderr,
        )
        print(f"  written    {Path(args.out) / 'sweep.csv'}", file=sys.stderr)
    if len(failed):
        names = ", ".join(map(str, failed["scenario"].head(5)))
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        print(
            f"error: {len(failed)} of {len(table)} scenarios failed ({names}{more}); "
            "their rows in sweep.csv hold the error",
            file=sys.stderr,
        )
        return EXIT_FAILED_ROWS
    return 0


def _sweep(args: argparse.Namespace, instance: Any, scenarios: Any, target: Any) -> pd.DataFrame:
    from estates_opt.scenarios.run import run_scenarios

    with progress_bar(args, "sweep", len(scenarios)) as update:
        result = run_scenarios(
            instance,
            scenarios,
            cache_dir=cache_dir(args),
            plans=args.plans,
            solver=args.solver,
            mip_gap=args.mip_gap,
            time_limit=args.time_limit,
            progress=lambda done, total, row: update(done, total, row),
            **dask_options(args),
        )
    with target.write() as tmp:
        write_csv(tmp / "sweep.csv", result.table)
        if result.plans:
            folders = plan_folders(list(result.plans))
            index = pd.DataFrame({"scenario": list(folders), "folder": list(folders.values())})
            write_csv(tmp / "plans" / "index.csv", index)
            for name, record in result.plans.items():
                write_plan_tables(tmp / "plans" / folders[name], record)
    return result.table
