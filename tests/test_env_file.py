from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsync_hooks.errors import EnvFileError
from secretsync_hooks.local.env_file import EnvFile, interpolation_keys
from tests.helpers import examples


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
    ("A.B-C_D=1\n", {"A.B-C_D": "1"}),
    ("'A:B'=1\n", {"A:B": "1"}),
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


NOT_A_STATEMENT = "not a KEY=value line"
REFUSALS = [
    ('A="unterminated\nB=2\n', 1, "a value opens a double quote that is never closed"),
    ("A='unterminated\n", 1, "a value opens a single quote that is never closed"),
    ("OK=1\nA: value\n", 2, NOT_A_STATEMENT),
    ('A="x" trailing\n', 1, "text after a closing quote"),
    ("A='x'y\n", 1, "text after a closing quote"),
    ("\n\n=value\n", 3, "a value with no key"),
    ("MY KEY=v\n", 1, NOT_A_STATEMENT),
    ("A=1\nLONELY\n", 2, "a key with no '='"),
    ("LONELY # comment\n", 1, "a key with no '='"),
    ("export LONELY\n", 1, "a key with no '='"),
    ("'open=1\n", 1, "a key opens a single quote that is never closed"),
    ('A="a\nb" c\nD=1\n', 1, "text after a closing quote"),
]
# python-dotenv reads these without a warning; secretsync refuses them, naming only the line:
# an unquoted "key" with ':', '/', '@' or '?' is a URL, a PEM line or JSON, not a name.
STRICTER = [
    ("postgres://app:PASSWORD@db/app?sslmode=require\n", 1),
    ("A=1\nhttps://user:pw@host/x=1\n", 2),
    ('{"k":"v"}=1\n', 1),
    ("A.B-C:D=1\n", 1),
]


@pytest.mark.parametrize(("text", "line"), STRICTER)
def test_refuses_keys_that_look_like_urls_or_data_without_echoing_them(
    text: str, line: int
) -> None:
    with pytest.raises(EnvFileError) as info:
        EnvFile.parse(text, path=Path(".env"))
    message = str(info.value)
    assert f"line {line}: {NOT_A_STATEMENT}" in message
    for piece in ("PASSWORD", "user:pw", "postgres", '"k"', "C:D"):
        assert piece not in message


def test_an_unclosed_quote_stops_the_reading_and_no_line_is_echoed() -> None:
    pem = (
        'KEY="-----BEGIN RSA PRIVATE KEY-----\n'
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7==\n"
        "c2VjcmV0OnZhbHVlCg==\n"
        "-----END RSA PRIVATE KEY-----\n"
    )
    with pytest.raises(EnvFileError) as info:
        EnvFile.parse("A=1\n" + pem, path=Path(".env"))
    message = str(info.value)
    assert "line 2: a value opens a double quote that is never closed" in message
    assert "cannot read 1 statement:" in message
    for piece in ("BEGIN", "MIIE", "c2Vj", "KEY", "END"):
        assert piece not in message


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


def test_a_duplicated_key_keeps_its_first_position_and_last_value() -> None:
    parsed = EnvFile.parse('# c\nA=1\nB="x\ny"\nA=3\nC=4\n')
    assert list(parsed.values().items()) == [("A", "3"), ("B", "x\ny"), ("C", "4")]


def test_values_never_appear_in_reprs() -> None:
    parsed = EnvFile.parse("TOKEN=canary-value-123\n")
    assert "canary" not in repr(parsed)
    assert "TOKEN" in repr(parsed)


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
    ("A=old\n", "has space", "A='has space'\n"),
    ("A=old\n", " lead", "A=' lead'\n"),
    ("A=old\n", "it's", 'A="it\'s"\n'),
    ("A=old\n", "'quoted'", "A=\"'quoted'\"\n"),
    ("A=old\n", "a #b", "A='a #b'\n"),
    ("A=old\n", "two\nlines", 'A="two\\nlines"\n'),
    ("A=old\n", "", "A=\n"),
    ("A=old # keep\n", "", "A= # keep\n"),
    ("A= # keep\n", "new", "A= new # keep\n"),
    ("A= # keep\n", "#x", "A= '#x' # keep\n"),
    ("A=old\n", "#x", "A='#x'\n"),
    ("A='old' # keep\n", "it's", 'A="it\'s" # keep\n'),
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


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
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
    """Whether python-dotenv drops a statement of ``text`` or reads a key as unset (None), or
    reads an unquoted key that is not a name (secretsync refuses those too)."""
    return any(
        b.error
        or (b.key is not None and b.value is None)
        or (b.key is not None and not _quoted_key(b.original.string) and not _name(b.key))
        for b in parse_stream(io.StringIO(text))
    )


