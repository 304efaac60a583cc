namespace Evals.Storage.Entities;

/// <summary>
/// An online A/B experiment (table <c>experiments</c>): its variants with traffic weights and the stopping rule declared
/// before any data is seen. Users are assigned by hashing (salt, user id), so the salt is fixed at creation.
/// </summary>
public class Experiment
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    /// <summary>JSON array of <c>{ "name": "A", "weight": 50, "template": "…" }</c> (jsonb), in declaration order.</summary>
    public required string Variants { get; set; }
    /// <summary>Hashed with the user id; set once so that assignments never move while the weights stay the same.</summary>
    public required string Salt { get; set; }
    /// <summary><c>fixed_horizon</c> (analyse once, at <see cref="Horizon"/> ratings per variant) or <c>confidence_sequence</c> (always valid).</summary>
    public required string StoppingRule { get; set; }
    /// <summary>Ratings per variant at which a fixed-horizon experiment is analysed.</summary>
    public int? Horizon { get; set; }
    public double Alpha { get; set; } = 0.05;
    public DateTimeOffset CreatedAt { get; set; }
}
