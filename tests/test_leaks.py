"""The leak guard's matching: needles and their forms, findings, and streaming redaction."""

from __future__ import annotations

import base64
import json
import os
import random
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync_hooks.guard.needles import Finder, forms, needles
from secretsync_hooks.guard.redact_stream import StreamRedactor, merged
from secretsync_hooks.guard.scan import scan_data
from tests.helpers import examples

TOKEN = "tok_Zq8Lm2Vx9Pw4"
PEM = "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWmFiY2RlZg==\n-----END KEY-----"
QUOTED = 'p@ss "word"/&=+ ünï'


def finder(values: dict[str, str], plain: tuple[str, ...] = (), min_length: int = 8) -> Finder:
    return Finder(needles(values, plain, min_length))


def found(data: bytes, values: dict[str, str], **kwargs: object) -> list[tuple[int, str, str]]:
    return [(f.line, f.key, f.form) for f in scan_data("f", data, finder(values))]


def test_every_form_of_a_value_is_found() -> None:
    values = {"QUOTED": QUOTED}
    cases = {
        QUOTED.encode(): "the value",
        json.dumps(QUOTED)[1:-1].encode(): "JSON-escaped",
        json.dumps({"k": QUOTED}).encode(): "JSON-escaped",
        quote(QUOTED, safe="").encode(): "URL-encoded",
        base64.b64encode(QUOTED.encode()): "base64",
        base64.b64encode(QUOTED.encode()).rstrip(b"="): "base64",
        base64.urlsafe_b64encode(QUOTED.encode()).rstrip(b"="): "base64",
    }
    for data, form in cases.items():
        assert found(b"x = " + data + b"\n", values) == [(1, "QUOTED", form)], data


def test_a_multi_line_value_is_found_whole_and_line_by_line() -> None:
    values = {"PEM": PEM}
    assert found(PEM.encode(), values) == [(1, "PEM", "the value")]
    assert found(json.dumps(PEM).encode(), values) == [(1, "PEM", "JSON-escaped")]
    pasted = b"key:\n  QUJDREVGR0hJSktMTU5PUA==\n  UVJTVFVWV1hZWmFiY2RlZg==\n"
    assert found(pasted, values) == [(2, "PEM", "a line of it"), (3, "PEM", "a line of it")]
    # a line too short to be worth a false alarm is not looked for on its own
    assert all(len(data) >= 8 for _, data in forms(PEM, 8))


def test_look_alikes_short_values_and_plain_keys_are_not_findings() -> None:
    values = {"TOKEN": TOKEN, "SHORT": "dev", "LEVEL": "verbose-logging"}
    text = f"{TOKEN[:-1]}X {TOKEN[1:]} dev verbose-logging".encode()
    assert scan_data("f", text, finder(values, plain=("LEVEL",))) == []
    assert found(TOKEN.encode(), values) == [(1, "TOKEN", "the value")]


def test_line_numbers_the_allow_pragma_and_binary_data() -> None:
    values = {"TOKEN": TOKEN}
    data = b"one\ntwo " + TOKEN.encode() + b"\n# ok " + TOKEN.encode() + b"  # secretsync: allow\n"
    assert found(data, values) == [(2, "TOKEN", "the value")]
    binary = bytes(range(256)) * 3 + TOKEN.encode() + b"\x00\xff"
    assert found(binary, values) == [(4, "TOKEN", "the value")]  # after three newline bytes
    utf16 = TOKEN.encode("utf-16-le")
    assert found(utf16, values) == []  # a transformed value: documented as not caught


def test_a_finding_names_never_any_part_of_the_value() -> None:
    [finding] = scan_data("app.py", b"t=" + TOKEN.encode(), finder({"TOKEN": TOKEN}))
    assert str(finding) == "app.py:1: holds the value of TOKEN (the value)"


def redact_at_once(text: bytes, f: Finder) -> bytes:
    redactor = StreamRedactor(f)
    return redactor.feed(text) + redactor.finish()


def test_redaction_masks_every_value_and_keeps_the_rest() -> None:
    f = finder({"TOKEN": TOKEN, "PEM": PEM, "LEVEL": "info-level"}, plain=("LEVEL",))
    text = f"a {TOKEN} b {json.dumps(PEM)} c info-level\n".encode()
    assert redact_at_once(text, f) == b'a ******** b "********" c info-level\n'


