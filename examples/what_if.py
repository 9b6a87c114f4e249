"""What if? Change one policy and compare the two plans side by side.

Run it as it is from the repository root::

    python examples/what_if.py                       # 10% more homes than the base plan
    python examples/what_if.py --change budget       # capital budget halved
    python examples/what_if.py --change keep         # keep the first site the base plan sells
    python examples/what_if.py --quick               # CI: one borough, 15 seconds a solve

Each plan gets its own report (out/what_if/base, out/what_if/variant); the comparison
is printed and written to out/what_if/comparison.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from _quick import QUICK_BOROUGHS, QUICK_TIME_LIMIT, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.report import write_html

DATA = Path(__file__).resolve().parents[1] / "data"
KPIS = ["receipts", "housing_units", "sites_disposed", "projects_built", "capex",
        "running_cost_saving_per_year", "utilisation_after"]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Solve a base plan and one variant; print what changes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--change", choices=["housing", "budget", "keep"], default="housing")
    parser.add_argument("--quick", action="store_true", help="one borough, short time limits")
    parser.add_argument("--data", type=Path, default=DATA / "ncl_pilot", help="instance folder")
    parser.add_argument("--out", type=Path, default=Path("out/what_if"), help="output folder")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per solve")
    args = parser.parse_args(argv)
    quick = quick_mode(args.quick)
    options = {"mip_gap": 0.05 if quick else 0.01,
               "time_limit": QUICK_TIME_LIMIT if quick else args.time_limit}  # fmt: skip

    # --- Data ------------------------------------------------------------------------------
    base = eo.read_instance(args.data)
    if quick:
        base = borough_subset(base, QUICK_BOROUGHS)
    print(base)

    # --- Model: the base policy, then the same estate with one policy changed -------------
    base_plan = eo.solve(base, **options)
    if not base_plan.status.has_solution:
        print(f"The base plan has no solution ({base_plan.status.value}); nothing to compare.")
        return base_plan.status.exit_code
    sc = base.scenario
    if args.change == "housing":
        # halfway between the homes the base plan delivers and all the homes the
        # disposable sites could give, so the new target binds
        sites = base.sites[base.sites["disposable"] & ~base.sites["site_id"].isin(sc.keep)]
        delivered = base_plan.kpis["housing_units"]
        target = int(delivered + (sites["housing_units"].sum() - delivered) / 2)
        variant = base.with_scenario(housing_target=target)
        label = f"housing target {sc.housing_target:,.0f} -> {target:,}"
    elif args.change == "budget":
        variant = base.with_scenario(capital_budget=tuple(b / 2 for b in sc.budgets))
        label = "capital budget halved"
    else:
        first = base_plan.disposals.sort_values("dispose_period")["site_id"].iloc[0]
        variant = base.with_scenario(keep=(*sc.keep, first))
        label = f"keep site {first}"

    # --- Solve -------------------------------------------------------------------------------
    variant_plan = eo.solve(variant, **options)
    print(f"base:    {base_plan.status.value}; variant ({label}): {variant_plan.status.value}")

    # --- Report ------------------------------------------------------------------------------
    for name, plan in (("base", base_plan), ("variant", variant_plan)):
        eo.write_plan(plan, args.out / name, overwrite=True)
        write_html(plan, args.out / name / "report.html", title=f"What if? {name}: {label}")
    rows = {
        "status": (base_plan.status.value, variant_plan.status.value),
        "NPV": (base_plan.objective, variant_plan.objective),
    }
    rows |= {k: (base_plan.kpis.get(k), variant_plan.kpis.get(k)) for k in KPIS}
    table = pd.DataFrame(rows, index=["base", "variant"]).T
    numbers = table.drop(index="status").astype(float)
    table["change"] = (numbers["variant"] - numbers["base"]).reindex(table.index)
    print(table.to_string())
    table.to_csv(args.out / "comparison.csv")
    if variant_plan.status is eo.Status.INFEASIBLE:
        print("The variant cannot be met; what is short:")
        print(variant_plan.shortfalls)
        return 0
    if not variant_plan.status.has_solution:
        print("The variant found no plan within the time limit.")
        return 0
    a = set(base_plan.disposals["site_id"])
    b = set(variant_plan.disposals["site_id"])
    print(f"sold only in the base plan: {sorted(a - b)}; only in the variant: {sorted(b - a)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
