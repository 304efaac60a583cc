using System.Diagnostics;

namespace Evals.LoadGenerator;

/// <summary>
/// How much load, and where: <see cref="Clients"/> clients each keep one request in flight, client <c>c</c> sending to
/// <c>Targets[c % Targets.Count]</c>, until <see cref="MaxRequests"/> have been sent or <see cref="Duration"/> has
/// passed, whichever comes first. Both bounds are required, and every target must be a loopback address.
/// </summary>
public sealed record LoadOptions(IReadOnlyList<Uri> Targets, int Clients, long MaxRequests, TimeSpan Duration)
{
    /// <summary>The generator refuses to run longer than this, whatever it is asked.</summary>
    public static readonly TimeSpan LongestRun = TimeSpan.FromMinutes(30);

    public void Validate()
    {
        if (Targets.Count == 0) throw new ArgumentException("at least one target is needed");
        foreach (var target in Targets)
            if (!target.IsAbsoluteUri || !target.IsLoopback)
                throw new ArgumentException($"target {target} is not a loopback address: this generator loads only this machine");
        if (Clients is < 1 or > 4096) throw new ArgumentException($"clients must be between 1 and 4096 (got {Clients})");
        if (MaxRequests < 1) throw new ArgumentException($"the request count bound must be at least 1 (got {MaxRequests})");
        if (Duration <= TimeSpan.Zero || Duration > LongestRun) throw new ArgumentException($"the time bound must be between 0 and {LongestRun} (got {Duration})");
    }
}

/// <summary>What a load achieved: requests sent, how many the server acknowledged, and the latency of every request.</summary>
public sealed record LoadReport(long Sent, long Acknowledged, long Refused, long Failed, TimeSpan Elapsed, IReadOnlyList<double> LatenciesMs)
{
    public double AcknowledgedPerSecond => Acknowledged / Elapsed.TotalSeconds;

    /// <summary>Nearest-rank percentile of all requests' latencies (acknowledged or not), in milliseconds.</summary>
    public double Percentile(double p)
    {
        if (LatenciesMs.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100 * LatenciesMs.Count);
        return LatenciesMs[Math.Clamp(rank - 1, 0, LatenciesMs.Count - 1)];
    }
}

/// <summary>
/// Runs a bounded load over HTTP/1.1 keep-alive connections (one pool per target, as many connections as clients).
/// The caller makes request number <c>n</c> (0-based, each number used once) and judges each answer: acknowledged,
/// refused (an answer that is not an acknowledgement), or failed (no answer: an exception or a timeout).
/// </summary>
public static class BoundedLoad
{
    public static async Task<LoadReport> RunAsync(LoadOptions options, Func<long, Uri, HttpRequestMessage> request,
        Func<long, HttpResponseMessage, Task<bool>> acknowledged, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var clients = options.Targets.Select(t => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients })
        {
            BaseAddress = t,
            Timeout = TimeSpan.FromSeconds(30),
        }).ToArray();
        try
        {
            long next = -1, acked = 0, refused = 0, failed = 0;
            var latencies = new List<double>[options.Clients];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watch = Stopwatch.StartNew();
            deadline.CancelAfter(options.Duration);
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
            {
                var mine = latencies[c] = new List<double>(4096);
                var http = clients[c % clients.Length];
                long n;
                while (!deadline.IsCancellationRequested && (n = Interlocked.Increment(ref next)) < options.MaxRequests)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        // The deadline stops new requests only: one in flight is answered, so the server's work is not cut off.
                        using var message = request(n, http.BaseAddress!);
                        using var response = await http.SendAsync(message, cancellationToken);
                        if (await acknowledged(n, response)) Interlocked.Increment(ref acked);
                        else Interlocked.Increment(ref refused);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }, CancellationToken.None)));
            var elapsed = watch.Elapsed;
            var all = latencies.SelectMany(l => l).Order().ToList();
            return new LoadReport(all.Count, acked, refused, failed, elapsed, all);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }
}
