"""Issue 16: no command loses or overwrites a file it did not write.

Every command that writes (solve, report, sample, alternatives, sweep, frontier,
uncertainty, compare-governance) refuses, with exit 2 and the file's name, an output
holding a file it did not write (even with --overwrite), an instance folder, or another
command's output; nothing is deleted. ``report`` checks ``summary.json`` before using it.
The scenario commands give every scenario its own folder, trust no cache entry they
cannot check, refuse grids beyond 10,000 combinations and say when rows failed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from ncl_sample import folder_digest, run_cli
from small import instance, project, site, zone

import estates_opt as eo
from estates_opt.cli._scenario import plan_folders
from estates_opt.cli.sweep import EXIT_FAILED_ROWS
from estates_opt.io.output_guard import MARKER, read_marker
from estates_opt.scenarios import cache
from estates_opt.scenarios.run import cached_solve, instance_hash
from estates_opt.scenarios.spec import MAX_GRID

NOWHERE = "tcp://127.0.0.1:9"  # a scheduler never contacted: the refusal comes first


def _estate() -> eo.Instance:
    """Two boroughs, each with a site that must stay and one that may be sold."""
    return instance(
        [
            site("S1", borough="B1", capacity_m2=200, disposable=False),
            site("S2", borough="B1", capacity_m2=100, market_value=1e6, housing_units=10),
            site("S3", borough="B2", capacity_m2=200, disposable=False),
            site("S4", borough="B2", capacity_m2=100, market_value=5e5, housing_units=10),
        ],
        [zone("Z1", borough="B1", x=10_000.0), zone("Z2", borough="B2", x=30_000.0)],
        [project("P1", "S1", capex=1000.0, added_capacity_m2=50.0)],
        periods=2,
    )


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return eo.write_instance(_estate(), tmp_path_factory.mktemp("guard") / "inst")


@pytest.fixture(scope="module")
def plan(inst: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "plan"
    code, err = run_cli("-q", "solve", inst, "--out", out)
    assert code == 0, err
    return out


def _args(command: str, inst: Path, out: Path) -> list[str | Path]:
    extra: dict[str, list[str]] = {
        "solve": [],
        "alternatives": ["-k", "2"],
        "sweep": ["--grid", "housing_target=0,10", "--scheduler", NOWHERE],
        "frontier": ["--points", "2", "--max-points", "3"],
        "uncertainty": ["--samples", "2", "--scheduler", NOWHERE],
        "compare-governance": ["--scheduler", NOWHERE],
    }
    return ["-q", command, inst, "--out", out, *extra[command]]


FOLDER_COMMANDS = [
    "solve",
    "alternatives",
    "sweep",
    "frontier",
    "uncertainty",
    "compare-governance",
]


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_a_file_the_command_did_not_write_is_never_deleted(
    command: str, inst: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.txt").write_text("four years of work\n", encoding="utf-8")
    before = folder_digest(out)
    code, err = run_cli(*_args(command, inst, out), "--overwrite")
    assert code == 2, err
    assert "thesis.txt" in err and "nothing was deleted" in err and "Traceback" not in err
    assert folder_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
@pytest.mark.parametrize("where", ["the input", "another instance"])
def test_no_output_goes_into_an_instance_folder(
    command: str, where: str, inst: Path, tmp_path: Path
) -> None:
    target = inst if where == "the input" else eo.write_instance(_estate(), tmp_path / "other")
    before = folder_digest(target)
    code, err = run_cli(*_args(command, inst, target), "--overwrite")
    assert code == 2, err
    assert "Traceback" not in err
    assert "instance folder" in err or "input folder" in err
    assert folder_digest(target) == before
    eo.read_instance(target)  # still a valid instance


@pytest.mark.parametrize("command", ["uncertainty", "compare-governance", "sweep", "frontier"])
def test_a_plan_folder_is_not_replaced_by_another_command(
    command: str, inst: Path, plan: Path
) -> None:
    before = folder_digest(plan)
    code, err = run_cli(*_args(command, inst, plan), "--overwrite")
    assert code == 2 and "'estates-opt solve'" in err and "Traceback" not in err
    assert folder_digest(plan) == before


def test_sample_never_replaces_foreign_files(tmp_path: Path) -> None:
    from estates_opt.datasets import sample_names

    if "ncl_pilot" not in sample_names():
        pytest.skip("the ncl_pilot sample is being rebuilt")
    out = tmp_path / "estate"
    out.mkdir()
    (out / "sites.csv").write_text("site_id\n", encoding="utf-8")
    (out / "my_notes.md").write_text("mine\n", encoding="utf-8")
    before = folder_digest(out)
    code, err = run_cli("-q", "sample", "ncl_pilot", "--out", out, "--overwrite")
    assert code == 2 and "my_notes.md" in err and "Traceback" not in err
    assert folder_digest(out) == before


@pytest.mark.parametrize("command", ["solve", "alternatives", "frontier"])
def test_overwrite_replaces_a_previous_output_of_the_same_command(
    command: str, inst: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, err = run_cli(*_args(command, inst, out))
    assert code == 0, err
    marker = read_marker(out)
    assert marker is not None and (out / MARKER).is_file()
    assert all((out / name).exists() for name in marker["files"])
    code, err = run_cli(*_args(command, inst, out))
    assert code == 2 and "--overwrite" in err
    code, err = run_cli(*_args(command, inst, out), "--overwrite")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- report ------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--html", "--excel", "--gpkg"])
def test_report_never_replaces_a_file_it_did_not_write(
    option: str, plan: Path, tmp_path: Path
) -> None:
    suffix = {"--html": ".html", "--excel": ".xlsx", "--gpkg": ".gpkg"}[option]
    mine = tmp_path / f"mine{suffix}"
    mine.write_text("the user's own file\n", encoding="utf-8")
    code, err = run_cli("-q", "report", plan, option, mine)
    assert code == 2 and str(mine) in err and "Traceback" not in err
    assert mine.read_text(encoding="utf-8") == "the user's own file\n"
    # its own earlier file is replaced
    own = tmp_path / f"own{suffix}"
    assert run_cli("-q", "report", plan, option, own)[0] == 0
    assert run_cli("-q", "report", plan, option, own)[0] == 0


def test_report_files_join_the_plan_folder(inst: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert run_cli("-q", "solve", inst, "--out", out)[0] == 0
    code, err = run_cli("-q", "report", out, "--gpkg", out / "board.gpkg")
    assert code == 0, err
    assert {"report.html", "plan.xlsx", "board.gpkg"} <= set(read_marker(out)["files"])
    assert run_cli("-q", "solve", inst, "--out", out, "--overwrite")[0] == 0


def test_report_is_never_written_into_an_instance_folder(plan: Path, inst: Path) -> None:
    before = folder_digest(inst)
    code, err = run_cli("-q", "report", plan, "--html", inst / "report.html", "--no-excel")
    assert code == 2 and "instance folder" in err
    assert folder_digest(inst) == before


_SUMMARIES = {
    "empty object": ("{}", "key 'status' is missing"),
    "not an object": ("[]", "expected a JSON object, got list"),
    "unknown status": ('{"status": "done", "kpis": {}}', "key 'status': expected one of"),
    "objective text": (
        '{"status": "optimal", "objective": "lots", "kpis": {"receipts": 1}}',
        "key 'objective': expected a number or null, got \"lots\"",
    ),
    "objective NaN": (
        '{"status": "optimal", "objective": NaN, "kpis": {"receipts": 1}}',
        "key 'objective': expected a finite number or null, got NaN",
    ),
    "kpi Infinity": (
        '{"status": "optimal", "objective": 1, "kpis": {"receipts": Infinity}}',
        "key 'kpis.receipts': expected a finite number or null, got Infinity",
    ),
    "kpis missing": ('{"status": "optimal", "objective": 1}', "key 'kpis' is missing"),
    "kpis empty": ('{"status": "feasible", "objective": 1, "kpis": {}}', "key 'kpis'"),
    "kpis a list": ('{"status": "optimal", "objective": 1, "kpis": [1]}', "key 'kpis'"),
    "kpi text": (
        '{"status": "optimal", "objective": 1, "kpis": {"receipts": "many"}}',
        "key 'kpis.receipts': expected a number or null",
    ),
    "gap negative": (
        '{"status": "optimal", "objective": 1, "mip_gap": -1, "kpis": {"receipts": 1}}',
        "key 'mip_gap'",
    ),
}


@pytest.mark.parametrize("case", sorted(_SUMMARIES))
def test_report_checks_summary_json(case: str, plan: Path, tmp_path: Path) -> None:
    text, expected = _SUMMARIES[case]
    out = tmp_path / "plan"
    shutil.copytree(plan, out)  # the plan folder may hold an earlier report's figures
    (out / "summary.json").write_text(text, encoding="utf-8")
    before = folder_digest(out)
    code, err = run_cli("-q", "report", out)
    assert code == 2, err
    assert err.startswith("error: summary.json: ") and expected in err, err
    assert "Traceback" not in err
    assert folder_digest(out) == before


# --- scenario commands ----------------------------------------------------------------


def test_every_scenario_gets_its_own_folder() -> None:
    names = ["a/b", "a_b", "a:b", "A_B", "base", "../x", "x" * 300]
    folders = plan_folders(names)
    assert len({f.casefold() for f in folders.values()}) == len(names)
    assert folders["base"] == "base"
    for name, folder in folders.items():
        assert "/" not in folder and not folder.startswith(".") and len(folder) < 100, name


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as dask,
    ):
        yield dask


def _scenarios(folder: Path, text: str) -> Path:
    path = folder / "set.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sweep_plans_of_similar_names_do_not_collide(client, inst: Path, tmp_path: Path) -> None:
    toml = _scenarios(
        tmp_path,
        '[[variant]]\nname = "a/b"\nkeep = ["S2"]\n'
        '[[variant]]\nname = "a_b"\nhousing_target = 10\n',
    )
    out = tmp_path / "out"
    args = ["-q", "sweep", inst, "--out", out, "--scenarios", toml, "--plans"]
    code, err = run_cli(*args, "--scheduler", client.scheduler.address)
    assert code == 0, err
    table = pd.read_csv(out / "plans" / "index.csv", dtype=str)
    index = dict(zip(table["scenario"], table["folder"], strict=True))
    assert set(index) == {"a/b", "a_b"} and index["a_b"] == "a_b"
    assert index["a/b"].startswith("a_b-")
    first = (out / "plans" / index["a/b"] / "site_decisions.csv").read_text()
    second = (out / "plans" / index["a_b"] / "site_decisions.csv").read_text()
    assert first != second  # two plans, none lost
    mode = (out / "sweep.csv").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # not 0600


def test_a_sweep_with_failed_rows_exits_non_zero(client, inst: Path, tmp_path: Path) -> None:
    toml = _scenarios(
        tmp_path,
        '[[variant]]\nname = "fine"\nhousing_target = 0\n'
        '[[variant]]\nname = "broken"\n"sites.market_value" = -1.0\n',
    )
    out = tmp_path / "out"
    args = ["-q", "sweep", inst, "--out", out, "--scenarios", toml]
    code, err = run_cli(*args, "--scheduler", client.scheduler.address)
    assert code == EXIT_FAILED_ROWS == 5
    assert "1 of 2 scenarios failed (broken)" in err and "Traceback" not in err
    table = (out / "sweep.csv").read_text()
    assert "broken" in table and "error" in table


def test_an_empty_scenario_set_is_an_error(inst: Path, tmp_path: Path) -> None:
    toml = _scenarios(tmp_path, "include = []\n")
    out = tmp_path / "out"
    code, err = run_cli("-q", "sweep", inst, "--out", out, "--scenarios", toml)
    assert code == 2 and "set.toml: expected at least one scenario" in err
    assert not out.exists()


def test_a_grid_beyond_the_maximum_is_refused_before_anything_is_built(
    inst: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import estates_opt.cli.sweep as cli_sweep

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the instance was read although the grid is refused")

    monkeypatch.setattr(cli_sweep, "read_instance", never)
    keys = ["housing_target", "reach_factor", "sites.market_value", "sites.running_cost",
            "sites.backlog_cost", "sites.capacity_m2", "zones.population"]  # fmt: skip
    axes = [f"{key}={','.join(str(1 + i / 100) for i in range(30))}" for key in keys]  # 30^7
    grid = [a for axis in axes for a in ("--grid", axis)]
    code, err = run_cli("-q", "sweep", inst, "--out", tmp_path / "out", *grid)
    assert code == 2 and "Traceback" not in err
    assert f"{30**7:,} combinations" in err and f"at most {MAX_GRID:,}" in err


def test_a_toml_grid_beyond_the_maximum_is_refused(inst: Path, tmp_path: Path) -> None:
    values = ", ".join(map(str, range(101)))
    toml = _scenarios(tmp_path, f"[grid]\nhousing_target = [{values}]\nreach_factor = [{values}]\n")
    code, err = run_cli("-q", "sweep", inst, "--out", tmp_path / "out", "--scenarios", toml)
    assert code == 2 and "set.toml: the grid has 10,201 combinations" in err


def test_quiet_silences_dask(inst: Path, tmp_path: Path) -> None:
    args = ["-q", "sweep", str(inst), "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "estates_opt",
            *args,
            "--grid",
            "housing_target=0",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- the scenario cache -----------------------------------------------------------------

OPTIONS = {"solver": "highs", "mip_gap": 1e-4, "time_limit": None, "threads": 1}


def _entry(folder: Path) -> Path:
    (entry,) = folder.glob("*.json")
    return entry


@pytest.mark.parametrize(
    "damage",
    ["empty list", "objective 1e99 (edited)", "objective 1e99 (checksum redone)", "no row"],
)
def test_a_bad_cache_entry_is_solved_again_with_a_warning(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    estate = _estate()
    first, cached = cached_solve(estate, {}, OPTIONS, tmp_path)
    assert not cached and first["row"]["status"] == "optimal"
    path = _entry(tmp_path)
    entry = json.loads(path.read_text())
    if damage == "empty list":
        entry = []
    elif damage == "no row":
        del entry["row"]
    else:
        entry["row"]["objective"] = 1e99
        if "redone" in damage:
            entry["checksum"] = cache._checksum(entry)
    path.write_text(json.dumps(entry))
    with caplog.at_level(logging.WARNING, logger="estates_opt.scenarios.cache"):
        again, cached = cached_solve(estate, {}, OPTIONS, tmp_path)
    assert not cached and again["row"]["objective"] == first["row"]["objective"]
    assert "solving the scenario again" in caplog.text
    assert cached_solve(estate, {}, OPTIONS, tmp_path)[1]  # the entry was rewritten


def test_the_cache_key_holds_the_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = cache.versions()
    assert {"estates_opt", "model", "highspy", "pulp", "ortools"} <= set(versions)
    key = cache.cache_key(instance_hash(_estate()), {}, OPTIONS)
    for name in ("estates_opt", "model", "highspy"):
        changed = {**versions, name: "something else"}
        monkeypatch.setattr(cache, "versions", lambda changed=changed: changed)
        assert cache.cache_key(instance_hash(_estate()), {}, OPTIONS) != key
