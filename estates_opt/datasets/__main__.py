"""``python -m estates_opt.datasets build --shared ../shared/data --out data``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from estates_opt.datasets import sample_names
from estates_opt.datasets.build import write_sample


def main(argv: Sequence[str] | None = None) -> int:
    """Rebuild the committed samples; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m estates_opt.datasets")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="rebuild sample folders from the public data")
    build.add_argument("--shared", type=Path, required=True, help="the shared/data folder")
    build.add_argument("--out", type=Path, required=True, help="folder to write samples into")
    build.add_argument("names", nargs="*", default=list(sample_names()), help="samples to build")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for name in args.names:
        path = write_sample(name, args.shared, args.out / name)
        logging.getLogger(__name__).info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
