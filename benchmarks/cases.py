"""The registry of benchmark cases: generated London-like estates, samples, OR-Library.

Every case knows how to *read* its raw tables (the phase before validation), the gap
and time limit to solve it to, and what it is compared against: a known optimum
(OR-Library, ``p01``/``p02``) and, where asked, the straightforward PuLP baseline.

``synthetic_estate(n_sites, n_zones, n_services, n_periods, seed)`` places sites and
zones uniformly in a square box (40 x 40 km by default, London's extent) with
``numpy.random.default_rng(seed)`` and London magnitudes: MSOA-sized zones of about
8,800 residents, GP-practice to health-centre floor areas, running costs of about
GBP 250 per m2 a year, land values of GBP 1-10m a site, an extension project on one
site in five and empty candidate land with a new-build option on one in twenty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from benchmarks.cases_cflp import cflp_cases
from estates_opt.instance import Instance
from estates_opt.io.scenario_file import read_scenario
from estates_opt.scenario import Scenario, Service
from estates_opt.sources.orlib import orlib_cap_instance, read_orlib_cap

__all__ = [
    "CASES",
    "ORLIB_CAPACITIES",
    "Case",
    "RawInstance",
    "get_case",
    "quick_cases",
    "synthetic_estate",
    "synthetic_frames",
]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SHARED = REPO.parent / "shared"
ORLIB_CAP = SHARED / "data" / "orlib" / "cap"

#: Beasley (1988) Table 1 capacities of the 100 x 1,000 files.
ORLIB_CAPACITIES = {
    "capa": (8000, 10000, 12000, 14000),
    "capb": (5000, 6000, 7000, 8000),
    "capc": (5000, 5750, 6500, 7250),
}

# name: (space_per_1000 m2, reach m, travel cost GBP per person-km a year), as the samples
_SERVICES = (
    ("primary_care", 80.0, 1500.0, 2.0),
    ("community", 30.0, 4000.0, 0.5),
    ("mental_health", 20.0, 6000.0, 0.2),
    ("social_care", 15.0, 2500.0, 0.3),
    ("diagnostics", 10.0, 6000.0, 0.2),
    ("pharmacy", 5.0, 1500.0, 1.0),
)


@dataclass(frozen=True)
class RawInstance:
    """The tables of an instance before validation (what the *read* phase produces)."""

    sites: pd.DataFrame
    zones: pd.DataFrame
    scenario: Scenario
    projects: pd.DataFrame | None = None
    travel: pd.DataFrame | None = None
    name: str = "instance"

    def validate(self) -> Instance:
        """The *validate* phase: :meth:`estates_opt.Instance.from_frames`."""
        return Instance.from_frames(
            self.sites, self.zones, self.scenario, self.projects, self.travel, name=self.name
        )


@dataclass(frozen=True)
class Case:
    """One benchmark case.

    ``read`` returns the raw tables; ``mip_gap`` and ``time_limit`` are what our solve
    is asked for; ``baselines`` names the baseline solvers to run beside it
    (``"build"`` alone times the straightforward build without solving it;
    ``"textbook"`` the strong CFLP model in plain HiGHS, location cases only);
    ``known_cost`` is a published minimum cost (``known_cost_kind`` says which kind),
    compared as ``cost_offset - NPV``. Location cases carry their ``arrays``
    (capacities, fixed costs, demands, total costs) and the textbook's cost-scale
    ``textbook_gap`` (see :mod:`benchmarks.cases_cflp`).
    """

    name: str
    group: str
    read: Callable[[], RawInstance]
    size: dict[str, int] = field(default_factory=dict)
    mip_gap: float = 1e-4
    time_limit: float = 60.0
    baselines: tuple[str, ...] = ()
    baseline_time_limit: float | None = None
    known_cost: float | None = None
    known_npv: float | None = None
    targets: dict[str, float] = field(default_factory=dict)
    quick: bool = False
    known_cost_kind: str = "optimum"
    arrays: Callable[[], tuple[np.ndarray, ...]] | None = None
    cost_offset: float | None = None
    textbook_gap: float | None = None

    def available(self) -> bool:
        """Whether the data this case reads is on this machine."""
        try:
            path = getattr(self.read, "path", None)
            return path is None or Path(path).exists()
        except OSError:
            return False


# --- synthetic estates ---------------------------------------------------------------


def synthetic_frames(
    n_sites: int,
    n_zones: int,
    n_services: int = 4,
    n_periods: int = 5,
    seed: int = 0,
    *,
    box_km: float = 40.0,
) -> RawInstance:
    """Raw tables of a London-like estate (see the module docstring); always feasible.

    Reaches are widened where needed so every zone reaches at least three sites hosting
    each service, and floor areas total 1.8 times the demand over ``utilisation.max``.
    """
    if not 1 <= n_services <= len(_SERVICES):
        raise ValueError(f"n_services: expected 1..{len(_SERVICES)}, got {n_services}.")
    rng = np.random.default_rng(seed)
    side = box_km * 1000.0
    origin = np.array([510_000.0, 160_000.0])
    zone_xy = origin + rng.uniform(0.0, side, size=(n_zones, 2))
    site_xy = origin + rng.uniform(0.0, side, size=(n_sites, 2))
    population = np.round(rng.lognormal(math.log(8_500.0), 0.25, n_zones))
    services = _SERVICES[:n_services]
    names = [s[0] for s in services]

    candidate = rng.random(n_sites) < 0.05
    hosts = rng.random((n_sites, n_services)) < 0.5
    hosts[:, 0] |= rng.random(n_sites) < 0.6  # most buildings offer the first service
    hosts[candidate] = False
    empty = ~hosts.any(axis=1) & ~candidate
    hosts[empty, rng.integers(0, n_services, empty.sum())] = True

    demand_m2 = population.sum() * sum(s[1] for s in services) / 1000.0
    mean_area = 1.8 * demand_m2 / 0.9 / max(1, (~candidate).sum())
    capacity = np.where(candidate, 0.0, np.round(rng.lognormal(0.0, 0.6, n_sites) * mean_area))
    capacity = np.maximum(capacity, np.where(candidate, 0.0, 50.0))
    running = np.round(capacity * rng.uniform(180.0, 320.0, n_sites))
    backlog = np.round(capacity * rng.uniform(0.0, 250.0, n_sites))
    land_ha = rng.lognormal(math.log(0.3), 0.5, n_sites)
    centre = origin + side / 2.0
    distance = np.hypot(*(site_xy - centre).T)
    value_per_ha = 15e6 + 110e6 * np.exp(-distance / 5_000.0)
    market_value = np.round(0.5 * land_ha * value_per_ha, -3)
    homes = np.round(land_ha * np.where(distance < 8_000, 200.0, 90.0))
    disposable = (rng.random(n_sites) < 0.9) & ~candidate
    earliest = rng.integers(1, max(2, n_periods // 2 + 1), n_sites)
    site_ids = [f"S{i:06d}" for i in range(n_sites)]
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "borough": [f"B{int(b):02d}" for b in rng.integers(0, 33, n_sites)],
            "x": np.round(site_xy[:, 0], 1),
            "y": np.round(site_xy[:, 1], 1),
            "capacity_m2": capacity,
            "running_cost": running,
            "backlog_cost": backlog,
            "market_value": market_value,
            "housing_units": homes,
            "disposable": disposable,
            "earliest_disposal": earliest,
            "services": [
                ";".join(n for n, h in zip(names, row, strict=True) if h) for row in hosts
            ],
        }
    )

    # projects: extensions on one site in five, a new build on every candidate
    extend = np.flatnonzero(~candidate & (rng.random(n_sites) < 0.2))
    build = np.flatnonzero(candidate)
    p_site = np.concatenate([extend, build])
    added = np.concatenate(
        [np.round(0.4 * capacity[extend]) + 100.0, np.round(rng.uniform(800, 3000, len(build)))]
    )
    all_services = ";".join(names)
    projects = pd.DataFrame(
        {
            "project_id": [f"P{i:06d}" for i in range(len(p_site))],
            "site_id": [site_ids[s] for s in p_site],
            "kind": ["extend"] * len(extend) + ["new_build"] * len(build),
            "capex": np.round(added * rng.uniform(2_500.0, 4_500.0, len(p_site)), -3),
            "added_capacity_m2": added,
            "services": [
                sites["services"].iat[s] or all_services if i < len(extend) else all_services
                for i, s in enumerate(p_site)
            ],
            "running_cost_delta": np.round(added * 250.0),
            "build_periods": rng.integers(0, 3, len(p_site)).clip(0, max(0, n_periods - 1)),
            "earliest_start": 1,
            "exclusive_group": "",
        }
    )

    # every zone reaches three hosts of each service (today or after a project)
    hosts_ever = hosts.copy()
    for s, text in zip(p_site, projects["services"], strict=True):
        hosts_ever[s] |= np.isin(names, text.split(";"))
    scenario_services = {}
    for k, (name, sigma, reach, tau) in enumerate(services):
        points = site_xy[hosts_ever[:, k]]
        need = min(3, len(points))
        far, _ = cKDTree(points).query(zone_xy, k=need)
        third = float(np.max(far if far.ndim == 1 else far[:, -1]))
        scenario_services[name] = Service(sigma, math.ceil(max(reach, 1.05 * third)), tau)
    budget = float(np.round(0.01 * projects["capex"].sum() + 1e6, -3))
    scenario = Scenario(
        periods=n_periods,
        capital_budget=budget,
        receipts_target=float(np.round(0.02 * market_value.sum(), -3)),
        housing_target=float(np.round(0.02 * homes[disposable].sum())),
        services=scenario_services,
    )
    zones = pd.DataFrame(
        {
            "zone_id": [f"Z{j:06d}" for j in range(n_zones)],
            "borough": "B00",
            "x": np.round(zone_xy[:, 0], 1),
            "y": np.round(zone_xy[:, 1], 1),
            "population": population,
        }
    )
    name = f"synthetic_{n_sites}x{n_zones}x{n_services}x{n_periods}"
    return RawInstance(sites, zones, scenario, projects, None, name)


def synthetic_estate(
    n_sites: int,
    n_zones: int,
    n_services: int = 4,
    n_periods: int = 5,
    seed: int = 0,
    *,
    box_km: float = 40.0,
) -> Instance:
    """A validated London-like :class:`~estates_opt.Instance` (see :func:`synthetic_frames`).

    Examples
    --------
    >>> inst = synthetic_estate(30, 12, 2, 2, seed=1)
    >>> len(inst.sites), len(inst.zones), inst.scenario.periods
    (30, 12, 2)
    """
    return synthetic_frames(n_sites, n_zones, n_services, n_periods, seed, box_km=box_km).validate()


# --- readers -------------------------------------------------------------------------


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
    )


def _folder_reader(folder: Path) -> Callable[[], RawInstance]:
    """Read an instance folder's files as text tables (validation is the next phase)."""

    def read() -> RawInstance:
        optional = {n: folder / f"{n}.csv" for n in ("projects", "travel")}
        return RawInstance(
            sites=_csv(folder / "sites.csv"),
            zones=_csv(folder / "zones.csv"),
            scenario=read_scenario(folder / "scenario.toml"),
            projects=_csv(optional["projects"]) if optional["projects"].exists() else None,
            travel=_csv(optional["travel"]) if optional["travel"].exists() else None,
            name=folder.name,
        )

    read.path = folder  # type: ignore[attr-defined]
    return read


