"""Near-optimal alternatives and fair access on the North Central London sample.

Run it from the repository root::

    python examples/alternatives_and_equity.py           # full run (tens of minutes)
    python examples/alternatives_and_equity.py --quick   # CI: one borough, seconds

Three steps a board weighs: (1) up to k plans within 2 % of the best NPV, which sites
are sold in all of them (core) and which are open choices; (2) who gains and who loses
access, by deprivation decile and borough; (3) the same plan with an ``[equity]`` cap on
the travel increase of the most deprived zones. The shell equivalent of step 1 is
``estates-opt alternatives data/ncl_pilot --out out/alts -k 10 --within 0.02``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _quick import QUICK_TIME_LIMIT, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.access import access
from estates_opt.optimize.alternatives import alternatives, write_alternatives
from estates_opt.report import write_excel, write_html
from estates_opt.report.sections import (
    access_sheets,
    alternatives_section,
    alternatives_sheets,
    fair_access_section,
)

DATA = Path(__file__).resolve().parents[1] / "data"
QUICK_BOROUGHS = ["E09000014"]  # Haringey: feasible on its own with the sample's targets


def main(argv: list[str] | None = None) -> int:
    """Alternatives, access and an equity cap; exit code 0 when plans were found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one borough, short time limit")
    parser.add_argument("--data", type=Path, default=DATA / "ncl_pilot", help="instance folder")
    parser.add_argument("--out", type=Path, default=Path("out/alternatives"), help="output")
    parser.add_argument("-k", type=int, default=10, help="most alternatives")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds per solve")
    args = parser.parse_args(argv)
    quick = quick_mode(args.quick)

    # --- Data ----------------------------------------------------------------------------
    instance = eo.read_instance(args.data)
    if quick:
        instance = borough_subset(instance, QUICK_BOROUGHS)
    print(instance)

    # --- Model and solve: alternatives within 2 % ----------------------------------------
    alts = alternatives(
        instance,
        k=3 if quick else args.k,
        within=0.02,
        mip_gap=0.01 if quick else 0.002,
        time_limit=QUICK_TIME_LIMIT if quick else args.time_limit,
    )
    print(alts)
    if not alts.plans:
        print(f"No plan: {alts.reason}")
        return eo.Status.INFEASIBLE.exit_code
    best = alts.plans[0]
    print(alts.table[alts.table["status"] == "open choice"].head(10).to_string())

    # --- Fair access of the best plan ----------------------------------------------------
    acc = access(instance, best)
    if "imd_decile" in instance.zones.columns:
        deciles = acc.by("imd_decile")
        print(deciles[["service", "group", "avg_before_m", "avg_after_m"]].head(10).to_string())

    # --- The same estate with a cap for the most deprived zones (solve adds the cap) ------
    capped = instance.with_scenario(equity_deprived_max_increase_m=250.0)
    fair = eo.solve(
        capped,
        mip_gap=0.01 if quick else 0.002,
        time_limit=QUICK_TIME_LIMIT if quick else args.time_limit,
    )
    print(fair)
    if fair.status.has_solution:
        assert eo.check(capped, fair).ok
        print(f"NPV given up for the cap: £{best.objective - fair.objective:,.0f}")
    elif fair.status is eo.Status.INFEASIBLE:
        print("The cap cannot be met; what is short:")
        print(fair.shortfalls)
    else:
        print("No capped plan within the time limit.")

    # --- Report --------------------------------------------------------------------------
    write_alternatives(alts, args.out, overwrite=True)
    sections = [alternatives_section(alts), fair_access_section(acc)]
    write_html(best, args.out / "report.html", sections=sections)
    sheets = {**alternatives_sheets(alts), **access_sheets(acc)}
    write_excel(best, args.out / "plan.xlsx", extra_sheets=sheets)
    print(f"report: {args.out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
