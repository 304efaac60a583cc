#!/usr/bin/env bash
# Tokenizer agreement with a reference implementation nobody here wrote (issue 3): prepare the reference, then run the
# C# tests that compare every line. scripts/test.sh does the same before the whole suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
cache="$(bash "$here/prepare.sh" | tail -1)"
EVALS_TOKENIZER_AGREEMENT="$cache" dotnet test "$repo/tests/Runner.Tests" --filter "FullyQualifiedName~TokenizerAgreement" --logger "console;verbosity=normal"
