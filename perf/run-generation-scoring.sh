#!/usr/bin/env bash
# Generation scoring benchmark (issue 13): ROUGE-L and corpus BLEU with 1,000 bootstrap rounds over 10,000 outputs,
# the library against a straightforward re-tokenising implementation. Extra arguments: --items N --rounds N
# --naive-rounds N --repeats N --data DIR (default ../shared/datasets/wmt22_en_zh/txt).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build perf/GenerationScoring/GenerationScoring.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/GenerationScoring/bin/Release/net10.0/Evals.GenerationScoringBenchmark.dll --data "$PWD/../shared/datasets/wmt22_en_zh/txt" "$@"