def _orlib_arrays(path: Path, capacity: float) -> Callable[[], tuple[np.ndarray, ...]]:
    def load() -> tuple[np.ndarray, ...]:
        return read_orlib_cap(path, capacity=capacity)

    return load


def _orlib_reader(path: Path, capacity: float) -> Callable[[], RawInstance]:
    """Parse an OR-Library file into tables (its loader validates once while reading)."""

    def read() -> RawInstance:
        inst = orlib_cap_instance(path, capacity=capacity)
        return RawInstance(
            inst.sites, inst.zones, inst.scenario, inst.projects, inst.travel, inst.name
        )

    read.path = path  # type: ignore[attr-defined]
    return read


def _synthetic_reader(*size: int, seed: int = 0) -> Callable[[], RawInstance]:
    def read() -> RawInstance:
        return synthetic_frames(*size, seed=seed)

    return read


def _orlib_fixed_cost(path: Path) -> float:
    _, fixed, _, _ = read_orlib_cap(path, capacity=1.0)
    return float(fixed.sum())


def _published_optima() -> dict[str, float]:
    table = ORLIB_CAP / "bounds_capopt.txt"
    if not table.exists():
        return {}
    out = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] == parts[2]:
            out[parts[0]] = float(parts[1])
    return out


def _known_npv(folder: Path) -> float | None:
    summary = folder / "reference_plan" / "summary.json"
    if not summary.exists():
        return None
    import json

    value = json.loads(summary.read_text(encoding="utf-8")).get("objective")
    return None if value is None else float(value)


