"""Run secretsync's main job end to end against a local moto server standing in for AWS.

Starts moto on 127.0.0.1 (a free port), makes a throw-away project with a .secretsync.toml and a
.env, and runs the installed ``secretsync`` in it with ``AWS_ENDPOINT_URL`` pointing at moto.
Nothing here can reach real AWS: the credentials are fake and instance metadata is disabled.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from moto.server import ThreadedMotoServer

CONFIG = """\
[backend]
type = "secrets_manager"
region = "us-east-1"

[secrets_manager]
secret_name = "demo/production"

[parameter_store]
path = "/demo/production/"
"""

ENV = """\
# Demo settings (fake values)
DATABASE_URL=postgres://app@db.internal:5432/app
API_TOKEN='demo-token-not-a-real-secret'
export LOG_LEVEL=info
"""


def run(args: list[str], cwd: Path, env: dict[str, str]) -> int:
    print(f"\n$ {shlex.join(args)}", flush=True)
    beside = Path(sys.executable).parent / args[0]  # the secretsync of this environment
    program = [str(beside)] if beside.exists() else args[:1]
    return subprocess.run(program + args[1:], cwd=cwd, env=env, check=False).returncode


def fail(command: str, expected: int) -> int:
    print(f"demo: `secretsync {command}` did not exit {expected}", file=sys.stderr)
    return 1


def rotate(env: dict[str, str], changes: dict[str, str]) -> None:
    """A teammate's change in AWS, made with plain boto3 (see scripts/teammate.py)."""
    from teammate import change

    change(env["AWS_ENDPOINT_URL"], "secrets_manager", "demo/production", "us-east-1", changes)


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SECRETSYNC_ENV", "SECRETSYNC_BACKEND"):
            env.pop(name, None)
        print(f"moto server standing in for AWS at {env['AWS_ENDPOINT_URL']}")
        with tempfile.TemporaryDirectory(prefix="secretsync-demo-") as tmp:
            project = Path(tmp)
            (project / ".git").mkdir()
            (project / ".secretsync.toml").write_text(CONFIG)
            (project / ".env").write_text(ENV)
            (project / ".env").chmod(0o600)  # as a file holding secrets should be
            print(f"demo project in {project}")

            def step(*args: str) -> int:
                return run(["secretsync", *args], project, env)

            steps = [
                (["status"], 1),  # the secret does not exist yet
                (["push"], 0),  # creates it from .env, and records the base
                (["diff"], 0),  # in sync
            ]
            for args, expected in steps:
                if step(*args) != expected:
                    return fail(" ".join(args), expected)
            print("\n# a teammate rotates API_TOKEN in AWS and adds FEATURE_FLAG;")
            print("# meanwhile you change LOG_LEVEL in your .env")
            rotate(env, {"API_TOKEN": "rotated-demo-token", "FEATURE_FLAG": "on"})
            env_path = project / ".env"
            env_path.write_text(env_path.read_text().replace("LOG_LEVEL=info", "LOG_LEVEL=debug"))
            steps = [
                (["diff"], 1),  # who changed what, values masked
                (["pull"], 0),  # brings the AWS changes, keeps yours: no --force needed
                (["push"], 0),  # sends yours
                (["diff", "--format", "json"], 0),
            ]
            for args, expected in steps:
                if step(*args) != expected:
                    return fail(" ".join(args), expected)
            print("\n# both sides change DATABASE_URL: a real conflict")
            rotate(env, {"DATABASE_URL": "postgres://app@db-replica.internal:5432/app"})
            env_path.write_text(env_path.read_text().replace("db.internal", "db-new.internal"))
            steps = [
                (["diff"], 1),
                (["push"], 1),  # refused: it would overwrite the teammate's change
                (["pull", "--force"], 0),  # take the value in AWS
                (["diff"], 0),
            ]
            for args, expected in steps:
                if step(*args) != expected:
                    return fail(" ".join(args), expected)
            print("\n$ cat .env")
            print((project / ".env").read_text(), end="")
            (project / ".env.broken").write_text("OK=1\nAPI_TOKEN: oops\n")
            refused = step("diff", "--env-file", ".env.broken")
            print(f"\n(exit code {refused}: a malformed line is refused, never dropped)")
        print("\nDemo finished: push, diff and pull ran against the local moto server.")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
