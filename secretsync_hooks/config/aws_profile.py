"""The region named by the AWS profile in the shared config file: where settings come
from when neither the config, SECRETSYNC_REGION nor AWS_REGION names one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def profile_region(profile: str | None, environ: Mapping[str, str]) -> tuple[str | None, str]:
    """The region of the AWS profile in the shared config file, read without botocore (only
    when nothing else names a region), and where it came from."""
    import configparser

    config_file = Path(environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config")
    name = profile or "default"
    section = "default" if name == "default" else f"profile {name}"
    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, ""
    value = parser.get(section, "region", fallback=None)
    return (value.strip() or None if value else None), f"AWS profile {name!r} in {config_file}"
