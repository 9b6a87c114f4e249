"""What a command may write and replace: the marker rule, instance folders, own files.

Every output folder this package writes carries a marker file, ``.estates_opt-output.json``
(``{"written_by": "estates_opt", "kind": ..., "format": 1, "version": ..., "files": [...]}``).
A command writes a folder only when it is new, empty, or holds nothing but a previous
output of the same command: the marker says so, or (a folder from before markers) every
file in it is one that command writes. ``--overwrite`` replaces such a folder; any other
file makes the command refuse, naming the file, and nothing is deleted. An instance
folder (``scenario.toml``, or sites and zones tables) never receives an output, and an
output never replaces the instance it was computed from. Instance folders written by
:func:`~estates_opt.io.write_instance` carry no marker (they are inputs and are
committed): they are recognised by holding nothing but instance files.

A single output file (``report --html PATH``) replaces an existing file only when that
file was written by this package, recognised by its content: the HTML report's
``<meta name="generator" content="estates_opt">``, the workbook's creator, the
GeoPackage's dataset metadata.

:func:`output_folder` and :func:`output_files` check all this and hold the output lock
before any solving, so a command that cannot write fails at once (exit 2), not after
the solve.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from estates_opt.io.atomic import (
    OutputError,
    OutputExistsError,
    output_lock,
    recover,
    replace_folder,
    write_file,
)

__all__ = [
    "GENERATOR",
    "KINDS",
    "MARKER",
    "OutputFolder",
    "atomic_folder",
    "check_file",
    "is_instance_folder",
    "is_own_file",
    "output_files",
    "output_folder",
    "read_marker",
    "record_files",
]

MARKER = ".estates_opt-output.json"
GENERATOR = "estates_opt"
MARKER_FORMAT = 1

_PLAN = (
    "summary.json", "site_decisions.csv", "project_decisions.csv", "assignments.csv",
    "marriage_pairs.csv", "cash_flow.csv", "disposal_reasons.csv", "plan.gpkg",
    "shortfalls.csv", "report.html", "plan.xlsx", MARKER,
)  # fmt: skip
_CACHE = (".cache/**",)
_INSTANCE = (
    "sites.csv", "sites.gpkg", "zones.csv", "zones.gpkg", "projects.csv", "travel.csv",
    "scenario.toml",
)  # fmt: skip

#: kind -> (command, the files it writes as patterns: '*' within a name, '**' any depth)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "plan": ("solve", _PLAN),
    "alternatives": (
        "alternatives",
        (
            "alternatives.csv",
            "alternatives_summary.csv",
            "alternatives_search.csv",
            *(f"alt_[0-9][0-9]*/{name}" for name in _PLAN),
        ),
    ),
    "sweep": ("sweep", ("sweep.csv", "plans/index.csv", "plans/*/*.csv", *_CACHE)),
    "frontier": (
        "frontier",
        ("frontier_*.csv", "frontier_*.png", "plans_*/point_*/*.csv", *_CACHE),
    ),
    "uncertainty": ("uncertainty", ("samples.csv", "sites.csv", "summary.json", *_CACHE)),
    "governance": (
        "compare-governance",
        (
            "groups.csv",
            "cross_boundary.csv",
            "cross_pairs.csv",
            "decisions.csv",
            "summary.json",
            *_CACHE,
        ),
    ),
    "instance": ("sample", _INSTANCE),
}
#: temporary and lock files of ours (from an interrupted write inside the folder)
_LEFTOVER = re.compile(r"^\..+\.(?:[a-z0-9_]{8}\.(?:tmp|old)|lock)$")


def _matches(rel: str, patterns: Iterable[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        wanted = pattern.split("/")
        if wanted[-1] == "**":
            head = wanted[:-1]
            if len(parts) > len(head) and _parts_match(parts[: len(head)], head):
                return True
        elif len(parts) == len(wanted) and _parts_match(parts, wanted):
            return True
    return _LEFTOVER.match(parts[-1]) is not None


def _parts_match(parts: Sequence[str], patterns: Sequence[str]) -> bool:
    return all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, patterns, strict=True))


def _files(folder: Path) -> Iterator[str]:
    """Every non-folder entry under ``folder`` (links not followed), relative, sorted."""
    for root, dirs, names in os.walk(folder):
        base = Path(root).relative_to(folder)
        links = [d for d in dirs if Path(root, d).is_symlink()]  # listed, never entered
        dirs[:] = sorted(d for d in dirs if d not in links)
        for name in sorted([*names, *links]):
            yield (base / name).as_posix()


def _version() -> str:
    try:
        return metadata.version("estates_opt")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def read_marker(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of an output folder, or None when it has none (or an unreadable one)."""
    path = Path(folder) / MARKER
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("written_by") == GENERATOR
    return data if ok and data.get("kind") in KINDS else None


