#!/usr/bin/env bash
# Runs every test project against real parts (PostgreSQL clusters it starts itself, worker and web processes on
# loopback), then prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# One rule for CI, as the tests' SharedDatasetsRule has it: CI=true or CI=1, any case.
ci=false
case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in true|1) ci=true ;; esac
# The tokenizer's agreement with Hugging Face's reference implementation needs npm packages and ../shared/datasets.
# Outside CI a failed preparation leaves those tests skipped (and says why); under CI it fails the run with its error.
prepare_log="$(mktemp)"
if cache="$(bash tests/Runner.Tests/Onnx/TokenizerAgreement/prepare.sh 2>"$prepare_log" | tail -1)" && [ -n "$cache" ]; then
  export EVALS_TOKENIZER_AGREEMENT="$cache"
elif [ "$ci" = true ]; then
  echo "test: preparing the tokenizer agreement reference failed:" >&2
  cat "$prepare_log" >&2
  rm -f "$prepare_log"
  exit 1
else
  echo "test: tokenizer agreement reference not prepared, so those tests are skipped; prepare.sh said:" >&2
  tail -5 "$prepare_log" | sed 's/^/  /' >&2
fi
rm -f "$prepare_log"
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
