"""Issue 8 part 4: the same instance, options and solver give the same plan, byte for byte.

What is compared: every CSV output byte for byte; ``summary.json`` byte for byte once
the wall-clock ``timings`` are removed (they are measurements, not results); ``plan.gpkg``
layer by layer (a GeoPackage stores its write time in ``gpkg_contents.last_change``, so
its bytes differ between any two writes even of the same data).

Threads: HiGHS's MIP search is deterministic for a given ``threads`` value and, on these
instances, across ``threads=1`` and ``threads=2`` (its parallelism is in the LP/symmetry
work, which returns the same result; a time limit would break determinism and is not
used here). If a HiGHS upgrade changes that, the cross-thread test says so explicitly.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from ncl_sample import make_ncl_small, run_cli

import estates_opt as eo


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # five periods and all of the derived sample's options: marriage pairs, projects
    return make_ncl_small(tmp_path_factory.mktemp("ncl") / "small", zones=12, periods=5)


def _solve(folder: Path, out: Path, *options: str) -> Path:
    code, err = run_cli("-q", "solve", folder, "--out", out, "--mip-gap", "0", *options)
    assert code == 0, err
    return out


def _results(out: Path) -> dict[str, object]:
    """Every output file as comparable content (see the module docstring)."""
    found: dict[str, object] = {}
    for path in sorted(out.iterdir()):
        if path.name == "summary.json":
            summary = json.loads(path.read_text(encoding="utf-8"))
            assert isinstance(summary.pop("timings"), dict)
            found[path.name] = json.dumps(summary, sort_keys=False)
        elif path.suffix == ".gpkg":
            for layer in pyogrio.list_layers(path)[:, 0]:
                frame = gpd.read_file(path, layer=layer)
                found[f"{path.name}:{layer}"] = frame.to_json(sort_keys=True)
        else:
            found[path.name] = path.read_bytes()
    return found


def _diff(a: dict[str, object], b: dict[str, object]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def test_two_runs_give_identical_files(small_folder: Path, tmp_path: Path) -> None:
    first = _results(_solve(small_folder, tmp_path / "a"))
    second = _results(_solve(small_folder, tmp_path / "b"))
    assert "site_decisions.csv" in first and "plan.gpkg:sites" in first
    assert _diff(first, second) == []


def test_summary_bytes_differ_only_in_timings(small_folder: Path, tmp_path: Path) -> None:
    a = (_solve(small_folder, tmp_path / "a") / "summary.json").read_text(encoding="utf-8")
    b = (_solve(small_folder, tmp_path / "b") / "summary.json").read_text(encoding="utf-8")
    lines = [(x, y) for x, y in zip(a.splitlines(), b.splitlines(), strict=True) if x != y]
    timings = (
        '"build_s"',
        '"solve_s"',
        '"diagnose_s"',
        '"strengthen_s"',
        '"warm_start_s"',
        '"search_s"',
    )
    assert all(any(key in x for key in timings) for x, _ in lines)


def test_threads_1_and_2_give_identical_files(small_folder: Path, tmp_path: Path) -> None:
    one = _results(_solve(small_folder, tmp_path / "t1", "--threads", "1"))
    two = _results(_solve(small_folder, tmp_path / "t2", "--threads", "2"))
    assert _diff(one, two) == [], "HiGHS gave different plans for threads=1 and threads=2"


def test_library_plans_are_identical_across_runs(small_folder: Path) -> None:
    inst = eo.read_instance(small_folder)
    a = eo.solve(inst, mip_gap=0.0)
    b = eo.solve(inst, mip_gap=0.0)
    assert a.objective == b.objective and a.best_bound == b.best_bound
    for name in ("site_decisions", "project_decisions", "assignments", "marriage_pairs"):
        assert getattr(a, name).equals(getattr(b, name)), name


def test_row_order_of_the_input_does_not_change_the_decisions(
    small_folder: Path, tmp_path: Path
) -> None:
    """Reversing sites.csv may change the solver's path but never the optimal NPV."""
    from ncl_sample import copy_folder, read_rows, write_rows

    def reverse(folder: Path) -> None:
        header, rows = read_rows(folder / "sites.csv")
        write_rows(folder / "sites.csv", header, rows[::-1])

    flipped = copy_folder(small_folder, tmp_path / "flipped", reverse)
    a = eo.solve(eo.read_instance(small_folder), mip_gap=0.0)
    b = eo.solve(eo.read_instance(flipped), mip_gap=0.0)
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
