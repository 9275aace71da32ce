"""secretsync: keep a local .env in agreement with AWS, and refuse silent drift."""

from __future__ import annotations

try:
    # Written by setuptools-scm at every build and install (gitignored): the version git's tags
    # give. Read from a file, not from importlib.metadata, to keep a hook's start-up lean.
    from secretsync_hooks._version import __version__ as __version__
except ImportError:  # a checkout run without being installed
    __version__ = "0.0.0"  # pyproject.toml's fallback_version
