using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Evals.Web.Tests.Feedback;

/// <summary>
/// An OpenAI-compatible chat endpoint on loopback whose answers are a function of the prompt, so tests know what a
/// judge or a model under test will say: <c>POST /v1/chat/completions</c> (non-streamed) and nothing else.
/// </summary>
public sealed class FakeChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private FakeChatServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<FakeChatServer> StartAsync(Func<string, string> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeChatServer(app);
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            Interlocked.Increment(ref server._calls);
            var body = await JsonNode.ParseAsync(http.Request.Body);
            var prompt = body!["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>();
            var text = answer(prompt);
            return Results.Json(new
            {
                id = "chatcmpl-fake", @object = "chat.completion", created = 1_700_000_000, model = body["model"]!.GetValue<string>(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
                usage = new { prompt_tokens = prompt.Length, completion_tokens = text.Length, total_tokens = prompt.Length + text.Length },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
