"""The key contract: ``[keys.NAME]`` rules in ``.secretsync.toml`` (``NAME`` a key or a glob),
saying which keys are required, what each value must look like, what each is for, and which
keys stay local (never pushed, pulled or counted as drift).

A rule under ``[environments.ENV.keys.NAME]`` overrides the top level's for that environment,
setting by setting.  Where several rules match a key, the globs apply in the order written and
the key's own rule last.  ``required_keys = [...]`` is shorthand for ``required = true``.

Every check is stated by the key and the rule it breaks (``PORT: not an int``), never by the
value or any part of it.  A rule that cannot hold (an unknown type, a pattern that does not
compile, ``local`` with ``required``, an example that breaks its own rule) is a config error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

from secretsync_hooks import text
from secretsync_hooks.errors import ConfigError

TYPES = ("string", "int", "float", "bool", "url", "email", "json")
FIELDS: dict[str, type] = {
    "required": bool,
    "type": str,
    "description": str,
    "example": str,
    "choices": list,
    "pattern": str,
    "local": bool,
}
BOOLEANS = ("true", "false", "1", "0", "yes", "no", "on", "off")
MAX_PATTERN = 500  # characters: a rule, not a program
PATTERN_SECONDS = 1.0  # for one value: a rule that needs longer backtracks without end
_GLOB = re.compile(r"[*?\[]")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_WORDS = {
    "int": "an int",
    "float": "a float",
    "bool": f"a bool ({', '.join(BOOLEANS)})",
    "url": "a URL (scheme://...)",
    "email": "an email address",
    "json": "JSON",
}


class Rule(NamedTuple):
    """What one key must be, resolved from every rule that matches it."""

    key: str
    required: bool = False
    type: str = "string"
    description: str | None = None
    example: str | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    local: bool = False

    def broken_by(self, value: str) -> list[str]:
        """The parts of this rule ``value`` breaks, in words naming the rule (never the
        value); an empty value counts as unset: only ``required`` speaks of it."""
        if value == "":
            return ["empty (required)"] if self.required else []
        broken = []
        if self.type != "string" and not _is_type(self.type, value):
            broken.append(f"not {_WORDS[self.type]}")
        if self.choices is not None and value not in self.choices:
            broken.append(f"not one of {_listed(self.choices)}")
        if self.pattern is not None and not _matches(self.pattern, value, self.key):
            broken.append(f"does not match {text.shown(self.pattern)}")
        return broken


class Violation(NamedTuple):
    key: str
    rule: str  # "not an int", "missing (required)", ...

    def __str__(self) -> str:
        return f"{text.shown(self.key)}: {self.rule}"


class Contract(NamedTuple):
    """One environment's rules: the key's own (by name) and the globs, in the order written."""

    rules: tuple[tuple[str, Mapping[str, Any]], ...] = ()  # (name or glob, its settings)
    shorthand: tuple[str, ...] = ()  # required_keys

    def __bool__(self) -> bool:
        return bool(self.rules or self.shorthand)

    def rule_for(self, key: str) -> Rule:
        """What ``key`` must be: the globs that match it in order, then its own rule."""
        merged: dict[str, Any] = {}
        for name, settings in self.rules:
            if _is_glob(name) and fnmatchcase(key, name):
                merged.update(settings)
        merged.update(dict(self.rules).get(key, {}))
        if key in self.shorthand:
            merged["required"] = True
        if "choices" in merged:
            merged["choices"] = tuple(merged["choices"])
        return Rule(key, **merged)

    def is_local(self, key: str) -> bool:
        """Whether ``key`` stays in the .env: its merged rule says ``local`` (a key's own
        ``local = false`` takes it out of a glob's)."""
        if not any(settings.get("local") for _, settings in self.rules):
            return False  # no local rule at all: the common case, without merging
        return self.rule_for(key).local

    def named(self) -> list[str]:
        """The keys the contract names (not its globs), in the order written."""
        names = [name for name, _ in self.rules if not _is_glob(name)]
        return list(dict.fromkeys([*names, *self.shorthand]))

    def required(self) -> list[str]:
        return [key for key in self.named() if self.rule_for(key).required]

    def check(
        self, values: Mapping[str, str], *, keys: Iterable[str] | None = None, remote: bool = False
    ) -> list[Violation]:
        """What ``values`` (one side's) breaks: each value against its rule, and each required
        key it lacks.  ``keys``: only those keys (the ones a push or a pull would write or
        delete).  ``remote``: the side in AWS, where local keys are left out (they are never
        sent there)."""
        chosen = list(values) if keys is None else list(keys)
        found = []
        for key in dict.fromkeys([*chosen, *(self.required() if keys is None else [])]):
            if remote and self.is_local(key):
                continue
            rule = self.rule_for(key)
            if key not in values:
                if rule.required:
                    found.append(Violation(key, "missing (required)"))
                continue
            found += [Violation(key, broken) for broken in rule.broken_by(values[key])]
        return found


MAX_LISTED = 10  # choices named in a violation; the rest counted


def _listed(choices: Sequence[str]) -> str:
    shown = ", ".join(text.shown(choice) for choice in choices[:MAX_LISTED])
    more = len(choices) - MAX_LISTED
    return shown if more <= 0 else f"{shown}, ... ({len(choices)} choices)"


def _is_glob(name: str) -> bool:
    return _GLOB.search(name) is not None


def _is_type(kind: str, value: str) -> bool:
    if kind == "int":
        return _INT.fullmatch(value) is not None
    if kind == "float":
        return _FLOAT.fullmatch(value) is not None
    if kind == "bool":
        return value.lower() in BOOLEANS
    if kind == "url":
        return _is_url(value)
    if kind == "email":
        return _EMAIL.fullmatch(value) is not None
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def _is_url(value: str) -> bool:
    import urllib.parse

    if _SCHEME.fullmatch(value) is None:
        return False
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - a port that is no number raises
    except ValueError:
        return False
    return bool(parts.netloc or parts.path)


def load_contract(
    raw: Mapping[str, Any], environment: Mapping[str, Any], path: Path, shorthand: Sequence[str]
) -> Contract:
    """The contract of one environment: the top level's ``[keys]`` with the environment's
    ``[environments.ENV.keys]`` over it, setting by setting, checked."""
    top, own = raw.get("keys", {}), environment.get("keys", {})
    rules = []
    for name in dict.fromkeys([*top, *own]):
        settings = {**top.get(name, {}), **own.get(name, {})}
        rules.append((name, settings))
    contract = Contract(tuple(rules), tuple(shorthand))
    _check(contract, path)
    return contract


def check_tables(raw: Mapping[str, Any], path: Path) -> None:
    """Check every ``[keys]`` table of the file (the top level's and each environment's, as
    that environment sees them), so that a broken rule is found wherever it is."""
    shorthand = raw.get("required_keys", [])
    load_contract(raw, {}, path, shorthand)
    for table in raw.get("environments", {}).values():
        if isinstance(table, dict) and "keys" in table:
            load_contract(raw, table, path, table.get("required_keys", shorthand))


def _check(contract: Contract, path: Path) -> None:
    for name, settings in contract.rules:
        where = f"{path}: [keys.{_quoted(name)}]"
        if not _is_name(name):
            raise ConfigError(f"{where}: not a key name or a glob of key names")
        for field, value in settings.items():
            _check_field(where, field, value)
        _check_rule(where, name, settings)
    for key in contract.shorthand:
        if not _is_name(key) or _is_glob(key):
            raise ConfigError(
                f"{path}: required_keys names {text.shown(key)!r}, which is not a key name "
                "(a glob cannot be required: which keys would be missing?)",
                hint="Name the required keys one by one.",
            )
    for key in contract.named():
        rule = contract.rule_for(key)
        if rule.local and rule.required:
            raise ConfigError(
                f"{path}: {text.shown(key)} is both local and required (by "
                f"{'required_keys' if key in contract.shorthand else 'its rules'}): a local "
                "key is never in AWS, so it cannot be required there",
                hint="A key is either local (yours alone) or required (everyone's): drop one.",
            )
        if rule.example is not None and (broken := rule.broken_by(rule.example)):
            raise ConfigError(
                f"{path}: [keys.{_quoted(key)}] example breaks its own rule: {'; '.join(broken)}",
                hint="Give an example that holds to the rule, or leave it out.",
            )


def _is_name(name: str) -> bool:
    return bool(name.strip()) and name.isprintable() and "=" not in name


def _check_field(where: str, field: str, value: object) -> None:
    expected = FIELDS.get(field)
    if expected is None:
        import difflib

        close = difflib.get_close_matches(field, list(FIELDS), n=1)
        raise ConfigError(
            f"{where}: unknown setting {text.shown(field)!r}"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint=f"A rule takes: {', '.join(FIELDS)}.",
        )
    if expected is list:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(f'{where}: {field} must be a list of strings, like ["a", "b"]')
    elif not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
        wanted = "true or false" if expected is bool else "a string"
        raise ConfigError(f"{where}: {field} must be {wanted}")


def _check_rule(where: str, name: str, settings: Mapping[str, Any]) -> None:
    kind = settings.get("type", "string")
    if kind not in TYPES:
        import difflib

        close = difflib.get_close_matches(str(kind), TYPES, n=1)
        raise ConfigError(
            f"{where}: unknown type {text.shown(str(kind))!r}"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint=f"Types: {', '.join(TYPES)}.",
        )
    if settings.get("local") and settings.get("required"):
        raise ConfigError(
            f"{where}: local and required together: a local key is never in AWS",
            hint="A key is either local (yours alone) or required (everyone's).",
        )
    if settings.get("required") and _is_glob(name):
        raise ConfigError(
            f"{where}: a glob cannot be required (which keys would be missing?)",
            hint="Name the required keys one by one.",
        )
    if "pattern" in settings:
        _check_pattern(where, settings["pattern"])


def _check_pattern(where: str, pattern: str) -> None:
    if len(pattern) > MAX_PATTERN:
        raise ConfigError(f"{where}: pattern longer than {MAX_PATTERN} characters")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: pattern does not compile: {exc}") from None


class _TooSlow(BaseException):
    """The pattern's time ran out (raised by the alarm, in the main thread only)."""


def _matches(pattern: str, value: str, key: str) -> bool:
    """``re.fullmatch``, within :data:`PATTERN_SECONDS`.  Python's re has no time limit, and a
    pattern like ``(a+)+`` can take exponential time on some values: a committed config must
    not be able to hold every commit.  The matcher checks for signals as it runs, so an alarm
    stops it (in the main thread, where every check runs; elsewhere it runs unbounded)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        return re.fullmatch(pattern, value) is not None
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        return re.fullmatch(pattern, value) is not None  # an alarm of someone else's runs

    def expire(signum: int, frame: Any) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, PATTERN_SECONDS)
    try:
        return re.fullmatch(pattern, value) is not None
    except _TooSlow:
        raise ConfigError(
            f"the pattern of {text.shown(key)}, {text.shown(pattern)}, took more than "
            f"{PATTERN_SECONDS:g} s to match its value: it backtracks too much (a repeated "
            "repeat, like (a+)+)",
            hint="Write it without a repeated group of repeats, e.g. (a+)+ as a+.",
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _quoted(name: str) -> str:
    shown = text.shown(name)
    return shown if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{shown}"'
