"""Scanning a file chunk by chunk: exactly the findings of reading it whole, in bounded memory
(the installed ``secretsync scan`` and ``secretsync-scan`` on a file far larger than that)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync_hooks.guard.needles import ALLOW, Finder, needles, non_overlapping
from secretsync_hooks.guard.stream import Finding, LineScanner
from tests.helpers import GIT_IDENTITY, examples, write_config
from tests.test_e2e_cli import secretsync_program
from tests.test_pre_commit import git

TOKEN = "tok_Zq8Lm2Vx9Pw4"
PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWmFiY2RlZg==\n-----END KEY-----"
VALUES = {"TOKEN": TOKEN, "PEM": PEM, "OVERLAP": "Zq8Lm2Vx9Pw4-more", "SHORT": "abcdefgh"}


def whole(path: str, data: bytes, finder: Finder) -> list[Finding]:
    """The findings of reading ``data`` at once, as the scan did before it read in chunks."""
    out: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for hit in non_overlapping(finder.hits(data)):
        start_of_line = data.rfind(b"\n", 0, hit.start) + 1
        end_of_line = data.find(b"\n", hit.start)
        if ALLOW in data[start_of_line : end_of_line if end_of_line >= 0 else len(data)]:
            continue
        line = data.count(b"\n", 0, hit.start) + 1
        if (line, hit.needle.key) not in seen:
            seen.add((line, hit.needle.key))
            out.append(Finding(path, line, hit.needle.key, hit.needle.form))
    return out


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_chunks_find_exactly_what_the_whole_file_holds(data: st.DataObject) -> None:
    finder = Finder(needles(VALUES, (), 8))
    pieces = st.sampled_from(
        [*(v.encode() for v in VALUES.values()), ALLOW, b"\n", b" ", b"x" * 40, b"secretsync"]
    )
    text = b"".join(data.draw(st.lists(pieces, max_size=40)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    scanner = LineScanner("f", finder)
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        scanner.feed(text[start:end])
    assert scanner.finish() == whole("f", text, finder)


def test_a_line_longer_than_a_chunk_keeps_its_pragma_and_its_number() -> None:
    finder = Finder(needles(VALUES, (), 8))
    long_line = b"a" * 5000 + TOKEN.encode() + b"b" * 5000
    text = b"one\n" + long_line + b" # secretsync: allow\n" + long_line + b"\n" + TOKEN.encode()
    scanner = LineScanner("f", finder)
    for start in range(0, len(text), 1000):
        scanner.feed(text[start : start + 1000])
    assert [(f.line, f.key) for f in scanner.finish()] == [(3, "TOKEN"), (4, "TOKEN")]


# -- memory, through the installed programs -------------------------------------------------

SIZE = 200 * 1024 * 1024  # well past the bound below, were a file read whole
BOUND = 160 * 1024  # KiB of peak resident memory, every process of the scan counted


# Measured by a small Python of its own: a child's peak counts the memory of the process it
# was started from (pytest's, here) until it runs the program.
_MEASURE = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(usage.ru_maxrss, os.waitstatus_to_exitcode(status), file=sys.stderr)\n"
)


def peak_kib(cwd: Path, program: str, *args: str) -> tuple[int, str]:
    """The peak memory of ``program`` (git's processes under it included), and its exit
    status and output."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _MEASURE, program, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    peak, status = result.stderr.split()
    return int(peak), f"{status}\n{result.stdout}"


@pytest.mark.usefixtures("processes")
def test_memory_stays_bounded_whatever_the_size_of_a_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    (project / ".git").rmdir()
    git(project, "init", "-q", "-b", "main")
    write_config(project, "secrets_manager")
    (project / ".env").write_text(f"TOKEN={TOKEN}\n")
    (project / ".gitignore").write_text(".env\n")
    lines = SIZE // 32
    with (project / "big.log").open("wb") as fh:
        block = b"a line of a log, 32 bytes long.\n" * 32768  # compresses well: git stays small
        for _ in range(lines // 32768):
            fh.write(block)
        fh.write(b"token " + TOKEN.encode() + b"\n")
    expected = f"big.log:{lines + 1}: holds the value of TOKEN (the value)"
    scan = secretsync_program()
    hook = str(Path(scan).with_name("secretsync-scan"))

    peak, output = peak_kib(project, scan, "scan", "big.log")
    assert output == f"1\n{expected}\n" and peak < BOUND, peak
    git(project, "add", "big.log")
    peak, output = peak_kib(project, hook, "big.log")  # the loose object, read in chunks
    assert output.startswith(f"1\n{expected}\n") and peak < BOUND, peak
    (project / "big.log").write_text("truncated since\n")  # staged content: git streams it
    peak, output = peak_kib(project, hook, "big.log")
    assert output.startswith(f"1\n{expected}\n") and peak < BOUND, peak
