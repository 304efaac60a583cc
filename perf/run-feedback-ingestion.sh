#!/usr/bin/env bash
# Feedback ingestion through the real HTTP API at 1 and 100 events per request vs plain binary COPY (issue 8, "Benchmark").
# Extra arguments go to the benchmark, e.g. --repeats 5 --single 3000 --batched 30000 --clients 16.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/FeedbackIngestion/FeedbackIngestion.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/FeedbackIngestion/bin/Release/net10.0/Evals.FeedbackIngestion.dll "$@"
