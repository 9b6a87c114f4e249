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
CANDIDATE_PROBABILITY = 0.035
SOCIAL_CARE_REACH = 2_500.0
MARKET_FACTOR = 0.5
"""Net receipt as a share of the VOA residual land value: the VOA values assume no
affordable housing and no developer contributions and it warns that market prices are
substantially lower."""
DECANT_PERIOD = 3
"""First disposal period of NHS hospital sites: two years to decant and consult."""
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


def _place(
    key: str, kind: str, zone: pd.Series, name: str, services: str, radius: float
) -> dict[str, object]:
    """A synthetic site near a zone's point (seeded jitter of at most ``radius`` m)."""
    rng = rng_for(key, "place")
    angle, dist = rng.uniform(0, 2 * np.pi), radius * np.sqrt(rng.uniform(0.1, 1.0))
    return {
        "site_id": key, "name": name, "borough": zone["borough"],
        "owner": f"London Borough council ({zone['borough_name']})",
        "x": round(float(zone["x"] + dist * np.cos(angle)), 1),
        "y": round(float(zone["y"] + dist * np.sin(angle)), 1),
        "services": services, "site_type": kind, "ods_code": "",
        "source": "synthetic", "msoa": zone["zone_id"], "disposable": False,
    }  # fmt: skip


def council_and_candidate_sites(zones: pd.DataFrame) -> pd.DataFrame:
    """Synthetic council buildings and empty candidate land at real MSOA points.

    Each MSOA may get a library, a children's centre and a community centre
    (independent draws, probabilities in :data:`COUNCIL_KINDS`) and a candidate
    new-build plot (:data:`CANDIDATE_PROBABILITY`); each borough gets one civic
    centre at the MSOA point nearest the borough's population-weighted mean. Every
    MSOA still without a social care host within ``SOCIAL_CARE_REACH - 200`` m of its
    point (MSOAs taken in code order) gets a community centre. Every
    point is the MSOA's population-weighted point moved by a seeded jitter of up to
    150 m (300 m for candidate land), so no two sites coincide. Council buildings are
    not for sale here (the NHS cannot sell them): they host co-located services.
    """
    rows: list[dict[str, object]] = []
    social = ("social_care", SOCIAL_CARE_REACH)

    def add(key: str, kind: str, zone: pd.Series, name: str, services: str, radius: float) -> None:
        rows.append(_place(key, kind, zone, name, services, radius))

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
        here = [r for r in rows if r["services"] == social[0]]
        near = any(
            np.hypot(r["x"] - zone["x"], r["y"] - zone["y"]) <= social[1] - 200 for r in here
        )
        key = f"COM-{zone['zone_id']}"
        if not near and not any(r["site_id"] == key for r in rows):
            add(
                key, "community_centre", zone, f"Community centre, {zone['name']}", social[0], 150.0
            )
        key = f"CAND-{zone['zone_id']}"
        if rng_for(key, "exists").random() < CANDIDATE_PROBABILITY:
            add(key, "candidate_land", zone, f"Candidate land, {zone['name']}", "", 300.0)
    out = pd.DataFrame(rows)
    out["disposable"] = False
    for column in ("capacity_m2", "running_cost", "backlog_cost", "gia_m2", "land_ha"):
        out[column] = np.nan
    return out


def floor_areas(sites: pd.DataFrame) -> pd.DataFrame:
    """Fill ``gia_m2`` of synthetic buildings and set ``capacity_m2``.

    Synthetic floor areas are log-normal around the medians of :data:`FLOOR_AREA`.
    Capacity is the floor area, except an acute core offers :data:`ACUTE_SHARE` of
    it and candidate land offers none.
    """
    s = sites.copy()
    kinds = s["site_type"].map(FLOOR_AREA)
    median = np.array([k[0] if isinstance(k, tuple) else np.nan for k in kinds])
    sigma = np.array([k[1] if isinstance(k, tuple) else 0.0 for k in kinds])
    synthetic = np.round(median * _lognormal(s["site_id"], "gia", 1.0) ** sigma, -1)
    s["gia_m2"] = s["gia_m2"].fillna(pd.Series(synthetic, index=s.index))
    candidate = s["site_type"] == "candidate_land"
    s.loc[candidate, "gia_m2"] = 0.0
    acute = ~s["disposable"] & (s["source"] != "synthetic")
    s["capacity_m2"] = np.where(acute, np.round(s["gia_m2"] * ACUTE_SHARE, -1), s["gia_m2"])
    return s


