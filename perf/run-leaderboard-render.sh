#!/usr/bin/env bash
# Leaderboard render benchmark (issue 6): seeds 200 models x 40 tasks through the real result writer, checks the
# leaderboard equals a per-cell reference loop, then times the page over HTTP. Extra arguments go to the benchmark,
# e.g. --models 50 --repeats 5. Needs initdb and pg_ctl.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/LeaderboardRender/LeaderboardRender.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/LeaderboardRender/bin/Release/net10.0/Evals.LeaderboardRender.dll "$@"
