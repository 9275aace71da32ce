from __future__ import annotations

from secretsync_hooks.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
