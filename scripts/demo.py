"""Run secretsync's main job end to end against a local moto server standing in for AWS.

Starts moto on 127.0.0.1 (a free port), makes a throw-away project with a .secretsync.toml and a
.env, and runs the installed ``secretsync`` in it with ``AWS_ENDPOINT_URL`` pointing at moto.
Nothing here can reach real AWS: the credentials are fake and instance metadata is disabled.
"""

from __future__ import annotations

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
    return subprocess.run(args, cwd=cwd, env=env, check=False).returncode


def main() -> int:
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
            print(f"demo project in {project}")
            status = run(["secretsync", "config"], project, env)
            (project / ".env.broken").write_text("OK=1\nAPI_TOKEN: oops\n")
            refused = run(["secretsync", "config", "--env-file", ".env.broken"], project, env)
            print(f"\n(exit code {refused}: a malformed line is refused, never dropped)")
        return status
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
