"""Speed-up of a scenario sweep from 1 to 2 Dask workers; writes JSON.

Usage::

    python benchmarks/sweep_speedup.py [INSTANCE_DIR] [--out FILE] [--workers 1 2]

The sweep is the 24-scenario grid of the tests (housing target x retention x reach x
land values) on INSTANCE_DIR (default: the known-answer instance
``../shared/instances/p01`` cut to two periods; the NCL sample needs minutes per
solve). Each worker count gets a fresh local cluster (processes, one thread each); its
start-up time is recorded apart from the sweep time. No cache. The JSON records the
machine (with its load average), the times, the speed-up and the objective of every
scenario (which must not depend on the workers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import estates_opt as eo
from estates_opt.scenarios import ScenarioSet, run_scenarios

REPO = Path(__file__).resolve().parents[1]
GRID = {
    "housing_target": [0, 120, 135],
    "receipt_retention": [0.4, 1.0],
    "reach_factor": [0.9, 1.0],
    "sites.market_value": [0.8, 1.0],
}


def load(path: str | None) -> eo.Instance:
    """The benchmark instance."""
    if path:
        return eo.read_instance(path)
    base = eo.read_instance(REPO.parent / "shared" / "instances" / "p01")
    return base.with_scenario(periods=2, floor_from_period=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", default=None)
    parser.add_argument(
        "--out", default=str(REPO / "benchmarks" / "results" / "sweep_speedup.json")
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    # Data
    from distributed import Client, LocalCluster

    instance = load(args.instance)
    scenarios = ScenarioSet.grid(**GRID)

    # Solve: one fresh cluster per worker count
    runs = []
    for workers in args.workers:
        began = time.perf_counter()
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            startup = time.perf_counter() - began
            began = time.perf_counter()
            table = run_scenarios(instance, scenarios, client=client).table
            seconds = time.perf_counter() - began
        runs.append(
            {
                "workers": workers,
                "startup_s": startup,
                "sweep_s": seconds,
                "statuses": table["status"].value_counts().to_dict(),
                "objectives": [
                    None if o != o else round(o, 2) for o in table["objective"].astype(float)
                ],
            }
        )
        print(f"{workers} worker(s): sweep {seconds:.1f} s (cluster start {startup:.1f} s)")

    # Report
    base = runs[0]["sweep_s"]
    for run in runs:
        run["speedup"] = base / run["sweep_s"]
    same = all(r["objectives"] == runs[0]["objectives"] for r in runs)
    if not same:
        print("WARNING: objectives differ between worker counts")
    result = {
        "benchmark": "sweep_speedup",
        "instance": repr(instance),
        "scenarios": len(scenarios),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "objectives_equal": same,
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    speedups = ", ".join(f"{r['workers']}: x{r['speedup']:.2f}" for r in runs)
    print(f"speed-up {speedups}; written {out}")


if __name__ == "__main__":
    main()
