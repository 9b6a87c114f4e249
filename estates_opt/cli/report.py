"""``estates-opt report OUT_DIR``: the board's HTML page and Excel workbook of a solved plan."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from estates_opt.errors import EstatesOptError
from estates_opt.io.output_guard import output_files, read_marker, record_files
from estates_opt.progress import Progress


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``report``."""
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report and Excel workbook of a solved plan",
        description=(
            "Read the folder written by 'estates-opt solve --out OUT_DIR' and write a "
            "self-contained HTML report (headline KPIs against targets, a map of the estate, "
            "cash flow, targets, utilisation, disposals with reasons, projects built) and an "
            "Excel workbook (summary, sites, projects, cash flow, assignments summary). "
            "The page opens offline: every image and style is inside the file. A report "
            "file replaces only a report file estates_opt wrote (never another file, never "
            "in an instance folder). Exit codes: 0 written, 1 a file could not be written "
            "(e.g. a full disk; nothing was replaced), 2 OUT_DIR is not a valid plan folder "
            "(the message names the file and key) or an output cannot be written there."
        ),
        epilog=("example: estates-opt solve data/ncl_pilot --out out/ && estates-opt report out/"),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder of 'estates-opt solve'")
    parser.add_argument("--html", metavar="PATH", default=None,
                        help="HTML report to write (default: OUT_DIR/report.html)")  # fmt: skip
    parser.add_argument("--excel", metavar="PATH", default=None,
                        help="Excel workbook to write (default: OUT_DIR/plan.xlsx)")  # fmt: skip
    parser.add_argument("--gpkg", metavar="PATH", default=None,
                        help="also write a GeoPackage for QGIS (sites by decision, zones, "
                        "boroughs, last-period assignment lines)")  # fmt: skip
    parser.add_argument("--boroughs", metavar="PATH", default=None,
                        help="borough outlines (GeoPackage, GeoJSON or shapefile with a "
                        "'borough' or LAD22CD column, or an instance folder holding "
                        "boroughs.gpkg); approximated from the zones when absent")  # fmt: skip
    parser.add_argument("--no-excel", action="store_true", help="skip the workbook")
    return parser


def run(args: argparse.Namespace) -> int:
    """Read the folder once, then write each requested file; exit 0 on success."""
    try:
        from estates_opt.report import ReportData, write_excel, write_geopackage, write_html
    except ImportError as err:  # the report extra is not installed
        raise EstatesOptError(
            f"the report needs matplotlib and openpyxl ({err.name} is missing); "
            "install them with: pip install 'estates_opt[report]'"
        ) from err
    out = Path(args.out_dir)
    if not getattr(args, "verbose", False):  # GDAL's "Created N records" lines are noise here
        logging.getLogger("pyogrio").setLevel(logging.WARNING)
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    html = Path(args.html) if args.html else out / "report.html"
    excel = None if args.no_excel else Path(args.excel) if args.excel else out / "plan.xlsx"
    gpkg = Path(args.gpkg) if args.gpkg else None
    targets = [p for p in (html, excel, gpkg) if p is not None]
    written: list[Path] = []
    with Progress(quiet=quiet, verbose=verbose) as progress:
        with progress.phase("reading"):
            data = ReportData.from_folder(out, boroughs=args.boroughs)
        with output_files(targets), progress.phase("writing"):
            written.append(write_html(data, html))
            if excel is not None:
                written.append(write_excel(data, excel))
            if gpkg is not None:
                written.append(write_geopackage(data, gpkg))
            _record(written)
    if not quiet:
        for path in written:
            print(f"written {path}", file=sys.stderr)
    return 0


def _record(written: list[Path]) -> None:
    """Add report files written into an output folder to that folder's marker."""
    by_folder: dict[Path, list[str]] = {}
    for path in written:
        by_folder.setdefault(path.parent, []).append(path.name)
        figures = path.with_name(f"{path.stem}_figures")  # the page's PNG and SVG figures
        if path.suffix == ".html" and figures.is_dir():
            by_folder[path.parent].append(f"{figures.name}/**")
    for folder, names in by_folder.items():
        if read_marker(folder) is not None:
            record_files(folder, names)
