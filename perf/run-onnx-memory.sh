#!/usr/bin/env bash
# Resident memory of the ONNX engine over many calls (issue 20: measured here, not bounded in a unit test). Extra
# arguments go to the benchmark: --calls N (10000) --rounds N (5).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/OnnxMemory/OnnxMemory.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/OnnxMemory/bin/Release/net10.0/Evals.OnnxMemory.dll "$@"
