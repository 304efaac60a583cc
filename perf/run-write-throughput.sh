#!/usr/bin/env bash
# Result-writing throughput benchmark (issue 2, "Benchmark (perf/)"): builds in Release and runs it.
# Extra arguments go to the benchmark, e.g. --repeats 3 or --rows 20000. Needs initdb, pg_ctl and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/WriteThroughput/WriteThroughput.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/WriteThroughput/bin/Release/net10.0/Evals.WriteThroughput.dll "$@"
