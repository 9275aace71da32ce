"""The key contract's rules (``config/contract.py``): each type, choices, patterns, globs,
environment overrides, the shorthand, and every rule that cannot hold refused as a config
error; a violation names the key and the rule, never the value."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secretsync_hooks.config import contract as contract_module
from secretsync_hooks.config.contract import Contract, Rule, Violation
from secretsync_hooks.config.settings import Overrides, load_config
from secretsync_hooks.errors import ConfigError
from tests.helpers import examples, write_config

TYPED = [
    ("int", ["0", "8080", "-1", "+42"], ["", "80a", "1.5", "0x10", " 1", "١٢"]),
    ("float", ["1", "1.5", "-0.25", ".5", "1e-3", "2.E5"], ["1,5", "nan", "inf", "1.2.3", "e5"]),
    ("bool", ["true", "False", "1", "0", "yes", "NO", "on", "off"], ["y", "t", "enabled", "2"]),
    (
        "url",
        ["https://example.com", "postgres://u:p@h:5432/db", "redis://localhost", "file:///x"],
        ["example.com", "http://", "http://h:port/", "not a url", "https://a b"],
    ),
    ("email", ["a@example.com", "first.last+tag@sub.example.org"], ["a@b", "@x.com", "a b@x.io"]),
    ("json", ['{"a": 1}', "[1, 2]", '"s"', "3", "null"], ["{a: 1}", "[1,", "'s'"]),
]


@pytest.mark.parametrize(("kind", "good", "bad"), TYPED, ids=[row[0] for row in TYPED])
def test_each_type_holds_its_values_and_refuses_the_others(
    kind: str, good: list[str], bad: list[str]
) -> None:
    rule = Rule("K", type=kind)
    for value in good:
        assert rule.broken_by(value) == [], (kind, value)
    for value in bad:
        if value == "":
            continue  # empty is unset: only `required` speaks of it
        (broken,) = rule.broken_by(value)
        assert broken.startswith("not "), (kind, value)


def test_the_words_of_each_rule() -> None:
    assert Rule("PORT", type="int").broken_by("80a") == ["not an int"]
    assert Rule("L", choices=("debug", "info", "warning")).broken_by("trace") == [
        "not one of debug, info, warning"
    ]
    assert Rule("T", pattern="tok_[a-z]{4}").broken_by("tok_abcde") == [
        "does not match tok_[a-z]{4}"
    ]  # the whole value must match, not a prefix
    assert Rule("T", pattern="tok_[a-z]{4}").broken_by("tok_abcd") == []
    assert Rule("E", type="email").broken_by("x") == ["not an email address"]
    assert Rule("B", type="bool").broken_by("maybe") == [
        "not a bool (true, false, 1, 0, yes, no, on, off)"
    ]
    # Every part a value breaks is named.
    assert Rule("P", type="int", choices=("1", "2"), pattern="[12]").broken_by("x") == [
        "not an int",
        "not one of 1, 2",
        "does not match [12]",
    ]


def test_an_empty_value_is_unset_and_breaks_only_required() -> None:
    assert Rule("P", type="int", pattern="[0-9]+").broken_by("") == []
    assert Rule("P", required=True, type="int").broken_by("") == ["empty (required)"]


def test_check_names_missing_required_keys_and_only_the_keys_asked() -> None:
    contract = Contract(
        (("A", {"required": True}), ("B", {"type": "int"}), ("C", {"required": True})),
        shorthand=("D",),
    )
    values = {"A": "x", "B": "no"}
    assert contract.check(values) == [
        Violation("B", "not an int"),
        Violation("C", "missing (required)"),
        Violation("D", "missing (required)"),
    ]
    # Only the keys a write touches: a deleted required key is missing after it.
    assert contract.check({"B": "1"}, keys=["A", "B"]) == [Violation("A", "missing (required)")]
    assert str(Violation("PORT", "not an int")) == "PORT: not an int"


def test_globs_apply_in_the_order_written_and_the_keys_own_rule_last() -> None:
    contract = Contract(
        (
            ("*_PORT", {"type": "int", "description": "a port"}),
            ("ADMIN_*", {"type": "string", "pattern": "[0-9]{2,5}"}),
            ("ADMIN_PORT", {"description": "the admin port"}),
        )
    )
    rule = contract.rule_for("ADMIN_PORT")
    assert (rule.type, rule.pattern, rule.description) == ("string", "[0-9]{2,5}", "the admin port")
    assert contract.rule_for("WEB_PORT").type == "int"
    assert contract.rule_for("web_port").type == "string"  # globs are case-sensitive, as keys
    assert contract.named() == ["ADMIN_PORT"]


def test_a_keys_own_rule_takes_it_out_of_a_local_glob() -> None:
    contract = Contract((("DEV_*", {"local": True}), ("DEV_SHARED", {"local": False})))
    assert contract.is_local("DEV_X") and not contract.is_local("DEV_SHARED")


def test_a_violation_names_at_most_ten_choices() -> None:
    rule = Rule("K", choices=tuple(f"c{i}" for i in range(60_000)))
    (said,) = rule.broken_by("x")
    assert said == "not one of c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ... (60000 choices)"


def test_local_keys_by_name_and_by_glob() -> None:
    contract = Contract((("DEV_*", {"local": True}), ("MINE", {"local": True}), ("X", {})))
    assert [k for k in ("DEV_A", "MINE", "X", "DEVX") if contract.is_local(k)] == ["DEV_A", "MINE"]
    # The remote's local keys were put there before the rule, or by someone else: not checked.
    required = Contract((("DEV_*", {"local": True}), ("DEV_A", {"type": "int"})))
    assert required.check({"DEV_A": "x"}, remote=True) == []
    assert required.check({"DEV_A": "x"}) == [Violation("DEV_A", "not an int")]


RULES = """\
required_keys = ["API_TOKEN"]
[keys.DATABASE_URL]
required = true
type = "url"
description = "Postgres connection string"
example = "postgres://user:pass@localhost:5432/app"
[keys.PORT]
type = "int"
[keys.LOG_LEVEL]
choices = ["debug", "info", "warning"]
[keys."DEV_*"]
local = true
[environments.prod.keys.LOG_LEVEL]
choices = ["warning", "error"]
[environments.prod.keys.PORT]
required = true
[environments.prod.secrets_manager]
secret_name = "myapp/prod"
"""


def test_the_config_as_written_with_environment_overrides_setting_by_setting(
    project: Path,
) -> None:
    write_config(project, "secrets_manager", RULES)
    top = load_config(Overrides()).contract
    assert top.required() == ["DATABASE_URL", "API_TOKEN"]
    assert top.rule_for("LOG_LEVEL").choices == ("debug", "info", "warning")
    assert top.is_local("DEV_NAME")
    prod = load_config(Overrides(environment="prod")).contract
    assert prod.rule_for("LOG_LEVEL").choices == ("warning", "error")
    port = prod.rule_for("PORT")
    assert (port.type, port.required) == ("int", True)  # the type kept, required added
    assert prod.required() == ["DATABASE_URL", "PORT", "API_TOKEN"]
    assert list(load_config(Overrides()).required_keys) == ["DATABASE_URL", "API_TOKEN"]


BAD_RULES = [
    ('[keys.A]\ntype = "integer"\n', "[keys.A]: unknown type 'integer'"),
    ('[keys.A]\ntype = "nonsense"\n', "Types: string, int, float, bool, url, email, json."),
    ('[keys.A]\npattern = "tok_[a-z"\n', "[keys.A]: pattern does not compile"),
    ('[keys.A]\npattern = "' + "a" * 501 + '"\n', "pattern longer than 500 characters"),
    ('[keys.A]\nchoices = "a, b"\n', 'choices must be a list of strings, like ["a", "b"]'),
    ("[keys.A]\nchoices = [1, 2]\n", "choices must be a list of strings"),
    ("[keys.A]\nchoices = []\n", "choices must be a list of strings"),
    ("[keys.A]\nlocal = true\nrequired = true\n", "[keys.A]: local and required together"),
    ('[keys."A_*"]\nrequired = true\n', '[keys."A_*"]: a glob cannot be required'),
    ("[keys.A]\nrequierd = true\n", "unknown setting 'requierd' (did you mean 'required'?)"),
    ('[keys.A]\nrequired = "yes"\n', "[keys.A]: required must be true or false"),
    ("[keys.A]\ndescription = 3\n", "[keys.A]: description must be a string"),
    ('[keys.A]\ntype = "int"\nexample = "eighty"\n', "example breaks its own rule: not an int"),
    ('required_keys = ["DEV_A"]\n[keys."DEV_*"]\nlocal = true\n', "DEV_A is both local and"),
    (
        '[keys."DEV_*"]\nlocal = true\n[keys.DEV_X]\nrequired = true\n',
        "DEV_X is both local and required (by its rules)",
    ),
    ('required_keys = ["DEV_*"]\n', "required_keys names 'DEV_*', which is not a key name"),
    ('required_keys = ["A=B"]\n', "which is not a key name"),
    ('required_keys = [""]\n', "which is not a key name"),
    ('[keys." "]\ntype = "int"\n', "not a key name or a glob of key names"),
    ('[keys."A=B"]\ntype = "int"\n', "not a key name or a glob of key names"),
    ("keys = 3\n", "keys"),
    ("[keys]\nA = 3\n", "keys"),
    ('[environments.prod.keys.A]\ntype = "integer"\n', "unknown type 'integer'"),
]


@pytest.mark.parametrize(("extra", "said"), BAD_RULES)
def test_a_rule_that_cannot_hold_is_a_config_error(project: Path, extra: str, said: str) -> None:
    write_config(project, "secrets_manager", extra)
    with pytest.raises(ConfigError) as caught:
        load_config(Overrides())
    assert said in str(caught.value)


def test_an_unknown_keys_table_is_no_longer_ignored(project: Path) -> None:
    # It used to be a warning ("unknown setting 'keys' ignored") while push went ahead.
    write_config(project, "secrets_manager", '[keys.PORT]\ntype = "int"\n')
    config = load_config(Overrides())
    assert config.contract.rule_for("PORT").type == "int"
    assert not [w for w in config.warnings if "keys" in w]


def test_a_pattern_that_backtracks_without_end_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(contract_module, "PATTERN_SECONDS", 0.2)
    rule = Rule("K", pattern="(a+)+b")
    with pytest.raises(ConfigError) as caught:
        rule.broken_by("a" * 40)
    message = str(caught.value)
    assert "the pattern of K, (a+)+b, took more than 0.2 s" in message
    assert "a" * 10 not in message
    assert rule.broken_by("aab") == []  # the timer is gone; an ordinary match still runs


@settings(max_examples=examples(300), deadline=None)
@given(value=st.text(), kind=st.sampled_from(contract_module.TYPES))
def test_no_violation_depends_on_the_value_beyond_which_rule_it_breaks(
    value: str, kind: str
) -> None:
    # Each word a violation can say is fixed by the rule alone: none can carry the value.
    rule = Rule("K", required=True, type=kind, choices=("alpha", "beta"), pattern="[0-9]{3}")
    said = {f"not {word}" for word in contract_module._WORDS.values()} | {
        "not one of alpha, beta",
        "does not match [0-9]{3}",
        "empty (required)",
    }
    assert set(rule.broken_by(value)) <= said
