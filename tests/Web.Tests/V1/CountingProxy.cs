using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evals.Web.Tests.V1;

/// <summary>
/// A loopback HTTP proxy in front of the web app that counts the requests it forwards per path, so a test can see how
/// many calls a client really made (the app runs in its own process, where nothing can be counted directly).
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    private CountingProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public int Count(string path) => _counts.GetValueOrDefault(path);

    public int Total => _counts.Values.Sum();

    public void Reset() => _counts.Clear();

    public static async Task<CountingProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new CountingProxy(app, new HttpClient { BaseAddress = target, Timeout = TimeSpan.FromMinutes(2) });
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _counts.AddOrUpdate(path, 1, (_, n) => n + 1);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), path.TrimStart('/') + context.Request.QueryString);
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            request.Content = new ByteArrayContent(body.ToArray());
            if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (context.Request.Headers.Authorization.Count > 0) request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Transfer-Encoding" or "Content-Length") continue;
            context.Response.Headers[name] = values.ToArray();
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
