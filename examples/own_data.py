"""Build an instance from your own tables (a sites spreadsheet and a zones table), solve it.

Run it as it is: without arguments it first writes a small demonstration spreadsheet
(``out/own_data/my_sites.xlsx``) and zones table, then reads them back as an analyst's
files would be read::

    python examples/own_data.py
    python examples/own_data.py --sites my_sites.xlsx --zones my_zones.csv --postcodes pc.csv

Sites give their location as easting/northing (EPSG:27700), as longitude/latitude, or
as a postcode looked up in a postcode table you supply (postcode, longitude, latitude;
e.g. an extract of the ONS Postcode Directory). Column names are mapped in ``COLUMNS``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

import estates_opt as eo
from estates_opt.report import write_html

# your spreadsheet's headings -> MODEL.md's sites columns
COLUMNS = {
    "Site code": "site_id", "Site name": "name", "Borough": "borough", "Owner": "owner",
    "Floor area (m2)": "capacity_m2", "Running cost (GBP/yr)": "running_cost",
    "Backlog (GBP)": "backlog_cost", "Market value (GBP)": "market_value",
    "Homes if sold": "housing_units", "Can be sold": "disposable", "Services": "services",
}  # fmt: skip


def demo_tables(folder: Path) -> tuple[Path, Path, Path]:
    """A six-site spreadsheet, a zones CSV and a postcode lookup, as an analyst might have."""
    folder.mkdir(parents=True, exist_ok=True)
    sites = pd.DataFrame({
        "Site code": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "Site name": ["Hub health centre", "Old clinic", "Library annex", "Town hall annex",
                      "Care centre", "Riverside surgery"],
        "Borough": ["Camden"] * 3 + ["Islington"] * 3,
        "Owner": ["NHS PS", "NHS PS", "Council", "Council", "Council", "GP partnership"],
        "Easting": [529000.0, None, None, 531500.0, None, 530500.0],
        "Northing": [184000.0, None, None, 184500.0, None, 183000.0],
        "Longitude": [None, -0.1420, None, None, -0.1050, None],
        "Latitude": [None, 51.5450, None, None, 51.5400, None],
        "Postcode": [None, None, "NW1 0AA", None, None, None],
        "Floor area (m2)": [2500, 600, 400, 800, 900, 700],
        "Running cost (GBP/yr)": [600e3, 150e3, 90e3, 200e3, 210e3, 160e3],
        "Backlog (GBP)": [200e3, 400e3, 150e3, 350e3, 100e3, 50e3],
        "Market value (GBP)": [0, 4.5e6, 3.0e6, 6.0e6, 3.5e6, 4.0e6],
        "Homes if sold": [0, 30, 20, 45, 25, 28],
        "Can be sold": ["no", "yes", "yes", "yes", "yes", "yes"],
        "Services": ["primary_care;community", "primary_care", "community", "community",
                     "social_care", "primary_care"],
    })  # fmt: skip
    sites_path = folder / "my_sites.xlsx"
    sites.to_excel(sites_path, index=False)
    rng = np.random.default_rng(7)
    zones = pd.DataFrame({
        "zone_id": [f"Z{i:02d}" for i in range(12)],
        "borough": ["Camden"] * 6 + ["Islington"] * 6,
        "x": np.r_[rng.uniform(527500, 530000, 6), rng.uniform(530000, 532500, 6)].round(),
        "y": rng.uniform(182500, 185500, 12).round(),
        "population": rng.integers(1_500, 2_500, 12).astype(float),
    })  # fmt: skip
    zones_path = folder / "my_zones.csv"
    zones.to_csv(zones_path, index=False)
    postcodes_path = folder / "postcodes.csv"
    pd.DataFrame({"postcode": ["NW1 0AA"], "longitude": [-0.1380], "latitude": [51.5330]}).to_csv(
        postcodes_path, index=False
    )
    return sites_path, zones_path, postcodes_path


def locate(sites: pd.DataFrame, postcodes: pd.DataFrame | None) -> pd.DataFrame:
    """Easting/northing for every site: given, from longitude/latitude, or from the postcode."""
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    out = sites.copy()
    lon, lat = out.get("Longitude"), out.get("Latitude")
    if postcodes is not None and "Postcode" in out:
        key = out["Postcode"].astype(str).str.upper().str.replace(" ", "")
        table = postcodes.assign(key=postcodes["postcode"].str.upper().str.replace(" ", ""))
        table = table.set_index("key")
        lon = lon.fillna(key.map(table["longitude"]))
        lat = lat.fillna(key.map(table["latitude"]))
    x, y = to_bng.transform(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
    out["x"] = out["Easting"].fillna(pd.Series(x, index=out.index))
    out["y"] = out["Northing"].fillna(pd.Series(y, index=out.index))
    missing = out.loc[out["x"].isna() | out["y"].isna(), "Site code"].tolist()
    if missing:
        raise SystemExit(f"no location for sites {missing}: add coordinates or a postcode row")
    return out


def main(argv: list[str] | None = None) -> int:
    """Read the analyst's tables, validate, solve and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=Path, help="sites spreadsheet (.xlsx or .csv)")
    parser.add_argument(
        "--zones", type=Path, help="zones table (zone_id, borough, x, y, population)"
    )
    parser.add_argument("--postcodes", type=Path, help="postcode, longitude, latitude table")
    parser.add_argument("--out", type=Path, default=Path("out/own_data"), help="output folder")
    parser.add_argument("--quick", action="store_true", help="accepted for CI; already quick")
    args = parser.parse_args(argv)

    # --- Data: your tables, mapped to MODEL.md's columns ----------------------------------
    if args.sites is None:
        args.sites, args.zones, args.postcodes = demo_tables(args.out / "input")
    raw = pd.read_excel(args.sites) if args.sites.suffix == ".xlsx" else pd.read_csv(args.sites)
    postcodes = pd.read_csv(args.postcodes) if args.postcodes else None
    located = locate(raw, postcodes)
    sites = located.rename(columns=COLUMNS)[[*COLUMNS.values(), "x", "y"]]
    sites["disposable"] = sites["disposable"].astype(str).str.lower().isin(["yes", "true", "1"])
    zones = pd.read_csv(args.zones)

    # --- Model: the policy, written in code instead of scenario.toml ---------------------
    scenario = eo.Scenario(
        periods=3, capital_budget=1.5e6, receipts_target=5e6, housing_target=40,
        services={
            "primary_care": eo.Service(space_per_1000=80, max_distance_m=3_000,
                                       travel_cost_per_person_km=2.0),
            "community": eo.Service(space_per_1000=30, max_distance_m=5_000),
            "social_care": eo.Service(space_per_1000=15, max_distance_m=5_000),
        },
    )  # fmt: skip
    try:
        instance = eo.Instance.from_frames(sites, zones, scenario, name="my estate")
    except eo.InputError as err:  # names the table, row and column to fix
        print(f"fix your tables:\n{err}")
        return 2
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
