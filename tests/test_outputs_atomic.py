"""Issue 8 part 2 and issue 16: outputs are never half-written and inputs never modified.

A solve writes into a temporary folder beside OUT_DIR and renames it into place
(``estates_opt.io.atomic``). Interrupting it (SIGINT during the solve or in the middle of
writing, raised at a fixed point so no test depends on the machine's speed) or making a
writer raise must leave the previous OUT_DIR byte for byte as it was, with no temporary
folder or lock file left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ncl_sample import copy_folder, folder_digest, make_ncl_small, run_cli

import estates_opt as eo
import estates_opt.io.plan_write as plan_write
from estates_opt.io.atomic import recover, write_file
from estates_opt.io.output_guard import MARKER
from estates_opt.report import write_html

# a previous plan (the files of 'estates-opt solve'; --overwrite may replace it)
PREVIOUS = {
    "summary.json": '{"status": "optimal", "objective": 1.0, "kpis": {"receipts": 1.0}}\n',
    "site_decisions.csv": "site_id,decision,dispose_period,receipt,housing_units\n",
}


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_ncl_small(tmp_path_factory.mktemp("ncl") / "small")


def _previous_output(out: Path) -> dict[str, str]:
    out.mkdir(parents=True)
    for name, text in PREVIOUS.items():
        (out / name).write_text(text, encoding="utf-8")
    return folder_digest(out)


def _siblings(out: Path) -> list[str]:
    """What lies beside OUT_DIR (temporary, '.old' and lock files must not)."""
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
    code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    assert len(calls) == 3
    assert code == 1 and "Traceback" not in err
    assert f"could not write {out}: No space left on device" in err
    assert "the previous output is unchanged" in err
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


def test_keyboard_interrupt_after_the_first_file_keeps_the_previous_output(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = _previous_output(out)
    real_csv = plan_write._csv

    def interrupted(*args: object) -> None:
        real_csv(*args)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # Ctrl-C with one CSV file in the temporary folder

    monkeypatch.setattr(plan_write, "_csv", interrupted)
    code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    assert code == 130 and "interrupted; nothing was written." in err
    assert folder_digest(out) == before
    assert _siblings(out) == ["out"]


# A real SIGINT, raised at a fixed point: signal.raise_signal runs Python's handler before
# it returns, so KeyboardInterrupt comes from that line whatever the machine's speed.
_INTERRUPT_AT = """
import signal, sys
import estates_opt.cli
import estates_opt.io.plan_write as plan_write
import estates_opt.cli.solve as cli_solve
# Python's own SIGINT handler, even where this process inherited SIGINT ignored (a
# background job of a non-interactive shell): the test is about that handler's path
signal.signal(signal.SIGINT, signal.default_int_handler)
where = sys.argv.pop(1)
if where == "write":
    real = plan_write._csv
    def interrupted(*args):
        real(*args)  # one CSV file is in the temporary folder
        signal.raise_signal(signal.SIGINT)
    plan_write._csv = interrupted
else:
    real_solve = cli_solve.solve
    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # the solve phase has begun
        return real_solve(*args, **kwargs)
    cli_solve.solve = interrupted
