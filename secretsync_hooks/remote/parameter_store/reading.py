"""Reading SSM Parameter Store parameters directly under a path: the backend's settings and its
two clients (reads with botocore's own retries; writes with none, retried and paced by
``retrying.py``), every value under the path with its version, type and date (deeper levels are
never mixed in), the deeper names left out, and the paging and batching of SSM's calls.  The
first part of ``ParameterStoreBackend`` (``backend.py``): validation, retrying, writing and
history build on it.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from secretsync_hooks.config.settings import ParameterStoreSettings
from secretsync_hooks.remote.aws import AwsSession
from secretsync_hooks.remote.base import Backend, RemoteSnapshot, check_unicode
from secretsync_hooks.remote.ratelimit import AdaptivePace, CheckedSend

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

BATCH = 10  # GetParameters, DeleteParameters and GetParametersByPath take at most 10
WRITERS = 8
T = TypeVar("T")


class ParameterStoreReading(Backend):
    """What reads the parameters under the path, and pages and batches SSM's calls."""

    def __init__(
        self,
        settings: ParameterStoreSettings,
        session: AwsSession,
        *,
        writers: int = WRITERS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.target = settings.path
        self._session = session
        self._writers = max(1, writers)
        self._sleep = sleep
        self._pace = AdaptivePace()
        self._checked = CheckedSend(sleep=sleep)
        self.warnings: list[str] = []
        self._existing: dict[str, dict[str, Any]] = {}  # metadata read by validate()
        self._described_at = -1e9

    @property
    def _client(self) -> SSMClient:
        return self._session.client("ssm")

    @property
    def _writer(self) -> SSMClient:
        # Writes retry in _retrying, paced: botocore's own backoff would hide the throttling.
        return self._session.client("ssm", attempts=1)

    def name(self, key: str) -> str:
        return self.target + key

    def read(self) -> RemoteSnapshot:
        values: dict[str, str] = {}
        versions: dict[str, int] = {}
        types: dict[str, str] = {}
        data_types: dict[str, str] = {}
        modified: dict[str, datetime.datetime] = {}
        newest = None
        identity: str | None = None
        path = self.target.rstrip("/") or "/"
        kwargs: dict[str, Any] = {
            "Path": path,
            "Recursive": False,  # deeper levels belong to other tools; never mix them in
            "WithDecryption": True,
            "MaxResults": BATCH,
        }
        with self._session.translate("ssm:GetParametersByPath", f"parameters under {self.target}"):
            for page in self._pages(self._client.get_parameters_by_path, kwargs):
                for parameter in page.get("Parameters", []):
                    full = parameter["Name"]
                    if not full.startswith(self.target) or "/" in full[len(self.target) :]:
                        continue  # defensive: not a direct child of the path
                    key = full[len(self.target) :]
                    arn = parameter.get("ARN")
                    if identity is None and isinstance(arn, str) and arn.endswith(key):
                        # arn:aws:ssm:REGION:ACCOUNT:parameter/PATH/KEY -> the path's identity
                        identity = arn[: len(arn) - len(key)]
                    values[key] = parameter.get("Value", "")
                    versions[key] = int(parameter.get("Version", 0))
                    types[key] = parameter.get("Type", "String")
                    data_types[key] = parameter.get("DataType") or "text"
                    changed = parameter.get("LastModifiedDate")
                    if changed is not None:
                        modified[key] = changed
                        if newest is None or changed > newest:
                            newest = changed
        check_unicode(f"parameters under {self.target}", values)
        return RemoteSnapshot(
            values=values,
            exists=bool(values),
            versions=versions,
            types=types,
            last_changed=newest,
            identity=identity,
            modified=modified,
            data_types=data_types,
        )

    def ignored(self) -> tuple[str, ...]:
        """Parameters deeper under the path, which reads never mix in.

        Metadata only (``DescribeParameters``, no values, no decryption), and only for
        ``status``: its rate limit is low, so the hook path never calls it.
        """
        names: list[str] = []
        kwargs: dict[str, Any] = {
            "ParameterFilters": [
                {"Key": "Path", "Option": "Recursive", "Values": [self.target.rstrip("/") or "/"]}
            ],
            "MaxResults": 50,
        }
        with self._session.translate("ssm:DescribeParameters", f"parameters under {self.target}"):
            for page in self._pages(self._client.describe_parameters, kwargs):
                for parameter in page.get("Parameters", []):
                    rest = parameter["Name"][len(self.target) :]
                    if parameter["Name"].startswith(self.target) and "/" in rest:
                        names.append(parameter["Name"])
        return tuple(sorted(names))

    @staticmethod
    def _pages(call: Callable[..., Any], kwargs: dict[str, Any]) -> Iterable[Any]:
        """Every page of a paginated call; a page may be empty and still carry a NextToken."""
        while True:
            page = call(**kwargs)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            kwargs = {**kwargs, "NextToken": token}

    def _each(self, call: Callable[[Sequence[str]], T], batches: list[Sequence[str]]) -> list[T]:
        """``call`` for each batch of names, several at once when there are several: each is
        a chain of calls (pages), and one chain need not wait for another."""
        if len(batches) <= 1:
            return [call(batch) for batch in batches]
        with ThreadPoolExecutor(max_workers=min(self._writers, len(batches))) as pool:
            return list(pool.map(call, batches))


def in_batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
