#!/usr/bin/env bash
# ONNX engine throughput benchmark (issue 3, "Benchmark (perf/)"): Evals' engine vs a greedy loop in Node with
# onnxruntime-node on the same model file. Installs onnxruntime-node 1.30.0 once (no install scripts: the core library is
# in the tarball, and the postinstall would only fetch CUDA providers) into a cache outside the repository, builds in
# Release and runs. Extra arguments go to the benchmark, e.g. --repeats 3, --threads 1, --hidden 256 --layers 4.
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_NODE_CACHE="${ORT_NODE_CACHE:-$HOME/.cache/evals/onnxruntime-node-bench/1.30.0}"
if [ ! -f "$ORT_NODE_CACHE/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node" ]; then
  echo "installing onnxruntime-node@1.30.0 into $ORT_NODE_CACHE (once) ..."
  mkdir -p "$ORT_NODE_CACHE"
  ( cd "$ORT_NODE_CACHE" && [ -f package.json ] || echo '{"private":true}' > "$ORT_NODE_CACHE/package.json" )
  npm install --prefix "$ORT_NODE_CACHE" --ignore-scripts --no-audit --no-fund --silent onnxruntime-node@1.30.0
fi
dotnet build perf/OnnxThroughput/OnnxThroughput.csproj -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet perf/OnnxThroughput/bin/Release/net10.0/Evals.OnnxThroughput.dll --ort-node "$ORT_NODE_CACHE/node_modules/onnxruntime-node" "$@"
