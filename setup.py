"""Package layout that ``pyproject.toml`` cannot say: the sample folders ship in the wheel.

The samples stay at ``data/ncl_pilot`` and ``data/london`` in the repository; the wheel
carries them as ``estates_opt/_samples/<name>/`` (read with :mod:`importlib.resources`
by :func:`estates_opt.datasets.data_dir`). Every file of every ``data/<name>/`` folder
is included, so a rebuilt sample needs no change here.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["estates_opt", "estates_opt.*"]), "estates_opt._samples"],
    package_dir={"estates_opt._samples": "data"},
)
