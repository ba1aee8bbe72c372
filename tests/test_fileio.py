"""The atomic writer: content, no leftovers, and the permissions an ordinary write would give."""

import os
import stat

import pytest

from benchmark.core.fileio import atomic_write_bytes, atomic_write_text


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o000, 0o666)])
def test_new_files_respect_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        p = atomic_write_text(tmp_path / "a" / "r.json", "{}\n")
        # the reference: what plain open() creates under the same umask
        ref = tmp_path / "ref.txt"
        with open(ref, "w") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert _mode(p) == expected == _mode(ref)
    assert p.read_text() == "{}\n"


def test_replacing_a_file_keeps_its_mode_and_leaves_no_temporary_file(tmp_path):
    p = tmp_path / "keep.txt"
    p.write_text("old")
    os.chmod(p, 0o640)
    atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"new" and _mode(p) == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["keep.txt"]


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "x.txt"
    p.write_text("old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["x.txt"]
