"""Joint versus separate planning: what planning the boroughs together gains.

Usage: ``python examples/joint_vs_separate.py [INSTANCE_DIR]``
(default: the NCL sample ``data/ncl_pilot``).
"""

from __future__ import annotations

import sys

from _quick import example_instance

from estates_opt.scenarios import compare_governance


def main() -> None:
    # Data
    inst = example_instance(["E09000007", "E09000014"])  # quick mode (CI): a part of it
    by = sys.argv[2] if len(sys.argv) > 2 else "borough"

    # Model and solve: each group alone with its pro rata share of budget and targets,
    # and all jointly (groups in parallel on Dask)
    result = compare_governance(inst, by, mip_gap=1e-3, time_limit=60)

    # Report
    print(result.groups.to_string(index=False))
    if not result.separate_feasible:
        print(f"separate planning has no plan: {result.message}")
        print("joint planning is the only way to meet the requirements")
        return
    print(
        f"\njoint planning gains £{result.gain['objective']:,.0f} NPV, "
        f"{result.gain['housing_units']:,.0f} homes, £{result.gain['receipts']:,.0f} receipts"
    )
    if not result.cross_boundary.empty:
        print("demand served across a boundary (m2, last period):")
        print(result.cross_boundary.to_string(index=False))
    if not result.cross_pairs.empty:
        print("marriage pairs across a boundary:")
        print(result.cross_pairs.to_string(index=False))


if __name__ == "__main__":
    main()
