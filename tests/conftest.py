"""Shared fixtures: where the public data lives, and small instances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _shared_dir(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing; it is always present under CI=true")
        pytest.skip(f"{path} is not on this machine (public data for this test)")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``@pytest.mark.slow`` tests unless ``ESTATES_OPT_SLOW=1``."""
    if os.environ.get("ESTATES_OPT_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow test: set ESTATES_OPT_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the public datasets (skip without them, fail under CI=true)."""
    return _shared_dir("data")


@pytest.fixture(scope="session")
def shared_instances() -> Path:
    """``../shared/instances``: known-answer instances with reference plans."""
    return _shared_dir("instances")
