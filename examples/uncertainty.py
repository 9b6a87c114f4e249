"""Uncertainty: which disposals hold in 90% of futures, and the base plan's regret.

Usage: ``python examples/uncertainty.py [INSTANCE_DIR]``
(default: the NCL sample ``data/ncl_pilot``).
"""

from __future__ import annotations

from _quick import example_instance

from estates_opt.scenarios import monte_carlo


def main() -> None:
    # Data
    inst = example_instance()  # quick mode (CI): a part of it

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