def money_and_homes(
    sites: pd.DataFrame, running_per_m2: float, backlog_per_m2: float
) -> pd.DataFrame:
    """Fill costs, market value, housing units and earliest disposal where unknown.

    ``running_per_m2`` and ``backlog_per_m2`` are the London ERIC 2016/17 averages
    (sum over sum) of non-acute sites, applied to floor area with a seeded log-normal spread (log-sd
    0.25 and 0.6). Site area is ERIC's land area where published, else floor area
    over :func:`plot_ratio` (candidate plots 0.2-0.6 ha); market value is site area
    times :func:`land_value_per_ha` times :data:`MARKET_FACTOR` (log-sd 0.15),
    housing units site area times
    :func:`homes_per_ha` (+-20 %). Earliest disposal: GP premises 2-4 (lease ends),
    other NHS sites :data:`DECANT_PERIOD` (decant), council buildings 1.
    """
    s = sites.copy()
    ids = s["site_id"]
    d = centre_distance(s["x"], s["y"])
    run = s["gia_m2"] * running_per_m2 * _lognormal(ids, "running", 0.25)
    s["running_cost"] = np.where(s["running_cost"] > 0, s["running_cost"], np.round(run, -2))
    backlog = s["gia_m2"] * backlog_per_m2 * _lognormal(ids, "backlog", 0.6)
    s["backlog_cost"] = s["backlog_cost"].fillna(pd.Series(np.round(backlog, -2), s.index))
    area = s["gia_m2"] / (plot_ratio(d) * 10_000.0)
    area = np.where(s["site_type"] == "candidate_land", _uniform(ids, "plot", 0.2, 0.6), area)
    s["land_ha"] = np.round(np.where(s["land_ha"] > 0, s["land_ha"], area), 3)
    value = MARKET_FACTOR * s["land_ha"] * land_value_per_ha(d) * _lognormal(ids, "value", 0.15)
    s["market_value"] = np.where(s["disposable"], np.round(value, -3), 0.0)
    homes = np.floor(s["land_ha"] * homes_per_ha(d) * _uniform(ids, "homes", 0.8, 1.2))
    s["housing_units"] = np.where(s["disposable"], homes, 0.0)
    lease = np.array([rng_for(k, "lease").integers(2, 5) for k in ids])
    s["earliest_disposal"] = np.select(
        [s["site_type"].str.startswith("gp"), s["source"] != "synthetic"], [lease, DECANT_PERIOD], 1
    )
    return s


def cover_gaps(sites: pd.DataFrame, zones: pd.DataFrame, reach: dict[str, float]) -> pd.DataFrame:
    """Let council buildings host a service where no site offers it within reach.

    For each service and each zone (in code order) with no host within reach, the
    council building nearest the zone's point (within reach) is taken to host the
    service today too, as an existing clinic in council premises.
    """
    s = sites.copy()
    council = (s["source"] == "synthetic") & (s["site_type"] != "candidate_land")
    xy = s[["x", "y"]].to_numpy()
    for k, radius in reach.items():
        for zx, zy in zones[["x", "y"]].to_numpy():
            dist = np.hypot(xy[:, 0] - zx, xy[:, 1] - zy)
            hosts = s["services"].str.split(";").map(lambda svc, k=k: k in svc).to_numpy()
            if (hosts & (dist <= radius)).any():
                continue
            options = np.flatnonzero(council.to_numpy() & (dist <= radius))
            if options.size == 0:
                zone = zones.loc[(zones["x"] == zx) & (zones["y"] == zy)].iloc[0]
                key = f"CLN-{zone['zone_id']}"
                label = f"Community clinic, {zone['name']}"
                row = _place(key, "community_centre", zone, label, k, min(150.0, radius / 2))
                if key in set(s["site_id"]):
                    at = s.index[s["site_id"] == key][0]
                    s.at[at, "services"] = f"{s.at[at, 'services']};{k}"
                else:
                    s = pd.concat([s, pd.DataFrame([row])], ignore_index=True)
                council = (s["source"] == "synthetic") & (s["site_type"] != "candidate_land")
                xy = s[["x", "y"]].to_numpy()
                continue
            best = s.index[options[np.argmin(dist[options])]]
            current = s.at[best, "services"]
            s.at[best, "services"] = f"{current};{k}" if current else k
    s = s.drop(columns="msoa", errors="ignore")
    return s.sort_values("site_id", ignore_index=True)
