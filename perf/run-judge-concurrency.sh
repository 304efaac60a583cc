#!/usr/bin/env bash
# Judged-run throughput (issue 14): MT-Bench-shaped items graded through SingleGrading against a loopback
# OpenAI-compatible model and judge with a fixed latency, at judge concurrency 1 and 32; items/s against C / (4 L).
# Extra arguments go to the benchmark, e.g. --latency-ms 200 --concurrency 1,8,32 --waves 4 --repeats 3.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/JudgeConcurrency/JudgeConcurrency.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/JudgeConcurrency/bin/Release/net10.0/Evals.JudgeConcurrency.dll "$@"
