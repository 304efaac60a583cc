namespace Evals.Web.Arena;

/// <summary>
/// Bound from the <c>Arena</c> configuration section (the ratings job reads its own settings from the same section).
/// The "per minute" limits count per <see cref="RateLimitWindowSeconds"/>; all limits are counted in PostgreSQL
/// (<see cref="ArenaLimits"/>), so they bind across web nodes.
/// </summary>
public sealed class ArenaOptions
{
    /// <summary>Vote attempts one visitor (cookie) may make per window.</summary>
    public int VotesPerMinutePerVisitor { get; set; } = 20;
    /// <summary>Vote attempts one IP address may make per window.</summary>
    public int VotesPerMinutePerIp { get; set; } = 120;
    /// <summary>Vote attempts one network (/24 IPv4, /64 IPv6) may make per window.</summary>
    public int VotesPerMinutePerNetwork { get; set; } = 240;
    /// <summary>Vote attempts one visitor may make per UTC day.</summary>
    public int VotesPerDayPerVisitor { get; set; } = 300;
    /// <summary>Battles one visitor may start per window (each costs two model calls).</summary>
    public int BattlesPerMinutePerVisitor { get; set; } = 20;
    /// <summary>Battles one IP address may start per window.</summary>
    public int BattlesPerMinutePerIp { get; set; } = 40;
    /// <summary>Battles one network (/24 IPv4, /64 IPv6) may start per window.</summary>
    public int BattlesPerMinutePerNetwork { get; set; } = 80;
    /// <summary>Answers the whole site may start per window, over all nodes (a battle is two).</summary>
    public int GenerationsPerMinute { get; set; } = 400;
    /// <summary>Battles with the same normalised prompt the whole site takes per <see cref="IdenticalPromptWindowSeconds"/>.</summary>
    public int IdenticalPromptsPerWindow { get; set; } = 20;
    public int IdenticalPromptWindowSeconds { get; set; } = 3600;
    /// <summary>Decisive votes a voter needs before the outlier-voter analysis judges it.</summary>
    public int OutlierMinVotes { get; set; } = 20;
    /// <summary>Standard deviations below the ratings' expectation at which a voter is flagged.</summary>
    public double OutlierZThreshold { get; set; } = 3;
    /// <summary>The rate-limit window in seconds (60 = the per-minute limits above).</summary>
    public int RateLimitWindowSeconds { get; set; } = 60;
    /// <summary>Longest answer, in tokens.</summary>
    public int MaxTokens { get; set; } = 512;
    /// <summary>Longest prompt, in characters: each turn's own, first or follow-up.</summary>
    public int MaxPromptChars { get; set; } = 4000;
    /// <summary>Most turns a battle may have, its first prompt included (1 = no follow-ups).</summary>
    public int MaxTurns { get; set; } = 5;

    public void Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(VotesPerMinutePerVisitor), VotesPerMinutePerVisitor), (nameof(VotesPerMinutePerIp), VotesPerMinutePerIp),
            (nameof(VotesPerMinutePerNetwork), VotesPerMinutePerNetwork), (nameof(VotesPerDayPerVisitor), VotesPerDayPerVisitor),
            (nameof(BattlesPerMinutePerVisitor), BattlesPerMinutePerVisitor), (nameof(BattlesPerMinutePerIp), BattlesPerMinutePerIp),
            (nameof(BattlesPerMinutePerNetwork), BattlesPerMinutePerNetwork), (nameof(IdenticalPromptsPerWindow), IdenticalPromptsPerWindow),
            (nameof(IdenticalPromptWindowSeconds), IdenticalPromptWindowSeconds), (nameof(RateLimitWindowSeconds), RateLimitWindowSeconds),
            (nameof(MaxTokens), MaxTokens), (nameof(MaxPromptChars), MaxPromptChars), (nameof(MaxTurns), MaxTurns),
        })
            if (value < 1) throw new InvalidOperationException($"Arena:{name} must be at least 1 (got {value})");
        if (OutlierMinVotes < 1) throw new InvalidOperationException($"Arena:{nameof(OutlierMinVotes)} must be at least 1 (got {OutlierMinVotes})");
        if (!(OutlierZThreshold > 0)) throw new InvalidOperationException($"Arena:{nameof(OutlierZThreshold)} must be above 0 (got {OutlierZThreshold})");
        // A battle starts two answers; a smaller budget would refuse every battle.
        if (GenerationsPerMinute < 2) throw new InvalidOperationException($"Arena:{nameof(GenerationsPerMinute)} must be at least 2, one battle's answers (got {GenerationsPerMinute})");
        if (RateLimitWindowSeconds > 86_400 || IdenticalPromptWindowSeconds > 86_400)
            throw new InvalidOperationException($"Arena:{nameof(RateLimitWindowSeconds)} and Arena:{nameof(IdenticalPromptWindowSeconds)} must be at most 86400, a day (got {RateLimitWindowSeconds} and {IdenticalPromptWindowSeconds})");
    }
}
