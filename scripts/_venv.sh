# Sourced by the other scripts: make (or reuse) .venv and install secretsync with its test extra.
# Needs only Python 3.10+ and pip; everything else comes from PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".[test]"
export PATH="$PWD/.venv/bin:$PATH"
