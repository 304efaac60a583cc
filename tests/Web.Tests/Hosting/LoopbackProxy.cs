using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Evals.Web.Tests.Hosting;

/// <summary>
/// A real reverse proxy (YARP, in the test process) on loopback in front of named web nodes. It connects to the nodes
/// from <see cref="Address"/>, not 127.0.0.1, so a node told to believe only that proxy can tell its requests from a
/// client's direct ones; it replaces any X-Forwarded-For a client sends with the address it saw (YARP's default), as the
/// compose file's nginx does. Which node a request reaches is chosen by the <see cref="NodeHeader"/> header, standing in
/// for the sticky-session rule a deployment's proxy uses, so a test can say "through node B".
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    public static readonly IPAddress Address = IPAddress.Parse("127.0.0.2");
    public const string NodeHeader = "X-Evals-Test-Node";

    private readonly WebApplication _app;
    private readonly Dictionary<string, Uri> _nodes;

    private LoopbackProxy(WebApplication app, Dictionary<string, Uri> nodes, Uri address)
    {
        _app = app;
        _nodes = nodes;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    public static async Task<LoopbackProxy> StartAsync(IReadOnlyDictionary<string, Uri> nodes)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var copy = new Dictionary<string, Uri>(nodes);
        builder.Services.AddReverseProxy()
            .LoadFromMemory(Routes(copy), Clusters(copy))
            .ConfigureHttpClient((_, handler) => handler.ConnectCallback = ConnectFrom(Address));
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackProxy(app, copy, new Uri(address + "/"));
    }

    /// <summary>Points <paramref name="node"/> at a new address (a restarted node listens on a new port).</summary>
    public void Repoint(string node, Uri address)
    {
        _nodes[node] = address;
        _app.Services.GetRequiredService<InMemoryConfigProvider>().Update(Routes(_nodes), Clusters(_nodes));
    }

    /// <summary>A client connecting to the proxy from <paramref name="source"/> (a loopback address), routed to <paramref name="node"/>.</summary>
    public HttpClient Client(string node, IPAddress source, CookieContainer cookies)
    {
        var client = DirectClient(BaseAddress, source, cookies);
        client.DefaultRequestHeaders.Add(NodeHeader, node);
        return client;
    }

    /// <summary>A client connecting straight to <paramref name="address"/> from <paramref name="source"/>, past any proxy.</summary>
    public static HttpClient DirectClient(Uri address, IPAddress source, CookieContainer cookies) =>
        new(new SocketsHttpHandler { CookieContainer = cookies, AllowAutoRedirect = false, ConnectCallback = ConnectFrom(source) })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        };

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(IPAddress source) => async (context, cancel) =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };

    private static RouteConfig[] Routes(Dictionary<string, Uri> nodes) =>
    [
        .. nodes.Keys.Select(name => new RouteConfig
        {
            RouteId = $"to-{name}",
            ClusterId = name,
            Match = new RouteMatch
            {
                Path = "{**rest}",
                Headers = [new RouteHeader { Name = NodeHeader, Values = [name], Mode = HeaderMatchMode.ExactHeader }],
            },
        }),
    ];

    private static ClusterConfig[] Clusters(Dictionary<string, Uri> nodes) =>
    [
        .. nodes.Select(node => new ClusterConfig
        {
            ClusterId = node.Key,
            Destinations = new Dictionary<string, DestinationConfig> { [node.Key] = new() { Address = node.Value.ToString() } },
        }),
    ];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
