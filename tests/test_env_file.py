from __future__ import annotations

import io
import logging
import os
import re
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync_hooks.env_file import EnvFile, interpolation_keys, write_atomic
from secretsync_hooks.errors import EnvFileError


def oracle(text: str) -> tuple[dict[str, str | None], list[str]]:
    """python-dotenv's reading of ``text`` and the warnings it logs while reading it."""
    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = _Collect(level=logging.WARNING)
    logger = logging.getLogger("dotenv.main")
    logger.addHandler(handler)
    try:
        values = dict(dotenv_values(stream=io.StringIO(text), interpolate=False))
    finally:
        logger.removeHandler(handler)
    return values, records


PARSE_CASES = [
    ("A=1\n", {"A": "1"}),
    ("A=1", {"A": "1"}),
    ("export A=1\n", {"A": "1"}),
    ("export   A=1\n", {"A": "1"}),
    ("export\tA=1\n", {"A": "1"}),
    ("exportA=1\n", {"exportA": "1"}),
    ("export=1\n", {"export": "1"}),
    ("A = 1\n", {"A": "1"}),
    ("A\t=\t1\n", {"A": "1"}),
    ("  A=1\n", {"A": "1"}),
    ("A=a#b\n", {"A": "a#b"}),
    ("A=a #b\n", {"A": "a"}),
    ("A=a\t#b\n", {"A": "a"}),
    ("A=#b\n", {"A": "#b"}),
    ("A= # comment\n", {"A": ""}),
    ("A=\n", {"A": ""}),
    ("A=\nB=2\n", {"A": "", "B": "2"}),
    ("A=  trailing   \n", {"A": "trailing"}),
    ("A=a\\nb\n", {"A": "a\\nb"}),
    ("A=a'b\"c\n", {"A": "a'b\"c"}),
    ("A=${B}\n", {"A": "${B}"}),
    ("A='x'\n", {"A": "x"}),
    ("A=''\n", {"A": ""}),
    ("A='a\\'b'\n", {"A": "a'b"}),
    ("A='a\\\\b'\n", {"A": "a\\b"}),
    ("A='a\\nb'\n", {"A": "a\\nb"}),
    ("A='a\\\\'\n", {"A": "a\\"}),
    ("A='a # b'\n", {"A": "a # b"}),
    ("A='x' # c\n", {"A": "x"}),
    ("A='x'# c\n", {"A": "x"}),
    ("A='multi\nline'\n", {"A": "multi\nline"}),
    ('A="x"\n', {"A": "x"}),
    ('A=""\n', {"A": ""}),
    ('A="a\\nb\\tc"\n', {"A": "a\nb\tc"}),
    ('A="a\\"b"\n', {"A": 'a"b'}),
    ('A="a\\\'b"\n', {"A": "a'b"}),
    ('A="a\\\\b"\n', {"A": "a\\b"}),
    ('A="a\\\\"\n', {"A": "a\\"}),
    ('A="\\a\\b\\f\\r\\v"\n', {"A": "\a\b\f\r\v"}),
    ('A="a\\db"\n', {"A": "a\\db"}),
    ('A="a\\u00e9"\n', {"A": "a\\u00e9"}),
    ('A="multi\nline"\nB=2\n', {"A": "multi\nline", "B": "2"}),
    ('A="multi\r\nline"\r\nB=2\r\n', {"A": "multi\r\nline", "B": "2"}),
    ('A="x" # comment\n', {"A": "x"}),
    ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    ("A=1\rB=2\r", {"A": "1", "B": "2"}),
    ("\ufeffA=1\n", {"A": "1"}),
    ("# comment\nA=1\n\n\n# another\n", {"A": "1"}),
    ("#A=1\n", {}),
    ("  # indented comment\n", {}),
    ("", {}),
    ("\n\n", {}),
    ("A=1\nA=2\nB=3\n", {"A": "2", "B": "3"}),
    ("'quoted key'=v\n", {"quoted key": "v"}),
    ("A.B-C:D=1\n", {"A.B-C:D": "1"}),
    ("é=ü\n", {"é": "ü"}),
    ("A=üñí©ødé 🙂\n", {"A": "üñí©ødé 🙂"}),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_agrees_with_python_dotenv(text: str, expected: dict[str, str]) -> None:
    values, warnings = oracle(text)
    assert warnings == []
    assert values == expected  # the table itself is checked against the oracle
    parsed = EnvFile.parse(text)
    assert parsed.values() == expected
    assert list(parsed.values()) == list(values)  # same order: first position of each key


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_then_render_is_byte_identical(text: str, expected: dict[str, str]) -> None:
    assert EnvFile.parse(text).render_text() == text


REFUSALS = [
    ('A="unterminated\nB=2\n', 1, "opens a double quote that is not closed"),
    ("A='unterminated\n", 1, "opens a single quote that is not closed"),
    ("OK=1\nA: value\n", 2, "'A: value' is not KEY=value syntax"),
    ('A="x" trailing\n', 1, "text after the closing quote of A's value"),
    ("A='x'y\n", 1, "text after the closing quote of A's value"),
    ("\n\n=value\n", 3, "a value with no key"),
    ("MY KEY=v\n", 1, "no spaces inside a key"),
    ("A=1\nLONELY\n", 2, "LONELY has no '='"),
    ("LONELY # comment\n", 1, "LONELY has no '='"),
    ("export LONELY\n", 1, "LONELY has no '='"),
    ("'open=1\n", 1, "a key opens a single quote that is not closed"),
    ('A="a\nb" c\nD=1\n', 1, "text after the closing quote of A's value"),
]


@pytest.mark.parametrize(("text", "line", "problem"), REFUSALS)
def test_refuses_what_python_dotenv_would_drop(text: str, line: int, problem: str) -> None:
    values, warnings = oracle(text)
    assert warnings or None in values.values()  # python-dotenv drops or unsets something
    with pytest.raises(EnvFileError) as info:
        EnvFile.parse(text, path=Path("app/.env"))
    message = str(info.value)
    assert "app/.env: cannot read" in message
    assert re.search(rf"line {line}: [^\n]*{re.escape(problem)}", message), message


def test_refusal_names_every_bad_line_and_no_value() -> None:
    text = 'GOOD=fine\nA: s3cr3tvalue\nB="unterminated s3cr3tvalue\nC=ok\n'
    with pytest.raises(EnvFileError) as info:
        EnvFile.parse(text)
    message = str(info.value)
    assert "line 2:" in message
    assert "line 3:" in message
    assert "s3cr3t" not in message


def test_load_reports_missing_directory_and_encoding(tmp_path: Path) -> None:
    with pytest.raises(EnvFileError, match="no such file"):
        EnvFile.load(tmp_path / ".env")
    assert EnvFile.load(tmp_path / ".env", missing_ok=True).existed is False
    (tmp_path / "dir").mkdir()
    with pytest.raises(EnvFileError, match="is a directory"):
        EnvFile.load(tmp_path / "dir")
    (tmp_path / "latin1").write_bytes(b"A=caf\xe9\n")
    with pytest.raises(EnvFileError, match=r"not UTF-8 text \(invalid byte at offset 5\)"):
        EnvFile.load(tmp_path / "latin1")


def test_vars_keep_first_position_and_line() -> None:
    parsed = EnvFile.parse('# c\nA=1\nB="x\ny"\nA=3\nC=4\n')
    assert [(v.key, v.value, v.line) for v in parsed.vars()] == [
        ("A", "3", 2),
        ("B", "x\ny", 3),
        ("C", "4", 6),
    ]


def test_values_never_appear_in_reprs() -> None:
    parsed = EnvFile.parse("TOKEN=canary-value-123\n")
    assert "canary" not in repr(parsed.vars())
    assert "canary" not in repr(parsed._chunks)


SAMPLE = (
    "\ufeff# Application settings\r\n"
    "export APP_NAME=demo\r\n"
    "  INDENTED = spaced   # inline comment\r\n"
    "\r\n"
    "SINGLE='it\\'s'\r\n"
    'DOUBLE="line1\\nline2" # note\r\n'
    'MULTI="first\r\nsecond"\r\n'
    "EMPTY=\r\n"
    "HASHY= # nothing here\r\n"
    "DUP=1\r\n"
    "DUP=2\r\n"
    "# trailing comment without newline"
)


def test_sample_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(SAMPLE.encode())
    parsed = EnvFile.load(path)
    assert parsed.values() == oracle(SAMPLE[1:])[0]
    parsed.write()
    assert path.read_bytes() == SAMPLE.encode()


SET_CASES = [
    # (original line, new value, expected line)
    ("A=old\n", "new", "A=new\n"),
    ("A=old # keep\n", "new", "A=new # keep\n"),
    ("export A = old\n", "new", "export A = new\n"),
    ("A=old\n", "has space", "A=has space\n"),
    ("A=old\n", " lead", "A=' lead'\n"),
    ("A=old\n", "it's", "A=it's\n"),
    ("A=old\n", "'quoted'", "A=\"'quoted'\"\n"),
    ("A=old\n", "a #b", "A='a #b'\n"),
    ("A=old\n", "two\nlines", 'A="two\\nlines"\n'),
    ("A=old\n", "", "A=\n"),
    ("A=old # keep\n", "", "A= # keep\n"),
    ("A= # keep\n", "new", "A= new # keep\n"),
    ("A= # keep\n", "#x", "A= '#x' # keep\n"),
    ("A=old\n", "#x", "A=#x\n"),
    ("A='old' # keep\n", "it's", "A='it\\'s' # keep\n"),
    ("A='old'\n", "back\\slash", "A='back\\\\slash'\n"),
    ("A='old'\n", "two\nlines", "A='two\nlines'\n"),
    ('A="old"\n', 'say "hi"\n', 'A="say \\"hi\\"\\n"\n'),
    ('A="old"\r\n', "new", 'A="new"\r\n'),
    ('A="multi\nline" # c\n', "one", 'A="one" # c\n'),
    ("A=1\nA=2\n", "3", "A=1\nA=3\n"),
]


@pytest.mark.parametrize(("original", "value", "expected"), SET_CASES)
def test_set_rewrites_only_the_value_token(original: str, value: str, expected: str) -> None:
    text = f"# head\n{original}Z=last\n"
    parsed = EnvFile.parse(text)
    parsed.set("A", value)
    assert parsed.render_text() == f"# head\n{expected}Z=last\n"
    values, warnings = oracle(parsed.render_text())
    assert warnings == []
    assert values["A"] == value
    assert values["Z"] == "last"


def test_set_same_value_changes_nothing() -> None:
    text = "A = 'same'   # c\n"
    parsed = EnvFile.parse(text)
    parsed.set("A", "same")
    assert parsed.render_text() == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\n", "A=1\nNEW=v\n"),
        ("A=1", "A=1\nNEW=v\n"),
        ("A=1\r\n", "A=1\r\nNEW=v\r\n"),
        ("A=1\r", "A=1\rNEW=v\r"),
        ("", "NEW=v\n"),
        ("# only a comment", "# only a comment\nNEW=v\n"),
    ],
)
def test_new_keys_are_appended_in_the_files_newline_style(text: str, expected: str) -> None:
    parsed = EnvFile.parse(text)
    parsed.set("NEW", "v")
    assert parsed.render_text() == expected


