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
