#!/usr/bin/env bash
# Sets up .venv-test (with the tf-slim 1.1.0 reference) and runs the tests.
# Default: everything but the tests marked slow. Pass pytest arguments to
# change that, e.g. `bash scripts/test.sh -m slow` for the slow target.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-test
.venv-test/bin/python -m pip install -q --upgrade pip
.venv-test/bin/python -m pip install -q -e '.[test]'
export TF_CPP_MIN_LOG_LEVEL=2
if [ $# -eq 0 ]; then set -- -m "not slow"; fi
.venv-test/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