def test_new_keys_choose_the_safest_quoting() -> None:
    parsed = EnvFile.parse("")
    parsed.set("PLAIN", "postgres://u@h:5432/db")
    parsed.set("SPACED", "a b $HOME")
    parsed.set("TRICKY", 'it\'s a \\ "test"\nline')
    parsed.set("my key", "v")
    assert parsed.render_text() == (
        "PLAIN=postgres://u@h:5432/db\n"
        "SPACED='a b $HOME'\n"
        'TRICKY="it\'s a \\\\ \\"test\\"\\nline"\n'
        "'my key'=v\n"
    )
    assert oracle(parsed.render_text())[0] == parsed.values()


def test_remove_removes_only_that_keys_lines() -> None:
    text = "# keep\nA=1\n\nB='x\ny'\nC=3\nB=again\n"
    parsed = EnvFile.parse(text)
    assert parsed.remove("B") is True
    assert parsed.render_text() == "# keep\nA=1\n\nC=3\n"
    assert parsed.remove("MISSING") is False


def test_unwritable_key_and_nul_value_are_refused() -> None:
    parsed = EnvFile.parse("")
    with pytest.raises(EnvFileError, match="cannot be written"):
        parsed.set("it's", "v")
    with pytest.raises(EnvFileError, match="NUL"):
        parsed.set("A", "a\x00b")