def _quoted_key(statement: str) -> bool:
    rest = statement.lstrip()
    rest = re.sub(r"^export[^\S\r\n]+", "", rest)
    return rest.startswith("'")


def _name(key: str) -> bool:
    return re.fullmatch(r"[\w.-]+", key) is not None


@settings(max_examples=examples(1000), suppress_health_check=[HealthCheck.too_slow])
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


PIECES = [
    "export ", "export\t", "export", "KEY", "k.e-y_1", "1A", "é", "'q k'", "=", " = ", "= ",
    "value", "a#b", "a b", " # c", "#c", "# c", "'s'", "''", "'s\\'x'", "'a\nb'", '"d"', '""',
    '"d\\n"', '"d\\x"', '"\\\\"', '"\\""', '"a\nb"', '"$X"', "\t", " ", "\r\n", "\n", "\r",
    "\f", "\v", "$", "'", '"', "\\", ":", "/", "@", "%", "+", ",", "\u00a0", "\u2028",
]  # fmt: skip


def _chunks(text: str, *, fast: bool) -> list[tuple[object, ...]]:
    from secretsync_hooks.local.dotenv import parse_chunks

    chunks, problems = parse_chunks(text, fast=fast)
    shape = [
        (c.text, c.line, c.key, c.value, c.token_start, c.token_end, c.quote, c.space_after_equals)
        for c in chunks
    ]
    return [*shape, *((p.line, p.problem) for p in problems)]


VALUE_PIECES = ["a", "b:/", " ", "#", "'", '"', "\\", "\\n", "\\'", '\\"', "\\\\", "\\x", "$"]
VALUE_PIECES += ["\t", "\r", "\n", "\f", "é"]
# Statements shaped like KEY=value, with every part varied: where the fast path's choices
# lie (quotes, backslashes, '#', spacing, line ends).
statement_strategy = st.tuples(
    st.sampled_from(["", "export ", "export\t", "export", "  ", "\t", "\f"]),
    st.sampled_from(["KEY", "k.e-y_1", "_", "1A", "é", "'q k'", "", "A:B"]),
    st.sampled_from(["=", " =", "= ", " = ", "=\t", "", ":"]),
    st.lists(st.sampled_from(VALUE_PIECES), max_size=4)
    .map("".join)
    .flatmap(lambda v: st.sampled_from([v, f"'{v}'", f'"{v}"', f"'{v}", f'"{v}'])),
    st.sampled_from(["", " # c", "#c", "\t#x", " ", "\v"]),
).map("".join)


@settings(max_examples=examples(3000), suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(statement_strategy, st.lists(st.sampled_from(PIECES), max_size=7).map("".join)),
        max_size=6,
    ),
    st.sampled_from(["\n", "\r\n", "\r", "\n\n"]),
)
def test_the_fast_path_reads_exactly_as_the_grammar(lines: list[str], newline: str) -> None:
    # Statements the one-match fast path reads must come out as the step-by-step reading of
    # python-dotenv's grammar makes them: the same chunks, offsets, values and problems.
    text = newline.join(lines)
    assert _chunks(text, fast=True) == _chunks(text, fast=False)


@pytest.mark.parametrize(
    "text",
    [
        "KEY=value\n",
        "export KEY='single value' # note\n",
        'KEY="a\\nb\\"c\\\\" # note\r\n',
        "# comment\nA=1\n\n  B=2",
        "A=postgres://u@h:5432/db?x=1",
        "KEY=",
        "KEY= # c\n",
        'KEY="\\x"\n',
    ],
)
def test_the_fast_path_on_common_lines(text: str) -> None:
    assert _chunks(text, fast=True) == _chunks(text, fast=False)
