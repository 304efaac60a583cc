namespace Evals.Runner.Arena;

/// <summary>Bound from the <c>Arena</c> configuration section: how the ratings snapshot is computed and how often.</summary>
public sealed class ArenaRatingOptions
{
    /// <summary>Bootstrap rounds of the Bradley–Terry intervals (FastChat uses 1,000 for the leaderboard).</summary>
    public int BootstrapRounds { get; set; } = 1000;
    /// <summary>Seed of the bootstrap; the same as <c>evals arena rate</c>'s default, so both give the same intervals.</summary>
    public long Seed { get; set; } = 42;
    /// <summary>How often the scheduled job recomputes the ratings (when a vote arrived or was excluded since the last snapshot).</summary>
    public int RatingsIntervalSeconds { get; set; } = 300;

    public void Validate()
    {
        if (BootstrapRounds < 0) throw new InvalidOperationException($"Arena:BootstrapRounds must be 0 or more (got {BootstrapRounds})");
        if (RatingsIntervalSeconds < 1) throw new InvalidOperationException($"Arena:RatingsIntervalSeconds must be at least 1 (got {RatingsIntervalSeconds})");
    }
}
