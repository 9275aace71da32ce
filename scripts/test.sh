#!/usr/bin/env bash
# Run the test suite, installing everything it needs into .venv first (once; see _venv.sh).
#   bash scripts/test.sh            everything, as CI runs it (.ci/run)
#   bash scripts/test.sh --quick    the inner loop: every tier but end-to-end, fewer
#                                   generated examples
# Other arguments go to pytest, e.g. `bash scripts/test.sh -k env_file`.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
# Tests run on every core (pytest-xdist); a later -n wins, e.g. `-n 0` to debug one test.
args=(-n auto --dist loadgroup)
for arg in "$@"; do
    if [ "$arg" = "--quick" ]; then
        args+=(-m "not e2e" --hypothesis-profile dev)
    else
        args+=("$arg")
    fi
done
set +e
.venv/bin/python -m pytest "${args[@]}"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
