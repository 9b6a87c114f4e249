"""Trade-off frontier: how much NPV each extra home costs (epsilon-constraint).

Usage: ``python examples/frontier.py [INSTANCE_DIR] [OUT_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _quick import QUICK_BOROUGHS, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.scenarios import housing_frontier

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
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("out") / "frontier"

    # Model and solve: max NPV, then raise the housing target until infeasible
    frontier = housing_frontier(inst, points=4, max_points=8, mip_gap=0.005, time_limit=30)

    # Report
    if frontier.table.empty:
        print(f"no plan at all: {frontier.stopped}")
        return
    table = frontier.table
    print(
        table[["point", "epsilon", "objective", "housing_units", "disposed", "check_ok"]].to_string(
            index=False
        )
    )
    steps = table[["housing_units", "objective"]].diff().dropna()
    for _, step in steps.iterrows():
        if step["housing_units"] > 0:
            print(
                f"+{step['housing_units']:.0f} homes cost "
                f"£{-step['objective'] / step['housing_units']:,.0f} NPV per home"
            )
    print(f"stopped: {frontier.stopped}; monotone: {frontier.is_monotone()}")
    print(f"chart: {frontier.plot(out / 'frontier_housing.png')}")


if __name__ == "__main__":
    main()
