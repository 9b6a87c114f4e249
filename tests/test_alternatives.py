"""Issue 9: near-optimal alternatives, listed by hand on a tiny instance.

One period, no discounting, tau = 1 GBP per resident per km (all distances 0 m here).
Zone Z needs 100 m2 of gp; A, B and E (100 m2 each, values 100, 99, 90) all serve it at
0 m, so exactly one of them must stay. F (value 50, no services) is always worth selling;
N is the only site for zone Z2, so it can never go; G is not disposable.

    keep E, sell A B F: 100 + 99 + 50 = 249   (the optimum)
    keep B, sell A E F: 100 + 90 + 50 = 240   (9 below)
    keep A, sell B E F:  99 + 90 + 50 = 239   (10 below)
    the next best keeps two of A, B, E: at most 100 + 50 = 150

Within 6 % (floor 249 - 14.94 = 234.06) there are exactly these three plans.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from small import disposed, instance, site, travel, zone

import estates_opt as eo
from estates_opt.check import check
from estates_opt.optimize.alternatives import alternatives, write_alternatives


@pytest.fixture(scope="module")
def inst() -> eo.Instance:
    return instance(
        [
            site("A", market_value=100, capacity_m2=100),
            site("B", market_value=99, capacity_m2=100),
            site("E", market_value=90, capacity_m2=100),
            site("F", market_value=50, services=""),
            site("N", capacity_m2=100),
            site("G", disposable=False, services="", capacity_m2=10),
        ],
        [zone("Z"), zone("Z2")],
        travel=travel(("Z", "A", 0), ("Z", "B", 0), ("Z", "E", 0), ("Z2", "N", 0)),
    )


SOLVERS = ["highs", *[s for s in eo.available_solvers() if s == "pulp-cbc"]]


@pytest.mark.parametrize("solver", SOLVERS)
def test_alternatives_listed_by_hand(inst: eo.Instance, solver: str) -> None:
    alts = alternatives(inst, k=10, within=0.06, solver=solver, mip_gap=0.0)
    assert [p.objective for p in alts.plans] == pytest.approx([249, 240, 239])
    assert [disposed(p) for p in alts.plans] == [
        {"A": 1, "B": 1, "F": 1},
        {"A": 1, "E": 1, "F": 1},
        {"B": 1, "E": 1, "F": 1},
    ]
    assert alts.exhausted and "proved" in alts.reason
    assert alts.optimum == pytest.approx(249)
    assert alts.floor == pytest.approx(249 - 0.06 * 249)
    for plan in alts.plans:
        assert check(inst, plan).ok


def test_core_and_open_choice_table(inst: eo.Instance) -> None:
    table = alternatives(inst, k=10, within=0.06).table.set_index("site_id")
    assert set(table.index) == {"A", "B", "E", "F", "N"}  # G is not disposable
    assert table["status"].to_dict() == {
        "A": "open choice",
        "B": "open choice",
        "E": "open choice",
        "F": "core",
        "N": "never",
    }
    # keeping A costs 249 - 239; keeping B or selling E costs 249 - 240
    assert table["npv_given_up"].to_dict() == pytest.approx(
        {"A": 10.0, "B": 9.0, "E": 9.0, "F": float("nan"), "N": float("nan")}, nan_ok=True
    )
    assert table.loc["E", "optimum_choice"] == "retain"
    assert table.loc["A", "best_other_plan"] == 3


def test_stops_at_k_without_claiming_completeness(inst: eo.Instance) -> None:
    alts = alternatives(inst, k=2, within=0.06)
    assert len(alts) == 2 and not alts.exhausted
    assert "k = 2" in alts.reason


def test_narrow_band_and_min_difference_prove_exhaustion(inst: eo.Instance) -> None:
    narrow = alternatives(inst, k=10, within=0.01)  # floor 246.51: only the optimum
    assert len(narrow) == 1 and narrow.exhausted
    assert narrow.table.set_index("site_id")["status"]["A"] == "core"
    # every other plan in the band differs from the optimum in 2 sites only
    apart = alternatives(inst, k=10, within=0.06, min_difference=3)
    assert len(apart) == 1 and apart.exhausted


def test_negative_optimum_band_lies_below() -> None:
    # Keeping Z served costs travel: A at 1,000 m or B at 1,010 m, 1,000 residents at
    # 1 GBP per km: NPV -1,000 (A) or -1,010 (B). 2 % of |-1,000| admits -1,020 and above.
    inst = instance(
        [site("A", capacity_m2=100, disposable=False), site("B", capacity_m2=100)],
        [zone("Z")],
        travel=travel(("Z", "A", 1000), ("Z", "B", 1010)),
    )
    alts = alternatives(inst, k=5, within=0.02)
    assert alts.floor == pytest.approx(-1020)
    # B retained or sold makes no difference to the assignment: one disposal set each
    assert [p.objective for p in alts.plans] == pytest.approx([-1000, -1000])
    assert alts.exhausted


def test_write_alternatives(inst: eo.Instance, tmp_path: Path) -> None:
    alts = alternatives(inst, k=10, within=0.06)
    out = write_alternatives(alts, tmp_path / "alts")
    assert sorted(p.name for p in out.iterdir()) == [
        ".estates_opt-output.json",  # the output marker (docs/decisions.md)
        "alt_01",
        "alt_02",
        "alt_03",
        "alternatives.csv",
        "alternatives_search.csv",
        "alternatives_summary.csv",
    ]
    for j in range(3):
        assert check(inst, out / f"alt_{j + 1:02d}").ok
    table = pd.read_csv(out / "alternatives.csv")
    assert list(table.columns[:4]) == ["site_id", "name", "borough", "status"]
    with pytest.raises(eo.OutputExistsError):
        write_alternatives(alts, out)


def test_bad_arguments(inst: eo.Instance) -> None:
    with pytest.raises(eo.EstatesOptError, match="min_difference"):
        alternatives(inst, min_difference=0)


def test_cli_alternatives(inst: eo.Instance, tmp_path: Path) -> None:
    from estates_opt.cli import main

    eo.write_instance(inst, tmp_path / "inst")
    code = main(["-q", "alternatives", str(tmp_path / "inst"), "--out", str(tmp_path / "out"),
                 "-k", "10", "--within", "0.06"])  # fmt: skip
    assert code == 0
    summary = pd.read_csv(tmp_path / "out" / "alternatives_summary.csv")
    assert summary["objective"].tolist() == pytest.approx([249, 240, 239])
    assert (tmp_path / "out" / "alt_03" / "site_decisions.csv").is_file()


def test_report_sections(inst: eo.Instance, tmp_path: Path) -> None:
    from estates_opt.access import access
    from estates_opt.report import write_excel, write_html
    from estates_opt.report.sections import (
        access_sheets,
        alternatives_section,
        alternatives_sheets,
        fair_access_section,
    )

    alts = alternatives(inst, k=10, within=0.06)
    acc = access(inst, alts.plans[0])
    sections = [alternatives_section(alts), fair_access_section(acc)]
    page = write_html(alts.plans[0], tmp_path / "r.html", sections=sections).read_text()
    assert 'id="alternatives"' in page and 'id="fair-access"' in page
    assert "open choice" in page
    book = write_excel(
        alts.plans[0], tmp_path / "r.xlsx",
        extra_sheets={**alternatives_sheets(alts), **access_sheets(acc)},
    )  # fmt: skip
    from openpyxl import load_workbook

    names = load_workbook(book).sheetnames
    assert {"alternatives", "core and open choices", "fair access", "access by zone"} <= set(names)
