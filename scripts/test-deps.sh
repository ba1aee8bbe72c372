#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python package itself.
set -euo pipefail
PY=${1:-.venv/bin/python}
exit 0
