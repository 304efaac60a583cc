namespace Evals.Storage.Entities;

/// <summary>
/// How many requests one key made in one fixed window (table <c>arena_limit_counters</c>): the arena's (a visitor, an
/// address, a network, the site, a prompt) and, under <c>feedback/key:…</c>, each feedback API key's. Every web node
/// counts in the same rows, so a limit binds across nodes; a row past <see cref="ExpiresAt"/> is pruned.
/// </summary>
public class ArenaLimitCounter
{
    /// <summary>The limit and who it counts, e.g. <c>battles/network:203.0.113.0/24</c>.</summary>
    public required string Key { get; set; }
    public DateTimeOffset WindowStart { get; set; }
    public int Count { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