def test_interpolation_keys() -> None:
    assert interpolation_keys([("A", "${HOME}/x"), ("B", "$HOME"), ("C", "plain")]) == ["A"]


# -- property tests ---------------------------------------------------------------------------

values_strategy = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=60,
) | st.sampled_from(
    ["", " ", "#", " # x", "'", '"', "\\", "\\'", '\\"', "${VAR}", "$VAR", "a\r\nb", "\r"]
    + ["x" * 5000]
)
keys_strategy = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,20}", fullmatch=True)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys_strategy, values_strategy, max_size=8))
def test_written_values_read_back_identically_with_python_dotenv(values: dict[str, str]) -> None:
    parsed = EnvFile.parse("")
    for key, value in values.items():
        parsed.set(key, value)
    text = parsed.render_text()
    read, warnings = oracle(text)
    assert warnings == []
    assert read == values
    assert EnvFile.parse(text).values() == values


STYLED = "U=plain\nS='single'\nD=\"double\"\nC=spaced # comment\nH= # empty\nX=untouched\n"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["U", "S", "D", "C", "H"]), values_strategy)
def test_setting_any_value_in_any_style_reads_back(key: str, value: str) -> None:
    parsed = EnvFile.parse(STYLED)
    parsed.set(key, value)
    text = parsed.render_text()
    read, warnings = oracle(text)
    assert warnings == []
    expected = {**oracle(STYLED)[0], key: value}
    assert read == expected
    # every other line is untouched
    others = [line for line in STYLED.splitlines(keepends=True) if not line.startswith(key + "=")]
    for line in others:
        assert line in text


