"""A point in time given on the command line (``rollback --to 2026-11-27T14:00Z``)."""

from __future__ import annotations

import datetime
import re

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError

# ISO 8601 as people type it: a date, optionally a time to the minute, second or fraction,
# optionally a zone (Z or +HH:MM).  A time without a zone is the machine's local time.
_POINT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
EXAMPLE = "2026-11-27T14:00Z"


def parse(value: str, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """``value`` as an aware datetime; refused when it is not one or lies in the future."""
    match = _POINT.fullmatch(value.strip())
    if match is None:
        raise SecretSyncError(
            f"{text.shown(value)!r} is not a point in time",
            hint=f"Give a date and time such as {EXAMPLE} (UTC) or 2026-11-27T15:00+01:00.",
        )
    zone = match["zone"] or ""
    if zone.upper() == "Z":
        zone = "+00:00"
    elif zone and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        when = datetime.datetime.fromisoformat(f"{match['date']}T{match['time'] or '00:00'}{zone}")
    except ValueError:
        raise SecretSyncError(
            f"{text.shown(value)!r} is not a valid date and time",
            hint=f"Give a date and time such as {EXAMPLE} (UTC).",
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # the machine's local time
    current = now or datetime.datetime.now(datetime.timezone.utc)
    if when > current:
        raise SecretSyncError(
            f"{shown(when)} is in the future",
            hint="Give a time in the past; `secretsync history` shows when each key changed.",
        )
    return when


def shown(when: datetime.datetime) -> str:
    """``when`` in UTC, for people: 2026-11-27 14:00:00 UTC (with milliseconds if any)."""
    utc = when.astimezone(datetime.timezone.utc)
    fraction = f".{utc.microsecond // 1000:03d}" if utc.microsecond else ""
    return utc.strftime("%Y-%m-%d %H:%M:%S") + fraction + " UTC"
