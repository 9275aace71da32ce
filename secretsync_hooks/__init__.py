"""secretsync: keep a local .env in agreement with AWS, and refuse silent drift."""

from __future__ import annotations

__version__ = "0.1.0"
