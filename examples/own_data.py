"""Build an instance from your own tables (a sites spreadsheet and a zones table), solve it.

Run it as it is: without arguments it reads the ten-site register in
``examples/own_estate/sites.xlsx`` (sites placed by postcode) and the zones in
``examples/own_estate/zones.csv``::

    python examples/own_data.py
    python examples/own_data.py --sites my_sites.xlsx --zones my_zones.csv

Sites give their place as easting/northing (EPSG:27700), longitude/latitude, a London
postcode or a geometry (GeoPackage, GeoJSON, shapefile); :func:`estates_opt.read_sites`
works out which, row by row. Your headings are mapped to the model's in ``COLUMNS``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import estates_opt as eo
from estates_opt.report import write_html

HERE = Path(__file__).resolve().parent / "own_estate"

# your spreadsheet's headings -> MODEL.md's sites columns ("Postcode" is recognised as is)
COLUMNS = {
    "Site code": "site_id", "Site name": "name", "Borough": "borough", "Owner": "owner",
    "Floor area (m2)": "capacity_m2", "Running cost (GBP/yr)": "running_cost",
    "Backlog (GBP)": "backlog_cost", "Market value (GBP)": "market_value",
    "Homes if sold": "housing_units", "Can be sold": "disposable", "Services": "services",
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Read the analyst's tables, validate, solve and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=Path, default=HERE / "sites.xlsx", help="site register")
    parser.add_argument("--zones", type=Path, default=HERE / "zones.csv", help="demand zones")
    parser.add_argument("--out", type=Path, default=Path("out/own_data"), help="output folder")
    parser.add_argument("--quick", action="store_true", help="accepted for CI; already quick")
    args = parser.parse_args(argv)

    # --- Data: your tables, mapped to MODEL.md's columns ----------------------------------
    try:  # every problem names the file, row and column to fix
        sites = eo.read_sites(args.sites, columns=COLUMNS)
        zones = eo.read_zones(args.zones)
    except eo.InputError as err:
        print(f"fix your tables:\n{err}")
        return 2

    # --- Model: the policy, written in code instead of scenario.toml ---------------------
    scenario = eo.Scenario(
        periods=3, capital_budget=2e6, receipts_target=10e6, housing_target=60,
        services={
            "primary_care": eo.Service(space_per_1000=80, max_distance_m=3_500,
                                       travel_cost_per_person_km=2.0),
            "community": eo.Service(space_per_1000=30, max_distance_m=5_000),
        },
    )  # fmt: skip
    instance = eo.Instance.from_frames(sites, zones, scenario, name="Camden and Islington")
    print(instance)

    # --- Solve -------------------------------------------------------------------------------
    plan = eo.solve(instance, time_limit=60)
    print(plan)

    # --- Report ------------------------------------------------------------------------------
    eo.write_plan(plan, args.out / "plan", overwrite=True)
    write_html(plan, args.out / "report.html")
    if plan.status.has_solution:
        print(plan.disposals[["site_id", "name", "dispose_period", "reason"]].to_string())
    elif plan.status is eo.Status.INFEASIBLE:
        print(plan.shortfalls)
    print(f"report: {args.out / 'report.html'}")
    return plan.status.exit_code


if __name__ == "__main__":
    sys.exit(main())
