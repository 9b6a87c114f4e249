"""Seeded rules for the figures no public source gives (see ``data/README.md``).

Every random draw comes from ``numpy.random.default_rng([seed, crc32(key)])`` where
the key names the site (or MSOA) and the purpose, so a site gets the same values in
every sample that contains it and the output does not depend on row order.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

SEED = 20_240_601
CENTRE_XY = (530_047.0, 180_422.0)
"""Charing Cross (EPSG:27700), the conventional centre of London."""

# Median gross internal floor area (m2) and log-sd of synthetic buildings.
FLOOR_AREA = {
    "gp_practice": (450.0, 0.35),
    "gp_branch": (200.0, 0.35),
    "hospital": (3_000.0, 0.4),
    "mental_health_hospital": (2_000.0, 0.4),
    "civic_centre": (8_000.0, 0.2),
    "library": (900.0, 0.3),
    "childrens_centre": (450.0, 0.3),
    "community_centre": (600.0, 0.3),
}
COUNCIL_KINDS = {
    # kind: (probability per MSOA, services hosted today, label)
    "library": (0.25, "", "Library"),
    "childrens_centre": (0.30, "social_care", "Children's centre"),
    "community_centre": (0.20, "social_care", "Community centre"),
}
CANDIDATE_PROBABILITY = 0.15
ACUTE_SHARE = 0.04
"""Share of an acute core's floor area open to the modelled out-of-hospital services."""


def rng_for(key: str, purpose: str, seed: int = SEED) -> np.random.Generator:
    """The generator of one site (or MSOA) and purpose."""
    return np.random.default_rng([seed, zlib.crc32(f"{purpose}:{key}".encode())])


def centre_distance(x: np.ndarray | pd.Series, y: np.ndarray | pd.Series) -> np.ndarray:
    """Straight-line distance (m) to Charing Cross."""
    return np.hypot(np.asarray(x, float) - CENTRE_XY[0], np.asarray(y, float) - CENTRE_XY[1])


def land_value_per_ha(distance_m: np.ndarray) -> np.ndarray:
    """Residential land value (GBP per hectare) by distance from the centre.

    About 125m GBP/ha at the centre, 55m at 5 km, 30m at 10 km and 17m at 20 km: the
    range of the VOA residential values for London boroughs in MHCLG's *Land value
    estimates for policy appraisal* (2017, 2019), inner boroughs dearer than outer.
    """
    return 15e6 + 110e6 * np.exp(-np.asarray(distance_m) / 5_000.0)


def plot_ratio(distance_m: np.ndarray) -> np.ndarray:
    """Floor area per unit of site area: 2.5 within 5 km, 1.5 within 10 km, else 0.8."""
    d = np.asarray(distance_m)
    return np.select([d < 5_000, d < 10_000], [2.5, 1.5], 0.8)


def homes_per_ha(distance_m: np.ndarray) -> np.ndarray:
    """Housing density: London Plan density matrix mid-points, central/urban/suburban."""
    d = np.asarray(distance_m)
    return np.select([d < 5_000, d < 10_000], [250.0, 150.0], 80.0)


def _lognormal(keys: pd.Series, purpose: str, sigma: float) -> np.ndarray:
    return np.array([rng_for(k, purpose).lognormal(0.0, sigma) for k in keys])


def _uniform(keys: pd.Series, purpose: str, low: float, high: float) -> np.ndarray:
    return np.array([rng_for(k, purpose).uniform(low, high) for k in keys])


