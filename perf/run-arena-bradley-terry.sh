#!/usr/bin/env bash
# Arena Bradley–Terry benchmark (issue 6): 1,000 bootstrap rounds over 100,000 synthetic battles among 50 models, the
# library against a straightforward single-threaded MM implementation, medians of 3 repeats.
# Extra arguments: --models N --battles N --rounds N --repeats N.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/ArenaBradleyTerry/ArenaBradleyTerry.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/ArenaBradleyTerry/bin/Release/net10.0/Evals.ArenaBradleyTerryBenchmark.dll "$@"
