"""The ``estates-opt`` command line.

Each subcommand lives in its own module of this package with two functions,
``add_parser(subparsers)`` and ``run(args) -> int``; modules are found automatically
and ``--help`` lists them in the order of :data:`ORDER` (others follow alphabetically).
The CLI is the only layer that prints or exits.

Exit codes shared by every command: 0 done, 1 an error that is not the input's (an
output that could not be written part-way, e.g. a full disk; nothing was replaced),
2 bad input or an output location that cannot be used (checked before any solving),
130 interrupted (nothing was written). ``solve`` adds 3 and 4, ``sweep`` adds
:data:`~estates_opt.cli.sweep.EXIT_FAILED_ROWS`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from estates_opt import __version__
from estates_opt.errors import EstatesOptError, InputError
from estates_opt.io.atomic import OutputError, OutputWriteError
from estates_opt.status import EXIT_BAD_INPUT

__all__ = ["main"]

ORDER = [
    "validate",
    "solve",
    "report",
    "sample",
    "alternatives",
    "sweep",
    "frontier",
    "uncertainty",
    "compare-governance",
    "bench",
]


def commands() -> list[str]:
    """Subcommand names, one per module of this package."""
    found = [
        m.name.replace("_", "-")
        for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_")
    ]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


EXIT_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="estates-opt",
        description=(
            "Decide what to keep, sell, share and reinvest in across a public health and "
            "care estate (MODEL.md canonical model)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands():
        module = importlib.import_module(f"estates_opt.cli.{name.replace('-', '_')}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``estates-opt``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    # Dask's own loggers: -q leaves only errors (local clusters follow, see dask_client)
    if args.quiet:
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.ERROR)
    try:
        return int(args._run(args))
    except (InputError, OutputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputWriteError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except EstatesOptError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
