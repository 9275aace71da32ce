from __future__ import annotations

from pathlib import Path

import pytest

from secretsync_hooks.config.settings import (
    Overrides,
    ParameterStoreSettings,
    find_config,
    load_config,
)
from secretsync_hooks.errors import ConfigError

DOCUMENTED = """\
[backend]
type = "secrets_manager"   # or "parameter_store"
region = "us-east-1"
[secrets_manager]
secret_name = "myapp/production"
[parameter_store]
path = "/myapp/production/"
"""


def write(root: Path, text: str) -> Path:
    path = root / ".secretsync.toml"
    path.write_text(text)
    return path


def test_documented_config_loads_exactly_as_written(project: Path) -> None:
    path = write(project, DOCUMENTED)
    config = load_config(environ={})
    assert config.path == path
    assert config.backend == "secrets_manager"
    assert config.target == "myapp/production"
    assert config.region == "us-east-1"
    assert config.env_file == project / ".env"
    assert config.environment is None
    assert config.warnings == ()
    assert config.source("region") == ".secretsync.toml [backend.region]"


def test_parameter_store_backend_from_the_same_file(project: Path) -> None:
    write(project, DOCUMENTED)
    config = load_config(environ={"SECRETSYNC_BACKEND": "parameter_store"})
    assert config.backend == "parameter_store"
    assert config.source("backend") == "SECRETSYNC_BACKEND"
    assert config.target == "/myapp/production/"
    assert config.remote == ParameterStoreSettings(path="/myapp/production/")
    assert (config.remote.type, config.remote.tier) == ("SecureString", "Standard")


@pytest.mark.parametrize(
    ("option", "environ", "region", "source"),
    [
        ("ap-south-1", {"SECRETSYNC_REGION": "a", "AWS_REGION": "b"}, "ap-south-1", "--region"),
        (
            None,
            {"SECRETSYNC_REGION": "eu-north-1", "AWS_REGION": "b"},
            "eu-north-1",
            "SECRETSYNC_REGION",
        ),
        (None, {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "c"}, "eu-west-1", "AWS_REGION"),
        (
            None,
            {"AWS_DEFAULT_REGION": "us-west-2"},
            "us-east-1",
            ".secretsync.toml [backend.region]",
        ),
        (None, {"AWS_REGION": "  "}, "us-east-1", ".secretsync.toml [backend.region]"),
    ],
)
def test_region_precedence_and_provenance(
    project: Path, option: str | None, environ: dict[str, str], region: str, source: str
) -> None:
    write(project, DOCUMENTED)
    config = load_config(Overrides(region=option), environ=environ)
    assert (config.region, config.source("region")) == (region, source)


def test_region_falls_back_to_aws_default_region_then_profile(project: Path) -> None:
    write(project, DOCUMENTED.replace('region = "us-east-1"\n', ""))
    config = load_config(environ={"AWS_DEFAULT_REGION": "sa-east-1"})
    assert (config.region, config.source("region")) == ("sa-east-1", "AWS_DEFAULT_REGION")

    aws_config = project / "aws-config"
    aws_config.write_text("[default]\nregion = us-east-2\n[profile work]\nregion = eu-central-1\n")
    environ = {"AWS_CONFIG_FILE": str(aws_config)}
    config = load_config(environ=environ)
    assert config.region == "us-east-2"
    assert config.source("region") == f"AWS profile 'default' in {aws_config}"
    config = load_config(environ={**environ, "AWS_PROFILE": "work"})
    # AWS_PROFILE is botocore's own (environment credentials win over it): not named to it,
    # but its region is read as botocore would.
    assert (config.region, config.profile, config.ambient_profile) == ("eu-central-1", None, "work")
    assert config.source("profile") == "AWS_PROFILE"

    config = load_config(environ={"AWS_CONFIG_FILE": str(project / "none")})
    assert config.region is None


def test_profile_precedence(project: Path) -> None:
    write(project, DOCUMENTED.replace("[backend]\n", '[backend]\nprofile = "from-config"\n'))
    assert load_config(environ={"AWS_PROFILE": "env"}).profile == "from-config"
    config = load_config(Overrides(profile="cli"), environ={"AWS_PROFILE": "env"})
    assert (config.profile, config.source("profile")) == ("cli", "--profile")
    # A configured profile can be cleared, for CI that brings its own credentials.
    config = load_config(environ={"SECRETSYNC_PROFILE": "", "AWS_PROFILE": "env"})
    assert (config.profile, config.source("profile")) == (None, "SECRETSYNC_PROFILE")
    config = load_config(environ={"SECRETSYNC_PROFILE": "other"})
    assert config.profile == "other"
    config = load_config(Overrides(no_profile=True), environ={"SECRETSYNC_PROFILE": "other"})
    assert (config.profile, config.source("profile")) == (None, "--no-profile")


def test_an_ambient_aws_region_overriding_the_configured_one_warns(project: Path) -> None:
    write(project, DOCUMENTED)
    config = load_config(environ={"AWS_REGION": "eu-west-1"})
    assert config.region == "eu-west-1"  # the documented precedence stands...
    assert config.configured_region == "us-east-1"
    [warning] = config.warnings  # ... with a warning
    assert "AWS_REGION=eu-west-1 overrides region us-east-1 from .secretsync.toml" in warning
    assert load_config(environ={"AWS_REGION": "us-east-1"}).warnings == ()
    assert load_config(environ={"AWS_DEFAULT_REGION": "eu-west-1"}).warnings == ()


