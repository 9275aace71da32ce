# Sourced by the other scripts: make (or reuse) .venv and install secretsync into it, editable
# (every test, in process or not, runs the working tree), with its test and docs extras (the
# tests build the docs). The install is made once, and again only when pyproject.toml changes.
# Needs only Python 3.10+ and pip; everything else comes from PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.secretsync-install
wanted="$(.venv/bin/python -c 'import hashlib, sys; print(sys.version, hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test,docs]"
    echo "$wanted" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
