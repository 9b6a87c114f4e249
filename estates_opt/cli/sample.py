"""``estates-opt sample NAME --out DIR``: write a sample estate folder."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from estates_opt.datasets import load_sample, sample_names
from estates_opt.io import write_instance
from estates_opt.io.output_guard import output_folder

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``sample`` subcommand."""
    parser = subparsers.add_parser(
        "sample",
        help="write a sample estate (real London public data) to a folder",
        description="Write a committed sample estate as an instance folder.",
    )
    parser.add_argument("name", choices=sample_names(), help="sample estate")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a folder holding nothing but instance files (never other files)",
    )
    parser.add_argument(
        "--shared", type=Path, default=None,
        help="rebuild from this shared/data folder instead of the committed copy",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the sample; returns the exit code."""
    inputs = [args.shared] if args.shared is not None else []
    with output_folder(args.out, "instance", overwrite=args.overwrite, inputs=inputs):
        if args.shared is not None:
            from estates_opt.datasets import build_sample

            instance = build_sample(args.name, args.shared)
        else:
            instance = load_sample(args.name)
        path = write_instance(instance, args.out, overwrite=args.overwrite)
    log.info("wrote %s: %r", path, instance)
    return 0
