"""The history of SSM Parameter Store parameters, and going back in it: each parameter's last
change, or one parameter's versions (AWS keeps its last 100); a rollback planned to a point in
time from the history of each key changed since (SSM keeps versions per parameter, not for the
path as a whole), restored by writing it as any other plan.
"""

from __future__ import annotations

import datetime
from typing import Any

from secretsync_hooks import timepoint
from secretsync_hooks.errors import RemoteError, SecretSyncError
from secretsync_hooks.models import Action, KeyOp
from secretsync_hooks.remote.aws import error_code
from secretsync_hooks.remote.base import EMPTY, RemoteSnapshot, Revision, Rollback, changes
from secretsync_hooks.remote.parameter_store.writing import ParameterStoreWriting

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class ParameterStoreHistory(ParameterStoreWriting):
    """What reads the parameters' past and plans going back to a point in it."""

    def history(
        self, limit: int, key: str | None = None, *, decrypt: bool = False
    ) -> list[Revision]:
        """Without ``key``: each parameter's last change (DescribeParameters, metadata only),
        newest first.  With ``key``: that parameter's versions, newest first, at most
        ``limit`` (GetParameterHistory; values decrypted only with ``decrypt``)."""
        if key is None:
            return self._last_changes()
        found = self._versions(key, decrypt=decrypt)
        # Versions count from 1, and AWS keeps a parameter's last 100: an oldest version
        # above 1 had versions before it that are gone, so what it changed is not known.
        oldest = min((int(p.get("Version", 0)) for p in found), default=0)
        return [
            Revision(
                version=str(p.get("Version")),
                created=p.get("LastModifiedDate"),
                labels=tuple(p.get("Labels", ())),
                who=p.get("LastModifiedUser"),
                key=key,
                added=(key,) if int(p.get("Version", 0)) == 1 else (),
                changed=() if int(p.get("Version", 0)) in (1, oldest) else (key,),
                known=int(p.get("Version", 0)) != oldest or oldest == 1,
                values={key: p["Value"]} if decrypt and "Value" in p else EMPTY,
            )
            for p in found[:limit]
        ]

    def _versions(self, key: str, *, decrypt: bool) -> list[Any]:
        """Every version of ``key`` AWS keeps (its last 100), newest first."""
        name = self.name(key)
        kwargs: dict[str, Any] = {"Name": name, "WithDecryption": decrypt, "MaxResults": 50}
        found: list[Any] = []
        with self._session.translate("ssm:GetParameterHistory", f"parameter {name}"):
            try:
                for page in self._pages(self._client.get_parameter_history, kwargs):
                    found.extend(page.get("Parameters", []))
            except Exception as exc:
                if error_code(exc) == "ParameterNotFound":
                    raise RemoteError(
                        f"no parameter {name} (a deleted parameter keeps no history)"
                    ) from None
                raise
        found.sort(key=lambda p: int(p.get("Version", 0)), reverse=True)
        return found

    def rollback(self, to: str, snapshot: RemoteSnapshot, *, prune: bool = False) -> Rollback:
        """Every key as it was at the point in time ``to``: a key changed since gets back the
        value it had then (from its history: one GetParameterHistory per key changed, none
        for the rest); a key created since is deleted only with ``prune``.

        A parameter deleted and created again starts a new history (AWS keeps none across
        a deletion): it reads as created since.  Keys deleted since are not under the path
        any more, so nothing here can name or restore them.
        """
        try:
            when = timepoint.parse(to)
        except SecretSyncError as exc:
            exc.hint = (
                "Parameter Store keeps versions per parameter, so a rollback goes back to a "
                f"point in time, such as --to {timepoint.EXAMPLE} (UTC); `secretsync history` "
                "shows when each key changed."
            )
            raise
        wanted: dict[str, str] = {}
        created: list[str] = []
        lost: list[str] = []
        for key, value in snapshot.values.items():
            changed = snapshot.modified.get(key)
            if changed is not None and changed <= when:
                wanted[key] = value  # unchanged since
                continue
            versions = self._versions(key, decrypt=True)
            then = [
                v for v in versions if v.get("LastModifiedDate") and v["LastModifiedDate"] <= when
            ]
            if then:
                wanted[key] = str(then[0].get("Value", ""))
            elif min((int(v.get("Version", 0)) for v in versions), default=1) <= 1:
                created.append(key)  # its first version came after the time
            else:
                lost.append(key)  # more than 100 versions since: AWS dropped the older ones
                wanted[key] = value
        plan = changes(snapshot.values, wanted, delete=False)
        if prune:
            plan = plan._replace(ops=plan.ops + tuple(KeyOp(k, Action.DELETE) for k in created))
        return Rollback(
            to=timepoint.shown(when),
            plan=plan,
            kept=() if prune else tuple(sorted(created)),
            lost=tuple(sorted(lost)),
        )

    def _last_changes(self) -> list[Revision]:
        path = self.target.rstrip("/") or "/"
        kwargs: dict[str, Any] = {
            "ParameterFilters": [{"Key": "Path", "Option": "OneLevel", "Values": [path]}],
            "MaxResults": 50,
        }
        revisions = []
        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            for page in self._pages(self._client.describe_parameters, kwargs):
                for p in page.get("Parameters", []):
                    full = p["Name"]
                    if not full.startswith(self.target) or "/" in full[len(self.target) :]:
                        continue
                    revisions.append(
                        Revision(
                            version=str(p.get("Version")),
                            created=p.get("LastModifiedDate"),
                            who=p.get("LastModifiedUser"),
                            key=full[len(self.target) :],
                            known=False,
                        )
                    )
        revisions.sort(key=lambda r: r.created or _EPOCH, reverse=True)
        return revisions
