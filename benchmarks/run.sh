#!/usr/bin/env bash
# Run the benchmark suite: installs secretsync into .venv (as scripts/test.sh does) and awscli
# into its own venv (it pins its own botocore), and detect-secrets into another (for the leak
# guard's comparison) and ripgrep when missing (as root, with apt-get), then runs the suite as
# a module from the repository root (it imports the test suite's proxy, tests/aws_proxy.py) and
# writes benchmarks/RESULTS.md. Extra arguments go to it, e.g. `--only 4,6`.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/_venv.sh"
if [ ! -x benchmarks/.awscli/bin/aws ]; then
    "$PYTHON" -m venv benchmarks/.awscli
    benchmarks/.awscli/bin/python -m pip install --quiet --disable-pip-version-check awscli
fi
if [ ! -x benchmarks/.detect-secrets/bin/detect-secrets ]; then
    "$PYTHON" -m venv benchmarks/.detect-secrets
    benchmarks/.detect-secrets/bin/python -m pip install --quiet --disable-pip-version-check detect-secrets
fi
# The leak guard is raced against ripgrep too (skipped, with a note, where it is missing).
if ! command -v rg >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq ripgrep >/dev/null || echo "ripgrep not installed: scan vs rg skipped" >&2
fi
exec .venv/bin/python -m benchmarks --aws benchmarks/.awscli/bin/aws \
    --detect-secrets benchmarks/.detect-secrets/bin/detect-secrets "$@"
