"""Solve the North Central London sample estate and write the board report.

Run it as it is from the repository root::

    python examples/ncl_pilot.py            # full solve (a few minutes), report in out/ncl_pilot
    python examples/ncl_pilot.py --quick    # CI: one borough, 15 seconds

The sample (``data/ncl_pilot``) is an instance folder: sites.csv, zones.csv,
projects.csv and scenario.toml (see docs/guide.md). The same run from the shell is
``estates-opt solve data/ncl_pilot --out out/ncl_pilot && estates-opt report out/ncl_pilot``.
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
    """Read, solve, report; the exit code follows ``estates-opt solve``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one borough, short time limit")
    parser.add_argument("--data", type=Path, default=DATA / "ncl_pilot", help="instance folder")
    parser.add_argument("--out", type=Path, default=Path("out/ncl_pilot"), help="output folder")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the solver")
    args = parser.parse_args(argv)
    quick = quick_mode(args.quick)

    # --- Data: the estate, the zones it serves and the policy -------------------------
    instance = eo.read_instance(args.data)
    if quick:
        instance = borough_subset(instance, QUICK_BOROUGHS)
    print(instance)

    # --- Model: MODEL.md's decisions under scenario.toml's policy ---------------------
    sc = instance.scenario
    print(
        f"  {sc.periods} periods; targets: receipts £{sc.receipts_target:,.0f}, "
        f"homes {sc.housing_target:,.0f}; budget {sc.budgets[0]:,.0f} a period"
    )

    # --- Solve ---------------------------------------------------------------------------
    plan = eo.solve(
        instance,
        mip_gap=0.05 if quick else 0.01,
        time_limit=QUICK_TIME_LIMIT if quick else args.time_limit,
    )
    print(plan)

    # --- Report --------------------------------------------------------------------------
    eo.write_plan(plan, args.out, overwrite=True)
    write_html(plan, args.out / "report.html")
    if plan.status in (eo.Status.OPTIMAL, eo.Status.FEASIBLE):
        write_excel(plan, args.out / "plan.xlsx")
        disposals = plan.disposals.sort_values("dispose_period")
        print(f"{len(disposals)} disposals, first ones:")
        print(disposals[["site_id", "name", "dispose_period", "receipt"]].head(8).to_string())
    elif plan.status is eo.Status.INFEASIBLE:
        print("No plan meets every requirement; what is short:")
        print(plan.shortfalls)
    else:
        print("No plan found within the time limit; give the solver more time.")
    print(f"report: {args.out / 'report.html'}")
    return plan.status.exit_code


if __name__ == "__main__":
    sys.exit(main())
