"""Write a folder completely or not at all: build it beside the target, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from estates_opt.errors import EstatesOptError

__all__ = ["OutputExistsError", "atomic_folder", "ensure_writable"]


class OutputExistsError(EstatesOptError, FileExistsError):
    """The output folder already holds files and overwriting was not asked for."""


def ensure_writable(path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` now if ``path`` could not be written later."""
    target = Path(path)
    if target.exists():
        if not target.is_dir():
            raise OutputExistsError(f"{target} exists and is not a folder.")
        if not overwrite and any(target.iterdir()):
            raise OutputExistsError(
                f"{target} already holds files; choose another folder or pass overwrite "
                "(--overwrite on the command line) to replace it."
            )


@contextmanager
def atomic_folder(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` in one rename.

    On any exception (including KeyboardInterrupt) the temporary folder is removed and
    whatever was at ``path`` before is left exactly as it was. An existing non-empty
    folder is only replaced with ``overwrite=True``.
    """
    target = Path(path)
    ensure_writable(target, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
