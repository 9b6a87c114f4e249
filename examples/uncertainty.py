"""Uncertainty: which disposals hold in 90% of futures, and the base plan's regret.

Usage: ``python examples/uncertainty.py [INSTANCE_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _quick import QUICK_BOROUGHS, borough_subset, quick_mode

import estates_opt as eo
from estates_opt.scenarios import monte_carlo

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

    # Model: land values vary by borough, capex and growth are uncertain
    distributions = {
        "market_value": {"dist": "normal", "mean": 1.0, "sd": 0.15, "by": "borough"},
        "projects.capex": {"dist": "triangular", "low": 0.9, "mode": 1.0, "high": 1.3},
        "growth_per_year": {"dist": "uniform", "low": 0.0, "high": 0.02},
    }

    # Solve: 6 sampled futures (use hundreds in earnest) on a local Dask cluster,
    # plus the base plan fixed in each
    result = monte_carlo(inst, distributions, samples=6, seed=42, mip_gap=0.01, time_limit=30)

    # Report
    if result.base is None:
        print("the base instance has no plan; nothing to compare")
        return
    sites = result.sites.sort_values("disposed_share", ascending=False)
    print(sites.to_string(index=False))
    print(f"robust disposals (>= 90% of samples): {', '.join(result.robust_disposals) or 'none'}")
    samples = result.samples
    infeasible = int((samples["base_feasible"] == False).sum())  # noqa: E712
    if infeasible:
        print(f"the base plan is infeasible in {infeasible} of {len(samples)} samples")
    regret = samples["regret"].dropna()
    if len(regret):
        print(f"regret of the base plan: mean £{regret.mean():,.0f}, max £{regret.max():,.0f}")


if __name__ == "__main__":
    main()
