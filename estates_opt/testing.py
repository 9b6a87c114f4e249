"""Assertions for tests of code that builds or transforms instances."""

from __future__ import annotations

import pandas as pd
from geopandas.testing import assert_geodataframe_equal

from estates_opt.instance import Instance

__all__ = ["assert_instance_equal"]


def assert_instance_equal(a: Instance, b: Instance, *, check_name: bool = False) -> None:
    """Assert two instances hold equal tables (geometry and dtypes included) and scenarios.

    Parameters
    ----------
    a, b
        The instances to compare.
    check_name
        Also compare :attr:`Instance.name` (off by default: it follows the folder name).

    Raises
    ------
    AssertionError
        Naming the first table that differs.
    """
    _assert_geo_equal(a.sites, b.sites, "sites")
    _assert_geo_equal(a.zones, b.zones, "zones")
    pd.testing.assert_frame_equal(a.projects, b.projects, obj="projects")
    if a.travel is None or b.travel is None:
        assert a.travel is None and b.travel is None, "travel: present in one instance only"
    else:
        pd.testing.assert_frame_equal(a.travel, b.travel, obj="travel")
    assert a.scenario == b.scenario, f"scenario differs:\n{a.scenario}\n!=\n{b.scenario}"
    if check_name:
        assert a.name == b.name, f"name differs: {a.name!r} != {b.name!r}"


def _assert_geo_equal(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    try:
        assert_geodataframe_equal(a, b, check_less_precise=False)
    except AssertionError as err:
        raise AssertionError(f"{what}: {err}") from err
