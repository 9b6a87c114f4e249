"""The policy behind the samples' scenarios: horizon, housing and budget rules, and the
comments that write them into ``scenario.toml`` (see ``data/README.md``)."""

from __future__ import annotations

import math

from estates_opt.io.scenario_file import scenario_to_toml
from estates_opt.scenario import Scenario

__all__ = [
    "BUDGET_SHARE",
    "LONDON_PLAN_TARGETS",
    "NHS_LAND_SHARE",
    "PERIODS",
    "housing_target",
    "scenario_notes",
    "scenario_text",
]

PERIODS = 5

LONDON_PLAN_TARGETS = {
    "E09000001": 1_460, "E09000002": 19_440, "E09000003": 23_640, "E09000004": 6_850,
    "E09000005": 23_250, "E09000006": 7_740, "E09000007": 10_380, "E09000008": 20_790,
    "E09000009": 21_570, "E09000010": 12_460, "E09000011": 28_240, "E09000012": 13_300,
    "E09000013": 16_090, "E09000014": 15_920, "E09000015": 8_020, "E09000016": 12_850,
    "E09000017": 10_830, "E09000018": 17_820, "E09000019": 7_750, "E09000020": 4_480,
    "E09000021": 9_640, "E09000022": 13_350, "E09000023": 16_670, "E09000024": 9_180,
    "E09000025": 32_800, "E09000026": 14_090, "E09000027": 4_110, "E09000028": 23_550,
    "E09000029": 4_690, "E09000030": 34_730, "E09000031": 12_640, "E09000032": 19_500,
    "E09000033": 9_850,
}  # fmt: skip
"""Ten-year net housing completion targets 2019/20-2028/29, London Plan 2021 Table 4.1
(the borough rows; the two development corporations' 35,280 are not included)."""
NHS_LAND_SHARE = 26_000 / 1_000_000
"""NHS surplus land for 26,000 homes by 2020 (Spending Review 2015) against the
government's one million new homes over the same five years (2015-2020)."""
BUDGET_SHARE = 0.02


def housing_target(boroughs: list[str]) -> float:
    """Homes expected from NHS land over the horizon: :data:`NHS_LAND_SHARE` of the
    boroughs' London Plan ten-year targets, pro rata to the five-year horizon."""
    ten_years = sum(LONDON_PLAN_TARGETS[b] for b in boroughs)
    return float(math.floor(NHS_LAND_SHARE * ten_years * PERIODS / 10))


def scenario_notes(name: str, boroughs: list[str], scenario: Scenario) -> dict[str, list[str]]:
    """Comments for ``scenario.toml``: the policy behind each target (by line prefix)."""
    ten = sum(LONDON_PLAN_TARGETS[b] for b in boroughs)
    return {
        "[horizon]": [
            f"# {name}: built by estates_opt.datasets from ../shared/data (see data/README.md).",
            "# Every target below follows a stated policy; none is tuned to bind.",
        ],
        "capital_budget =": [
            "# Capital budget per period: the backlog maintenance of the whole estate spread",
            f"# over the {PERIODS} periods (the cost of holding it all) plus {BUDGET_SHARE:.0%} "
            "of the capex",
            "# of every project on offer, spread the same way.",
        ],
        "receipt_retention =": [
            "# All receipts may be reinvested locally (the Naylor review, 2017, recommends",
            "# that the NHS keep its disposal receipts to reinvest).",
        ],
        "receipts_target =": [
            "# No receipts target: receipts already count in the NPV, and no NCL or London",
            "# estates strategy with a receipts figure is in the shared data.",
        ],
        "target =": [
            "# Homes: NHS surplus land was to provide 26,000 of the government's 1,000,000 new",
            "# homes of 2015-2020 (Spending Review 2015): 2.6 %. Applied to the boroughs'",
            f"# London Plan 2021 ten-year housing targets (Table 4.1: {ten:,} homes) for the",
            f"# {PERIODS}-year horizon: 0.026 x {ten:,} x {PERIODS} / 10 = "
            f"{scenario.housing_target:,.0f} (rounded down).",
        ],
        "[services.community]": [
            "# community and mental_health: U_max x the floor area these services use today",
            "# at the real sites (ERIC 2016/17 floor area less held and empty or under-used",
            "# space) per 1,000 Census 2021 residents; social_care: 15 m2 per 1,000",
            "# residents (planning assumption). Reach and travel costs are assumptions.",
        ],
    }


def scenario_text(name: str, boroughs: list[str], scenario: Scenario) -> str:
    """``scenario.toml`` of a sample: the written scenario with the policy comments."""
    notes = scenario_notes(name, boroughs, scenario)
    lines = []
    for line in scenario_to_toml(scenario).split("\n"):
        for prefix, comment in notes.items():
            if line.startswith(prefix):
                lines += comment
        lines.append(line)
    return "\n".join(lines)