def council_and_candidate_sites(zones: pd.DataFrame) -> pd.DataFrame:
    """Synthetic council buildings and empty candidate land at real MSOA points.

    Each MSOA may get a library, a children's centre and a community centre
    (independent draws, probabilities in :data:`COUNCIL_KINDS`) and a candidate
    new-build plot (:data:`CANDIDATE_PROBABILITY`); each borough gets one civic
    centre at the MSOA point nearest the borough's population-weighted mean. Every
    point is the MSOA's population-weighted point moved by a seeded jitter of up to
    150 m (300 m for candidate land), so no two sites coincide.
    """
    rows: list[dict[str, object]] = []

    def add(key: str, kind: str, zone: pd.Series, name: str, services: str, radius: float) -> None:
        rng = rng_for(key, "place")
        angle, dist = rng.uniform(0, 2 * np.pi), radius * np.sqrt(rng.uniform(0.1, 1.0))
        rows.append({
            "site_id": key, "name": name, "borough": zone["borough"],
            "owner": f"London Borough council ({zone['borough_name']})",
            "x": round(float(zone["x"] + dist * np.cos(angle)), 1),
            "y": round(float(zone["y"] + dist * np.sin(angle)), 1),
            "services": services, "site_type": kind, "ods_code": "",
            "source": "synthetic", "msoa": zone["zone_id"],
        })  # fmt: skip

    for borough, group in zones.groupby("borough", sort=True):
        mean = np.average(group[["x", "y"]], axis=0, weights=group["population"])
        zone = group.iloc[int(np.argmin(np.hypot(group["x"] - mean[0], group["y"] - mean[1])))]
        add(f"CIV-{borough}", "civic_centre", zone, f"{zone['borough_name']} Civic Centre",
            "social_care", 150.0)  # fmt: skip
    for _, zone in zones.sort_values("zone_id").iterrows():
        for kind, (p, services, label) in COUNCIL_KINDS.items():
            key = f"{kind[:3].upper()}-{zone['zone_id']}"
            if rng_for(key, "exists").random() < p:
                add(key, kind, zone, f"{label}, {zone['name']}", services, 150.0)
        key = f"CAND-{zone['zone_id']}"
        if rng_for(key, "exists").random() < CANDIDATE_PROBABILITY:
            add(key, "candidate_land", zone, f"Candidate land, {zone['name']}", "", 300.0)
    out = pd.DataFrame(rows)
    out["disposable"] = out["site_type"] != "candidate_land"
    for column in ("capacity_m2", "running_cost", "backlog_cost", "gia_m2", "land_ha"):
        out[column] = np.nan
    return out


def fill_values(sites: pd.DataFrame, running_per_m2: float, backlog_per_m2: float) -> pd.DataFrame:
    """Fill floor area, costs, value, housing and earliest disposal where unknown.

    ``running_per_m2`` and ``backlog_per_m2`` are the London ERIC 2016/17 medians of
    non-acute sites, applied with a seeded log-normal spread (log-sd 0.25 and 0.6).
    """
    s = sites.copy()
    ids = s["site_id"]
    d = centre_distance(s["x"], s["y"])
    kinds = s["site_type"].map(FLOOR_AREA)
    median = np.array([k[0] if isinstance(k, tuple) else np.nan for k in kinds])
    sigma = np.array([k[1] if isinstance(k, tuple) else 0.0 for k in kinds])
    synthetic_gia = np.round(median * np.exp(sigma * np.log(_lognormal(ids, "gia", 1.0))), -1)
    s["gia_m2"] = s["gia_m2"].fillna(pd.Series(synthetic_gia, index=s.index))
    s.loc[s["site_type"] == "candidate_land", "gia_m2"] = 0.0
    acute = ~s["disposable"] & (s["site_type"] != "candidate_land")
    s["capacity_m2"] = np.where(acute, np.round(s["gia_m2"] * ACUTE_SHARE, -1), s["gia_m2"])
    run = s["gia_m2"] * running_per_m2 * _lognormal(ids, "running", 0.25)
    s["running_cost"] = np.where(s["running_cost"] > 0, s["running_cost"], np.round(run, -2))
    backlog = s["gia_m2"] * backlog_per_m2 * _lognormal(ids, "backlog", 0.6)
    s["backlog_cost"] = s["backlog_cost"].fillna(pd.Series(np.round(backlog, -2), s.index))
    area = s["gia_m2"] / (plot_ratio(d) * 10_000.0)
    area = np.where(s["site_type"] == "candidate_land", _uniform(ids, "plot", 0.2, 0.6), area)
    s["land_ha"] = np.where(s["land_ha"] > 0, s["land_ha"], np.round(area, 3))
    value = s["land_ha"] * land_value_per_ha(d) * _lognormal(ids, "value", 0.15)
    s["market_value"] = np.where(s["disposable"], np.round(value, -3), 0.0)
    homes = np.floor(s["land_ha"] * homes_per_ha(d) * _uniform(ids, "homes", 0.8, 1.2))
    s["housing_units"] = np.where(s["disposable"], homes, 0.0)
    lease = np.array([rng_for(k, "lease").integers(1, 4) for k in ids])
    s["earliest_disposal"] = np.select(
        [s["site_type"].str.startswith("gp"), s["source"] != "synthetic"], [lease, 2], 1
    )
    return s
