#!/usr/bin/env bash
# A teammate's change in the local moto server, as AWS would hold it (see scripts/teammate.py).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../.venv/bin/python" "$here/teammate.py" "$@"
