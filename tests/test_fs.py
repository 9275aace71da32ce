"""Safe file reading and atomic writing (``secretsync_hooks.local.fs``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from secretsync_hooks.local.fs import FileProblem, write_atomic

# -- atomic writes ----------------------------------------------------------------------------


def test_new_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / ".env", b"A=1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=1\n")
    path.chmod(0o640)
    write_atomic(path, b"A=2\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == b"A=2\n"


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "real.env"
    real.parent.mkdir()
    real.write_bytes(b"A=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    write_atomic(link, b"A=2\n")
    assert link.is_symlink()
    assert real.read_bytes() == b"A=2\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.env"]


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_crash_mid_write_leaves_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=old\n")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        original_fdopen = os.fdopen

        def fdopen(fd: int, mode: str) -> object:
            handle = original_fdopen(fd, mode)

            class Half:
                def __enter__(self) -> Half:
                    return self

                def __exit__(self, *exc: object) -> None:
                    handle.close()

                def fileno(self) -> int:
                    return handle.fileno()

                def write(self, data: bytes) -> None:
                    handle.write(data[:2])
                    handle.flush()
                    raise OSError(28, "No space left on device")

            return Half()

        monkeypatch.setattr(os, "fdopen", fdopen)
    else:
        monkeypatch.setattr(os, failing, boom)
    with pytest.raises(FileProblem, match="No space left on device"):
        write_atomic(path, b"A=new and longer\n")
    assert path.read_bytes() == b"A=old\n"
    assert [p.name for p in tmp_path.iterdir()] == [".env"]


def test_interrupt_mid_write_leaves_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_bytes(b"A=old\n")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"A=new\n")
    assert path.read_bytes() == b"A=old\n"
    assert [p.name for p in tmp_path.iterdir()] == [".env"]


def test_write_into_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="cannot write in"):
        write_atomic(tmp_path / "missing" / ".env", b"A=1\n")


def test_writing_over_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    with pytest.raises(FileProblem, match="is a directory"):
        write_atomic(tmp_path / ".env", b"A=1\n")
