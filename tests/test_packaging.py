"""The wheel carries the samples and the package data, without building one.

setuptools computes the file list of ``build_py`` from ``setup.py`` and
``pyproject.toml``; these tests read that list, so a sample file or a package-data
file left out of the wheel fails here rather than after a user's ``pip install``.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from unittest import mock

import pytest
import setuptools
from setuptools.dist import Distribution

import estates_opt
from estates_opt.cli import main
from estates_opt.datasets import data_dir, sample_names

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_data(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """Package -> data files (relative to the package) that a wheel build would copy."""
    captured: dict[str, object] = {}
    monkeypatch_module.chdir(ROOT)
    with mock.patch.object(setuptools, "setup", lambda **kw: captured.update(kw)):
        runpy.run_path(str(ROOT / "setup.py"))
    dist = Distribution(captured)
    dist.parse_config_files()
    dist.include_package_data = False
    build_py = dist.get_command_obj("build_py")
    build_py.ensure_finalized()
    return {pkg: set(files) for pkg, _src, _build, files in build_py.data_files}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_every_sample_file_is_in_the_wheel(wheel_data: dict[str, set[str]]) -> None:
    shipped = wheel_data["estates_opt._samples"]
    for name in sample_names():
        on_disk = {f"{name}/{p.name}" for p in (ROOT / "data" / name).iterdir() if p.is_file()}
        assert on_disk, name
        assert on_disk <= shipped, sorted(on_disk - shipped)
    assert "README.md" in shipped  # sources and licences travel with the data


def test_package_data_is_in_the_wheel(wheel_data: dict[str, set[str]]) -> None:
    shipped = wheel_data["estates_opt"]
    package = ROOT / "estates_opt"
    on_disk = {
        str(p.relative_to(package))
        for p in (package / "geodata").iterdir()
        if p.is_file() and not p.name.startswith(".")
    }
    assert {"py.typed", *on_disk} <= shipped


def test_samples_are_read_from_the_installed_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a clone ``data_dir`` falls back to ``estates_opt/_samples`` (as in a wheel)."""
    fake = tmp_path / "site-packages" / "estates_opt"
    (fake / "_samples" / "ncl_pilot").mkdir(parents=True)
    monkeypatch.setattr(estates_opt, "__file__", str(fake / "__init__.py"))
    monkeypatch.setattr("importlib.resources.files", lambda pkg: fake)
    assert data_dir() == fake / "_samples"


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"estates-opt {estates_opt.__version__}\n"
