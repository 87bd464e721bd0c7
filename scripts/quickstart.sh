#!/usr/bin/env bash
# Sets up .venv (TensorFlow CPU, no tf-keras, no tf-slim) and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[cpu,digits]'
.venv/bin/python -m slim.tools.quickstart "$@"
