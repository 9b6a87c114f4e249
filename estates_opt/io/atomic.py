"""Write a file or a folder completely or not at all, never through a planted link.

Every writer of the package goes through this module:

- :func:`write_file` / :func:`atomic_file` write a file: the content goes to a temporary
  file created exclusively (``O_EXCL``, ``O_NOFOLLOW``, an unpredictable name) in the
  target's folder, is flushed to disk and renamed over the target in one step.
- :func:`atomic_path` gives a writer that needs a path (a GeoPackage, a workbook) a
  path inside a private temporary folder beside the target (created exclusively, mode
  0700); the finished file is renamed over the target.
- :func:`replace_folder` builds a folder beside the target and swaps it in with two
  renames; the previous folder stays whole under a ``.old`` name until the new one is
  in place, so a kill between the renames leaves it recoverable.
- :func:`output_lock` holds an ``fcntl`` lock on ``.NAME.lock`` beside the target for
  as long as a command works on it; a second writer is refused at once.
- :func:`recover` (run under the lock before every write) puts back a ``.old`` folder
  whose target is missing after a crash and removes the stale temporary files and
  folders a crashed run left.

Outputs get the user's umask (``mkstemp`` alone would make them 0600).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from estates_opt.errors import EstatesOptError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, everything else holds
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "OutputError",
    "OutputExistsError",
    "OutputWriteError",
    "atomic_file",
    "atomic_path",
    "file_mode",
    "folder_mode",
    "output_lock",
    "recover",
    "replace_folder",
    "write_file",
]

log = logging.getLogger(__name__)

#: an mkstemp / mkdtemp name of ours beside NAME: .NAME.<8 random>.tmp|old (and the
#: names of earlier versions: .NAME.tmp, .NAME.<32 hex>.old)
_OURS = r"^\.{name}\.(?:[a-z0-9_]{{8}}\.(?:tmp|old)|[0-9a-f]{{32}}\.old|tmp)$"
_FULL_DISK = 1 << 20  # below 1 MiB free a failed write is reported as a full disk


class OutputError(EstatesOptError):
    """An output location cannot be used (not writable, foreign files, locked): exit 2."""


class OutputExistsError(OutputError, FileExistsError):
    """The output already holds files and overwriting was not asked for (or is refused)."""


class OutputWriteError(EstatesOptError, OSError):
    """Writing an output failed part-way (disk full, I/O error); nothing was replaced."""


# -- modes ----------------------------------------------------------------------------

_umask_lock = threading.Lock()


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _umask_lock:
        old = os.umask(0o077)
        os.umask(old)
    return old


def file_mode() -> int:
    """Mode of a new output file: 0o666 less the umask (what ``open`` would give)."""
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """Mode of a new output folder: 0o777 less the umask (what ``mkdir`` would give)."""
    return 0o777 & ~_umask()


# -- errors -----------------------------------------------------------------------------


def _probe(folder: Path, size: int = _FULL_DISK) -> OSError | None:
    """The error writing ``size`` bytes into ``folder`` gives (a full disk), or None."""
    try:
        fd, name = tempfile.mkstemp(prefix=".estates_opt-probe.", suffix=".tmp", dir=folder)
    except OSError as err:
        return err
    try:
        block = bytes(1 << 16)
        for _ in range(size // len(block)):
            os.write(fd, block)
        os.fsync(fd)
    except OSError as err:
        return err
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
    return None


def _reason(err: BaseException, where: Path) -> str:
    if not isinstance(err, OSError):  # a file-format library's own words: find the cause
        err = _probe(where) or err
    text = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    text = text or type(err).__name__
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(where).free
        if free < _FULL_DISK and "space" not in text:
            text += f" (the disk is full: {free:,} bytes free)"
    return text


def _is_write_failure(err: BaseException) -> bool:
    """OS errors and the errors of the file-format libraries that wrap them."""
    if isinstance(err, EstatesOptError):
        return False
    if isinstance(err, OSError):
        return True
    module = type(err).__module__.split(".")[0]
    return module in ("pyogrio", "fiona", "sqlite3", "zipfile", "openpyxl")


def _failed(target: Path, err: BaseException, kept: bool) -> OutputWriteError:
    after = "the previous output is unchanged" if kept else "nothing was written"
    return OutputWriteError(f"could not write {target}: {_reason(err, target.parent)}; {after}.")


def _parent(target: Path) -> Path:
    """The target's folder, created if missing; a clear error when it cannot be."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as err:
        raise OutputError(
            f"cannot write {target}: {err.filename} is a file, not a folder."
        ) from err
    except OSError as err:
        raise OutputError(f"cannot create the folder {parent}: {_reason(err, parent)}.") from err
    if not parent.is_dir():
        raise OutputError(f"cannot write {target}: {parent} is not a folder.")
    return parent


def _not_a_link(target: Path) -> None:
    if target.is_symlink():
        raise OutputError(
            f"{target} is a symbolic link; refusing to write through it (give the real path)."
        )


# -- the lock ---------------------------------------------------------------------------

_held: dict[Path, list[int]] = {}  # lock file -> [fd, depth] held by this process
_held_lock = threading.Lock()


def _lock_file(target: Path) -> Path:
    return target.parent.resolve() / f".{target.name}.lock"


