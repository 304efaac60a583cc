namespace Evals.Benchmarks.Ratings;

/// <summary>Ratings by model, in the order models first appear in the battles.</summary>
public sealed record RatingTable(IReadOnlyList<string> Models, IReadOnlyList<double> Ratings)
{
    /// <summary>The rating of <paramref name="model"/>; throws <see cref="KeyNotFoundException"/> for a model with no battles.</summary>
    public double this[string model]
    {
        get
        {
            for (var i = 0; i < Models.Count; i++)
                if (Models[i] == model) return Ratings[i];
            throw new KeyNotFoundException($"No rating for model '{model}'.");
        }
    }

    /// <summary>The ratings as a name → rating dictionary (the shape of the <c>evals arena rate --json</c> output).</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var map = new Dictionary<string, double>(Models.Count, StringComparer.Ordinal);
        for (var i = 0; i < Models.Count; i++) map[Models[i]] = Ratings[i];
        return map;
    }
}
