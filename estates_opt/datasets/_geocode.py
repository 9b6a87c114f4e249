"""Where each NHS site is: NHS Choices points, then postcodes, then nothing (listed).

The chain (``data/README.md``, "Where the sites are"):

1. the NHS Choices 2018 hospital with the site's ODS code (any parent, any sector);
2. the one London NHS Choices hospital, or ERIC site placed by step 1, with the same
   normalised name (``St. Ann's Hospital`` = ``ST ANNS HOSPITAL``), if that point lies
   within :data:`NAME_MATCH_KM` of the site's trust headquarters (so Portsmouth's St
   Mary's does not land on Paddington's);
3. the postcode in :data:`SITE_POSTCODES` (a public address, or for a few small units
   whose address is in no public file here the trust headquarters), positioned by
   OS Code-Point Open;
4. otherwise the site has no point: it is not in the sample and is listed as
   unplaced (logged, counted in ``data/README.md``), never dropped silently.

Each placed site carries ``postcode`` (its campus key: sites sharing a postcode are
one campus) and ``geocoded_by`` (``ods_code``, ``name``, ``postcode``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from estates_opt.sources import normalise_postcode

__all__ = ["SITE_POSTCODES", "geocode", "normalised_name"]

SITE_POSTCODES: dict[str, tuple[str, str]] = {
    "TAF72": ("N19 5NX", "Highgate Mental Health Centre, Dartmouth Park Hill (public address)"),
    "RRP47": ("EN2 0JB", "St Michael's Hospital, Gater Drive, Enfield (public address)"),
    "RALRA": ("HA8 0AD", "Edgware Community Hospital, Burnt Oak Broadway (NHS Choices RYX24)"),
    "TAF04": ("N5 1PJ", "32 Drayton Park, Islington (the street address in its name)"),
    "RNK-AGGRE": ("NW3 5BA", "the Tavistock Centre, 120 Belsize Lane (trust headquarters)"),
    "TAF08": ("NW1 0PE", "fallback: Camden and Islington trust headquarters, St Pancras"),
    "TAF10": ("NW1 0PE", "fallback: Camden and Islington trust headquarters, St Pancras"),
    "TAF41": ("NW1 0PE", "fallback: Camden and Islington trust headquarters, St Pancras"),
    "TAF65": ("NW1 0PE", "fallback: Camden and Islington trust headquarters, St Pancras"),
    "TAF81": ("NW1 0PE", "fallback: Camden and Islington trust headquarters, St Pancras"),
    "RKE54": ("N19 5NF", "fallback: Whittington Health trust headquarters"),
}
"""ERIC site code -> (postcode, where it comes from). A headquarters fallback is used
only for small residential units of a local trust whose address is in none of the
shared public files; such a site keeps its own campus (it is not merged into the
headquarters campus) and, holding beds, is not disposable."""

FALLBACK = "fallback"
NAME_MATCH_KM = 15.0
FALLBACK_RING_M = 30.0
"""Headquarters fallbacks are spread on a ring of this radius around the point, so that
no two sites share a point."""


def normalised_name(name: str) -> str:
    """Upper-case letters and digits only, ``ST.``/``ST`` unified.

    >>> normalised_name("St. Ann's Hospital") == normalised_name("ST ANNS HOSPITAL")
    True
    """
    text = re.sub(r"\bST\.?\s", "ST ", str(name).upper())
    return re.sub(r"[^A-Z0-9]", "", text)


def _unique_by_name(pool: pd.DataFrame) -> pd.DataFrame:
    pool = pool.assign(key=pool["name"].map(normalised_name))
    pool = pool.drop_duplicates(["key", "postcode"])
    return pool[~pool["key"].duplicated(keep=False)].set_index("key")


def geocode(
    eric: pd.DataFrame, hospitals: pd.DataFrame, postcodes: pd.DataFrame, hq: pd.DataFrame
) -> pd.DataFrame:
    """Add ``x``, ``y``, ``borough``, ``postcode``, ``geocoded_by`` to ERIC sites.

    Parameters
    ----------
    eric
        ERIC sites (``site_id``, ``name``; ``x``/``y`` ignored: every point comes
        from the chain so that a site's point and campus key agree).
    hospitals
        NHS Choices 2018 hospitals (``site_id``, ``name``, ``x``, ``y``,
        ``borough``, ``postcode``), all of England and every sector.
    postcodes
        Code-Point Open points indexed by normalised postcode (``x``, ``y``,
        ``borough``).
    hq
        Trust headquarters points indexed by trust code (``x``, ``y``).
    """
    out = eric.copy()
    hosp = hospitals[hospitals["x"].notna()].copy()
    hosp["postcode"] = hosp["postcode"].map(normalise_postcode)
    by_code = hosp.drop_duplicates("site_id").set_index("site_id")
    for column in ("x", "y", "borough", "postcode"):
        out[column] = out["site_id"].map(by_code[column])
    out["geocoded_by"] = np.where(out["x"].notna(), "ods_code", "")
    london = hosp[hosp["borough"] != ""]
    placed = out[out["x"].notna() & (out["borough"] != "")]
    pool = pd.concat(
        [london[["name", "x", "y", "borough", "postcode"]],
         placed[["name", "x", "y", "borough", "postcode"]]]
    )  # fmt: skip
    unique = _unique_by_name(pool)
    missing = out["x"].isna()
    keys = out.loc[missing, "name"].map(normalised_name)
    found = pd.DataFrame({c: keys.map(unique[c]) for c in ("x", "y", "borough", "postcode")})
    trust = out.loc[missing, "trust_code"]
    far = np.hypot(found["x"] - trust.map(hq["x"]), found["y"] - trust.map(hq["y"]))
    found = found[(far <= NAME_MATCH_KM * 1000).to_numpy()]
    for column in ("x", "y", "borough", "postcode"):
        out.loc[found.index, column] = found[column]
    out.loc[found.index, "geocoded_by"] = "name"
    missing = out["x"].isna() & out["site_id"].isin(list(SITE_POSTCODES))
    codes = out.loc[missing, "site_id"].map(lambda s: normalise_postcode(SITE_POSTCODES[s][0]))
    for column in ("x", "y", "borough"):
        out.loc[missing, column] = codes.map(postcodes[column]).to_numpy()
    out.loc[missing, "postcode"] = codes.to_numpy()
    fallback = out["site_id"].map(lambda s: SITE_POSTCODES.get(s, ("", ""))[1].startswith(FALLBACK))
    out.loc[missing, "geocoded_by"] = np.where(fallback[missing], FALLBACK, "postcode")
    ring = out.index[out["geocoded_by"] == FALLBACK]
    for k, at in enumerate(sorted(ring, key=lambda i: out.at[i, "site_id"])):
        angle = 2 * np.pi * k / len(ring)
        out.at[at, "x"] = round(float(out.at[at, "x"]) + FALLBACK_RING_M * np.cos(angle), 1)
        out.at[at, "y"] = round(float(out.at[at, "y"]) + FALLBACK_RING_M * np.sin(angle), 1)
    out["borough"] = out["borough"].fillna("")
    out["postcode"] = out["postcode"].fillna("")
    return out
