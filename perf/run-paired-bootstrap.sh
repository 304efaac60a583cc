#!/usr/bin/env bash
# Paired bootstrap benchmark (issue 7): 10,000 resamples over 100,000 paired items, the library against a
# straightforward single-threaded loop, medians of 5 repeats. Extra arguments: --items N --rounds N --repeats N.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/PairedBootstrap/PairedBootstrap.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/PairedBootstrap/bin/Release/net10.0/Evals.PairedBootstrapBenchmark.dll "$@"
