#!/usr/bin/env bash
# The main job against a local stand-in for AWS: a moto server on 127.0.0.1, no AWS account.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
exec .venv/bin/python scripts/demo.py "$@"
