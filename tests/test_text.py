"""Text made safe to print (``secretsync_hooks.text``)."""

from __future__ import annotations

import re

from secretsync_hooks import text


def test_every_character_the_fast_path_lets_through_is_safe() -> None:
    # shown()/clean() return printable text unchanged without running the expressions: that
    # is only right if no printable character is one the expressions escape.
    unsafe = re.compile(text._UNSAFE)
    leaked = [
        hex(code) for code in range(0x110000) if chr(code).isprintable() and unsafe.match(chr(code))
    ]
    assert leaked == []


def test_spoofing_characters_are_escaped() -> None:
    assert text.shown("a\x1b]0;x\x07b") == "a\\x1b]0;x\\x07b"
    assert text.shown("X\nsecretsync: in sync") == "X\\nsecretsync: in sync"
    assert text.shown("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert text.shown("\ud800") == "\\ud800"
    assert text.shown("plain-Key.ä") == "plain-Key.ä"


def test_a_message_keeps_its_own_line_breaks_and_tabs() -> None:
    assert text.clean("line one\n\tline two\x1b[31m") == "line one\n\tline two\\x1b[31m"
    assert text.clean("fine") == "fine"
