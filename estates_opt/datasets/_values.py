"""Land values and housing capacity: a residual land value from real house prices.

Every figure and where it comes from is in ``data/README.md`` ("Values"). In short,
per site:

- price: the Land Registry median house price of its MSOA 2011 (GLA, year to
  December 2017; the MSOA of the nearest LSOA 2011 population-weighted centroid;
  the borough's median MSOA where the MSOA has no figure), uprated by the borough's
  UK House Price Index from its 2017 average to March 2021;
- residual land value per home: the gross development value (market homes at the
  price, :data:`AFFORDABLE_SHARE` of homes affordable at :data:`AFFORDABLE_VALUE` of
  it) less :data:`DEVELOPER_PROFIT` of it, less :data:`BUILD_COST_PER_HOME`; at least 0;
- homes per hectare: :data:`HOMES_PER_HA` for the site's setting (:func:`setting`);
- land value: site area times homes per hectare times the value per home;
- net receipt (``market_value``): the land value less the cost of re-providing the
  site's held floor area (:data:`REPROVISION_PER_M2`), at least 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from estates_opt.sources import read_house_price_index, read_msoa_median_prices
from estates_opt.sources._common import read_table

__all__ = ["land_values", "setting"]

PRICE_FILE = "london-house-prices/gla_msoa11_median_house_price_1995-2017.csv"
HPI_FILE = "london-house-prices/ukhpi_london_monthly_1995-01_2021-03.csv"
LSOA11_FILE = "london-lsoa11-demand/lsoa11_london_pwc_mid2020_pop_iod2019.csv"
PRICE_PERIOD = "Year ending Dec 2017"
HPI_BASE = ("2017-01-01", "2017-12-01")
HPI_TO = "2021-03-01"
CENTRE_XY = (530_047.0, 180_422.0)
"""Charing Cross (EPSG:27700), the conventional centre of London."""

AFFORDABLE_SHARE = 0.5
"""London Plan 2021, Policy H5: 50 % affordable housing on public sector land."""
AFFORDABLE_VALUE = 0.5
"""Value of an affordable home to the developer as a share of the market price (assumption)."""
DEVELOPER_PROFIT = 0.175
"""Developer return, share of gross development value: the middle of the 15-20 %
that the Planning Practice Guidance on viability (para. 018) suggests for plan making."""
BUILD_M2_PER_HOME = 80.0
"""Gross internal floor area built per home (m2): a 70 m2 two-bedroom four-person flat
(London Plan 2021, Table 3.1) plus shared circulation (assumption)."""
BUILD_COST_PER_M2 = 3_000.0
"""All-in residential build cost per m2 GIA: construction, externals and fees (assumption)."""
BUILD_COST_PER_HOME = BUILD_M2_PER_HOME * BUILD_COST_PER_M2
HOMES_PER_HA = {"central": 170.0, "urban": 120.0, "suburban": 72.5}
"""Homes per hectare: mid-points of the London Plan 2016 density matrix (Table 3.2) for
2.7-3.0 habitable rooms per home at PTAL 2-3: central 100-240, urban 70-170,
suburban 50-95."""
PLOT_RATIO = {"central": 2.5, "urban": 1.5, "suburban": 0.8}
"""Floor area per unit of site area, for a site whose land area is not published (assumption)."""
MAX_LAND_PER_FLOOR = 50.0
"""A published land area above 50 m2 per m2 of floor area is taken as a keying error."""
REPROVISION_PER_M2 = 4_000.0
"""New healthcare floor area (GBP/m2), to re-provide held space elsewhere (assumption)."""


def setting(x: pd.Series, y: pd.Series) -> np.ndarray:
    """London Plan setting by distance from Charing Cross: central < 5 km, urban < 10 km."""
    d = np.hypot(np.asarray(x, float) - CENTRE_XY[0], np.asarray(y, float) - CENTRE_XY[1])
    return np.select([d < 5_000, d < 10_000], ["central", "urban"], "suburban")


def _msoa_prices(shared: Path) -> tuple[pd.DataFrame, pd.Series]:
    """LSOA 2011 points with their MSOA 2011 price (uprated), and the HPI uplift by borough."""
    lsoa = read_table(shared / LSOA11_FILE)
    points = pd.DataFrame(
        {
            "x": pd.to_numeric(lsoa["pwc_easting"]),
            "y": pd.to_numeric(lsoa["pwc_northing"]),
            "msoa": lsoa["MSOA11CD"],
            "borough": lsoa["LAD11CD"],
        }
    )
    prices = read_msoa_median_prices(shared / PRICE_FILE, PRICE_PERIOD)
    points["price_2017"] = points["msoa"].map(prices)
    by_borough = points.drop_duplicates("msoa").groupby("borough")["price_2017"].median()
    points["price_source"] = np.where(points["price_2017"].notna(), "msoa", "borough")
    points["price_2017"] = points["price_2017"].fillna(points["borough"].map(by_borough))
    hpi = read_house_price_index(shared / HPI_FILE)
    base = hpi[hpi["date"].between(*HPI_BASE)].groupby("area_code")["index"].mean()
    now = hpi[hpi["date"] == HPI_TO].set_index("area_code")["index"]
    uplift = (now / base).dropna()
    return points, uplift


def land_values(sites: pd.DataFrame, shared: Path) -> pd.DataFrame:
    """Add ``setting``, ``house_price``, ``land_value_per_ha``, ``land_ha``,
    ``land_value``, ``reprovision_cost``, ``homes_capacity`` and ``land_source``.

    ``land_ha`` is the published land area (ERIC) where there is a sane one, else
    the floor area over :data:`PLOT_RATIO`; ``land_source`` says which.
    """
    from scipy.spatial import cKDTree

    s = sites.copy()
    points, uplift = _msoa_prices(shared)
    nearest = cKDTree(points[["x", "y"]].to_numpy()).query(s[["x", "y"]].to_numpy())[1]
    near = points.iloc[nearest]
    s["msoa11"] = near["msoa"].to_numpy()
    s["house_price"] = np.round(
        near["price_2017"].to_numpy() * near["borough"].map(uplift).to_numpy(), -2
    )
    s["setting"] = setting(s["x"], s["y"])
    gdv = s["house_price"] * (1 - AFFORDABLE_SHARE + AFFORDABLE_SHARE * AFFORDABLE_VALUE)
    per_home = np.maximum((1 - DEVELOPER_PROFIT) * gdv - BUILD_COST_PER_HOME, 0.0)
    density = s["setting"].map(HOMES_PER_HA)
    s["land_value_per_ha"] = np.round(per_home * density, -3)
    published = s["land_ha"].fillna(0.0)
    sane = (published > 0) & (published * 10_000 <= MAX_LAND_PER_FLOOR * s["gia_m2"])
    derived = s["gia_m2"] / (s["setting"].map(PLOT_RATIO) * 10_000)
    s["land_source"] = np.where(sane, "ERIC 2016/17", "floor area / plot ratio")
    s["land_ha"] = np.round(np.where(sane, published, derived), 3)
    s["land_value"] = np.round(s["land_ha"] * s["land_value_per_ha"], -3)
    s["reprovision_cost"] = np.round(s["held_m2"] * REPROVISION_PER_M2, -3)
    s["homes_capacity"] = np.floor(s["land_ha"] * density)
    return s
