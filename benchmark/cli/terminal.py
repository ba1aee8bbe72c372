"""Terminal output of the command line: colour, verbosity, progress on stderr.

Colour only on a terminal, never with ``$NO_COLOR`` set (https://no-color.org) or ``TERM=dumb``.
``-q`` silences progress and secondary lines; ``-v`` adds detail. Progress of long work goes to
stderr only, so stdout stays the result: on a terminal one redrawn bar, elsewhere one line per
message.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import Optional, Sequence

__all__ = ["Progress", "Spinner", "colour", "info", "paint", "progress", "say", "set_verbosity", "verbosity"]

_STYLES = {"error": "1;31", "warning": "33", "demo": "1;35", "ok": "32", "dim": "2"}
_LEVEL = {"level": 0}  # -1 with -q, 0 by default, >= 1 with -v


def set_verbosity(level: int) -> None:
    _LEVEL["level"] = level


def verbosity() -> int:
    """-1 with ``-q``, 0 by default, 1 or more with ``-v``."""
    return _LEVEL["level"]


def colour(stream) -> bool:
    """Colour only on a terminal, never with $NO_COLOR set (https://no-color.org) or TERM=dumb."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


def _redraws(stream) -> bool:
    """A bar is redrawn in place only on a terminal that understands a carriage return."""
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, stream=None) -> str:
    return f"\033[{_STYLES[style]}m{text}\033[0m" if colour(stream or sys.stdout) else text


def say(msg: str) -> None:
    """One line on stderr (errors, warnings, detail)."""
    print(msg, file=sys.stderr, flush=True)


def progress(msg: str) -> None:
    """Progress of long work as one line on stderr, silenced by -q."""
    if verbosity() >= 0:
        say(paint(msg, "dim", sys.stderr))


def info(msg: str) -> None:
    """A secondary line on stdout (where a result was written), silenced by -q."""
    if verbosity() >= 0:
        print(msg)


def _bar(done: float, width: int) -> str:
    filled = int(round(max(0.0, min(1.0, done)) * width))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _fit(line: str) -> str:
    columns = shutil.get_terminal_size((80, 24)).columns
    return line if len(line) < columns else line[: max(columns - 2, 0)] + "…"


class Progress:
    """Progress over named steps (e.g. the tasks of a leaderboard build), fed by messages.

    Called with each progress message of the work. A message starting with ``"<step>:"`` moves
    the bar to that step. On a terminal (and without ``-q``) one line is redrawn in place and
    cleared on exit; elsewhere each message is one line on stderr, as :func:`progress` writes it.
    Use as a context manager so the bar is cleared before the result is printed.
    """

    def __init__(self, steps: Sequence[str], stream=None, clock=time.monotonic):
        self.steps = list(steps)
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __call__(self, msg: str) -> None:
        if verbosity() < 0:
            return
        if not _redraws(self.stream):
            print(paint(msg, "dim", self.stream), file=self.stream, flush=True)
            return
        step = next((i for i, s in enumerate(self.steps) if msg.startswith(f"{s}:")), None)
        count = "" if step is None else f"{step + 1}/{len(self.steps)} "
        done = 0.0 if step is None else step / max(len(self.steps), 1)
        line = f"{_bar(done, 20)} {count}{self.clock() - self.start:.0f} s  {msg}"
        self.stream.write("\r\033[K" + paint(_fit(line), "dim", self.stream))
        self.stream.flush()
        self.drawn = True

    def __exit__(self, *exc) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


class Spinner:
    """An indeterminate bar with the elapsed time for work that reports nothing while it runs.

    Appears only after ``delay`` seconds, only on a terminal and without ``-q``; cleared on exit.
    Drawn by a thread: use it only around work that starts no worker processes (a fork while
    a thread holds the stream's lock could hang the child).
    """

    def __init__(self, label: str, delay: float = 2.0, stream=None, interval: float = 0.2):
        self.label, self.delay, self.interval = label, delay, interval
        self.stream = stream or sys.stderr
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.drawn = False

    def __enter__(self) -> "Spinner":
        if verbosity() >= 0 and _redraws(self.stream):
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        start = time.monotonic()
        if self._stop.wait(self.delay):
            return
        tick = 0
        while not self._stop.is_set():
            width, pos = 20, tick % 34
            pos = pos if pos < 17 else 33 - pos  # back and forth
            bar = "[" + "." * pos + "###" + "." * (width - 3 - pos) + "]"
            line = f"{bar} {time.monotonic() - start:.0f} s  {self.label}"
            self.stream.write("\r\033[K" + paint(_fit(line), "dim", self.stream))
            self.stream.flush()
            self.drawn = True
            tick += 1
            self._stop.wait(self.interval)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
