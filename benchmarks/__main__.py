"""One-shot runner: ``python -m benchmarks [--quick] [--cases NAME ...] [--out FILE]``.

Runs every chosen case (ours, then the baselines it names: the textbook CFLP model in
plain HiGHS on location cases, PuLP + CBC, PuLP + HiGHS) in fresh subprocesses,
prints a table and writes JSON with the machine, for comparing two runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.cases import CASES, describe, get_case, quick_cases
from benchmarks.drivers import run_in_subprocess
from benchmarks.stress import available_gb

__all__ = ["machine_info", "main", "run", "summarise"]

BASELINES = ("textbook", "pulp-cbc", "pulp-highs")

PACKAGES = ("estates_opt", "highspy", "ortools", "pulp", "numpy", "scipy", "pandas", "geopandas")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, Python, package versions, git commit and load average."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    ram_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
        "load_average": list(os.getloadavg()),
    }


def _time_to_gap(result: dict[str, Any], gap: float) -> tuple[float | None, bool]:
    """Seconds of hand-off plus solve, and whether the asked gap was proven."""
    seconds = result.get("seconds", {})
    if "solve" not in seconds:
        return None, False
    total = seconds["solve"] + (0.0 if result["variant"] == "ours" else seconds.get("handoff", 0))
    if "textbook_gap_asked" in result:  # the textbook proves its gap on the cost scale
        gap, value = result["textbook_gap_asked"], result.get("cost_gap")
    else:
        value = result.get("gap")
    reached = value is not None and value <= gap * (1 + 1e-9)
    return total, reached and not result.get("error")


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per case: our phases and memory beside the baselines and the speed-ups."""
    rows = []
    by_case: dict[str, dict[str, dict[str, Any]]] = {}
    for r in results:
        by_case.setdefault(r["case"], {})[r["variant"]] = r
    for name, variants in by_case.items():
        ours = variants.get("ours", {})
        sec = ours.get("seconds", {})
        row: dict[str, Any] = {
            "case": name,
            "size": "x".join(str(v) for v in ours.get("size", {}).values()),
            "variables": ours.get("model", {}).get("variables"),
            "read_s": sec.get("read"),
            "validate_s": sec.get("validate"),
            "build_s": sec.get("build"),
            "handoff_s": sec.get("handoff"),
            "solve_s": sec.get("solve"),
            "status": ours.get("status") or ("error" if ours.get("error") else None),
            "gap": ours.get("gap"),
            "objective": ours.get("objective"),
            "peak_mb": ours.get("child_peak_mb"),
            "build_peak_mb": ours.get("peak_mb_after", {}).get("build"),
            "check_ok": ours.get("check_ok"),
            "error": ours.get("error"),
        }
        for key in (
            "cost",
            "cost_gap",
            "known_cost",
            "cost_minus_known",
            "cost_rel_error",
            "npv_rel_error",
        ):
            if key in ours:
                row[key] = ours[key]
        builds = [
            v for k, v in variants.items() if k.startswith("pulp") and "build" in v["seconds"]
        ]
        if builds and sec.get("build"):
            pulp_build = min(v["seconds"]["build"] for v in builds)
            row["pulp_build_s"] = pulp_build
            row["build_speedup"] = pulp_build / sec["build"]
            if sec.get("build_repeat"):
                row["build_speedup_warm"] = pulp_build / sec["build_repeat"]
        gap = ours.get("mip_gap_asked", 1e-4)
        mine, ok = _time_to_gap(ours, gap)
        for variant in ("textbook", "pulp-cbc", "pulp-highs"):
            if variant not in variants:
                continue
            other = variants[variant]
            theirs, reached = _time_to_gap(other, gap)
            row[f"{variant}_s"] = theirs
            row[f"{variant}_gap"] = other.get("gap")
            row[f"{variant}_error"] = other.get("error")
            if "cost" in other:
                row[f"{variant}_cost"] = other["cost"]
            if mine and theirs and ok:
                # a baseline that did not reach the gap gives a lower bound on the speed-up
                row[f"speedup_vs_{variant}"] = theirs / mine
                row[f"speedup_vs_{variant}_is_lower_bound"] = not reached
        rows.append(row)
    return rows


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1e5:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    """The summary as a table (rich when installed, plain text otherwise)."""
    columns = [
        ("case", "case"),
        ("variables", "vars"),
        ("build_s", "build s"),
        ("handoff_s", "hand-off s"),
        ("solve_s", "solve s"),
        ("status", "status"),
        ("gap", "gap"),
        ("peak_mb", "peak MB"),
        ("pulp_build_s", "PuLP build s"),
        ("build_speedup", "build x"),
        ("textbook_s", "textbook s"),
        ("pulp-cbc_s", "CBC s"),
        ("pulp-highs_s", "PuLP-HiGHS s"),
        ("check_ok", "check"),
    ]
    cells = []
    for row in rows:
        line = []
        for key, _ in columns:
            value = row.get(key)
            if key == "gap" and value is not None:
                line.append(f"{value:.2e}")
            elif key.endswith("_s") and key[:-2] in BASELINES and value is not None:
                lower = row.get(f"speedup_vs_{key[:-2]}_is_lower_bound")
                line.append(_fmt(value, 1) + (" (gap not reached)" if lower else ""))
            else:
                line.append(_fmt(value))
        cells.append(line)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(" | ".join(title for _, title in columns))
        for line in cells:
            print(" | ".join(line))
        return
    table = Table(title="estates_opt benchmarks")
    for _, title in columns:
        table.add_column(title)
    for line in cells:
        table.add_row(*line)
    Console(width=max(180, Console().width)).print(table)


