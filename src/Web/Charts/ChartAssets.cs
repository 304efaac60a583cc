namespace Evals.Web.Charts;

/// <summary>
/// Serves the ECharts bundle that the build copied next to the binaries (Charts/ECharts.targets), so pages never reach
/// a CDN. The file name carries no version, so the response is cached briefly and revalidated by its ETag.
/// </summary>
public static class ChartAssets
{
    public const string Path = "/lib/echarts.min.js";

    public static IEndpointRouteBuilder MapChartAssets(this IEndpointRouteBuilder app)
    {
        var file = System.IO.Path.Combine(AppContext.BaseDirectory, "echarts.min.js");
        app.MapGet(Path, () => File.Exists(file)
            ? Results.File(file, "text/javascript; charset=utf-8", lastModified: File.GetLastWriteTimeUtc(file), enableRangeProcessing: false)
            : Results.Problem($"echarts.min.js is missing next to the binaries ({file}); rebuild src/Web, which fetches it from npm.", statusCode: 500));
        return app;
    }
}