@contextlib.contextmanager
def output_lock(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``.NAME.lock`` beside ``target`` (re-entrant within this process).

    Raises :class:`OutputError` at once when another process holds it or when the
    target's folder cannot be written (read-only, under a file). The lock file is
    removed when the lock is released.
    """
    target = Path(target)
    _parent(target)
    path = _lock_file(target)
    with _held_lock:
        if path in _held:
            _held[path][1] += 1
            fd = None
        else:
            fd = _acquire(path, target)
            _held[path] = [fd, 1]
    try:
        yield path
    finally:
        with _held_lock:
            entry = _held[path]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[path]
                with contextlib.suppress(OSError):
                    os.unlink(path)  # still holding the lock: see _acquire's check
                os.close(entry[0])


def _acquire(path: Path, target: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        try:
            fd = os.open(path, flags, file_mode())
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise OutputError(f"{path} is a symbolic link; refusing to use it.") from err
            raise OutputError(
                f"cannot write into {path.parent}: {_reason(err, path.parent)}."
            ) from err
        if fcntl is None:  # pragma: no cover
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            raise OutputError(
                f"another process is writing {target} (it holds {path}); wait for it to "
                "finish or choose another output."
            ) from err
        # the holder before us may have removed the file after we opened it: retry then
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)
    raise OutputError(f"could not lock {path}.")  # pragma: no cover


# -- recovery ---------------------------------------------------------------------------


def _leftovers(target: Path) -> list[Path]:
    pattern = re.compile(_OURS.format(name=re.escape(target.name)))
    try:
        return sorted(p for p in target.parent.iterdir() if pattern.match(p.name))
    except OSError:
        return []


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


def recover(target: str | os.PathLike[str]) -> list[str]:
    """Repair what a crashed write of ``target`` left; returns what was done.

    Runs holding :func:`output_lock` (so no live write of the target exists). A missing
    target with a ``.old`` folder beside it (a kill between the two renames of
    :func:`replace_folder`) gets that folder back; then every temporary file or folder of
    ours beside the target is removed.
    """
    target = Path(target)
    with output_lock(target):
        return _recover(target)


def _recover(target: Path) -> list[str]:
    done: list[str] = []
    leftovers = _leftovers(target)
    if not os.path.lexists(target):
        olds = [p for p in leftovers if p.suffix == ".old" and p.is_dir() and any(p.iterdir())]
        if olds:
            newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
            os.rename(newest, target)
            leftovers.remove(newest)
            done.append(f"restored {target} from {newest.name} (a replacement was interrupted)")
    for path in leftovers:
        _remove(path)
        done.append(f"removed {path.name} (left by an interrupted write)")
    for line in done:
        log.warning("%s", line)
    return done


# -- files ------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[IO[bytes]]:
    """A binary file object whose content replaces ``path`` when the block ends.

    The temporary file is created exclusively beside ``path`` with an unpredictable
    name; on any exception it is removed and ``path`` is left as it was. With
    ``durable=False`` (cache entries, which are checked when read) the content is not
    forced to disk and stale temporary files beside ``path`` are not looked for.
    """
    target = Path(path)
    _not_a_link(target)
    with output_lock(target):
        if durable:
            recover(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
                if hasattr(os, "fchmod"):  # POSIX
                    os.fchmod(handle.fileno(), file_mode())
            os.replace(tmp, target)
        except BaseException as err:
            _remove(Path(tmp))
            if _is_write_failure(err):
                raise _failed(target, err, kept=target.exists()) from err
            raise


def write_file(
    path: str | os.PathLike[str],
    content: bytes | str,
    *,
    encoding: str = "utf-8",
    durable: bool = True,
) -> Path:
    """Write ``content`` to ``path`` atomically (see :func:`atomic_file`); returns the path."""
    data = content.encode(encoding) if isinstance(content, str) else content
    with atomic_file(path, durable=durable) as handle:
        handle.write(data)
    return Path(path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A path to write ``path``'s new content to; it replaces ``path`` when the block ends.

    The path lies in a private folder (created exclusively, mode 0700) beside the target,
    for writers that open files by name (GDAL, openpyxl).
    """
    target = Path(path)
    _not_a_link(target)
    with output_lock(target):
        recover(target)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            tmp = folder / target.name
            yield tmp
            os.chmod(tmp, file_mode())
            os.replace(tmp, target)
        except BaseException as err:
            if _is_write_failure(err):
                raise _failed(target, err, kept=target.exists()) from err
            raise
        finally:
            _remove(folder)


# -- folders ----------------------------------------------------------------------------


@contextlib.contextmanager
def replace_folder(path: str | os.PathLike[str], *, carry: Sequence[str] = ()) -> Iterator[Path]:
    """Yield a private folder beside ``path``; on success it takes ``path``'s place.

    The swap is two renames: the old folder to ``.NAME.<random>.old``, the new one to
    ``path``; the old one is removed only after that. Entries named in ``carry`` (a
    cache) are moved from the old folder into the new one first. On any exception the
    new folder is removed and the old one is where it was. Callers check what may be
    replaced (see :mod:`estates_opt.io.output_guard`).
    """
    target = Path(path)
    _not_a_link(target)
    with output_lock(target):
        recover(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            yield tmp
            existed = target.exists()
            for name in carry:
                if (target / name).exists() and not (tmp / name).exists():
                    os.rename(target / name, tmp / name)
            os.chmod(tmp, folder_mode())
            if existed:
                _swap(target, tmp)
            else:
                os.rename(tmp, target)
        except BaseException as err:
            _remove(tmp)
            if _is_write_failure(err):
                raise _failed(target, err, kept=target.exists()) from err
            raise


def _swap(target: Path, new: Path) -> None:
    """``new`` replaces the folder ``target``; the old one stays whole until it has."""
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    try:
        os.rename(target, old)  # onto the empty folder just made: atomic on POSIX
        os.rename(new, target)
    except BaseException:
        if not os.path.lexists(target):
            os.rename(old, target)  # the old output back under its name
        else:
            with contextlib.suppress(OSError):
                os.rmdir(old)  # only while still empty
        raise
    _remove(old)
