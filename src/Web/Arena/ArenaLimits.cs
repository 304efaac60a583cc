using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Evals.Web.Hosting;

namespace Evals.Web.Arena;

/// <summary>Which limit refused a request, in words, and when the window that refused it ends.</summary>
public sealed record LimitRefusal(string Limit, string Message, int WindowSeconds, TimeSpan RetryAfter);

/// <summary>
/// The arena's limits, counted in PostgreSQL (<see cref="SharedLimitCounters"/>) so every web node counts in the same fixed
/// windows: battles per visitor, address, network and prompt, the site's generations, and votes per visitor (per window
/// and per day), address and network. A request's counters are taken together in one transaction with one
/// <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>; if any is over its limit the transaction rolls back, so a refused
/// request costs no limit anything (one abuser's refusals cannot spend the site's budget) and nothing else is done.
/// </summary>
public sealed class ArenaLimits(SharedLimitCounters counters, ArenaOptions options)
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    private sealed record Charge(string Key, int Permits, int Cost, TimeSpan Window, string Limit, string Refusal);

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
        if (await counters.TakeAllAsync(charges.Select(c => new LimitCharge(c.Key, c.Permits, c.Cost, c.Window)).ToList(), cancellationToken) is not { } over)
            return null;
        var charge = charges[over.Index];
        return new LimitRefusal(charge.Limit, charge.Refusal, (int)charge.Window.TotalSeconds, over.RetryAfter);
    }

    /// <summary>The whole seconds a client should wait, as the Retry-After header writes them.</summary>
    public static int RetryAfterSeconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
}
