"""Issue 8 part 2: outputs are never half-written and inputs are never modified.

A solve writes into a temporary folder beside OUT_DIR and renames it into place
(``estates_opt.io.atomic``). Interrupting it (SIGINT from outside during the solve, or
from inside in the middle of writing a file) or making a writer raise must leave the
previous OUT_DIR byte for byte as it was, with no temporary folder left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ncl_sample import copy_folder, folder_digest, make_ncl_small, require_ncl, run_cli

import estates_opt as eo
import estates_opt.io.plan_write as plan_write

PREVIOUS = {"summary.json": '{"status": "optimal", "objective": 1.0}\n', "notes.txt": "mine\n"}


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ncl_small(tmp_path_factory.mktemp("ncl") / "small")


def _previous_output(out: Path) -> dict[str, str]:
    out.mkdir(parents=True)
    for name, text in PREVIOUS.items():
        (out / name).write_text(text, encoding="utf-8")
    return folder_digest(out)


def _siblings(out: Path) -> list[str]:
    """What lies beside OUT_DIR (temporary '.out.*.tmp' / '.old' folders must not)."""
    return sorted(p.name for p in out.parent.iterdir())


def test_forced_exception_mid_write_keeps_the_previous_output(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = folder_digest(small_folder)
    out = tmp_path / "out"
    before = _previous_output(out)
    calls = []
    real_csv = plan_write._csv

    def failing_csv(*args: object) -> None:
        calls.append(args)
        if len(calls) == 3:  # summary.json and two CSV files are already written
            raise OSError(28, "No space left on device")
        real_csv(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_write, "_csv", failing_csv)
    with pytest.raises(OSError, match="No space left"):
        run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    assert len(calls) == 3
    assert folder_digest(out) == before
    assert _siblings(out) == ["out"]
    assert folder_digest(small_folder) == inputs


def test_forced_exception_in_write_plan_leaves_no_new_folder(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = eo.solve(eo.read_instance(small_folder))

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(plan_write.pd.DataFrame, "to_csv", boom)
    with pytest.raises(RuntimeError, match="disk vanished"):
        eo.write_plan(plan, tmp_path / "new")
    assert _siblings(tmp_path / "new") == []


_SELF_INTERRUPT = """
import os, signal, sys
import estates_opt.cli
import estates_opt.io.plan_write as plan_write
real = plan_write._csv
calls = []
def interrupted(*args):
    calls.append(1)
    real(*args)
    if len(calls) == 2:  # half of the files are in the temporary folder
        os.kill(os.getpid(), signal.SIGINT)
plan_write._csv = interrupted
sys.exit(estates_opt.cli.main(sys.argv[1:]))
"""


def test_sigint_mid_write_keeps_the_previous_output(small_folder: Path, tmp_path: Path) -> None:
    inputs = folder_digest(small_folder)
    out = tmp_path / "out"
    before = _previous_output(out)
    args = ["-q", "solve", str(small_folder), "--out", str(out), "--overwrite"]
    done = subprocess.run(
        [sys.executable, "-c", _SELF_INTERRUPT, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted; nothing was written." in done.stderr
    assert "Traceback" not in done.stderr
    assert folder_digest(out) == before
    assert _siblings(out) == ["out"]
    assert folder_digest(small_folder) == inputs


def test_sigint_during_the_solve_keeps_the_previous_output(tmp_path: Path) -> None:
    # the full NCL sample needs about a minute to prove optimality: interrupt it mid-solve
    folder = copy_folder(require_ncl(), tmp_path / "ncl")
    inputs = folder_digest(folder)
    out = tmp_path / "out"
    before = _previous_output(out)
    args = ["solve", str(folder), "--out", str(out), "--overwrite", "--time-limit", "20"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "estates_opt", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until the model is handed to the solver
            seen.append(line)
            if "model built" in line:
                break
        assert proc.poll() is None, "".join(seen)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(seen) + rest
    # HiGHS finishes its current call first (at most the 20 s limit), then Python raises
    # KeyboardInterrupt: the CLI reports it and exits 130 without writing.
    assert proc.returncode == 130, err
    assert "interrupted; nothing was written." in err and "Traceback" not in err
    assert folder_digest(out) == before
    assert _siblings(out) == ["ncl", "out"]
    assert folder_digest(folder) == inputs


def test_inputs_are_never_modified_by_solve_and_write(small_folder: Path, tmp_path: Path) -> None:
    inputs = folder_digest(small_folder)
    stamps = {p.name: p.stat().st_mtime_ns for p in small_folder.iterdir()}
    out = tmp_path / "out"
    code, err = run_cli("-q", "solve", small_folder, "--out", out)
    assert code == 0, err
    inst = eo.read_instance(small_folder)
    eo.solve(inst)
    assert folder_digest(small_folder) == inputs
    assert {p.name: p.stat().st_mtime_ns for p in small_folder.iterdir()} == stamps


def test_overwrite_semantics(small_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # an empty existing folder is filled without --overwrite
    out.mkdir()
    assert run_cli("-q", "solve", small_folder, "--out", out)[0] == 0
    first = folder_digest(out)
    assert "summary.json" in first
    # a non-empty one is refused (exit 2, before solving) and left alone ...
    code, err = run_cli("-q", "solve", small_folder, "--out", out)
    assert code == 2 and "--overwrite" in err and "Traceback" not in err
    assert folder_digest(out) == first
    # ... and replaced as a whole with --overwrite: stray files do not survive
    (out / "stray.txt").write_text("old\n", encoding="utf-8")
    assert run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")[0] == 0
    assert not (out / "stray.txt").exists()
    assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
    assert _siblings(out) == ["out"]


def test_out_that_is_a_file_is_refused_even_with_overwrite(
    small_folder: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder\n", encoding="utf-8")
    code, err = run_cli("-q", "solve", small_folder, "--out", target, "--overwrite")
    assert code == 2 and "is not a folder" in err
    assert target.read_text(encoding="utf-8") == "not a folder\n"


def test_refusal_happens_before_the_solve(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import estates_opt.cli.solve as cli_solve

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solve ran although OUT_DIR could not be written")

    monkeypatch.setattr(cli_solve, "solve", never)
    out = tmp_path / "out"
    _previous_output(out)
    assert run_cli("-q", "solve", small_folder, "--out", out)[0] == 2


@pytest.mark.parametrize("where", ["same", "parent"])
def test_overwrite_never_deletes_the_instance(
    small_folder: Path, tmp_path: Path, where: str
) -> None:
    folder = copy_folder(small_folder, tmp_path / "work" / "inst")
    inputs = folder_digest(folder)
    out = folder if where == "same" else folder.parent
    code, err = run_cli("-q", "solve", folder, "--out", out, "--overwrite")
    assert folder.is_dir() and folder_digest(folder) == inputs
    assert code == 2 and "Traceback" not in err


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unwritable_parent_is_a_clear_error(small_folder: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o500)
    try:
        code, err = run_cli("-q", "solve", small_folder, "--out", parent / "out")
    finally:
        parent.chmod(0o700)
    assert code != 0 and "Traceback" not in err
