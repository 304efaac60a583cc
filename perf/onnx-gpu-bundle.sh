#!/usr/bin/env bash
# Prepares, on a machine WITHOUT a GPU, what perf/onnx-gpu-verify.sh needs on a GPU machine lent through the device tool
# (src/Runner/Backends/Onnx/README.md, "Verifying CUDA on a GPU machine"). The GPU machine has no network and no .NET, and
# one device call carries at most 64 MiB, so this writes four ignored folders into the checkout that the device tool sends
# (argument 1, default: this repository's root), each under 60 MiB, to be carried in four back-to-back calls:
#   .gpu-a  app.tar.xz: a self-contained linux-x64 publish of perf/OnnxThroughput (with the npm 1.30 core beside it) and
#           asus4's ORT 1.29 CPU core + libonnxruntime_providers_shared.so; SHA256SUMS
#   .gpu-b, .gpu-c, .gpu-d  parts of asus4's 1.29 CUDA 13 provider (230 MB, about 165 MB after xz)
# The npm packages are fetched once into ~/.cache/evals/cuda-ep-1.29 (no install scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="$(cd "${1:-.}" && pwd)"
CACHE="${CUDA_EP_CACHE:-$HOME/.cache/evals/cuda-ep-1.29}"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$CACHE"
for p in com.github.asus4.onnxruntime com.github.asus4.onnxruntime.linux-x64-gpu; do
  [ -f "$CACHE/$p-0.4.9.tgz" ] || (cd "$CACHE" && npm pack "$p@0.4.9" --ignore-scripts --silent >/dev/null)
done
mkdir -p "$STAGE/bundle/ort129" "$STAGE/ep"
tar -xzf "$CACHE/com.github.asus4.onnxruntime-0.4.9.tgz" -C "$STAGE" package/Plugins/Linux/x64/libonnxruntime.so package/Plugins/Linux/x64/libonnxruntime_providers_shared.so
mv "$STAGE"/package/Plugins/Linux/x64/*.so "$STAGE/bundle/ort129/"
tar -xzf "$CACHE/com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz" -C "$STAGE" package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so
mv "$STAGE/package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so" "$STAGE/ep/"

echo "publishing perf/OnnxThroughput (self-contained, linux-x64) ..."
dotnet publish perf/OnnxThroughput/OnnxThroughput.csproj -c Release -r linux-x64 --self-contained true --nologo -v quiet -clp:ErrorsOnly -o "$STAGE/bundle/app"
[ -f "$STAGE/bundle/app/libonnxruntime.so.1" ] || { echo "the publish lacks libonnxruntime.so.1" >&2; exit 1; }

# In a linked worktree .git is a file; ask git where the (shared) exclude file is.
EXCLUDE="$(cd "$DEST" && realpath -m "$(git rev-parse --git-path info/exclude)")"
mkdir -p "$(dirname "$EXCLUDE")"
for d in .gpu-a .gpu-b .gpu-c .gpu-d; do
  rm -rf "${DEST:?}/$d"; mkdir -p "$DEST/$d"
  grep -qxF "/$d/" "$EXCLUDE" 2>/dev/null || echo "/$d/" >> "$EXCLUDE"
done
(cd "$STAGE/bundle" && sha256sum ort129/*.so app/libonnxruntime.so.1 && cd "$STAGE/ep" && sha256sum libonnxruntime_providers_cuda.so | sed 's#  #  ort129/#') > "$DEST/.gpu-a/SHA256SUMS"
echo "compressing (xz -6; a few minutes on 2 cores) ..."
tar -C "$STAGE/bundle" -cf - app ort129 | xz -T0 -6 > "$DEST/.gpu-a/app.tar.xz"
xz -T0 -6 -c "$STAGE/ep/libonnxruntime_providers_cuda.so" > "$STAGE/ep/cuda.xz"
split -b 58M -d -a 1 "$STAGE/ep/cuda.xz" "$STAGE/ep/cuda.xz."
parts=("$STAGE"/ep/cuda.xz.?)
[ "${#parts[@]}" -le 3 ] || { echo "the provider compressed to more than 3 parts of 58 MiB; add a folder" >&2; exit 1; }
i=0; for d in .gpu-b .gpu-c .gpu-d; do [ -e "$STAGE/ep/cuda.xz.$i" ] && mv "$STAGE/ep/cuda.xz.$i" "$DEST/$d/"; i=$((i+1)); done
du -sh "$DEST"/.gpu-?
# One device call carries the working tree too (about 1 MB here), all within 64 MiB.
for d in .gpu-a .gpu-b .gpu-c .gpu-d; do
  size=$(du -sb "$DEST/$d" | cut -f1)
  [ "$size" -le $((62 * 1024 * 1024)) ] || { echo "$d is $size bytes, over the 62 MiB a device call can carry beside the tree" >&2; exit 1; }
done
echo "done: carry .gpu-a, .gpu-b, .gpu-c, .gpu-d in four back-to-back device calls; the last one runs perf/onnx-gpu-verify.sh"
