namespace Evals.Web.Arena;

/// <summary>Bound from the <c>Arena</c> configuration section (the ratings job reads its own settings from the same section).</summary>
public sealed class ArenaOptions
{
    /// <summary>Vote attempts one visitor (cookie) may make per window.</summary>
    public int VotesPerMinutePerVisitor { get; set; } = 20;
    /// <summary>Vote attempts one IP address may make per window.</summary>
    public int VotesPerMinutePerIp { get; set; } = 120;
    /// <summary>Battles one visitor may start per window (each costs two model calls).</summary>
    public int BattlesPerMinutePerVisitor { get; set; } = 20;
    /// <summary>The rate-limit window in seconds (60 = the per-minute limits above).</summary>
    public int RateLimitWindowSeconds { get; set; } = 60;
    /// <summary>Longest answer, in tokens.</summary>
    public int MaxTokens { get; set; } = 512;
    /// <summary>Longest prompt, in characters.</summary>
    public int MaxPromptChars { get; set; } = 4000;

    public void Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(VotesPerMinutePerVisitor), VotesPerMinutePerVisitor), (nameof(VotesPerMinutePerIp), VotesPerMinutePerIp),
            (nameof(BattlesPerMinutePerVisitor), BattlesPerMinutePerVisitor), (nameof(RateLimitWindowSeconds), RateLimitWindowSeconds),
            (nameof(MaxTokens), MaxTokens), (nameof(MaxPromptChars), MaxPromptChars),
        })
            if (value < 1) throw new InvalidOperationException($"Arena:{name} must be at least 1 (got {value})");
    }
}
