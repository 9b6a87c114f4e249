"""``scenario.toml``: read with :mod:`tomllib`, written with tomli-w."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from estates_opt.errors import InputError, Problem
from estates_opt.scenario import SCENARIO_FILE, Scenario
from estates_opt.validate.scenario import parse_scenario

__all__ = ["read_scenario", "scenario_to_toml", "toml_value"]


def read_scenario(path: str | Path) -> Scenario:
    """Read and validate ``scenario.toml``."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(Problem(SCENARIO_FILE, f"file not found in {path.parent}.")) from err
    except UnicodeDecodeError as err:
        raise InputError(
            Problem(SCENARIO_FILE, f"expected UTF-8 text, found a byte that is not ({err.reason}).")
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(Problem(SCENARIO_FILE, f"not valid TOML: {err}.")) from err
    return parse_scenario(data)


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as ``scenario.toml`` text; reading it back gives an equal scenario."""
    return tomli_w.dumps(scenario.to_dict())


def toml_value(value: Any) -> str:
    """One value as inline TOML (a list or a table on one line, for a spreadsheet cell)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else toml_value(key)