sys.exit(estates_opt.cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("where", ["write", "solve"])
def test_sigint_keeps_the_previous_output(small_folder: Path, tmp_path: Path, where: str) -> None:
    folder = copy_folder(small_folder, tmp_path / "inst")
    inputs = folder_digest(folder)
    out = tmp_path / "out"
    before = _previous_output(out)
    args = ["-q", "solve", str(folder), "--out", str(out), "--overwrite"]
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_AT, where, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted; nothing was written." in done.stderr
    assert "Traceback" not in done.stderr
    assert folder_digest(out) == before
    assert _siblings(out) == ["inst", "out"]
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
    assert "summary.json" in first and MARKER in first
    # a previous plan is refused without --overwrite (exit 2, before solving) ...
    code, err = run_cli("-q", "solve", small_folder, "--out", out)
    assert code == 2 and "--overwrite" in err and "Traceback" not in err
    assert folder_digest(out) == first
    # ... a file the solve did not write is refused even with it, and nothing is deleted
    (out / "stray.txt").write_text("mine\n", encoding="utf-8")
    code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    assert code == 2 and "stray.txt" in err and "Traceback" not in err
    assert folder_digest(out) == {**first, "stray.txt": folder_digest(out)["stray.txt"]}
    # ... and a previous plan alone is replaced as a whole with --overwrite
    (out / "stray.txt").unlink()
    assert run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")[0] == 0
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


# --- issue 16: replacement that survives a kill, stale leftovers, links, modes, locks -----


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# the process dies (no cleanup runs) between the two renames of a folder replacement
_KILL_BETWEEN_RENAMES = """
import os, sys
import estates_opt.cli
real = os.rename
def rename(src, dst):
    name = os.path.basename(str(src))
    if name.startswith(".out.") and name.endswith(".tmp"):  # the new folder's rename
        os._exit(137)
    return real(src, dst)
os.rename = rename
sys.exit(estates_opt.cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("next_run", ["recover", "solve"])
def test_kill_between_the_renames_is_recovered_by_the_next_run(
    small_folder: Path, tmp_path: Path, next_run: str
) -> None:
    out = tmp_path / "out"
    before = _previous_output(out)
    args = ["-q", "solve", str(small_folder), "--out", str(out), "--overwrite"]
    done = subprocess.run(
        [sys.executable, "-c", _KILL_BETWEEN_RENAMES, *args], capture_output=True, timeout=300
    )
    assert done.returncode == 137
    # the old plan is no longer under its name, but whole beside it; the new one too
    assert not out.exists()
    left = _leftovers(tmp_path, "out")
    assert [n for n in left if n.endswith(".old")] and [n for n in left if n.endswith(".tmp")]
    if next_run == "recover":
        assert any("restored" in line for line in recover(out))
        assert folder_digest(out) == before
    else:
        code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
        assert code == 0, err
        assert json.loads((out / "summary.json").read_text())["status"] == "optimal"
    assert _siblings(out) == ["out"]


def test_failure_between_the_renames_puts_the_old_folder_back(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = _previous_output(out)
    real = os.rename
    calls: list[str] = []

    def rename(src: object, dst: object) -> None:
        calls.append(Path(str(src)).name)
        if len(calls) == 2:  # the old folder is under .old; the new one fails to move
            raise OSError(5, "Input/output error")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    monkeypatch.undo()
    assert calls[0] == "out" and len(calls) == 3  # out -> .old, new -> out (fails), .old -> out
    assert code == 1 and "Input/output error" in err and "Traceback" not in err
    assert folder_digest(out) == before
    assert _siblings(out) == ["out"]


def test_stale_leftovers_of_a_crashed_run_are_cleaned(small_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _previous_output(out)
    for name in (".out.abcd1234.tmp", ".out.k2j3h4g5.old"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text("{}", encoding="utf-8")
    (tmp_path / ".out.lock").write_text("", encoding="utf-8")  # a lock nobody holds
    (tmp_path / ".other.abcd1234.tmp").mkdir()  # not ours to clean: another target's
    code, err = run_cli("-q", "solve", small_folder, "--out", out, "--overwrite")
    assert code == 0, err
    assert _siblings(out) == [".other.abcd1234.tmp", "out"]


def test_a_planted_link_cannot_redirect_a_report(small_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert run_cli("-q", "solve", small_folder, "--out", out)[0] == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    # the fixed temporary names of earlier versions, now unused
    for name in (".r.html.tmp", ".r.xlsx.tmp"):
        (tmp_path / name).symlink_to(victim)
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    code, err = run_cli("-q", "report", out, "--html", html, "--excel", xlsx)
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert html.read_bytes().startswith(b"<!DOCTYPE html>")
    # the one predictable name (the lock) is opened without following links: refused
    (tmp_path / ".r.html.lock").symlink_to(victim)
    code, err = run_cli("-q", "report", out, "--html", html, "--no-excel")
    assert code == 2 and "symbolic link" in err and "Traceback" not in err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    # an output that is itself a link is refused too
    (tmp_path / "r.html").unlink()
    (tmp_path / "r.html").symlink_to(victim)
    code, err = run_cli("-q", "report", out, "--html", html, "--no-excel")
    assert code == 2 and "symbolic link" in err
    assert victim.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_follow_the_umask(small_folder: Path, tmp_path: Path, umask: int) -> None:
    plan = eo.solve(eo.read_instance(small_folder))
    old = os.umask(umask)
    try:
        out = eo.write_plan(plan, tmp_path / "out")
        single = write_file(tmp_path / "sweep.csv", "a,b\n")
        report = write_html(plan, tmp_path / "report.html")
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o777 & ~umask
    for path in (single, report, out / "summary.json", out / "plan.gpkg", out / MARKER):
        assert (path.stat().st_mode & 0o777) == 0o666 & ~umask, path


def test_a_locked_output_is_refused_before_the_solve(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fcntl = pytest.importorskip("fcntl")
    import estates_opt.cli.solve as cli_solve

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solve ran although OUT_DIR is locked")

    monkeypatch.setattr(cli_solve, "solve", never)
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "w") as held:  # another writer
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, err = run_cli("-q", "solve", small_folder, "--out", out)
    assert code == 2 and "another process is writing" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("problem", ["under a file", "read-only"])
def test_an_unwritable_output_is_refused_before_the_solve(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    import estates_opt.cli.solve as cli_solve

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solve ran although OUT_DIR cannot be written")

    monkeypatch.setattr(cli_solve, "solve", never)
    if problem == "under a file":
        (tmp_path / "file").write_text("x", encoding="utf-8")
        out, expected = tmp_path / "file" / "out", "is a file, not a folder"
    else:  # as a read-only file system answers (root ignores permission bits)
        out, expected = tmp_path / "out", "Read-only file system"
        real = os.open

        def read_only(path: object, *args: object, **kwargs: object) -> int:
            if str(path).endswith(".out.lock"):
                raise OSError(30, "Read-only file system", str(path))
            return real(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", read_only)
    code, err = run_cli("-q", "solve", small_folder, "--out", out)
    monkeypatch.undo()
    assert code == 2 and expected in err and "Traceback" not in err
    assert not out.exists()


# writes beyond a size fail with EFBIG, as writes on a full disk fail with ENOSPC
_SIZE_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
import estates_opt.cli
sys.exit(estates_opt.cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE semantics")
@pytest.mark.parametrize("limit", [2_000, 20_000])  # in a CSV file, in the GeoPackage
def test_a_full_disk_is_a_clear_error(small_folder: Path, tmp_path: Path, limit: int) -> None:
    out = tmp_path / "out"
    before = _previous_output(out)
    args = ["-q", "solve", str(small_folder), "--out", str(out), "--overwrite"]
    done = subprocess.run(
        [sys.executable, "-c", _SIZE_LIMITED, str(limit), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 1, done.stderr
    assert f"could not write {out}: File too large" in done.stderr
    assert "gpkg_contents" not in done.stderr and "Traceback" not in done.stderr
    assert folder_digest(out) == before
    assert _siblings(out) == ["out"]


def test_report_never_leaves_a_partial_file(
    small_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    assert run_cli("-q", "solve", small_folder, "--out", out)[0] == 0
    assert run_cli("-q", "report", out, "--no-excel")[0] == 0
    before = folder_digest(out)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, err = run_cli("-q", "report", out)
    monkeypatch.undo()
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert folder_digest(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [MARKER]
