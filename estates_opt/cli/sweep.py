"""``estates-opt sweep INSTANCE_DIR --out OUT_DIR``: run a scenario set on Dask.

Also holds the options and helpers the other scenario commands share (frontier,
uncertainty, compare-governance): Dask placement, cache, solver options, progress bar
and atomic file writes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.errors import InputError, Problem
from estates_opt.io import read_instance


def add_run_options(
    parser: argparse.ArgumentParser, *, dask: bool = True, mip_gap: float = 1e-4
) -> None:
    """Options every scenario command takes."""
    parser.add_argument("instance", metavar="INSTANCE_DIR", help="instance folder")
    parser.add_argument(
        "--out",
        required=True,
        metavar="OUT_DIR",
        help="output folder (created; files in it are replaced)",
    )
    if dask:
        parser.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            default=None,
            help="address of an existing Dask scheduler (default: start a "
            "local cluster sized to this machine)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="worker processes of the local cluster (default: CPUs)",
        )
    parser.add_argument(
        "--cache", metavar="DIR", default=None, help="cache folder (default: OUT_DIR/.cache)"
    )
    parser.add_argument("--no-cache", action="store_true", help="solve everything again")
    parser.add_argument("--solver", default="highs", help="MILP solver (default: highs)")
    parser.add_argument(
        "--mip-gap",
        type=float,
        default=mip_gap,
        metavar="G",
        help=f"relative optimality gap per solve (default: {mip_gap:g})",
    )
    parser.add_argument(
        "--time-limit", type=float, default=None, metavar="SECONDS", help="time limit per solve"
    )


def cache_dir(args: argparse.Namespace) -> Path | None:
    """The cache folder the options ask for (None with ``--no-cache``)."""
    if args.no_cache:
        return None
    return Path(args.cache) if args.cache else Path(args.out) / ".cache"


def dask_options(args: argparse.Namespace) -> dict[str, Any]:
    """``scheduler`` / ``n_workers`` keyword arguments."""
    return {"scheduler": args.scheduler, "n_workers": args.workers}


@contextmanager
def progress_bar(
    args: argparse.Namespace, label: str, total: int | None
) -> Iterator[Callable[..., None]]:
    """A rich progress bar on stderr; yields ``update(done, total=None, row=None)``."""
    if args.quiet:
        yield lambda *a, **k: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total, last="")

        def update(
            done: int,
            total: int | None = None,
            row: Mapping[str, Any] | None = None,
        ) -> None:
            last = ""
            if row is not None:
                last = f"{row.get('scenario', row.get('point', ''))}: {row.get('status', '')}"
            bar.update(task, completed=done, total=total, last=last)

        yield update


def write_text(path: Path, text: str) -> None:
    """Write a file completely or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame as CSV, atomically."""
    write_text(path, frame.to_csv(index=False))


def write_json(path: Path, data: Any) -> None:
    """JSON, atomically."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def safe_name(name: str) -> str:
    """A scenario name as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.=,+-]+", "_", name).strip("._") or "scenario"


def _parse_grid(items: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise InputError(Problem("--grid", f"expected KEY=V1,V2,..., got '{item}'."))
        parsed = []
        for value in values.split(","):
            try:
                parsed.append(json.loads(value))
            except ValueError:
                parsed.append(value)
        grid[key.strip()] = parsed
    return grid


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``sweep``."""
    parser = subparsers.add_parser(
        "sweep",
        help="solve a set of what-if scenarios in parallel (Dask)",
        description=(
            "Solve every scenario of INSTANCE_DIR/scenarios.toml (or --scenarios FILE, or "
            "--grid KEY=V1,V2 ...) on a Dask cluster and write OUT_DIR/sweep.csv (one row "
            "per scenario: parameters, status, objective, KPIs). Solved scenarios are "
            "cached; a rerun skips them. Failed scenarios are reported in their row."
        ),
    )
    add_run_options(parser)
    parser.add_argument(
        "--scenarios",
        metavar="FILE",
        default=None,
        help="scenario set TOML (default: INSTANCE_DIR/scenarios.toml)",
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a grid axis instead of a file (repeatable), e.g. housing_target=0,100,200",
    )
    parser.add_argument(
        "--plans",
        action="store_true",
        help="also write each scenario's decision tables to OUT_DIR/plans/",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Read the instance and the set, run it, write the table (and plans)."""
    from estates_opt.scenarios.run import run_scenarios
    from estates_opt.scenarios.spec import SCENARIOS_FILE, ScenarioSet, read_scenario_set

    instance = read_instance(args.instance)
    if args.grid:
        scenarios = ScenarioSet.grid(**_parse_grid(args.grid))
    else:
        path = Path(args.scenarios) if args.scenarios else Path(args.instance) / SCENARIOS_FILE
        scenarios = read_scenario_set(path, instance)
    out = Path(args.out)
    with progress_bar(args, "sweep", len(scenarios)) as update:
        result = run_scenarios(
            instance,
            scenarios,
            cache_dir=cache_dir(args),
            plans=args.plans,
            solver=args.solver,
            mip_gap=args.mip_gap,
            time_limit=args.time_limit,
            progress=lambda done, total, row: update(done, total, row),
            **dask_options(args),
        )
    table = result.table
    write_csv(out / "sweep.csv", table)
    for name, record in result.plans.items():
        folder = out / "plans" / safe_name(name)
        for attr in ("site_decisions", "project_decisions", "assignments", "marriage_pairs"):
            write_csv(folder / f"{attr}.csv", getattr(record, attr))
    if not args.quiet:
        counts = table["status"].value_counts().to_dict()
        cached = int(table["cached"].sum())
        print(
            f"{len(table)} scenarios ({cached} from cache): "
            + ", ".join(f"{n} {s}" for s, n in counts.items()),
            file=sys.stderr,
        )
        print(f"  written    {out / 'sweep.csv'}", file=sys.stderr)
    return 0