def run(
    names: list[str],
    *,
    baselines: bool = True,
    only: list[str] | None = None,
    time_limit: float | None = None,
    baseline_time_limit: float | None = None,
    mem_limit_gb: float | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the cases (ours and their baselines), each in a fresh subprocess.

    ``baseline_time_limit`` overrides ``time_limit`` for the baselines (to show that a
    baseline has not reached the gap after k times our time, give it k times our limit);
    ``only`` keeps just those of each case's baselines.
    """
    info = machine_info()
    results = []
    began = time.perf_counter()
    for name in names:
        case = get_case(name)
        if not case.available():
            results.append(
                {
                    "case": name,
                    "variant": "ours",
                    "error": "data not on this machine",
                    "seconds": {},
                }
            )
            continue
        variants = ["ours"]
        if baselines:
            chosen = [b for b in case.baselines if only is None or b in only]
            variants += ["pulp-build" if b == "build" else b for b in chosen]
        for variant in variants:
            load = os.getloadavg()[0]
            limit = time_limit
            if variant != "ours" and baseline_time_limit is not None:
                limit = baseline_time_limit
            result = run_in_subprocess(name, variant, time_limit=limit, mem_limit_gb=mem_limit_gb)
            result["load_average_1min"] = load
            results.append(result)
            if progress:
                sec = result.get("seconds", {})
                print(
                    f"{name:<24} {variant:<10} build {_fmt(sec.get('build'))} s  "
                    f"solve {_fmt(sec.get('solve'))} s  gap {_fmt(result.get('gap'), 5)}  "
                    f"peak {_fmt(result.get('child_peak_mb'), 0)} MB  load {load:.1f}"
                    + (f"  ERROR {result['error'][:120]}" if result.get("error") else ""),
                    flush=True,
                )
    info["load_average_end"] = list(os.getloadavg())
    return {
        "benchmark": "estates_opt",
        "machine": info,
        "total_s": time.perf_counter() - began,
        "cases": [describe(get_case(n)) for n in names],
        "results": results,
        "summary": summarise(results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="the CI smoke set (tiny sizes)")
    parser.add_argument("--cases", nargs="+", metavar="NAME", help=f"any of: {', '.join(CASES)}")
    parser.add_argument("--out", default="benchmark_results.json", help="JSON file to write")
    parser.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    parser.add_argument(
        "--baselines",
        nargs="+",
        metavar="NAME",
        help="run only these of each case's baselines (e.g. textbook)",
    )
    parser.add_argument("--group", help="every case of one group (holmberg, tbed1, orlib, ...)")
    parser.add_argument("--time-limit", type=float, help="override every case's time limit")
    parser.add_argument(
        "--baseline-time-limit", type=float, help="override the baselines' time limits"
    )
    parser.add_argument(
        "--mem-limit-gb",
        type=float,
        help="RLIMIT_AS of each case (default: 75%% of the memory available at start)",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, case in CASES.items():
            print(f"{name:<24} {case.group:<10} gap {case.mip_gap:g}  limit {case.time_limit:g} s")
        return 0
    names = args.cases or (quick_cases() if args.quick else list(CASES))
    if args.group:
        names = [n for n in names if n in CASES and CASES[n].group == args.group]
    unknown = [n for n in names if n not in CASES and not n.startswith("syn:")]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    mem_limit = args.mem_limit_gb or round(0.75 * available_gb(), 1)
    report = run(
        names,
        baselines=not args.no_baselines,
        only=args.baselines,
        time_limit=args.time_limit,
        baseline_time_limit=args.baseline_time_limit,
        mem_limit_gb=mem_limit,
    )
    report["mem_limit_gb"] = mem_limit
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print_table(report["summary"])
    print(
        f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
        f"load {report['machine']['load_average']} -> {report['machine']['load_average_end']}"
    )
    print(f"written {out} ({report['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
