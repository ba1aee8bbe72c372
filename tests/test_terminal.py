"""Progress on stderr: a redrawn bar on a terminal, plain lines elsewhere, nothing with -q."""

import io
import os
import time

import pytest

from benchmark.cli import terminal
from benchmark.cli.terminal import Progress, Spinner, progress, set_verbosity


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def _plain(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    set_verbosity(0)
    yield
    set_verbosity(0)


def test_progress_off_a_terminal_is_one_plain_line_per_message(capsys):
    stream = io.StringIO()
    with Progress(["a", "b"], stream=stream) as bar:
        bar("a: validating and scoring 3 submission(s)")
        bar("b: scored 2/4")
    assert stream.getvalue() == "a: validating and scoring 3 submission(s)\nb: scored 2/4\n"
    progress("one line")  # the same text as the module-level progress line
    assert capsys.readouterr().err == "one line\n"


def test_progress_on_a_terminal_redraws_one_line_and_clears_it(monkeypatch):
    stream = Tty()
    clock = iter([0.0, 1.0, 5.0])
    monkeypatch.setattr(terminal.shutil, "get_terminal_size", lambda default: os.terminal_size((200, 24)))
    with Progress(["a", "b"], stream=stream, clock=lambda: next(clock)) as bar:
        bar("a: scoring")
        bar("b: scored 2/4")
    out = stream.getvalue()
    assert "\n" not in out  # redrawn in place, never scrolled
    assert "\r\033[K\033[2m[....................] 1/2 1 s  a: scoring\033[0m" in out
    assert "[##########..........] 2/2 5 s  b: scored 2/4" in out
    assert out.endswith("\r\033[K")  # cleared before the result is printed
    monkeypatch.setenv("NO_COLOR", "1")
    stream = Tty()
    with Progress(["a"], stream=stream) as bar:
        bar("a: scoring")
    assert "\033[2m" not in stream.getvalue()  # no colour, still a bar


def test_quiet_silences_progress(capsys):
    set_verbosity(-1)
    for stream in (io.StringIO(), Tty()):
        with Progress(["a"], stream=stream) as bar:
            bar("a: scoring")
        assert stream.getvalue() == ""
        with Spinner("work", delay=0.0, stream=stream, interval=0.01):
            time.sleep(0.05)
        assert stream.getvalue() == ""
    progress("x")
    assert capsys.readouterr().err == ""


def test_spinner_appears_only_on_a_terminal_and_only_after_its_delay():
    stream = Tty()
    with Spinner("scoring on 100000 replicates", delay=0.0, stream=stream, interval=0.01):
        time.sleep(0.1)
    out = stream.getvalue()
    assert "0 s  scoring on 100000 replicates" in out and out.endswith("\r\033[K")
    quick = Tty()
    with Spinner("quick", delay=5.0, stream=quick):
        pass
    assert quick.getvalue() == ""  # short work draws nothing
    plain = io.StringIO()
    with Spinner("x", delay=0.0, stream=plain, interval=0.01):
        time.sleep(0.05)
    assert plain.getvalue() == ""  # never on a file or a pipe
