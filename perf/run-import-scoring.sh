#!/usr/bin/env bash
# Import and scoring throughput benchmark (issue 5, "Benchmark (perf/)"): builds in Release and runs it.
# Extra arguments go to the benchmark, e.g. --repeats 3, --predictions 200000, --shared DIR. Needs ../shared/datasets.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/ImportScoring/ImportScoring.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/ImportScoring/bin/Release/net10.0/Evals.ImportScoring.dll "$@"
