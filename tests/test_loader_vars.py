"""The variables that choose what runs: which names are held back, and which pass."""

from __future__ import annotations

import pytest

from secretsync_hooks.use.loader_vars import NAMES, PREFIXES, TABLE, chooses_what_runs, hold_back


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "BASH_ENV",
        "ENV",
        "BASH_FUNC_ls%%",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONWARNINGS",
        "NODE_OPTIONS",
        "npm_config_script_shell",
        "PERL5OPT",
        "RUBYOPT",
        "GIT_SSH_COMMAND",
        "GIT_CONFIG_COUNT",
        "LUA_INIT_5_4",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "GCONV_PATH",
        "MALLOC_TRACE",
        "HOME",
        "XDG_CONFIG_HOME",
        "EDITOR",
        "GIT_PAGER",
        "SSH_ASKPASS",
        # found in review: each runs the repository's code or sees what the command sends
        "TAR_OPTIONS",
        "VIMINIT",
        "DOTNET_STARTUP_HOOKS",
        "CORECLR_PROFILER_PATH",
        "GNUPGHOME",
        "HTTPS_PROXY",
        "https_proxy",
        "REQUESTS_CA_BUNDLE",
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "SSLKEYLOGFILE",
        "PIP_INDEX_URL",
        "AWS_ENDPOINT_URL_SSM",
        # Windows does not tell cases apart: what is PATH there is held back everywhere
        "Path",
        "path",
        "ld_preload",
    ],
)
def test_a_variable_that_chooses_what_runs_is_held_back(name: str) -> None:
    assert chooses_what_runs(name)


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "API_TOKEN",
        "PATH_PREFIX",  # PATH is a name, not a prefix
        "ENVIRONMENT",
        "HOMEPAGE_URL",
        "LDAP_URL",  # LD_ is the prefix, with its underscore
        "CC_EMAIL",
        "PYTHONUNBUFFERED",  # harmless Python settings pass
        "PYTHONDONTWRITEBYTECODE",
        "TMPDIR",
        "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN",
    ],
)
def test_an_ordinary_variable_passes(name: str) -> None:
    assert not chooses_what_runs(name)


def test_hold_back_keeps_the_order_and_lets_named_keys_through() -> None:
    values = {"A": "1", "PATH": "./bin", "LD_PRELOAD": "x.so", "B": "2", "BASH_ENV": "./e.sh"}
    assert hold_back(values, ()) == ({"A": "1", "B": "2"}, ["PATH", "LD_PRELOAD", "BASH_ENV"])
    passed, held = hold_back(values, ("PATH", "BASH_ENV"))
    assert passed == {"A": "1", "PATH": "./bin", "B": "2", "BASH_ENV": "./e.sh"}
    assert held == ["LD_PRELOAD"]
    # --allow-env names the exact key: another spelling lets nothing through
    assert hold_back({"Path": "./bin"}, ("PATH",)) == ({}, ["Path"])


def test_the_table_is_one_list_of_upper_case_names_and_prefixes() -> None:
    assert len(TABLE) == len(set(TABLE))
    assert all(entry == entry.upper() for entry in TABLE)
    assert all("*" not in entry[:-1] for entry in TABLE)
    assert NAMES.isdisjoint(PREFIXES)
