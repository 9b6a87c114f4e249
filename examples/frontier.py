"""Trade-off frontier: how much NPV each extra home costs (epsilon-constraint).

Usage: ``python examples/frontier.py [INSTANCE_DIR] [OUT_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _quick import example_instance

from estates_opt.scenarios import housing_frontier


def main() -> None:
    # Data
    inst = example_instance()  # quick mode (CI): a part of it
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