def test_overlapping_values_are_masked_whole() -> None:
    f = finder({"A": "abcdefgh", "B": "efghijklmn"})
    assert redact_at_once(b"xx abcdefghijklmn yy", f) == b"xx ******** yy"


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_a_value_split_across_reads_is_still_masked(data: st.DataObject) -> None:
    values = {"TOKEN": TOKEN, "PEM": PEM, "QUOTED": QUOTED}
    f = finder(values)
    filler = st.binary(max_size=30)
    pieces = [data.draw(filler)]
    for _ in range(data.draw(st.integers(1, 4))):
        value = data.draw(st.sampled_from(list(values.values())))
        pieces += [value.encode(), data.draw(filler)]
    text = b"".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    redactor = StreamRedactor(f)
    out = b""
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        out += redactor.feed(text[start:end], settle=data.draw(st.booleans()))
    out += redactor.finish()
    assert out == redact_at_once(text, f)
    for value in values.values():
        for line in value.splitlines():
            assert line.encode() not in out


def test_live_output_holds_back_only_what_may_begin_a_value() -> None:
    redactor = StreamRedactor(finder({"TOKEN": TOKEN}))
    assert redactor.feed(b"line one\n") == b"line one\n"
    assert redactor.feed(b"partial tok_Zq") == b"partial "  # may be the start of TOKEN
    assert redactor.feed(b"8Lm2Vx9Pw4 done\n") == b"******** done\n"
    assert redactor.feed(b"tok_ZqNOPE\n") == b"tok_ZqNOPE\n"
    assert redactor.finish() == b""


def test_merged_stretches() -> None:
    hits = finder({"A": "abcdefgh", "B": "efghijkl", "C": "zzzzzzzz"}).hits(
        b"abcdefghijkl zzzzzzzz"
    )
    assert merged(hits) == [(0, 12), (13, 21)]


def test_random_binary_never_breaks_the_stream() -> None:
    rng = random.Random(7)
    f = finder({"TOKEN": TOKEN})
    text = bytes(rng.randrange(256) for _ in range(200_000)) + TOKEN.encode()
    redactor = StreamRedactor(f)
    out = b"".join(
        redactor.feed(text[i : i + 4096], settle=False) for i in range(0, len(text), 4096)
    )
    out += redactor.finish()
    assert out == text[: -len(TOKEN)] + b"********"


def test_a_large_tree_is_read_by_one_thread_per_core(tmp_path: Path) -> None:
    from secretsync_hooks.guard import files

    paths = []
    for index in range(3):
        path = tmp_path / f"big{index}.bin"
        with path.open("wb") as fh:
            fh.truncate(8 * 1024 * 1024)  # sparse: large, cheap to make
            if index == 2:
                fh.write(b"x " + TOKEN.encode())
        paths.append(str(path))
    assert files._threads(len(paths)) == min(len(os.sched_getaffinity(0)), 3)
    found, unreadable = files.scan_files(paths, finder({"TOKEN": TOKEN}), {})
    assert [(Path(f.path).name, f.line) for f in found] == [("big2.bin", 1)]
    assert unreadable == []


def test_a_path_is_masked_wherever_a_value_is_in_it() -> None:
    f = finder({"A": "abcdefgh", "B": "efghijklmn", "TOKEN": TOKEN})
    assert f.mask("plain/path.txt") == "plain/path.txt"
    assert f.mask(f"backup-{TOKEN}/x-abcdefghijklmn.txt") == "backup-********/x-********.txt"
    assert f.mask(f"{TOKEN}{TOKEN}") == "****************"


def test_a_config_cannot_turn_the_guard_off(project: Path) -> None:
    from secretsync_hooks.config.settings import load_config
    from secretsync_hooks.errors import ConfigError
    from tests.helpers import write_config

    for table, message in (
        ('exclude = ["*"]', "matches every file"),
        ('exclude = ["**"]', "matches every file"),
        ("min_length = 0", "min_length must be 1 or more"),
        # 17 or more would skip most real credentials (many are 16 to 40 characters)
        ("min_length = 17", "at most 16"),
        ("min_length = 64", "at most 16"),
        ('min_length = "8"', "must be an integer, not string"),
        # a set of globs can do what one glob may not
        ('exclude = ["?*.*", "[A-Z]*"]', "together match every file"),
        ('exclude = ["*.*", "*/*", "[A-Z]*", "?", "??*"]', "together match every file"),
    ):
        write_config(project, "secrets_manager", f"[scan]\n{table}\n")
        with pytest.raises(ConfigError, match=message):
            load_config()
    write_config(project, "secrets_manager", '[scan]\nexclude = ["tests/fixtures/*"]\n')
    config = load_config()
    assert config.scan_exclude == ("tests/fixtures/*",) and config.scan_min_length == 8
    write_config(project, "secrets_manager", "[scan]\nmin_length = 16\n")
    assert load_config().scan_min_length == 16
