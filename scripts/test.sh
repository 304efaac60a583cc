#!/usr/bin/env bash
# Runs every test project against real parts (PostgreSQL clusters it starts itself, worker and web processes on
# loopback), then prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# The tokenizer's agreement with Hugging Face's reference implementation needs npm packages and ../shared/datasets.
if cache="$(bash tests/Runner.Tests/Onnx/TokenizerAgreement/prepare.sh 2>/dev/null | tail -1)" && [ -n "$cache" ]; then
  export EVALS_TOKENIZER_AGREEMENT="$cache"
elif [ "${CI:-}" = "true" ]; then
  echo "test: preparing the tokenizer agreement reference failed (npm registry or ../shared/datasets missing)" >&2
  exit 1
else
  echo "test: tokenizer agreement reference not prepared (needs npm and ../shared/datasets); those tests say they skipped" >&2
fi
results="$(mktemp -d)"
dotnet test Evals.sln --logger "trx" --results-directory "$results" "$@"
status=$?
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p'); f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  t=$(echo "$counters" | sed -n 's/.* total="\([0-9]*\)".*/\1/p'); e=$(echo "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
