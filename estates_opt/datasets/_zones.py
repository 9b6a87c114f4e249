"""Demand zones of a sample: Census 2021 MSOA points with an IoD2019 income decile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.sources import read_income_deciles, read_population_points
from estates_opt.sources._common import read_table

MSOA_FILE = "london-lsoa21-demand/msoa21_london_popweighted_points_census2021_pop.csv"
LSOA21_FILE = "london-lsoa21-demand/lsoa21_london_pwc_census2021_pop.csv"
LSOA11_FILE = "london-lsoa11-demand/lsoa11_london_pwc_mid2020_pop_iod2019.csv"
LOOKUP_FILE = "london-lsoa11-demand/lsoa11_to_lsoa21_to_lad22_london.csv"


def msoa_zones(shared: Path, boroughs: list[str]) -> pd.DataFrame:
    """MSOA 2021 zones in ``boroughs`` with ``name``, ``borough_name``, ``imd_decile``
    and ``pop_65_plus`` (Census 2021 residents aged 65 and over).

    ``imd_decile`` is the IoD2019 income-domain decile (1 = most deprived tenth of
    England and Wales LSOAs; the overall IMD is not in the shared data), averaged over
    the LSOA 2011s of the MSOA weighted by their mid-2020 population, each LSOA 2011
    placed in an MSOA 2021 through the ONS best-fit LSOA11->LSOA21 lookup, and
    rounded half up to an integer 1..10. An MSOA that no LSOA 2011 maps to takes its
    borough's population-weighted mean.
    """
    zones = read_population_points(shared / MSOA_FILE)
    table = read_table(shared / MSOA_FILE).set_index("MSOA21CD")
    zones["borough_name"] = zones["zone_id"].map(table["LAD22NM"])
    zones["pop_65_plus"] = zones["zone_id"].map(table["pop_65_plus"]).astype(np.int64)
    zones = zones[zones["borough"].isin(boroughs)].sort_values("zone_id").reset_index(drop=True)
    deciles = read_income_deciles(shared / LSOA11_FILE)
    lookup = read_table(shared / LOOKUP_FILE).set_index("LSOA11CD")["LSOA21CD"]
    to_msoa = read_table(shared / LSOA21_FILE).set_index("LSOA21CD")["MSOA21CD"]
    deciles["msoa"] = deciles["lsoa11_code"].map(lookup).map(to_msoa)
    deciles["weighted"] = deciles["income_decile"] * deciles["population"]
    sums = deciles.groupby("msoa")[["weighted", "population"]].sum()
    mean = (sums["weighted"] / sums["population"]).reindex(zones["zone_id"])
    fallback = (mean * zones["population"].to_numpy()).groupby(zones["borough"].to_numpy()).sum()
    people = zones["population"].where(mean.notna().to_numpy(), 0.0).groupby(zones["borough"]).sum()
    by_borough = (fallback / people).reindex(zones["borough"]).to_numpy()
    mean = np.where(mean.isna(), by_borough, mean.to_numpy())
    zones["imd_decile"] = np.clip(np.floor(mean + 0.5), 1, 10).astype(np.int64)
    return zones
