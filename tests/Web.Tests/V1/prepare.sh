#!/usr/bin/env bash
# The openai npm package, a second client of /v1 that nobody here wrote, installed once into a cache (scripts/test.sh
# runs this before the tests, as it prepares the tokenizer reference); prints the folder on its last line.
set -euo pipefail
prefix="${EVALS_NPM_OPENAI:-$HOME/.cache/evals/npm-openai-4.95.0}"
if [ ! -f "$prefix/node_modules/openai/package.json" ]; then
  npm install --no-audit --no-fund --prefix "$prefix" openai@4.95.0 >/dev/null
fi
echo "$prefix"