def _size_of(sites: int, zones: int, services: int, periods: int) -> dict[str, int]:
    return {"sites": sites, "zones": zones, "services": services, "periods": periods}


def _build_registry() -> dict[str, Case]:
    cases: list[Case] = []
    # generated: a sites x zones ladder at London's 2.5 : 1, then services and periods
    ladder = [(40, 16, 2, 2), (250, 100, 4, 5), (625, 250, 4, 5), (1250, 500, 4, 5)]
    ladder += [(2500, 1000, 4, 5), (5000, 2000, 4, 5)]
    ladder += [(1250, 500, 1, 5), (1250, 500, 2, 5), (1250, 500, 6, 5)]
    ladder += [(1250, 500, 4, 1), (1250, 500, 4, 3), (1250, 500, 4, 10)]
    for size in ladder:
        s, z, k, t = size
        tiny = s <= 40
        cases.append(
            Case(
                name=f"syn_{s}x{z}x{k}x{t}",
                group="synthetic",
                read=_synthetic_reader(*size),
                size=_size_of(*size),
                mip_gap=1e-2,
                time_limit=20.0 if tiny else 30.0,
                baselines=("pulp-cbc", "pulp-highs") if tiny else ("build",) if s <= 1250 else (),
                baseline_time_limit=20.0 if tiny else None,
                quick=tiny,
            )
        )
    # the committed samples
    cases.append(
        Case(
            name="ncl_pilot",
            group="sample",
            read=_folder_reader(DATA / "ncl_pilot"),
            size=_size_of(388, 164, 4, 5),
            mip_gap=1e-4,
            time_limit=30.0,
            baselines=("pulp-cbc", "pulp-highs"),
            baseline_time_limit=30.0,
            targets={"solve_s": 30.0, "gap": 1e-4},
        )
    )
    cases.append(
        Case(
            name="london",
            group="sample",
            read=_folder_reader(DATA / "london"),
            size=_size_of(2405, 1002, 4, 5),
            mip_gap=1e-2,
            time_limit=300.0,
            baselines=("pulp-cbc", "pulp-highs"),
            baseline_time_limit=300.0,
            targets={"build_s": 5.0, "build_gb": 2.0, "build_speedup": 20.0, "solve_s": 300.0},
        )
    )
    # known-answer instances
    for name in ("p01", "p02"):
        folder = SHARED / "instances" / name
        cases.append(
            Case(
                name=name,
                group="known",
                read=_folder_reader(folder),
                mip_gap=1e-6,
                time_limit=60.0,
                known_npv=_known_npv(folder),
                quick=True,
            )
        )
    # OR-Library 100 x 1,000 at Beasley's four capacities
    optima = _published_optima()
    for stem, capacities in ORLIB_CAPACITIES.items():
        path = ORLIB_CAP / f"{stem}.txt"
        for capacity in capacities:
            key = f"{stem}_{capacity}"
            fixed = _orlib_fixed_cost(path) if path.exists() else 0.0
            known = optima.get(key)
            textbook_gap = 1e-4  # the same absolute gap as ours (1e-4 of the NPV)
            if known and fixed != known:
                textbook_gap = 1e-4 * abs(fixed - known) / known
            cases.append(
                Case(
                    name=key,
                    group="orlib",
                    read=_orlib_reader(path, capacity),
                    size=_size_of(100, 1000, 1, 1),
                    mip_gap=1e-4,
                    time_limit=60.0,
                    known_cost=optima.get(key),
                    targets={"solve_s": 60.0},
                    baselines=("textbook", "pulp-cbc", "pulp-highs"),
                    arrays=_orlib_arrays(path, capacity),
                    cost_offset=fixed,
                    textbook_gap=textbook_gap,
                )
            )
    cases += cflp_cases(Case, RawInstance, _size_of)
    return {case.name: case for case in cases}


