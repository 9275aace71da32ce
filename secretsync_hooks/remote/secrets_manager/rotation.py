"""Whether a rotation could undo a write to one Secrets Manager secret.  A version other than
AWSCURRENT labelled AWSPENDING is a rotation under way, which moves AWSCURRENT onto it when it
finishes, or one that failed or was cancelled and left the label behind: either way a write is
refused, with what to wait for or the command that clears the label.  Writing and restoring
(``writing.py``, ``history.py``) check it before they write.
"""

from __future__ import annotations

import contextlib
import datetime

from secretsync_hooks import text
from secretsync_hooks.errors import RefusedError, RemoteError
from secretsync_hooks.remote.secrets_manager.reading import SecretsManagerReading

# A rotation runs its four steps (Lambda invocations of at most 15 minutes each) within the
# hour; an AWSPENDING label older than that was left behind.
ROTATION_WINDOW = datetime.timedelta(hours=1)


class SecretsManagerRotation(SecretsManagerReading):
    """What refuses a write that a rotation could undo."""

    def _check_rotation(self) -> None:
        """Refuse while a version other than AWSCURRENT is labelled AWSPENDING: a rotation in
        progress moves AWSCURRENT onto it at its finishSecret step, silently superseding
        anything written meanwhile; a failed or cancelled rotation leaves the label behind
        (CancelRotateSecret "can leave the VersionStage labels in an unexpected state"), and
        then only removing it unblocks writes.  Warn when rotation is enabled at all."""
        with self._session.translate("secretsmanager:DescribeSecret", f"secret {self.target}"):
            described = self._client.describe_secret(SecretId=self.target)
        stages = described.get("VersionIdsToStages") or {}
        pending = [
            version
            for version, labels in stages.items()
            if "AWSPENDING" in labels and "AWSCURRENT" not in labels
        ]
        if pending:
            raise self._pending_rotation(pending[0], bool(described.get("RotationEnabled")))
        if described.get("RotationEnabled"):
            self.warnings.append(
                f"secret {self.target} has rotation enabled: the next rotation replaces the "
                "values it rotates, and a push during one is refused"
            )

    def _pending_rotation(self, version: str, enabled: bool) -> RefusedError:
        """The refusal for an AWSPENDING ``version``: a rotation under way (recent, with
        rotation on) is waited for; one left behind is cleared by removing the label."""
        created = None
        with contextlib.suppress(RemoteError):
            created = next(
                (v.get("CreatedDate") for v in self._list_versions() if v["VersionId"] == version),
                None,
            )
        age = _age(created)
        if enabled and age is not None and age < ROTATION_WINDOW:
            return RefusedError(
                f"secret {self.target} is being rotated (version {version} became AWSPENDING "
                f"{_minutes(age)} ago); a write now would be undone when the rotation "
                "finishes; nothing was changed",
                hint="Run the command again once the rotation has finished.",
            )
        since = f", created {_minutes(age)} ago" if age is not None else ""
        why = "" if enabled else " (rotation is off: a cancelled rotation leaves it so)"
        return RefusedError(
            f"secret {self.target} has version {version} left labelled AWSPENDING by a rotation "
            f"that failed or was cancelled{since}{why}; while it is there, a write could be "
            "undone by the next rotation; nothing was changed",
            hint="If no rotation is running, remove the label, then run the command again:\n"
            f"  aws secretsmanager update-secret-version-stage --secret-id {self.target} "
            f"--version-stage AWSPENDING --remove-from-version-id {version}",
        )


def _age(created: datetime.datetime | None) -> datetime.timedelta | None:
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=datetime.timezone.utc)
    return max(datetime.timedelta(0), datetime.datetime.now(datetime.timezone.utc) - created)


def _minutes(age: datetime.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return text.count(minutes, "minute")
    hours = minutes // 60
    return text.count(hours, "hour") if hours < 48 else text.count(hours // 24, "day")