def _marker_text(kind: str, files: Sequence[str]) -> str:
    data = {
        "written_by": GENERATOR,
        "kind": kind,
        "format": MARKER_FORMAT,
        "version": _version(),
        "files": sorted(set(files) - {MARKER}),
    }
    return json.dumps(data, indent=2) + "\n"


def record_files(folder: str | os.PathLike[str], names: Iterable[str]) -> None:
    """Add files written later into an output folder (a report) to its marker."""
    folder = Path(folder)
    with output_lock(folder / MARKER):
        marker = read_marker(folder)
        if marker is None:
            return
        files = [*marker.get("files", []), *names]
        write_file(folder / MARKER, _marker_text(str(marker["kind"]), files))


def is_instance_folder(folder: str | os.PathLike[str]) -> bool:
    """True for a folder holding ``scenario.toml``, or a sites and a zones table."""
    folder = Path(folder)
    if not folder.is_dir() or read_marker(folder) is not None:
        return False

    def has(*names: str) -> bool:
        return any((folder / n).exists() for n in names)

    return has("scenario.toml") or (
        has("sites.csv", "sites.gpkg") and has("zones.csv", "zones.gpkg")
    )


def _under_a_file(target: Path) -> Path | None:
    for parent in target.parents:
        if parent.exists() or parent.is_symlink():
            return None if parent.is_dir() else parent
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class OutputFolder:
    """An output folder a command is about to write (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        kind: str,
        *,
        overwrite: bool = False,
        inputs: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown output kind {kind!r}; expected one of {sorted(KINDS)}")
        self.path = Path(path)
        self.kind = kind
        self.overwrite = overwrite
        self.inputs = [Path(p) for p in inputs]

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r}, kind={self.kind!r})"

    def check(self) -> None:
        """Raise :class:`OutputError` when this folder may not be written (nothing changes)."""
        target, command = self.path, KINDS[self.kind][0]
        if target.is_symlink():
            raise OutputError(f"{target} is a symbolic link; give the folder it points to.")
        blocker = _under_a_file(target)
        if blocker is not None:
            raise OutputError(f"cannot write {target}: {blocker} is a file, not a folder.")
        resolved = target.resolve()
        for source in self.inputs:
            if source.exists() and _inside(source.resolve(), resolved):
                raise OutputError(
                    f"expected an output folder outside the input folder {source}, got "
                    f"{target}: writing there would replace the input."
                )
        if not target.exists():
            return
        if not target.is_dir():
            raise OutputExistsError(f"{target} exists and is not a folder.")
        marker = read_marker(target)
        if marker is None and self.kind != "instance" and is_instance_folder(target):
            raise OutputExistsError(
                f"{target} is an instance folder; outputs never go into one: choose "
                "another folder (nothing was written)."
            )
        if marker is not None and marker["kind"] != self.kind:
            other = KINDS[str(marker["kind"])][0]
            raise OutputExistsError(
                f"{target} holds the output of 'estates-opt {other}', not of "
                f"'estates-opt {command}': choose another folder (nothing was written)."
            )
        own = set(marker.get("files", [])) if marker else set()
        patterns = KINDS[self.kind][1]
        previous = False
        for rel in _files(target):
            if rel in own or rel == MARKER or _matches(rel, (*patterns, *own)):
                previous = previous or not _matches(rel, _CACHE)
                continue
            raise OutputExistsError(
                f"{target} holds {rel}, which 'estates-opt {command}' did not write; "
                "nothing was deleted: choose another folder or move that file away "
                "(--overwrite only replaces a previous output of this command)."
            )
        if previous and not self.overwrite:
            raise OutputExistsError(
                f"{target} already holds files; choose another folder or pass overwrite "
                "(--overwrite on the command line) to replace it."
            )

    @contextlib.contextmanager
    def write(self) -> Iterator[Path]:
        """A private folder to fill; it replaces the output folder, marked, at the end."""
        with output_lock(self.path):
            recover(self.path)
            self.check()
            carry = (".cache",) if ".cache/**" in KINDS[self.kind][1] else ()
            with replace_folder(self.path, carry=carry) as tmp:
                yield tmp
                if self.kind != "instance":
                    files = [f for f in _files(tmp) if not _matches(f, _CACHE)]
                    write_file(tmp / MARKER, _marker_text(self.kind, files))


@contextlib.contextmanager
def output_folder(
    path: str | os.PathLike[str],
    kind: str,
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Iterator[OutputFolder]:
    """Check ``path`` and hold its lock for the block (solve inside, then ``.write()``).

    Raises :class:`OutputError` at once when the folder may not be written: a file or a
    foreign file in the way, an instance folder, another kind of output, an input
    inside it, a read-only or locked location.
    """
    folder = OutputFolder(path, kind, overwrite=overwrite, inputs=inputs)
    folder.check()
    with output_lock(folder.path):
        recover(folder.path)
        folder.check()
        yield folder


@contextlib.contextmanager
def atomic_folder(
    path: str | os.PathLike[str],
    *,
    kind: str = "plan",
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> Iterator[Path]:
    """Yield a private folder that replaces ``path`` (checked, locked, marked) on success.

    On any exception (KeyboardInterrupt included) the private folder is removed and
    whatever was at ``path`` is left as it was.
    """
    with (
        output_folder(path, kind, overwrite=overwrite, inputs=inputs) as folder,
        folder.write() as tmp,
    ):
        yield tmp


# -- single files -----------------------------------------------------------------------


def is_own_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a report file this package wrote (by its content)."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    suffix = path.suffix.lower()
    with contextlib.suppress(OSError, ValueError, zipfile.BadZipFile, sqlite3.Error):
        if suffix in (".html", ".htm"):
            with path.open("rb") as handle:
                head = handle.read(8192)
            return f'<meta name="generator" content="{GENERATOR}'.encode() in head
        if suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                core = archive.read("docProps/core.xml").decode("utf-8")
            return f"<dc:creator>{GENERATOR}</dc:creator>" in core
        if suffix == ".gpkg":
            uri = f"{path.resolve().as_uri()}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                rows = db.execute("SELECT metadata FROM gpkg_metadata").fetchall()
            tag = f'<MDI key="generator">{GENERATOR}</MDI>'
            return any(tag in str(row[0]) for row in rows)
    return False


def check_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` when ``path`` may not be (re)written by a command."""
    target = Path(path)
    if target.is_symlink():
        raise OutputError(f"{target} is a symbolic link; refusing to write through it.")
    blocker = _under_a_file(target)
    if blocker is not None:
        raise OutputError(f"cannot write {target}: {blocker} is a file, not a folder.")
    if is_instance_folder(target.parent):
        raise OutputExistsError(
            f"cannot write {target}: {target.parent} is an instance folder; outputs never "
            "go into one."
        )
    if target.is_dir():
        raise OutputExistsError(f"{target} is a folder; expected a file name.")
    if target.exists() and not is_own_file(target):
        raise OutputExistsError(
            f"{target} exists and was not written by estates_opt; nothing was replaced: "
            "choose another file name or move that file away."
        )


@contextlib.contextmanager
def output_files(paths: Sequence[str | os.PathLike[str]]) -> Iterator[None]:
    """Check every output file and hold their locks for the block (before any work)."""
    for path in paths:
        check_file(path)
    with contextlib.ExitStack() as stack:
        for path in paths:
            stack.enter_context(output_lock(path))
            recover(path)
            check_file(path)
        yield