dotenv_like = st.lists(
    st.sampled_from(
        [
            "A",
            "B",
            "x",
            "=",
            " ",
            "\t",
            "\n",
            "\r",
            "\r\n",
            "'",
            '"',
            "\\",
            "#",
            "export ",
            ":",
            "$",
            "{",
            "é",
            "\ufeff",
            "\x0b",
        ]
    ),
    max_size=30,
).map("".join)


def dropped_or_unset(text: str) -> bool:
    """Whether python-dotenv drops a statement of ``text`` or reads a key as unset (None)."""
    return any(
        b.error or (b.key is not None and b.value is None) for b in parse_stream(io.StringIO(text))
    )


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(dotenv_like)
def test_reads_like_python_dotenv_or_refuses_where_it_warns(text: str) -> None:
    values, warnings = oracle(text)
    try:
        parsed = EnvFile.parse(text)
    except EnvFileError:
        assert dropped_or_unset(text)
        return
    assert not dropped_or_unset(text)
    assert warnings == []
    assert parsed.values() == values
    assert parsed.render_text() == text


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
    with pytest.raises(EnvFileError, match="No space left on device"):
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
    with pytest.raises(EnvFileError, match="cannot write in"):
        write_atomic(tmp_path / "missing" / ".env", b"A=1\n")


def test_writing_over_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    with pytest.raises(EnvFileError, match="is a directory"):
        write_atomic(tmp_path / ".env", b"A=1\n")
