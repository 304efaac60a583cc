#!/usr/bin/env bash
# /v1 at 32 concurrent clients through the engine's dynamic batcher vs one client (issue 16, benchmark (c)): a throwaway
# PostgreSQL cluster, the web app in its own process serving a tiny onnx: model, POST /v1/completions.
# Extra arguments go to the benchmark, e.g. --repeats 1 --clients 32 --requests 2 --tokens 64 --threads 2.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/V1Concurrency/V1Concurrency.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/V1Concurrency/bin/Release/net10.0/Evals.V1Concurrency.dll "$@"
