#!/usr/bin/env bash
# openai: backend throughput against an instant loopback server, vs the server's own maximum (issue 4, "Benchmark").
# Extra arguments go to the benchmark, e.g. --seconds 5 --repeats 5 --concurrency 1,8,32,64.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/RemoteThroughput/RemoteThroughput.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/RemoteThroughput/bin/Release/net10.0/Evals.RemoteThroughput.dll "$@"
