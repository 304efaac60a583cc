using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evals.Runner.Tests.Remote;

/// <summary>What the fake server does with a request.</summary>
public enum Fault
{
    None,
    /// <summary>429 with Retry-After: 1 on the first attempt, then an answer.</summary>
    RateLimitedOnce,
    /// <summary>500 on every attempt.</summary>
    ServerError,
    /// <summary>Never answers (the client's timeout must act).</summary>
    Hang,
    /// <summary>Closes the connection without answering on the first attempt, then an answer.</summary>
    DropOnce,
    /// <summary>200 with a truncated JSON body on every attempt.</summary>
    MalformedJson,
    /// <summary>DashScope's content-inspection refusal (400 data_inspection_failed).</summary>
    Refusal,
    /// <summary>A vendor's own refusal code, in no default list (403, code risk_control_blocked, numeric type 10086).</summary>
    VendorRefusal,
}

/// <summary>
/// An OpenAI-compatible chat-completions server on a loopback port, in the test process, that counts every request it
/// gets and injects faults chosen per prompt by <see cref="FaultFor"/>.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentQueue<(string Prompt, Fault Fault, TimeSpan At, string? Authorization)> _log = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<(TimeSpan Start, TimeSpan End)> _spans = new();
    private int _calls;
    private int _inFlight;
    private int _maxInFlight;

    private FakeOpenAiServer(WebApplication app) => _app = app;

    /// <summary>How long every healthy answer takes (the server's own wait, before it writes the answer).</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>The most requests the server has had open at once since the last <see cref="Reset"/>.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Each answered request's start and end on the server's clock, since the last <see cref="Reset"/>.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan End)> Spans => [.. _spans];

    /// <summary>Chooses each prompt's fault; the default answers everything.</summary>
    public Func<string, Fault> FaultFor { get; set; } = _ => Fault.None;

    public Uri BaseUrl { get; private set; } = null!;

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<(string Prompt, Fault Fault, TimeSpan At, string? Authorization)> Log => [.. _log];

    public void Reset()
    {
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _maxInFlight, 0);
        _spans.Clear();
        _attempts.Clear();
        _log.Clear();
    }

    /// <summary>The answer a healthy request gets: a letter chosen by the prompt's hash, so reruns agree.</summary>
    public static string AnswerFor(string prompt) => ((char)('A' + SHA256.HashData(Encoding.UTF8.GetBytes(prompt))[0] % 4)).ToString();

    /// <summary>A stable number in [0, 100) per prompt, for choosing faults.</summary>
    public static int Bucket(string prompt) => BitConverter.ToUInt16(SHA256.HashData(Encoding.UTF8.GetBytes("fault\n" + prompt))) % 100;

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var start = _clock.Elapsed;
        var open = Interlocked.Increment(ref _inFlight);
        for (var max = MaxInFlight; open > max && Interlocked.CompareExchange(ref _maxInFlight, open, max) != max; max = MaxInFlight) { }
        try
        {
            await AnswerAsync(context);
            _spans.Enqueue((start, _clock.Elapsed));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var root = body.RootElement;
        var prompt = root.GetProperty("messages")[0].GetProperty("content").GetString()!;
        var fault = FaultFor(prompt);
        var attempt = _attempts.AddOrUpdate(prompt, 1, (_, n) => n + 1);
        _log.Enqueue((prompt, fault, _clock.Elapsed, context.Request.Headers.Authorization.ToString()));
        switch (fault)
        {
            case Fault.RateLimitedOnce when attempt == 1:
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "1";
                await context.Response.WriteAsJsonAsync(new { error = new { message = "Rate limit reached", type = "requests", code = "rate_limit_exceeded" } });
                return;
            case Fault.ServerError:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "The server had an error while processing your request", type = "server_error" } });
                return;
            case Fault.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                return;
            case Fault.DropOnce when attempt == 1:
                context.Abort();
                return;
            case Fault.MalformedJson:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assist""");
                return;
            case Fault.Refusal:
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "Input data may contain inappropriate content.", type = "data_inspection_failed", code = "data_inspection_failed" } });
                return;
            case Fault.VendorRefusal:
                context.Response.StatusCode = 403;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "风控拦截", type = 10086, code = "risk_control_blocked" } });
                return;
        }
        var stream = root.TryGetProperty("stream", out var s) && s.GetBoolean();
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, context.RequestAborted);
        var answer = AnswerFor(prompt);
        var promptTokens = prompt.Length;
        if (stream)
        {
            context.Response.ContentType = "text/event-stream";
            foreach (var chunk in new object[]
            {
                new { id = "c", @object = "chat.completion.chunk", created = 0, model = "fake", choices = new[] { new { index = 0, delta = new { role = "assistant", content = answer }, finish_reason = (string?)null } } },
                new { id = "c", @object = "chat.completion.chunk", created = 0, model = "fake", choices = new[] { new { index = 0, delta = new { role = "assistant", content = "" }, finish_reason = (string?)"stop" } } },
                new { id = "c", @object = "chat.completion.chunk", created = 0, model = "fake", choices = Array.Empty<object>(), usage = new { prompt_tokens = promptTokens, completion_tokens = 1, total_tokens = promptTokens + 1 } },
            })
            {
                await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n");
                await context.Response.Body.FlushAsync();
            }
            await context.Response.WriteAsync("data: [DONE]\n\n");
            return;
        }
        await context.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion",
            created = 0,
            model = root.GetProperty("model").GetString(),
            choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = 1, total_tokens = promptTokens + 1 },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
