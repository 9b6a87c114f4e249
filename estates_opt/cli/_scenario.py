"""What the scenario commands (sweep, frontier, uncertainty, compare-governance) share.

Their options, Dask placement, the cache folder, the progress bar, the output folder
(checked and locked before any solving, written whole at the end, see
:mod:`estates_opt.io.output_guard`) and file writes through :mod:`estates_opt.io.atomic`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.io.atomic import write_file
from estates_opt.io.output_guard import OutputFolder, output_folder
from estates_opt.optimize.options import DEFAULT_MIP_GAP


def add_run_options(
    parser: argparse.ArgumentParser, *, dask: bool = True, mip_gap: float = DEFAULT_MIP_GAP
) -> None:
    """Options every scenario command takes."""
    parser.add_argument("instance", metavar="INSTANCE_DIR", help="instance folder")
    parser.add_argument(
        "--out",
        required=True,
        metavar="OUT_DIR",
        help="output folder: new, empty, or a previous output of this command (replaced "
        "whole with --overwrite; its cache is kept); checked before any solving",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT_DIR when it holds a previous output of this command "
        "(never a folder with other files)",
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


def scenario_output(args: argparse.Namespace, kind: str) -> Any:
    """The command's output folder, checked and locked (a context manager)."""
    return output_folder(args.out, kind, overwrite=args.overwrite, inputs=[args.instance])


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
    write_file(path, text)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A DataFrame as CSV, atomically."""
    write_text(path, frame.to_csv(index=False))


def write_json(path: Path, data: Any) -> None:
    """JSON, atomically."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def safe_name(name: str) -> str:
    """A scenario name as a folder name (characters outside a safe set become '_')."""
    return re.sub(r"[^A-Za-z0-9_.=,+-]+", "_", name).strip("._") or "scenario"


def plan_folders(names: Sequence[str]) -> dict[str, str]:
    """A distinct folder name per scenario name.

    A name that is already a safe folder name (at most 100 characters) is used as it
    is; any other name, and names that differ only in case (one folder on macOS and
    Windows), get the safe form and the first 8 hex digits of the SHA-256 of the exact
    name: ``a/b`` -> ``a_b-<hash>``, so ``a/b`` and ``a_b`` never share a folder.
    """

    def hashed(name: str, digits: int = 8) -> str:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:digits]
        return f"{safe_name(name)[:80]}-{digest}"

    folders = {n: n if safe_name(n) == n and len(n) <= 100 else hashed(n) for n in names}
    for digits in (8, 64):
        groups: dict[str, list[str]] = {}
        for name, folder in folders.items():
            groups.setdefault(folder.casefold(), []).append(name)
        clashes = [n for group in groups.values() if len(group) > 1 for n in group]
        for name in clashes:
            folders[name] = hashed(name, digits)
    return folders


def write_plan_tables(folder: Path, record: Any) -> None:
    """A scenario's four decision tables as CSV files in ``folder``."""
    for attr in ("site_decisions", "project_decisions", "assignments", "marriage_pairs"):
        write_csv(folder / f"{attr}.csv", getattr(record, attr))


__all__ = [
    "OutputFolder",
    "add_run_options",
    "cache_dir",
    "dask_options",
    "plan_folders",
    "progress_bar",
    "safe_name",
    "scenario_output",
    "write_csv",
    "write_json",
    "write_plan_tables",
]
