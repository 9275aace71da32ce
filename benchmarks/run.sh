#!/usr/bin/env bash
# Run the benchmark suite: installs secretsync into .venv (as scripts/test.sh does) and awscli
# into its own venv (it pins its own botocore), and detect-secrets into another (for the leak
# guard's comparison), then writes benchmarks/RESULTS.md.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/_venv.sh"
if [ ! -x benchmarks/.awscli/bin/aws ]; then
    "$PYTHON" -m venv benchmarks/.awscli
    benchmarks/.awscli/bin/python -m pip install --quiet --disable-pip-version-check awscli
fi
if [ ! -x benchmarks/.detect-secrets/bin/detect-secrets ]; then
    "$PYTHON" -m venv benchmarks/.detect-secrets
    benchmarks/.detect-secrets/bin/python -m pip install --quiet --disable-pip-version-check detect-secrets
fi
exec .venv/bin/python benchmarks/run.py --aws benchmarks/.awscli/bin/aws \
    --detect-secrets benchmarks/.detect-secrets/bin/detect-secrets "$@"
