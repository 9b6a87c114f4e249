"""Plan the whole-London estate: 33 boroughs, one model, the board report.

Run it as it is from the repository root::

    python examples/london_wide.py            # full solve: give it time (--time-limit)
    python examples/london_wide.py --quick    # CI: one borough, 15 seconds

At this size the solver rarely proves optimality within a board's patience; the plan
it returns is ``feasible`` with its gap to the best possible (the report shows both).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _quick import QUICK_BOROUGHS, QUICK_TIME_LIMIT, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.report import write_excel, write_html

DATA = Path(__file__).resolve().parents[1] / "data"


def main(argv: list[str] | None = None) -> int:
    """Read, solve with a time limit, report by borough."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one borough, short time limit")
    parser.add_argument("--data", type=Path, default=DATA / "london", help="instance folder")
    parser.add_argument("--out", type=Path, default=Path("out/london"), help="output folder")
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds for the solver")
    args = parser.parse_args(argv)
    quick = quick_mode(args.quick)

    # --- Data ------------------------------------------------------------------------------
    instance = eo.read_instance(args.data)
    if quick:
        instance = borough_subset(instance, QUICK_BOROUGHS)
    print(instance)

    # --- Model: a looser gap is the price of size -----------------------------------------
    mip_gap = 0.05 if quick else 0.02

    # --- Solve -------------------------------------------------------------------------------
    plan = eo.solve(
        instance, mip_gap=mip_gap, time_limit=QUICK_TIME_LIMIT if quick else args.time_limit
    )
    print(plan)

    # --- Report ------------------------------------------------------------------------------
    eo.write_plan(plan, args.out, overwrite=True)
    write_html(plan, args.out / "report.html")
    if plan.status in (eo.Status.OPTIMAL, eo.Status.FEASIBLE):
        write_excel(plan, args.out / "plan.xlsx")
        by_borough = plan.disposals.groupby("borough").agg(
            disposals=("site_id", "size"), receipts=("receipt", "sum"),
            homes=("housing_units", "sum"),
        )  # fmt: skip
        print(by_borough.sort_values("receipts", ascending=False).to_string())
    elif plan.status is eo.Status.INFEASIBLE:
        print(plan.shortfalls)
    else:
        print("No plan found within the time limit; raise --time-limit.")
    print(f"report: {args.out / 'report.html'}")
    return plan.status.exit_code


if __name__ == "__main__":
    sys.exit(main())
