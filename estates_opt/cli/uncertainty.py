"""``estates-opt uncertainty INSTANCE_DIR --out OUT_DIR``: Monte Carlo on Dask."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from estates_opt.cli._scenario import (
    add_run_options,
    cache_dir,
    dask_options,
    progress_bar,
    scenario_output,
    write_csv,
    write_json,
)
from estates_opt.errors import InputError, Problem
from estates_opt.io import read_instance

DEFAULT = {
    "market_value": {"dist": "normal", "mean": 1.0, "sd": 0.15, "by": "borough"},
    "projects.capex": {"dist": "triangular", "low": 0.9, "mode": 1.0, "high": 1.3},
}


def _distributions(text: str | None) -> dict[str, Any]:
    if text is None:
        return DEFAULT
    path = Path(text)
    try:
        if path.suffix == ".toml":
            return tomllib.loads(path.read_text(encoding="utf-8"))
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        return json.loads(text)
    except (OSError, ValueError) as err:
        raise InputError(
            Problem(str(text), f"expected JSON text or a .toml/.json file: {err}.")
        ) from err


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``uncertainty``."""
    parser = subparsers.add_parser(
        "uncertainty",
        help="Monte Carlo over values, growth and costs: robust disposals and regret",
        description=(
            "Re-optimise the instance in sampled futures (Dask) and write samples.csv "
            "(drawn factors, objective, base plan value, regret), sites.csv (how often each "
            "site is disposed; robust = in at least --robust-share of samples) and "
            "summary.json. Distributions: JSON text or a .toml/.json file, e.g. "
            '\'{"market_value": {"dist": "normal", "mean": 1.0, "sd": 0.15}}\'.'
        ),
    )
    add_run_options(parser)
    parser.add_argument(
        "--distributions",
        default=None,
        metavar="JSON|FILE",
        help="distributions (default: market values N(1, 0.15) per borough, "
        "capex triangular(0.9, 1.0, 1.3))",
    )
    parser.add_argument("--samples", type=int, default=50, help="samples (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--robust-share",
        type=float,
        default=0.9,
        help="share of samples a robust disposal holds in (default 0.9)",
    )
    parser.add_argument(
        "--no-regret", action="store_true", help="skip the base plan's regret (half the solves)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Sample, solve, summarise, write."""
    from estates_opt.scenarios.uncertainty import monte_carlo

    instance = read_instance(args.instance)
    distributions = _distributions(args.distributions)
    out = Path(args.out)
    total = (args.samples + 1) + (0 if args.no_regret else args.samples)
    offset = [0, 0]

    with scenario_output(args, "uncertainty") as target:
        with progress_bar(args, "uncertainty", total) as update:

            def progress(done: int, count: int, row: Any) -> None:
                if done == 1 and offset[1]:
                    offset[0] += offset[1]
                offset[1] = count if done == count else offset[1]
                update(offset[0] + done, total, row)

            result = monte_carlo(
                instance,
                distributions,
                samples=args.samples,
                seed=args.seed,
                robust_share=args.robust_share,
                regret=not args.no_regret,
                cache_dir=cache_dir(args),
                solver=args.solver,
                mip_gap=args.mip_gap,
                time_limit=args.time_limit,
                progress=progress,
                **dask_options(args),
            )
        regret = result.samples["regret"].dropna()
        summary = {
            "samples": args.samples,
            "seed": args.seed,
            "distributions": distributions,
            "robust_share": args.robust_share,
            "robust_disposals": result.robust_disposals,
            "base_objective": result.base.objective if result.base else None,
            "statuses": result.samples["status"].value_counts().to_dict(),
            "base_infeasible_samples": int((result.samples["base_feasible"] == False).sum()),  # noqa: E712
            "regret": {
                "mean": float(regret.mean()) if len(regret) else None,
                "p90": float(regret.quantile(0.9)) if len(regret) else None,
                "max": float(regret.max()) if len(regret) else None,
            },
        }
        with target.write() as tmp:
            write_csv(tmp / "samples.csv", result.samples)
            write_csv(tmp / "sites.csv", result.sites)
            write_json(tmp / "summary.json", summary)
    if not args.quiet:
        print(
            f"robust disposals (>= {args.robust_share:.0%} of samples): "
            f"{', '.join(result.robust_disposals) or 'none'}",
            file=sys.stderr,
        )
        if summary["regret"]["mean"] is not None:
            print(
                f"regret of the base plan: mean £{summary['regret']['mean']:,.0f}, "
                f"max £{summary['regret']['max']:,.0f}",
                file=sys.stderr,
            )
        print(f"  written    {out}", file=sys.stderr)
    return 0
