"""Synthetic council buildings and candidate land (see ``data/README.md``).

No public register of council buildings or land offered for NHS hubs is in the shared
data, so these sites are synthetic (``source = synthetic``): seeded by rules, placed
at real MSOA points. Every random draw comes from
``numpy.random.default_rng([seed, crc32(key)])`` where the key names the site (or
MSOA) and the purpose, so a site gets the same values in every sample that contains
it and the output does not depend on row order. Real NHS sites draw nothing at random.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

SEED = 20_240_601

# Median gross internal floor area (m2) and log-sd of synthetic council buildings.
FLOOR_AREA = {
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
COUNCIL_SHARE = 0.3
"""Share of a council building's floor area open to the modelled services today (social
care and clinics); the rest is the building's own use (library, children's services,
offices) and is held (assumption)."""
COUNCIL_NAMES = {
    "E09000001": "City of London Corporation",
    "E09000012": "London Borough of Hackney",
    "E09000020": "Royal Borough of Kensington and Chelsea",
    "E09000011": "Royal Borough of Greenwich",
    "E09000021": "Royal Borough of Kingston upon Thames",
    "E09000033": "Westminster City Council",
}
"""Councils not called "London Borough of <borough>"."""


def rng_for(key: str, purpose: str, seed: int = SEED) -> np.random.Generator:
    """The generator of one site (or MSOA) and purpose."""
    return np.random.default_rng([seed, zlib.crc32(f"{purpose}:{key}".encode())])


def council_name(code: str, name: str) -> str:
    """The council of a London borough (``London Borough of Camden``)."""
    return COUNCIL_NAMES.get(code, f"London Borough of {name}")


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
        "owner": council_name(str(zone["borough"]), str(zone["borough_name"])),
        "owner_type": "council",
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
    plots = (out["site_type"] == "candidate_land").to_numpy()
    out.loc[plots, "land_ha"] = np.round(_uniform(out.loc[plots, "site_id"], "plot", 0.2, 0.6), 3)
    return out


def floor_areas(sites: pd.DataFrame) -> pd.DataFrame:
    """Floor area (``gia_m2``), ``capacity_m2`` and ``held_m2`` of synthetic council buildings.

    Floor area is log-normal around the medians of :data:`FLOOR_AREA`, rounded to
    10 m2; :data:`COUNCIL_SHARE` of it is capacity, the rest held. Candidate land has
    none. Other sites are unchanged.
    """
    s = sites.copy()
    council = (s["source"] == "synthetic").to_numpy()
    kinds = s.loc[council, "site_type"].map(FLOOR_AREA)
    median = np.array([k[0] if isinstance(k, tuple) else 0.0 for k in kinds])
    sigma = np.array([k[1] if isinstance(k, tuple) else 0.0 for k in kinds])
    area = np.round(median * _lognormal(s.loc[council, "site_id"], "gia", 1.0) ** sigma, -1)
    s.loc[council, "gia_m2"] = area
    s.loc[council, "capacity_m2"] = np.round(area * COUNCIL_SHARE, -1)
    s.loc[council, "held_m2"] = area - s.loc[council, "capacity_m2"]
    return s


def clinic(zone: pd.Series, services: str) -> dict[str, object]:
    """A synthetic community clinic (``CLN-<MSOA>``) at a zone's point, hosting ``services``.

    ``zone`` is a zones row named by its ``zone_id`` (``x``, ``y``, ``borough``,
    ``borough_name``, ``name``).
    """
    row = zone.copy()
    row["zone_id"] = zone.name
    key = f"CLN-{zone.name}"
    return _place(
        key, "community_centre", row, f"Community clinic, {zone['name']}", services, 150.0
    )


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
