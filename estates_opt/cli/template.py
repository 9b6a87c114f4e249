"""``estates-opt template --out estate.xlsx``: a workbook to fill in with your own estate."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from estates_opt.datasets import load_sample, sample_names
from estates_opt.io.atomic import OutputExistsError
from estates_opt.io.workbook import write_template

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``template`` subcommand."""
    parser = subparsers.add_parser(
        "template",
        help="write an Excel workbook to fill in with your own estate",
        description=(
            "Write an estate workbook: one sheet per table (sites, zones, projects, travel), "
            "a scenario sheet and a notes sheet explaining every column and unit. "
            "'estates-opt solve estate.xlsx' reads it back."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument(
        "--sample", choices=sample_names(), default=None,
        help="fill the tables with this sample estate (default: empty tables)",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the workbook; returns the exit code."""
    if args.out.exists() and not args.overwrite:
        raise OutputExistsError(f"{args.out} exists; choose another name or pass --overwrite.")
    sample = load_sample(args.sample or sample_names()[0])
    instance = sample if args.sample else None
    path = write_template(args.out, sample.scenario, instance)
    log.info("wrote %s: fill in the sheets, then 'estates-opt solve %s --out DIR'", path, path)
    return 0
