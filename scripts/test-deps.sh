#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python package itself:
#   * Debian's chromium (/usr/bin/chromium) for the browser tests of the leaderboard site;
#   * Playwright for Python and axe-playwright-python (which ships axe-core's axe.min.js) into
#     the virtual environment given as $1.
# Idempotent and quiet: does nothing when everything is present. Outside CI a missing browser
# is only installed when we are root (apt-get needs it); in CI (CI=true) the browser tests must
# run, so a failed installation is an error.
set -euo pipefail
PY=${1:-.venv/bin/python}
IN_CI=false
case "${CI:-}" in true|1|yes) IN_CI=true ;; esac

log() { printf 'test-deps: %s\n' "$*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing chromium (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    log "installing chromium (sudo apt-get)"
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  elif [ "$IN_CI" = true ]; then
    log "error: /usr/bin/chromium is missing and cannot be installed (no root, no sudo)"
    exit 1
  else
    log "error: /usr/bin/chromium is missing; the browser tests need it (run as root, or apt-get install chromium)"
    exit 1
  fi
fi

if ! "$PY" -c 'import playwright.sync_api, axe_playwright_python' >/dev/null 2>&1; then
  log "installing playwright and axe-playwright-python into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install --quiet --disable-pip-version-check 'playwright>=1.40' 'axe-playwright-python>=0.1.4'
fi

if [ "$IN_CI" = true ]; then
  "$PY" -c 'import playwright.sync_api, axe_playwright_python' >/dev/null
  test -x /usr/bin/chromium
fi
exit 0
