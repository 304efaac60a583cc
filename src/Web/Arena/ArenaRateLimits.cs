using System.Threading.RateLimiting;

namespace Evals.Web.Arena;

/// <summary>
/// In-memory fixed-window limits per visitor and per IP address (per node: behind a load balancer each node counts its
/// own share). Every vote attempt counts, accepted or not, so probing battles costs the same as voting.
/// </summary>
public sealed class ArenaRateLimits(ArenaOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _votesPerVisitor = Limiter(options.VotesPerMinutePerVisitor, options.RateLimitWindowSeconds);
    private readonly PartitionedRateLimiter<string> _votesPerIp = Limiter(options.VotesPerMinutePerIp, options.RateLimitWindowSeconds);
    private readonly PartitionedRateLimiter<string> _battlesPerVisitor = Limiter(options.BattlesPerMinutePerVisitor, options.RateLimitWindowSeconds);

    /// <summary>Null when the vote may go ahead, else the message saying which limit was hit.</summary>
    public string? TryVote(string visitorHash, string ip)
    {
        using (var visitor = _votesPerVisitor.AttemptAcquire(visitorHash))
            if (!visitor.IsAcquired)
                return $"Too many votes from this visitor: at most {options.VotesPerMinutePerVisitor} per {options.RateLimitWindowSeconds} s.";
        using var address = _votesPerIp.AttemptAcquire(ip);
        return address.IsAcquired ? null : $"Too many votes from this IP address: at most {options.VotesPerMinutePerIp} per {options.RateLimitWindowSeconds} s.";
    }

    public bool TryStartBattle(string visitorHash)
    {
        using var lease = _battlesPerVisitor.AttemptAcquire(visitorHash);
        return lease.IsAcquired;
    }

    private static PartitionedRateLimiter<string> Limiter(int permits, int windowSeconds) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromSeconds(windowSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose()
    {
        _votesPerVisitor.Dispose();
        _votesPerIp.Dispose();
        _battlesPerVisitor.Dispose();
    }
}
