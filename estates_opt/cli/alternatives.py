"""``estates-opt alternatives DIR --out OUT -k 10 --within 0.02``: near-optimal plans."""

from __future__ import annotations

import argparse
import sys

from estates_opt.backends.base import SOLVERS
from estates_opt.io import read_instance
from estates_opt.io.output_guard import output_folder
from estates_opt.optimize.alternatives import alternatives, write_alternatives
from estates_opt.status import Status


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``alternatives``."""
    parser = subparsers.add_parser(
        "alternatives",
        help="near-optimal plans that differ in which sites they dispose of",
        description=(
            "Find up to K plans with NPV within a relative band of the optimum that differ "
            "in the disposal of at least --min-difference sites, by adding Hamming-distance "
            "cuts and re-solving. Writes alt_01/ ... (section 6 files each), "
            "alternatives.csv (sites disposed in every plan: core, in none, in some: open "
            "choice, with the NPV given up) and alternatives_summary.csv to OUT_DIR. Exit "
            "codes: 0 plans found, 1 the files could not be written (OUT_DIR unchanged), "
            "2 bad input or an OUT_DIR that cannot be used (checked before solving), "
            "3 infeasible, 4 no solution in time."
        ),
    )
    parser.add_argument("instance", metavar="INSTANCE_DIR", help="instance folder")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder")
    parser.add_argument("-k", type=int, default=10, help="most plans, optimum included (10)")
    parser.add_argument(
        "--within", type=float, default=0.02, help="relative NPV band below the optimum (0.02)"
    )
    parser.add_argument(
        "--min-difference",
        type=int,
        default=1,
        metavar="SITES",
        help="sites in which any two plans must differ (1)",
    )
    parser.add_argument(
        "--solver", default="highs", choices=[*sorted(SOLVERS), "cbc", "scip"], help="MILP solver"
    )
    parser.add_argument(
        "--mip-gap", type=float, default=1e-4, metavar="G", help="gap of each solve (1e-4)"
    )
    parser.add_argument(
        "--time-limit", type=float, default=None, metavar="SECONDS", help="limit per solve"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT_DIR when it holds previous alternatives (never other files)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Read, enumerate, write; exit 0 when at least one plan was found."""
    instance = read_instance(args.instance)
    kind, inputs = "alternatives", [args.instance]
    with output_folder(args.out, kind, overwrite=args.overwrite, inputs=inputs):
        alts = alternatives(
            instance,
            k=args.k,
            within=args.within,
            min_difference=args.min_difference,
            solver=args.solver,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
        )
        if not alts.plans:
            print(f"no plan: {alts.reason}", file=sys.stderr)
            infeasible = alts.reason == "the instance is infeasible"
            return (Status.INFEASIBLE if infeasible else Status.NO_SOLUTION).exit_code
        write_alternatives(alts, args.out, overwrite=args.overwrite)
    if not args.quiet:
        print(alts, file=sys.stderr)
        counts = alts.table["status"].value_counts()
        print(
            "  sites      "
            + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("core", "open choice", "never")),
            file=sys.stderr,
        )
        print(f"  written    {args.out}", file=sys.stderr)
    return 0
