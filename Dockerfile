# One image for every node: the web app (src/Web) and the CLI/worker (src/Runner).
# Build: docker build -t evals .   (docker compose does this for you)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# npm: the build fetches ONNX Runtime's native library and Apache ECharts from the npm registry.
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig Evals.sln ./
COPY src/ src/
RUN dotnet publish src/Web/Web.csproj -c Release -o /app/web \
 && dotnet publish src/Runner/Runner.csproj -c Release -o /app/runner

# ONNX Runtime's CUDA build (npm package com.github.asus4.onnxruntime.linux-x64-gpu: ORT 1.29, CUDA 13), for the gpu
# target only: its core library and CUDA provider, the pair src/Runner/Backends/Onnx/README.md documents as route (a).
FROM build AS onnxruntime-cuda
RUN mkdir -p /ort /app/onnxruntime-cuda && cd /ort \
 && npm pack com.github.asus4.onnxruntime.linux-x64-gpu@~1.29.0 --ignore-scripts --silent \
 && tar -xzf *.tgz \
 && find package -name 'libonnxruntime*.so*' -exec cp -L {} /app/onnxruntime-cuda/ \; \
 && test -f /app/onnxruntime-cuda/libonnxruntime_providers_cuda.so \
 && (test -f /app/onnxruntime-cuda/libonnxruntime.so || ln -s "$(ls /app/onnxruntime-cuda/libonnxruntime.so.* | head -n1)" /app/onnxruntime-cuda/libonnxruntime.so)

# The GPU worker: CUDA 13 and cuDNN from NVIDIA's runtime image, the .NET runtime copied from Microsoft's, the same /app.
FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04 AS gpu
COPY --from=mcr.microsoft.com/dotnet/aspnet:10.0 /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update && apt-get install -y --no-install-recommends libicu74 ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
COPY --from=onnxruntime-cuda /app/onnxruntime-cuda /app/onnxruntime-cuda
COPY datasets/ /app/datasets/
ENV Runner__Datasets=/app/datasets \
    Onnx__LibraryPath=/app/onnxruntime-cuda/libonnxruntime.so \
    Onnx__CudaProviderPath=/app/onnxruntime-cuda/libonnxruntime_providers_cuda.so \
    DOTNET_NOLOGO=1
ENTRYPOINT ["dotnet"]
CMD ["/app/runner/Evals.Runner.dll", "worker"]

# The default target (last stage): web nodes and CPU workers.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app /app
COPY datasets/ /app/datasets/
ENV Runner__Datasets=/app/datasets \
    ASPNETCORE_URLS=http://0.0.0.0:8080 \
    DOTNET_NOLOGO=1
EXPOSE 8080
# Default: the web app. Workers run `dotnet /app/runner/Evals.Runner.dll worker` (see docker-compose.yml).
ENTRYPOINT ["dotnet"]
CMD ["/app/web/Evals.Web.dll"]
