using System.Collections.Concurrent;
using Evals.Benchmarks.Suites.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evals.Runner.Tests.Datasets;

/// <summary>
/// A loopback HTTP server (Kestrel) serving files under the paths of their official URLs, with byte ranges, and faults
/// on demand: a status code, a corrupted body, a connection dropped halfway through the first response.
/// </summary>
internal sealed class DatasetFileServer : IAsyncDisposable
{
    public enum Fault { None, NotFound, ServerError, Corrupt, DropFirstHalfway }

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);

    private DatasetFileServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request as "path range" (range empty when none), in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<DatasetFileServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new DatasetFileServer(app);
        app.Run(server.ServeAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Serves a manifest's files, read from <paramref name="folder"/> (the dataset's official files), under their URLs' paths.</summary>
    public void ServeDataset(DatasetSource source, string folder)
    {
        foreach (var file in source.Files) Serve(new Uri(file.Url).AbsolutePath, File.ReadAllBytes(Path.Combine(folder, file.Path)));
    }

    public void Serve(string path, byte[] bytes) => _files[path] = bytes;

    /// <summary>From now on <paramref name="path"/> fails as <paramref name="fault"/> says (a drop: its next response only).</summary>
    public void Break(string path, Fault fault)
    {
        _faults[path] = fault;
        _served[path] = 0;
    }

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var range = context.Request.Headers.Range.ToString();
        Requests.Enqueue($"{path} {range}".TrimEnd());
        var fault = _faults.GetValueOrDefault(path);
        if (!_files.TryGetValue(path, out var bytes) || fault == Fault.NotFound)
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (fault == Fault.ServerError)
        {
            context.Response.StatusCode = 500;
            return;
        }
        if (fault == Fault.Corrupt)
        {
            bytes = (byte[])bytes.Clone();
            bytes[bytes.Length / 2] ^= 0x20;
        }
        var start = 0L;
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && long.TryParse(range[6..^1], out var from))
        {
            if (from >= bytes.Length)
            {
                context.Response.StatusCode = 416;
                return;
            }
            start = from;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{bytes.Length - 1}/{bytes.Length}";
        }
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentLength = bytes.Length - start;
        var count = _served.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (fault == Fault.DropFirstHalfway && count == 1)
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory((int)start, (bytes.Length - (int)start) / 2));
            await context.Response.Body.FlushAsync();
            // Let the half arrive before the reset: a reset discards what the client has not read yet.
            await Task.Delay(300);
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
