"""Play a teammate against the local moto server: change (or delete) keys in the remote of
the config here, as AWS would hold the result, to try three-way sync by hand.

    export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x
    bash scripts/teammate.sh API_TOKEN rotated-value     # set a key
    bash scripts/teammate.sh --delete FEATURE_FLAG       # delete one
    secretsync diff                                      # "changed in AWS since your last sync"

It refuses to run unless AWS_ENDPOINT_URL names this machine (127.0.0.1, localhost, ::1): the
values it writes are on its command line, fine for a stand-in, never for AWS.  A Secrets
Manager change is one new version, with AWSCURRENT moved to it and off every other version
(moto 5.2 leaves it on two after a compare-and-swap push; AWS does not).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def change(
    endpoint: str,
    kind: str,
    target: str,
    region: str,
    sets: Mapping[str, str],
    deletes: Sequence[str] = (),
) -> None:
    """Set ``sets`` and delete ``deletes`` in the remote ``target`` (a secret or a path)."""
    import boto3

    service = "secretsmanager" if kind == "secrets_manager" else "ssm"
    client: Any = boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "teammate"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "teammate"),
    )
    if kind != "secrets_manager":
        for key, value in sets.items():
            name = target + key
            client.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        if deletes:
            client.delete_parameters(Names=[target + key for key in deletes])
        return
    current = json.loads(
        client.get_secret_value(SecretId=target, VersionStage="AWSCURRENT")["SecretString"]
    )
    current.update(sets)
    for key in deletes:
        current.pop(key, None)
    new = client.put_secret_value(SecretId=target, SecretString=json.dumps(current))
    for version in client.list_secret_version_ids(SecretId=target)["Versions"]:
        stages = version.get("VersionStages", [])
        if version["VersionId"] != new["VersionId"] and "AWSCURRENT" in stages:
            client.update_secret_version_stage(
                SecretId=target, VersionStage="AWSCURRENT", RemoveFromVersionId=version["VersionId"]
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="teammate", description=__doc__.splitlines()[0])
    parser.add_argument("--env", help="a named environment of the config")
    parser.add_argument("--delete", metavar="KEY", action="append", default=[])
    parser.add_argument("key", nargs="?")
    parser.add_argument("value", nargs="?")
    args = parser.parse_args(argv)
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urllib.parse.urlsplit(endpoint).hostname not in LOOPBACK:
        print(
            "teammate: AWS_ENDPOINT_URL must name a local stand-in for AWS (127.0.0.1, "
            "localhost), such as the moto server of docs/guide/local-endpoint.md",
            file=sys.stderr,
        )
        return 2
    if (args.key is None) != (args.value is None) or not (args.key or args.delete):
        parser.error("give KEY VALUE to set a key, and/or --delete KEY")
    from secretsync_hooks.config.settings import Overrides, load_config

    config = load_config(Overrides(environment=args.env))
    sets = {args.key: args.value} if args.key else {}
    change(endpoint, config.backend, config.target, config.region or "us-east-1", sets, args.delete)
    what = ", ".join([*(f"set {k}" for k in sets), *(f"deleted {k}" for k in args.delete)])
    print(f"teammate: {what} in {config.remote_name} ({config.region})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
