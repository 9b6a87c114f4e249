"""What-if sweep: 24 scenarios of targets, retention, reach and land values on Dask.

Usage: ``python examples/sweep.py [INSTANCE_DIR]``
(default: the NCL sample ``data/ncl_pilot``).
"""

from __future__ import annotations

from _quick import example_instance

from estates_opt.scenarios import ScenarioSet, run_scenarios


def main() -> None:
    # Data
    inst = example_instance()  # quick mode (CI): a part of it
    print(inst)

    # Model: a grid of variations on the base scenario
    base_target = inst.scenario.housing_target
    scenarios = ScenarioSet.grid(
        housing_target=[base_target, base_target * 1.5],
        receipt_retention=[0.5, 1.0],
        **{"sites.market_value": [0.8, 1.0]},
    )

    # Solve: a local Dask cluster sized to the machine (or client=Client("tcp://...")).
    result = run_scenarios(inst, scenarios, mip_gap=0.01, time_limit=30)

    # Report
    table = result.table
    solved = table[table["status"].isin(["optimal", "feasible"])]
    if solved.empty:
        print("no scenario could be solved:")
        print(table[["scenario", "status", "error"]].to_string(index=False))
        return
    columns = ["scenario", "status", "objective", "housing_units", "receipts", "sites_disposed"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    best = solved.loc[solved["objective"].idxmax()]
    print(f"\nbest scenario: {best['scenario']} (NPV £{best['objective']:,.0f})")
    failed = table[~table.index.isin(solved.index)]
    if not failed.empty:
        print(f"{len(failed)} scenarios without a plan: {', '.join(failed['status'].unique())}")


if __name__ == "__main__":
    main()