CASES: dict[str, Case] = _build_registry()


def get_case(name: str) -> Case:
    """The case of this name; a clear error lists the known names.

    ``syn:SITES:ZONES:SERVICES:PERIODS[:BOX_KM]`` names an unregistered generated
    estate (the stress benchmark grows these).
    """
    if name.startswith("syn:"):
        parts = name.split(":")[1:]
        s, z, k, t = (int(v) for v in parts[:4])
        box = float(parts[4]) if len(parts) > 4 else 40.0

        def read() -> RawInstance:
            return synthetic_frames(s, z, k, t, 0, box_km=box)

        return Case(name, "synthetic", read, _size_of(s, z, k, t), mip_gap=1e-2)
    if name not in CASES:
        raise KeyError(f"unknown benchmark case {name!r}; known: {', '.join(CASES)}.")
    return CASES[name]


def quick_cases() -> list[str]:
    """The CI smoke set: tiny sizes that run in seconds."""
    return [name for name, case in CASES.items() if case.quick]


def orlib_fixed_cost(case: Case) -> float | None:
    """Sum of fixed costs of a location case (cost = this - NPV); None for others."""
    return case.cost_offset or None


def describe(case: Case) -> dict[str, Any]:
    """JSON-ready description of a case."""
    return {
        "name": case.name,
        "group": case.group,
        "size": case.size,
        "mip_gap": case.mip_gap,
        "textbook_gap": case.textbook_gap,
        "known_cost": case.known_cost,
        "known_cost_kind": case.known_cost_kind,
        "time_limit": case.time_limit,
        "baselines": list(case.baselines),
        "targets": case.targets,
    }
