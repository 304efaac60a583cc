using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Arena;

/// <summary>Which limit refused a request, in words, and when the window that refused it ends.</summary>
public sealed record LimitRefusal(string Limit, string Message, int WindowSeconds, TimeSpan RetryAfter);

/// <summary>
/// The arena's limits, counted in PostgreSQL (<c>arena_limit_counters</c>) so every web node counts in the same fixed
/// windows: battles per visitor, address, network and prompt, the site's generations, and votes per visitor (per window
/// and per day), address and network. A request's counters are taken together in one transaction with one
/// <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>; if any is over its limit the transaction rolls back, so a refused
/// request costs no limit anything (one abuser's refusals cannot spend the site's budget) and nothing else is done.
/// </summary>
public sealed class ArenaLimits(IDbContextFactory<EvalsDbContext> dbFactory, ArenaOptions options, TimeProvider time, ILogger<ArenaLimits> logger)
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(1);
    private long _lastPruneTicks;

    private sealed record Charge(string Key, int Permits, int Cost, TimeSpan Window, string Limit, string Refusal);
    private sealed record Counted(string Key, int Count);

    private TimeSpan Window => TimeSpan.FromSeconds(options.RateLimitWindowSeconds);

    /// <summary>
    /// Null when the battle may start (its counts are taken), else the first limit it is over. A follow-up turn starts two
    /// answers too, so it is charged exactly as a battle; its <paramref name="prompt"/> for the identical-prompt count is
    /// the whole conversation's user turns (<see cref="ConversationKeyText"/>), so the same scripted conversation replayed
    /// is caught while a common follow-up such as 继续 in different conversations is not.
    /// </summary>
    public Task<LimitRefusal?> TryStartBattleAsync(string visitorHash, IPAddress? ip, string prompt, CancellationToken cancellationToken = default)
    {
        var (address, network) = Describe(ip);
        var w = options.RateLimitWindowSeconds;
        return TakeAsync(
        [
            new($"battles/visitor:{visitorHash}", options.BattlesPerMinutePerVisitor, 1, Window, "battles_per_visitor",
                $"Too many battles from this visitor: at most {options.BattlesPerMinutePerVisitor} per {w} s."),
            new($"battles/ip:{address}", options.BattlesPerMinutePerIp, 1, Window, "battles_per_ip",
                $"Too many battles from this IP address: at most {options.BattlesPerMinutePerIp} per {w} s."),
            new($"battles/network:{network}", options.BattlesPerMinutePerNetwork, 1, Window, "battles_per_network",
                $"Too many battles from this network ({network}): at most {options.BattlesPerMinutePerNetwork} per {w} s."),
            new($"battles/prompt:{PromptKey(prompt)}", options.IdenticalPromptsPerWindow, 1, TimeSpan.FromSeconds(options.IdenticalPromptWindowSeconds), "identical_prompts",
                $"This prompt was asked too often: the site takes the same prompt at most {options.IdenticalPromptsPerWindow} times per {options.IdenticalPromptWindowSeconds} s; please ask something else."),
            new("battles/generations", options.GenerationsPerMinute, 2, Window, "generations_per_minute",
                $"The arena is busy: the site starts at most {options.GenerationsPerMinute} answers (two per battle) per {w} s. Please try again later."),
        ], cancellationToken);
    }

    /// <summary>Null when the vote attempt may go ahead (its counts are taken), else the first limit it is over.</summary>
    public Task<LimitRefusal?> TryVoteAsync(string visitorHash, IPAddress? ip, CancellationToken cancellationToken = default)
    {
        var (address, network) = Describe(ip);
        var w = options.RateLimitWindowSeconds;
        return TakeAsync(
        [
            new($"votes/visitor:{visitorHash}", options.VotesPerMinutePerVisitor, 1, Window, "votes_per_visitor",
                $"Too many votes from this visitor: at most {options.VotesPerMinutePerVisitor} per {w} s."),
            new($"votes/visitor-day:{visitorHash}", options.VotesPerDayPerVisitor, 1, Day, "votes_per_day",
                $"Too many votes from this visitor today: at most {options.VotesPerDayPerVisitor} per UTC day."),
            new($"votes/ip:{address}", options.VotesPerMinutePerIp, 1, Window, "votes_per_ip",
                $"Too many votes from this IP address: at most {options.VotesPerMinutePerIp} per {w} s."),
            new($"votes/network:{network}", options.VotesPerMinutePerNetwork, 1, Window, "votes_per_network",
                $"Too many votes from this network ({network}): at most {options.VotesPerMinutePerNetwork} per {w} s."),
        ], cancellationToken);
    }

    /// <summary>The address as text and its network: /24 for IPv4 (also when mapped into IPv6), /64 for IPv6.</summary>
    public static (string Address, string Network) Describe(IPAddress? ip)
    {
        if (ip is null) return ("unknown", "unknown");
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var bytes = ip.GetAddressBytes();
        var prefix = ip.AddressFamily == AddressFamily.InterNetwork ? 24 : 64;
        for (var i = prefix / 8; i < bytes.Length; i++) bytes[i] = 0;
        return (ip.ToString(), $"{new IPAddress(bytes)}/{prefix}");
    }

    /// <summary>
    /// The prompt as the dedup sees it: compatibility forms folded (full-width ＡＢＣ, １２３), lower case, runs of white
    /// space one space, trimmed; hashed so no prompt text is kept in the counters.
    /// </summary>
    public static string PromptKey(string prompt)
    {
        var folded = prompt.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var text = string.Join(' ', folded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The text a follow-up's identical-prompt count is kept under: its conversation's user turns, in order.</summary>
    public static string ConversationKeyText(IEnumerable<string> userTurns) => string.Join("\n\u241E\n", userTurns);

    private async Task<LimitRefusal?> TakeAsync(Charge[] charges, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var starts = charges.Select(c => WindowStart(now, c.Window)).ToArray();
        // Rows are locked in key order, so two requests that share counters never wait on each other in a cycle.
        var order = Enumerable.Range(0, charges.Length).OrderBy(i => charges[i].Key, StringComparer.Ordinal).ToArray();
        var keys = order.Select(i => charges[i].Key).ToArray();
        var windowStarts = order.Select(i => starts[i]).ToArray();
        var costs = order.Select(i => charges[i].Cost).ToArray();
        var expires = order.Select(i => starts[i] + charges[i].Window).ToArray();

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var counted = (await db.Database.SqlQuery<Counted>($"""
            INSERT INTO arena_limit_counters (key, window_start, count, expires_at)
            SELECT c.key, c.window_start, c.count, c.expires_at
            FROM unnest({keys}, {windowStarts}, {costs}, {expires}) WITH ORDINALITY AS c(key, window_start, count, expires_at, n) ORDER BY c.n
            ON CONFLICT (key, window_start) DO UPDATE SET count = arena_limit_counters.count + excluded.count
            RETURNING key AS "Key", count AS "Count"
            """).ToListAsync(cancellationToken)).ToDictionary(c => c.Key, c => c.Count);
        for (var i = 0; i < charges.Length; i++)
        {
            var charge = charges[i];
            if (counted[charge.Key] <= charge.Permits) continue;
            await transaction.RollbackAsync(cancellationToken);
            var retryAfter = starts[i] + charge.Window - now;
            return new LimitRefusal(charge.Limit, charge.Refusal, (int)charge.Window.TotalSeconds, retryAfter);
        }
        await transaction.CommitAsync(cancellationToken);
        await PruneAsync(db, now, cancellationToken);
        return null;
    }

    private static DateTimeOffset WindowStart(DateTimeOffset now, TimeSpan window) =>
        new(now.UtcTicks - now.UtcTicks % window.Ticks, TimeSpan.Zero);

    /// <summary>Windows that have ended are deleted, by whichever node first finds a minute has passed since its last pruning.</summary>
    private async Task PruneAsync(EvalsDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _lastPruneTicks);
        if (now.UtcTicks - last < PruneEvery.Ticks || Interlocked.CompareExchange(ref _lastPruneTicks, now.UtcTicks, last) != last) return;
        try
        {
            var pruned = await db.ArenaLimitCounters.Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
            if (pruned > 0) logger.LogDebug("Pruned {Count} ended arena limit windows", pruned);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Pruning ended arena limit windows failed; the next request retries");
        }
    }

    /// <summary>The whole seconds a client should wait, as the Retry-After header writes them.</summary>
    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
}
