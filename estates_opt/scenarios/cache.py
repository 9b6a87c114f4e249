"""The on-disk cache of scenario solves: one JSON file per (instance, variant, options).

An entry's name is a hash of the instance content, the variant's parameters, the solver
options and the versions that can change a result (this package, the model format,
highspy, pulp, ortools). An entry is used only when it passes :func:`entry_problem`: a
JSON object of this cache version whose checksum matches its content, with a known
status, a finite and plausible objective (at most :data:`MAX_OBJECTIVE` in size and not
above its bound) and the decision tables a solved scenario has. Anything else (a file
holding ``[]``, an edited objective, a missing key) is logged as a warning and the
scenario is solved again, which rewrites the entry. Entries are written atomically.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from estates_opt.instance import Instance
from estates_opt.io.atomic import OutputError, OutputWriteError, write_file
from estates_opt.scenarios.spec import scenario_fingerprint

__all__ = [
    "CACHE_VERSION",
    "MAX_OBJECTIVE",
    "MODEL_FORMAT",
    "cache_key",
    "cache_read",
    "cache_write",
    "entry_problem",
    "instance_hash",
    "versions",
]

log = logging.getLogger(__name__)

CACHE_VERSION = 2
#: bump when the model, or what a solve returns for it, changes meaning
MODEL_FORMAT = 1
#: the largest objective (GBP) a cached result may hold: beyond it the entry is not trusted
MAX_OBJECTIVE = 1e15
STATUS_ERROR = "error"
_STATUSES = ("optimal", "feasible", "infeasible", "no_solution")
_TABLES = ("site_decisions", "project_decisions", "assignments", "marriage_pairs")
_SOLVER_PACKAGES = ("highspy", "pulp", "ortools")


def _frame_hash(frame: pd.DataFrame | None) -> str:
    if frame is None:
        return "none"
    frame = pd.DataFrame(frame)
    if "geometry" in frame.columns:
        import geopandas as gpd

        wkb = gpd.GeoSeries(frame["geometry"]).to_wkb(hex=True)
        frame = frame.drop(columns="geometry").assign(geometry_wkb=wkb.to_numpy())
    digest = hashlib.sha256()
    digest.update(
        json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode()
    )
    digest.update(
        pd.util.hash_pandas_object(frame.astype(object), index=False).to_numpy().tobytes()
    )
    return digest.hexdigest()


def instance_hash(instance: Instance) -> str:
    """A content hash of an instance: its four tables and its scenario (not its name)."""
    parts = [_frame_hash(getattr(instance, t)) for t in ("sites", "zones", "projects", "travel")]
    parts.append(scenario_fingerprint(instance.scenario))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def versions() -> dict[str, Any]:
    """What besides the inputs decides a result: package, model format, solver packages."""
    found: dict[str, Any] = {"estates_opt": _installed("estates_opt"), "model": MODEL_FORMAT}
    found.update({name: _installed(name) for name in _SOLVER_PACKAGES})
    return found


def cache_key(inst_hash: str, params: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """The entry name of one solve (32 hex digits)."""
    text = json.dumps(
        {
            "v": CACHE_VERSION,
            "versions": versions(),
            "instance": inst_hash,
            "params": params,
            "options": options,
        },
        sort_keys=True,
        allow_nan=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _checksum(entry: Mapping[str, Any]) -> str:
    body = {"row": entry.get("row"), "tables": entry.get("tables")}
    text = json.dumps(body, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def entry_problem(entry: Any) -> str | None:
    """Why a cache entry cannot be used (None when it can)."""
    if not isinstance(entry, dict):
        return f"expected a JSON object, got {type(entry).__name__}"
    for key in ("version", "row", "tables", "checksum"):
        if key not in entry:
            return f"the key '{key}' is missing"
    if entry["version"] != CACHE_VERSION:
        return f"cache version {entry['version']!r}, expected {CACHE_VERSION}"
    if entry["checksum"] != _checksum(entry):
        return "its content does not match its checksum (edited after it was written)"
    row, tables = entry["row"], entry["tables"]
    if not isinstance(row, dict):
        return f"'row' is {type(row).__name__}, expected an object"
    status = row.get("status")
    if status not in _STATUSES:
        return f"unknown status {status!r}"
    for key in ("objective", "best_bound", "mip_gap"):
        value = row.get(key)
        if value is not None and not (_number(value) and math.isfinite(value)):
            return f"'{key}' is {value!r}, expected a finite number or null"
    objective, bound = row.get("objective"), row.get("best_bound")
    if status in ("optimal", "feasible"):
        if objective is None:
            return f"a {status} result without an objective"
        if abs(objective) > MAX_OBJECTIVE:
            return f"implausible objective {objective!r} (above {MAX_OBJECTIVE:g} in size)"
        if bound is not None and objective > bound + 1e-6 * max(1.0, abs(bound)):
            return f"objective {objective!r} above its bound {bound!r}"
        if not isinstance(tables, dict) or any(name not in tables for name in _TABLES):
            return "the decision tables are missing"
        for name in _TABLES:
            table = tables[name]
            if not isinstance(table, dict) or not isinstance(table.get("columns"), list):
                return f"table '{name}' has no columns"
            data = table.get("data")
            if not isinstance(data, list) or any(
                not isinstance(r, list) or len(r) != len(table["columns"]) for r in data
            ):
                return f"table '{name}' has rows that do not fit its columns"
    return None


def cache_read(cache: Path | None, key: str) -> dict[str, Any] | None:
    """A valid entry, or None (a bad one is reported and will be solved again)."""
    if cache is None:
        return None
    path = cache / f"{key}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        log.warning("cache entry %s unreadable (%s); solving the scenario again", path, err)
        return None
    try:
        entry = json.loads(text)
    except ValueError as err:
        problem: str | None = f"not JSON ({err})"
    else:
        problem = entry_problem(entry)
    if problem is not None:
        log.warning("cache entry %s is not valid: %s; solving the scenario again", path, problem)
        return None
    return {"row": entry["row"], "tables": entry["tables"]}


def cache_write(cache: Path | None, key: str, result: Mapping[str, Any]) -> None:
    """Store a result (never an error row); a write that fails only costs a re-solve."""
    if cache is None or result["row"]["status"] == STATUS_ERROR:
        return
    entry = {"version": CACHE_VERSION, "row": result["row"], "tables": result.get("tables")}
    entry["checksum"] = _checksum(entry)
    try:
        write_file(cache / f"{key}.json", json.dumps(entry, allow_nan=True), durable=False)
    except (OutputError, OutputWriteError) as err:
        log.warning("%s (the cache entry will be solved again next time)", err)
