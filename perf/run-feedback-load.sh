#!/usr/bin/env bash
# Online feedback under load (issue 17, "Benchmark"): one event per request, 32 clients, 60 s, two web nodes, through the
# bounded load generator (perf/LoadGenerator); events/s as a share of plain binary COPY, p50/p99, acknowledged = stored.
# Extra arguments go to the benchmark, e.g. --seconds 20 --clients 32 --nodes 2 --max-requests 100000 --warmup-seconds 5.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/FeedbackLoad/FeedbackLoad.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/FeedbackLoad/bin/Release/net10.0/Evals.FeedbackLoad.dll "$@"
