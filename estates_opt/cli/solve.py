"""``estates-opt solve INSTANCE_DIR --out OUT_DIR``: MODEL.md section 6."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from estates_opt.backends.base import SOLVERS
from estates_opt.io import read_instance
from estates_opt.io.output_guard import output_folder
from estates_opt.io.plan_write import write_plan
from estates_opt.optimize.solve import solve
from estates_opt.progress import Progress

log = logging.getLogger("estates_opt")


def _at_least(minimum: float, kind: type = float) -> Callable[[str], float]:
    """An argparse type: a number >= ``minimum`` (argparse exits 2 otherwise)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {text!r}")
        return value

    return parse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``solve``."""
    parser = subparsers.add_parser(
        "solve",
        help="optimise an instance folder and write the plan files",
        description=(
            "Optimise an instance folder (MODEL.md) and write summary.json, "
            "site_decisions.csv, project_decisions.csv, assignments.csv and "
            "marriage_pairs.csv to OUT_DIR. OUT_DIR must be new, empty or a previous plan "
            "(replaced with --overwrite); it is checked before solving. Exit codes: 0 solved "
            "(optimal or feasible), 1 the plan could not be written (e.g. a full disk; OUT_DIR "
            "is unchanged), 2 bad input or an OUT_DIR that cannot be used, 3 infeasible "
            "(diagnosis written), 4 no solution within the time limit."
        ),
    )
    parser.add_argument(
        "instance", metavar="INSTANCE", help="instance folder, or an estate workbook (.xlsx)"
    )
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder")
    parser.add_argument(
        "--solver",
        default="highs",
        choices=[*sorted(SOLVERS), "cbc", "scip"],
        help="MILP solver (default: highs)",
    )
    parser.add_argument(
        "--mip-gap",
        type=_at_least(0.0),
        default=1e-4,
        metavar="G",
        help="relative optimality gap to stop at (default: 1e-4)",
    )
    parser.add_argument(
        "--time-limit",
        type=_at_least(0.0),
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds with the best plan found",
    )
    parser.add_argument("--threads", type=_at_least(1, int), default=None, help="solver threads")
    parser.add_argument(
        "--lagrangian",
        choices=["auto", "on", "off"],
        default="auto",
        help="Lagrangian phase before the solver (default auto: large location-type models)",
    )
    parser.add_argument("--solver-log", action="store_true", help="show the solver's own log")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT_DIR when it holds a previous plan (never a folder with other files)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Read, check OUT_DIR (and lock it), solve, write; the exit code follows the status."""
    with Progress(quiet=args.quiet, verbose=args.verbose) as progress:
        with progress.phase("reading"):
            instance = read_instance(args.instance)
        log.info("read %r", instance)
        with output_folder(args.out, "plan", overwrite=args.overwrite, inputs=[args.instance]):
            with progress.phase("solving") as phase:
                plan = solve(
                    instance,
                    solver=args.solver,
                    mip_gap=args.mip_gap,
                    time_limit=args.time_limit,
                    threads=args.threads,
                    log_solver=args.solver_log,
                    lagrangian={"auto": None, "on": True, "off": False}[args.lagrangian],
                    on_progress=lambda best, bound, gap: phase.update(
                        incumbent=best, bound=bound, gap=gap
                    ),
                )
                phase.update(incumbent=plan.objective, bound=plan.best_bound, gap=plan.mip_gap)
            with progress.phase("writing"):
                write_plan(plan, args.out, overwrite=args.overwrite)
    if not args.quiet:
        print(plan, file=sys.stderr)
        print(f"  written    {args.out}", file=sys.stderr)
    return plan.status.exit_code
