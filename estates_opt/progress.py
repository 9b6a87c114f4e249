"""Progress of the long phases (reading, building, solving, writing) for the command line.

On a terminal, :class:`Progress` draws a live `rich` display on stderr: one line per
phase with a spinner, the elapsed time and, while solving, the incumbent objective and
the gap when the solver reports them (:meth:`Phase.update`). When stderr is not a
terminal (CI, a log file, a pipe) it writes plain log lines instead, through
:mod:`logging`. ``quiet`` shows nothing; ``verbose`` adds a line per update.

Examples
--------
>>> with Progress(live=False) as progress:
...     with progress.phase("reading") as phase:
...         phase.update(incumbent=1.0e6, gap=0.02)
>>> [name for name, _ in progress.finished]
['reading']
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

__all__ = ["Phase", "Progress"]

log = logging.getLogger(__name__)


@dataclass
class Phase:
    """A running phase; the solver callback calls :meth:`update` with what it knows."""

    name: str
    started: float = field(default_factory=time.perf_counter)
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    _owner: Progress | None = None
    _task: Any = None

    @property
    def elapsed(self) -> float:
        """Seconds since the phase started."""
        return time.perf_counter() - self.started

    def update(
        self, *, incumbent: float | None = None, bound: float | None = None,
        gap: float | None = None,
    ) -> None:  # fmt: skip
        """Record the solver's latest incumbent objective, best bound and relative gap."""
        self.incumbent = incumbent if incumbent is not None else self.incumbent
        self.bound = bound if bound is not None else self.bound
        self.gap = gap if gap is not None else self.gap
        if self._owner is not None:
            self._owner._refresh(self)

    def detail(self) -> str:
        """``incumbent £1,234 gap 1.20%`` (empty while the solver has reported nothing)."""
        parts = []
        if self.incumbent is not None:
            parts.append(f"incumbent £{self.incumbent:,.0f}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:.2%}")
        return "  ".join(parts)


class Progress:
    """Live phases on a terminal, log lines otherwise (see the module docstring).

    Parameters
    ----------
    quiet : show nothing.
    verbose : log every update as well.
    live : force the live display on or off (default: when ``stream`` is a terminal).
    stream : where the live display goes (default: ``sys.stderr``).
    """

    def __init__(
        self, *, quiet: bool = False, verbose: bool = False, live: bool | None = None,
        stream: IO[str] | None = None,
    ) -> None:  # fmt: skip
        self.quiet = quiet
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stderr
        is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = (is_tty if live is None else live) and not quiet
        self.finished: list[tuple[str, float]] = []
        self._display: Any = None

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._display = RichProgress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description:<10}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[detail]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._display.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._display is not None:
            self._display.__exit__(kind, error, trace)
            self._display = None

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Time a phase; yields a :class:`Phase` to report solver progress on."""
        phase = Phase(name, _owner=self)
        if self._display is not None:
            phase._task = self._display.add_task(name, total=None, detail="")
        elif not self.quiet:
            log.info("%s ...", name)
        try:
            yield phase
        finally:
            seconds = phase.elapsed
            self.finished.append((name, seconds))
            if self._display is not None:
                self._display.update(phase._task, total=1, completed=1, detail=phase.detail())
            elif not self.quiet:
                detail = phase.detail()
                log.info("%s done in %.2f s%s", name, seconds, f" ({detail})" if detail else "")

    def _refresh(self, phase: Phase) -> None:
        if self._display is not None and phase._task is not None:
            self._display.update(phase._task, detail=phase.detail())
        elif self.verbose and not self.quiet:
            log.debug("%s: %s after %.1f s", phase.name, phase.detail(), phase.elapsed)
