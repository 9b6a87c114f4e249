"""Sample estates built from real public data (North Central London and all London).

The committed folders ``data/ncl_pilot`` and ``data/london`` are instance folders
(MODEL.md section 1); :func:`load_sample` reads them, :func:`build_sample` rebuilds
them from ``../shared/data`` byte for byte. Every source, rule and assumption is in
``data/README.md``. Rebuild with::

    python -m estates_opt.datasets build --shared ../shared/data --out data

Examples
--------
>>> from estates_opt.datasets import sample_names
>>> sample_names()
('ncl_pilot', 'london')
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import estates_opt
from estates_opt.instance import Instance

__all__ = ["build_sample", "data_dir", "load_sample", "sample_names"]

_NAMES = ("ncl_pilot", "london")


def sample_names() -> tuple[str, ...]:
    """Names of the sample estates, smallest first."""
    return _NAMES


def data_dir() -> Path:
    """The folder holding the committed samples.

    ``data/`` beside the package in a clone (or an editable install), else the copy an
    installed wheel carries as ``estates_opt/_samples``.
    """
    clone = Path(estates_opt.__file__).resolve().parents[1] / "data"
    if all((clone / name).is_dir() for name in _NAMES):
        return clone
    return Path(str(resources.files("estates_opt").joinpath("_samples")))


def load_sample(name: str) -> Instance:
    """Read a committed sample estate.

    Parameters
    ----------
    name
        One of :func:`sample_names`.

    Returns
    -------
    estates_opt.Instance

    Raises
    ------
    KeyError
        ``name`` is not a sample.
    FileNotFoundError
        The sample folder is not there (an install without ``data/``).

    Examples
    --------
    >>> inst = load_sample("ncl_pilot")  # doctest: +SKIP
    >>> len(inst.zones), int(inst.zones["population"].sum())  # doctest: +SKIP
    (164, 1410212)
    """
    from estates_opt.io import read_instance

    if name not in _NAMES:
        raise KeyError(f"unknown sample {name!r}; expected one of {', '.join(_NAMES)}.")
    folder = data_dir() / name
    if not (folder / "scenario.toml").is_file():
        raise FileNotFoundError(
            f"{folder} is missing; rebuild it with "
            "'python -m estates_opt.datasets build --shared ../shared/data --out data'."
        )
    return read_instance(folder)


def build_sample(name: str, shared_data_dir: str | Path) -> Instance:
    """Build a sample estate from the public data in ``shared_data_dir``.

    Parameters
    ----------
    name
        ``ncl_pilot`` (Barnet, Camden, Enfield, Haringey, Islington) or ``london``.
    shared_data_dir
        The ``shared/data`` folder (ERIC, NHS Choices, ODS and ONS extracts).

    Returns
    -------
    estates_opt.Instance
        The validated instance; every build gives the same files.
    """
    from estates_opt.datasets.build import build_sample as _build

    return _build(name, shared_data_dir)
