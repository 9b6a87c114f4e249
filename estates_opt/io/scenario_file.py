"""``scenario.toml``: read with :mod:`tomllib`, written with tomli-w."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from estates_opt.errors import InputError, Problem
from estates_opt.scenario import SCENARIO_FILE, Scenario
from estates_opt.validate.scenario import parse_scenario

__all__ = ["read_scenario", "scenario_to_toml"]


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
