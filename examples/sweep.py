"""What-if sweep: 24 scenarios of targets, retention, reach and land values on Dask.

Usage: ``python examples/sweep.py [INSTANCE_DIR]`` (default: the NCL sample
``data/ncl_pilot``, else the known-answer instance ``../shared/instances/p01``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _quick import QUICK_BOROUGHS, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.scenarios import ScenarioSet, run_scenarios

REPO = Path(__file__).resolve().parents[1]


def instance_dir() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    sample = REPO / "data" / "ncl_pilot"
    return sample if sample.exists() else REPO.parent / "shared" / "instances" / "p01"


def main() -> None:
    # Data
    inst = eo.read_instance(instance_dir())
    if quick_mode(False):  # CI: one borough, solved in seconds
        inst = borough_subset(inst, QUICK_BOROUGHS)
    elif not (REPO / "data" / "ncl_pilot").exists() and len(sys.argv) == 1:
        inst = inst.with_scenario(periods=2, floor_from_period=None)  # quick demo
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
