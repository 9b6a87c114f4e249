"""Issue 8 part 5: input data is data. Names are escaped in every HTML output; TOML and
CSV are parsed, never evaluated; nothing unpickles; scenario files cannot reach outside
their folder.
"""

from __future__ import annotations

import ast
import html
from pathlib import Path

import pandas as pd
import pytest
from ncl_sample import REPO, copy_folder, make_ncl_small, run_cli, set_cell
from small import GP, instance, site, zone

import estates_opt as eo
from estates_opt.report import write_html
from estates_opt.scenarios.spec import read_scenario_set

PAYLOADS = {
    "site name": "<script>alert('site')</script>",
    "site id": 'S1"><img src=x onerror=alert(1)>',
    "owner": "<iframe src=javascript:alert(2)>",
    "borough": "B&<b>old</b>",
    "zone id": "Z<svg onload=alert(3)>",
    "service": "gp<u>x</u>",
}


@pytest.fixture(scope="module")
def hostile_plan() -> eo.Plan:
    service = PAYLOADS["service"]
    inst = instance(
        [
            site("S1", name="</td></tr></table><h1>x</h1>", capacity_m2=200, services=service,
                 disposable=False),
            site(
                PAYLOADS["site id"],
                name=PAYLOADS["site name"],
                owner=PAYLOADS["owner"],
                borough=PAYLOADS["borough"],
                capacity_m2=100,
                market_value=1e6,
                services=service,
            ),
        ],
        [zone(PAYLOADS["zone id"], borough=PAYLOADS["borough"])],
        services={service: GP},
        periods=2,
    )  # fmt: skip
    plan = eo.solve(inst)
    assert plan.status is eo.Status.OPTIMAL
    return plan


def _assert_escaped(text: str) -> None:
    for what, payload in PAYLOADS.items():
        assert payload not in text, f"raw {what} in HTML"
    for tag in ("<script>alert", "<img src=x", "<iframe", "<svg onload", "<h1>x</h1>"):
        assert tag not in text, tag


