"""Ready-made custom rules an estates board asks for; each is also a worked example.

Pass them to :func:`estates_opt.optimize.solve` with ``rules=[...]``. A rule is any function
that takes a :class:`estates_opt.model.rules.Decisions` and yields constraints, so
writing your own takes a few lines (see ``docs/custom_rules.md``).

Examples
--------
>>> import estates_opt as eo
>>> rules = [eo.rules.max_disposals_per_borough(2), eo.rules.dispose_together("S07", "S13")]
>>> # plan = eo.solve(inst, rules=rules)
"""

from __future__ import annotations

from collections.abc import Iterator

from estates_opt.model.rules import Constraint, Decisions, Rule

__all__ = [
    "dispose_after_ready",
    "dispose_together",
    "max_disposals_per_borough",
    "min_floor_area_kept",
]


def max_disposals_per_borough(limit: int) -> Rule:
    """At most ``limit`` disposals per borough in any one period."""

    def max_disposals_per_borough(v: Decisions) -> Iterator[Constraint]:
        sites = v.instance.sites
        for borough, group in sites.groupby("borough", sort=True):
            for t in v.periods:
                total = v.total(v.dispose(s, t) for s in group["site_id"])
                yield (total <= limit).named(f"{borough} period {t}")

    return max_disposals_per_borough


def dispose_together(site_a: str, site_b: str) -> Rule:
    """Two sites are disposed in the same period, or both kept."""

    def dispose_together(v: Decisions) -> Iterator[Constraint]:
        for t in v.periods:
            yield (v.dispose(site_a, t) == v.dispose(site_b, t)).named(f"period {t}")

    return dispose_together


def min_floor_area_kept(borough: str, floor_area_m2: float) -> Rule:
    """At least ``floor_area_m2`` of capacity (existing and built) stays in a borough."""

    def min_floor_area_kept(v: Decisions) -> Iterator[Constraint]:
        sites = v.instance.sites[v.instance.sites["borough"] == borough]
        projects = v.instance.projects[v.instance.projects["site_id"].isin(sites["site_id"])]
        for t in v.periods:
            kept = v.total(
                v.is_open(s, t) * float(c)
                for s, c in zip(sites["site_id"], sites["capacity_m2"], strict=True)
            )
            new = v.total(
                v.ready(p, t) * float(a)
                for p, a in zip(projects["project_id"], projects["added_capacity_m2"], strict=True)
            )
            yield (kept + new >= floor_area_m2).named(f"{borough} period {t}")

    return min_floor_area_kept


def dispose_after_ready(site_id: str, project_id: str) -> Rule:
    """``site_id`` may only be disposed once ``project_id`` is ready (e.g. a decant)."""

    def dispose_after_ready(v: Decisions) -> Iterator[Constraint]:
        for t in v.periods:
            yield (v.disposed_by(site_id, t) <= v.ready(project_id, t)).named(f"period {t}")

    return dispose_after_ready