ENVIRONMENTS = (
    DOCUMENTED
    + """\
env_file = ".env.default"
plain_keys = ["LOG_LEVEL", "*_PORT"]
[environments.staging]
env_file = ".env.staging"
[environments.staging.backend]
region = "eu-west-1"
[environments.staging.secrets_manager]
secret_name = "myapp/staging"
[environments.dev.parameter_store]
path = "myapp/dev"
"""
)


def test_named_environment_overrides_top_level(project: Path) -> None:
    # TOML puts top-level keys after a table into that table, so write them first.
    top_level = 'env_file = ".env.default"\nplain_keys = ["LOG_LEVEL", "*_PORT"]\n'
    text = top_level + ENVIRONMENTS.replace(top_level, "", 1)
    write(project, text)
    top = load_config(environ={})
    assert top.env_file == project / ".env.default"
    assert top.plain_keys == ("LOG_LEVEL", "*_PORT")
    assert set(top.environments) == {"staging", "dev"}

    staging = load_config(Overrides(environment="staging"), environ={})
    assert staging.environment == "staging"
    assert staging.target == "myapp/staging"
    assert staging.region == "eu-west-1"
    assert staging.env_file == project / ".env.staging"
    assert staging.source("target") == (
        ".secretsync.toml [environments.staging.secrets_manager.secret_name]"
    )
    assert staging.source("environment") == "--env"

    via_env = load_config(environ={"SECRETSYNC_ENV": "staging"})
    assert (via_env.environment, via_env.source("environment")) == ("staging", "SECRETSYNC_ENV")

    with pytest.raises(ConfigError, match="must start with '/'"):
        load_config(Overrides(environment="dev"), environ={"SECRETSYNC_BACKEND": "parameter_store"})

    with pytest.raises(ConfigError, match="no environment named 'prod'") as info:
        load_config(Overrides(environment="prod"), environ={})
    assert info.value.hint == "Environments in the config: default, dev, staging."


def test_env_file_option_is_relative_to_the_current_directory(project: Path) -> None:
    write(project, DOCUMENTED)
    sub = project / "sub"
    sub.mkdir()
    config = load_config(Overrides(env_file=Path("local.env")), cwd=sub, environ={})
    assert config.env_file == sub / "local.env"
    assert config.source("env_file") == "--env-file"


def test_config_is_found_in_a_parent_up_to_the_git_root(project: Path) -> None:
    path = write(project, DOCUMENTED)
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == path
    nested_repo = project / "vendor"
    (nested_repo / ".git").mkdir(parents=True)
    assert find_config(nested_repo) is None


def test_missing_config_says_what_to_do(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \.secretsync\.toml found") as info:
        load_config(environ={})
    assert "--config" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[backend\ntype = "x"\n', r"invalid TOML: .*\(at line 1, column 9\)"),
        ('[backend]\ntype = "vault"\n', r"unknown backend type 'vault'"),
        ("[backend]\nregion = 'us-east-1'\n", "no backend type"),
        ('[backend]\ntype = "secrets_manager"\n', r"\[secrets_manager\] secret_name is required"),
        ('[backend]\ntype = "parameter_store"\n', r"\[parameter_store\] path is required"),
        (
            '[backend]\ntype = "parameter_store"\n[parameter_store]\npath = "app/"\n',
            "must start with '/'",
        ),
        (
            '[backend]\ntype = "parameter_store"\n[parameter_store]\npath = "/a/"\ntype = "List"\n',
            "type 'List' is not supported",
        ),
        (
            '[backend]\ntype = "parameter_store"\n[parameter_store]\npath = "/a/"\ntier = "Gold"\n',
            "tier 'Gold' is not a parameter tier",
        ),
        ("[backend]\ntype = 3\n", "backend.type must be a string, not integer"),
        ('backend = "secrets_manager"\n', r"\[backend\] must be a table, not string"),
        ('plain_keys = "X"\n[backend]\ntype = "secrets_manager"\n', "plain_keys must be a list"),
        (
            '[backend]\ntype = "secrets_manager"\n[secrets_manager]\nsecret_name = "a"\ntags = 1\n',
            "tags must be a table of strings",
        ),
        ("environments = 1\n", r"\[environments\] must be a table"),
    ],
)
def test_invalid_configs_get_one_clear_error(project: Path, text: str, message: str) -> None:
    write(project, text)
    with pytest.raises(ConfigError, match=message):
        load_config(environ={})


def test_unreadable_config_files(project: Path) -> None:
    (project / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(Overrides(config=project / "bin.toml"), environ={})
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(Overrides(config=project / "nope.toml"), environ={})
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(Overrides(config=project), environ={})


def test_unknown_keys_warn_with_a_suggestion(project: Path) -> None:
    write(
        project,
        DOCUMENTED.replace("[secrets_manager]\n", "[secrets_manager]\nsecert_name = 1\n")
        + "envfile = '.env'\n",
    )
    config = load_config(environ={})
    assert any(
        "'secrets_manager.secert_name'" in w and "did you mean 'secret_name'" in w
        for w in config.warnings
    )
    assert len(config.warnings) == 2


def test_parameter_path_is_normalised(project: Path) -> None:
    write(project, '[backend]\ntype = "parameter_store"\n[parameter_store]\npath = "//app//prod"\n')
    config = load_config(environ={})
    assert config.target == "/app/prod/"