def test_write_html_escapes_names_from_the_plan(hostile_plan: eo.Plan, tmp_path: Path) -> None:
    path = write_html(hostile_plan, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    _assert_escaped(text)
    # the disposed site and the service are shown, as text
    for what in ("site name", "site id", "service"):
        assert html.escape(PAYLOADS[what]) in text, what


def test_write_html_escapes_names_from_an_output_folder(
    hostile_plan: eo.Plan, tmp_path: Path
) -> None:
    out = eo.write_plan(hostile_plan, tmp_path / "out")
    _assert_escaped(write_html(out, tmp_path / "report.html").read_text(encoding="utf-8"))
    _assert_escaped(hostile_plan.to_html(tmp_path / "plan.html").read_text(encoding="utf-8"))


def test_report_command_escapes_names(hostile_plan: eo.Plan, tmp_path: Path) -> None:
    out = eo.write_plan(hostile_plan, tmp_path / "out")
    before = {p.name for p in out.iterdir()}
    code, err = run_cli("-q", "report", out)
    assert code == 0, err
    pages = [p for p in out.rglob("*.html")] + [p for p in tmp_path.glob("*.html")]
    assert pages or before != {p.name for p in out.iterdir()}
    for page in pages:
        _assert_escaped(page.read_text(encoding="utf-8"))


# --- parsed as data only -------------------------------------------------------------

_CODE = "__import__('pathlib').Path('{marker}').touch()"


def test_csv_and_toml_cells_are_never_evaluated(tmp_path: Path) -> None:
    folder = make_ncl_small(tmp_path / "inst")
    marker = tmp_path / "PWNED"
    code = _CODE.format(marker=marker)
    set_cell(folder / "sites.csv", 1, "capacity_m2", code)
    set_cell(folder / "sites.csv", 2, "name", code)
    set_cell(folder / "zones.csv", 1, "population", code)
    with (folder / "scenario.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[services.evil]\nspace_per_1000 = "{code}"\nmax_distance_m = 1.0\n')
    with pytest.raises(eo.InputError) as info:
        eo.read_instance(folder)
    assert not marker.exists()
    assert "services.evil" in str(info.value)


def test_formula_like_text_stays_text(tmp_path: Path) -> None:
    folder = make_ncl_small(tmp_path / "inst")
    set_cell(folder / "sites.csv", 1, "name", '=HYPERLINK("http://x","y")')
    set_cell(folder / "sites.csv", 2, "owner", "@SUM(1+1)")
    inst = eo.read_instance(folder)
    assert inst.sites["name"].iloc[0] == '=HYPERLINK("http://x","y")'
    assert inst.sites["owner"].iloc[1] == "@SUM(1+1)"


_FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def _python_files() -> list[Path]:
    return sorted((REPO / "estates_opt").rglob("*.py"))


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_pickle_eval_or_unsafe_loaders(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {a.name.split(".")[0] for a in node.names}
            assert not names & _FORBIDDEN_MODULES, (path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in _FORBIDDEN_MODULES, (path, node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in _FORBIDDEN_CALLS, (path, node.lineno, func.id)
            if isinstance(func, ast.Attribute):
                assert func.attr not in ("read_pickle", "to_pickle"), (path, node.lineno)
                if func.attr == "load" and isinstance(func.value, ast.Name):
                    assert func.value.id not in ("yaml", "np", "numpy"), (path, node.lineno)
                for keyword in node.keywords:
                    if keyword.arg == "allow_pickle":
                        assert isinstance(keyword.value, ast.Constant)
                        assert keyword.value.value is False, (path, node.lineno)


def test_pandas_never_unpickles_an_instance_file(tmp_path: Path) -> None:
    """A pickle named sites.csv is read as (bad) text, never unpickled."""
    folder = make_ncl_small(tmp_path / "inst")
    pd.DataFrame({"a": [1]}).to_pickle(folder / "sites.csv")
    with pytest.raises(eo.InputError, match=r"sites\.csv"):
        eo.read_instance(folder)


# --- scenario files stay inside their folder ----------------------------------------


def _scenarios(folder: Path, include: str) -> Path:
    path = folder / "scenarios.toml"
    path.write_text(f"include = [{include!r}]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "include",
    ["../outside.toml", "/etc/passwd", "sub/../../outside.toml", "sub/../../../etc/hosts"],
)
def test_scenario_includes_cannot_escape_the_folder(tmp_path: Path, include: str) -> None:
    folder = tmp_path / "inst"
    folder.mkdir()
    (tmp_path / "outside.toml").write_text("[grid]\nhousing_target = [1.0]\n", encoding="utf-8")
    with pytest.raises(eo.InputError, match="expected a path inside"):
        read_scenario_set(_scenarios(folder, include))


def test_scenario_include_through_a_symlink_cannot_escape(tmp_path: Path) -> None:
    folder = tmp_path / "inst"
    folder.mkdir()
    (tmp_path / "outside.toml").write_text("[grid]\nhousing_target = [1.0]\n", encoding="utf-8")
    (folder / "link.toml").symlink_to(tmp_path / "outside.toml")
    with pytest.raises(eo.InputError, match="expected a path inside"):
        read_scenario_set(_scenarios(folder, "link.toml"))


def test_scenario_include_inside_the_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "inst"
    (folder / "more").mkdir(parents=True)
    (folder / "more" / "extra.toml").write_text(
        "[grid]\nhousing_target = [1.0, 2.0]\n", encoding="utf-8"
    )
    variants = read_scenario_set(_scenarios(folder, "more/extra.toml"))
    assert len(list(variants)) == 2


def test_instance_folder_reads_only_its_own_files(tmp_path: Path) -> None:
    """Symlinked instance files are followed only as files of the folder (no globbing)."""
    folder = copy_folder(make_ncl_small(tmp_path / "src"), tmp_path / "inst")
    (folder / "../sites.csv").write_text("garbage\n", encoding="utf-8")
    inst = eo.read_instance(folder)
    assert len(inst.sites) > 1
