#!/usr/bin/env bash
# Run the whole test suite, installing everything it needs into .venv first.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k env_file`.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
