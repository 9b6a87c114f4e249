"""Location-type cases beyond OR-Library: Holmberg p1-p71 and TBED1 i300/i500.

Read from ``../shared/data/extra_cflp/`` (never copied into the project; a case whose file
is absent is skipped by the runner with "data not on this machine"), mapped to
instances by :mod:`estates_opt.sources.cflp`, with the published values of
``optima/holmberg.csv`` (single-source optima: upper bounds for our multi-source model)
and ``optima/tbed1.csv`` (best-known multi-source values).

Gaps: the textbook baseline (:mod:`benchmarks.baseline_textbook`) proves a relative gap
on the cost; our solve proves one on the NPV ``F - cost`` (``F`` the sum of fixed costs).
Both are asked for the same ABSOLUTE gap, ``COST_GAP`` times the published cost:
``ours = COST_GAP * published / |F - published|``. (On TBED1 ``|F - cost|`` is about
ten times the cost, so asking both for 1e-4 would let ours stop ten times sooner.)
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

from estates_opt.sources.cflp import Cflp, cflp_instance, read_holmberg, read_tbed1

__all__ = ["COST_GAP", "EXTRA", "cflp_cases", "cost_gaps", "fixed_total"]

EXTRA = Path(__file__).resolve().parents[2] / "shared" / "data" / "extra_cflp"
COST_GAP = 1e-4
"""The relative gap on the cost that every location case proves (HiGHS's default)."""

_HOLMBERG_SIZES = (  # SOURCE.md: (instances, (facilities, customers))
    (range(1, 13), (10, 50)),
    (range(13, 25), (20, 50)),
    (range(25, 41), (30, 150)),
    ((41, 44, 47), (10, 90)),
    ((42, 45, 48), (20, 80)),
    ((43, 46, 49), (30, 70)),
    ((50, 52, 54), (10, 100)),
    ((51, 53, 55), (20, 100)),
    (range(56, 72), (30, 200)),
)


def fixed_total(path: Path, kind: str) -> float:
    """Sum of the fixed costs, read from the head of the file only (cheap at import)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        head = handle.read(1 << 16)
        rest = handle.read(1)
    tokens = head.split()
    if rest:
        tokens = tokens[:-1]  # the last token may be cut at the chunk's end
    a, b = int(tokens[0]), int(tokens[1])
    need = 2 + 2 * a if kind == "holmberg" else 2 + a + 2 * b
    if len(tokens) < need:
        with opener(path, "rt", encoding="utf-8") as handle:
            tokens = handle.read().split()
    if kind == "holmberg":
        return sum(float(tokens[2 + 2 * i + 1]) for i in range(a))
    return sum(float(t) for t in tokens[2 + a + b : 2 + a + 2 * b])


def cost_gaps(published: float | None, fixed: float, default: float) -> tuple[float, float]:
    """(our NPV-scale gap, the textbook's cost-scale gap) for one absolute gap."""
    if not published or fixed == published:
        return default, COST_GAP
    npv = abs(fixed - published)
    return COST_GAP * published / npv, COST_GAP


def _published(name: str) -> dict[str, float]:
    table = EXTRA / "optima" / f"{name}.csv"
    if not table.exists():
        return {}
    with table.open(encoding="utf-8") as handle:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(handle)}


def _reader(path: Path, arrays: Callable[[Path], Cflp], raw: Any) -> Callable[[], Any]:
    """``read()`` -> RawInstance (the loader validates once while reading)."""

    def read() -> Any:
        inst = cflp_instance(*arrays(path), name=path.name.split(".")[0])
        return raw(inst.sites, inst.zones, inst.scenario, inst.projects, inst.travel, inst.name)

    read.path = path  # type: ignore[attr-defined]
    return read


def _arrays(path: Path, arrays: Callable[[Path], Cflp]) -> Callable[[], Cflp]:
    def load() -> Cflp:
        return arrays(path)

    load.path = path  # type: ignore[attr-defined]
    return load


def cflp_cases(case: Any, raw: Any, size_of: Callable[..., dict[str, int]]) -> list[Any]:
    """The Holmberg and TBED1 cases (``case``/``raw``: the Case and RawInstance classes)."""
    out = []
    holmberg = _published("holmberg")
    sizes = {k: mn for ks, mn in _HOLMBERG_SIZES for k in ks}
    for k in range(1, 72):
        path = EXTRA / "holmberg" / f"p{k}.txt"
        m, n = sizes[k]
        fixed = fixed_total(path, "holmberg") if path.exists() else 0.0
        ours, textbook = cost_gaps(holmberg.get(f"p{k}"), fixed, COST_GAP)
        out.append(
            case(
                name=f"holmberg_p{k}",
                group="holmberg",
                read=_reader(path, read_holmberg, raw),
                size=size_of(m, n, 1, 1),
                mip_gap=ours,
                time_limit=60.0,
                baselines=("textbook", "pulp-cbc", "pulp-highs"),
                known_cost=holmberg.get(f"p{k}"),
                known_cost_kind="single-source optimum (an upper bound here)",
                arrays=_arrays(path, read_holmberg),
                cost_offset=fixed,
                textbook_gap=textbook,
            )
        )
    tbed1 = _published("tbed1")
    for m, limit in ((300, 60.0), (500, 120.0)):
        for k in range(1, 21):
            path = EXTRA / "tbed1" / f"i{m}_{k}.plc.gz"
            fixed = fixed_total(path, "tbed1") if path.exists() else 0.0
            ours, textbook = cost_gaps(tbed1.get(f"i{m}_{k}"), fixed, COST_GAP)
            out.append(
                case(
                    name=f"tbed1_i{m}_{k}",
                    group="tbed1",
                    read=_reader(path, read_tbed1, raw),
                    size=size_of(m, m, 1, 1),
                    mip_gap=ours,
                    time_limit=limit,
                    baselines=("textbook", "pulp-cbc", "pulp-highs"),
                    known_cost=tbed1.get(f"i{m}_{k}"),
                    known_cost_kind="best-known multi-source value",
                    arrays=_arrays(path, read_tbed1),
                    cost_offset=fixed,
                    textbook_gap=textbook,
                    targets={"solve_s": 30.0 if m == 300 else 120.0},
                )
            )
    return out
