#!/usr/bin/env bash
# Runs every test project against real parts (PostgreSQL clusters it starts itself, worker and web processes on
# loopback), then prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# One rule for CI, as the tests' SharedDatasetsRule has it: CI=true or CI=1, any case.
ci=false
case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in true|1) ci=true ;; esac
# References prepared once and cached (npm packages, files built from ../shared/datasets): each script prints its folder
# on its last line, exported as VARIABLE for the tests that need it. Outside CI a failed preparation leaves those tests
# skipped (and says why); under CI it fails the run with the script's error.
prepare() {
  local variable="$1" script="$2" what="$3" log folder
  log="$(mktemp)"
  if folder="$(bash "$script" 2>"$log" | tail -1)" && [ -n "$folder" ]; then
    export "$variable=$folder"
  elif [ "$ci" = true ]; then
    echo "test: preparing $what failed ($script):" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  else
    echo "test: $what not prepared, so its tests are skipped; $script said:" >&2
    tail -5 "$log" | sed 's/^/  /' >&2
  fi
  rm -f "$log"
}
# The tokenizer's agreement with Hugging Face's reference implementation needs npm packages and ../shared/datasets.
prepare EVALS_TOKENIZER_AGREEMENT tests/Runner.Tests/Onnx/TokenizerAgreement/prepare.sh "the tokenizer agreement reference"
# The openai npm package as a second client of /v1.
prepare EVALS_NPM_OPENAI tests/Web.Tests/V1/prepare.sh "the openai npm client"
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
