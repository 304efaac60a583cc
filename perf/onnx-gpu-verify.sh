#!/usr/bin/env bash
# Runs ON the GPU machine (device tool), from the repository root, once .gpu-a … .gpu-d (perf/onnx-gpu-bundle.sh) are there.
# Tries every CUDA route of src/Runner/Backends/Onnx/Native/ExecutionProviders.cs and checks each against the CPU session
# of the same model (logits, scores, greedy tokens), then prints tokens/s. Logs go to $OUT (or /tmp) as route-*.txt.
set -uo pipefail
OUTDIR="${OUT:-/tmp}"
W=/tmp/evals-gpu
rm -rf "$W"; mkdir -p "$W"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUTDIR/gpu.txt"
tar -xJf .gpu-a/app.tar.xz -C "$W" || exit 1
cat .gpu-b/cuda.xz.* .gpu-c/cuda.xz.* .gpu-d/cuda.xz.* 2>/dev/null | xz -d > "$W/ort129/libonnxruntime_providers_cuda.so" || exit 1
(cd "$W" && sha256sum -c "$OLDPWD/.gpu-a/SHA256SUMS") || exit 1
# The provider needs CUDA 13's cublas, cudart, curand, cuDNN and nvrtc: the image has them as pip wheels of the PyTorch venv.
SP="$(python3 -c 'import site; print(site.getsitepackages()[0])')"
export LD_LIBRARY_PATH="$(find "$SP/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')${LD_LIBRARY_PATH:-}"
ldd "$W/ort129/libonnxruntime_providers_cuda.so" | grep -E "not found|cublas|cudart" | tee "$OUTDIR/ldd.txt"
# The image may lack ICU, and nothing here needs culture data.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
APP="$W/app/Evals.OnnxThroughput"
EP="$W/ort129/libonnxruntime_providers_cuda.so"
COMMON=(--node none --repeats 5 --hidden 512 --layers 8)
run() { # name, then env assignments and arguments
  local name=$1; shift
  echo "=== route $name"
  timeout 300 env "$@" > "$OUTDIR/route-$name.txt" 2>&1; local rc=$?
  tail -n 25 "$OUTDIR/route-$name.txt"; echo "=== route $name: exit $rc"
}
# (a) asus4 1.29 CPU-only core + its 1.29 CUDA provider through the plugin-EP route (versions match).
run a-plugin-129 Onnx__LibraryPath="$W/ort129/libonnxruntime.so" "$APP" "${COMMON[@]}" --device cuda --cuda-provider "$EP"
# (b) the npm 1.30 core (next to the app) + the 1.29 provider, plugin-EP route (versions differ: may fail or crash).
run b-plugin-130 "$APP" "${COMMON[@]}" --device cuda --cuda-provider "$EP"
# (c) the npm 1.30 core with the provider beside it: the legacy CUDA_V2 route (versions differ too).
mkdir -p "$W/ort130" && cp "$W/app/libonnxruntime.so.1" "$W/ort129/libonnxruntime_providers_shared.so" "$EP" "$W/ort130/"
run c-legacy-130 Onnx__LibraryPath="$W/ort130/libonnxruntime.so.1" "$APP" "${COMMON[@]}" --device cuda
# device=auto with route (a): the report must name CUDA, not a fallback.
run d-auto-129 Onnx__LibraryPath="$W/ort129/libonnxruntime.so" "$APP" "${COMMON[@]}" --device auto --cuda-provider "$EP" --repeats 1
# The CPU figures on the same machine, for comparison.
run e-cpu "$APP" "${COMMON[@]}"
