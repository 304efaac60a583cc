using System.Text.Json;
using Evals.Benchmarks.Experiments;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Web.Experiments;

public sealed record VariantDefinition(string Name, double Weight, string? Template = null);

public sealed record CreateExperimentRequest(string? Name, string? Description, List<VariantDefinition>? Variants, string? StoppingRule, int? Horizon, double? Alpha);

public sealed record ExperimentView(string Name, string Description, IReadOnlyList<VariantDefinition> Variants, string StoppingRule, int? Horizon, double Alpha,
    string StoppingRuleDescription, DateTimeOffset CreatedAt, OnlineReport Results);

/// <summary>Online A/B experiments: creation (the stopping rule is fixed here, before any data), lookup and assignment.</summary>
public sealed class ExperimentQueries(IDbContextFactory<EvalsDbContext> dbFactory, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Field → problems; empty when the request is valid.</summary>
    public static Dictionary<string, string[]> Validate(CreateExperimentRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["required"];
        try
        {
            TrafficSplit.Validate((request.Variants ?? []).Select(v => new WeightedVariant(v.Name ?? "", v.Weight)).ToList());
        }
        catch (ArgumentException e)
        {
            errors["variants"] = [e.Message];
        }
        if (!StoppingRules.All.Contains(request.StoppingRule ?? ""))
            errors["stopping_rule"] = [$"required: one of {string.Join(", ", StoppingRules.All)}, declared before the experiment starts"];
        else if (request.StoppingRule == StoppingRules.FixedHorizon && request.Horizon is not > 0)
            errors["horizon"] = ["required for fixed_horizon: ratings per variant at which the experiment is analysed, > 0"];
        else if (request.StoppingRule == StoppingRules.ConfidenceSequence && request.Horizon is not null)
            errors["horizon"] = ["only for fixed_horizon"];
        if (request.Alpha is { } alpha && alpha is <= 0 or >= 1) errors["alpha"] = ["must be between 0 and 1"];
        return errors;
    }

    /// <summary>Stores a validated experiment; false when the name is taken.</summary>
    public async Task<bool> CreateAsync(CreateExperimentRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        db.Experiments.Add(new Experiment
        {
            Id = id,
            Name = request.Name!.Trim(),
            Description = request.Description ?? "",
            Variants = JsonSerializer.Serialize(request.Variants, Json),
            Salt = id.ToString("N"),
            StoppingRule = request.StoppingRule!,
            Horizon = request.Horizon,
            Alpha = request.Alpha ?? 0.05,
            CreatedAt = now,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return false;
        }
    }

    public async Task<ExperimentView?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var experiment = await FindAsync(name, cancellationToken);
        if (experiment is null) return null;
        var variants = Variants(experiment);
        // Every rating sent to /api/feedback under this experiment counts, by its binary positive flag (thumbs up, 4–5 stars).
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.Feedback.AsNoTracking().Where(f => f.ExperimentId == experiment.Id && f.Positive != null)
            .GroupBy(f => f.Variant)
            .Select(g => new { Variant = g.Key, N = g.Count(), Positive = g.Count(f => f.Positive == true) })
            .ToDictionaryAsync(g => g.Variant ?? "", cancellationToken);
        var ratings = variants.Select(v => counts.TryGetValue(v.Name, out var c) ? new VariantRatings(v.Name, c.Positive, c.N) : new VariantRatings(v.Name, 0, 0)).ToList();
        return new ExperimentView(experiment.Name, experiment.Description, variants, experiment.StoppingRule, experiment.Horizon, experiment.Alpha,
            StoppingRules.Describe(experiment.StoppingRule, experiment.Horizon, experiment.Alpha), experiment.CreatedAt,
            OnlineAnalysis.Analyse(experiment.StoppingRule, experiment.Horizon, experiment.Alpha, ratings));
    }

    public async Task<IReadOnlyList<ExperimentView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var names = await db.Experiments.AsNoTracking().OrderByDescending(e => e.CreatedAt).Select(e => e.Name).ToListAsync(cancellationToken);
        var views = new List<ExperimentView>();
        foreach (var name in names)
            if (await GetAsync(name, cancellationToken) is { } view) views.Add(view);
        return views;
    }

    /// <summary>The user's variant, or null for an unknown experiment.</summary>
    public async Task<string?> AssignAsync(string experimentName, string userId, CancellationToken cancellationToken = default)
    {
        var experiment = await FindAsync(experimentName, cancellationToken);
        return experiment is null ? null
            : TrafficSplit.Assign(experiment.Salt, userId, Variants(experiment).Select(v => new WeightedVariant(v.Name, v.Weight)).ToList());
    }

    private async Task<Experiment?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Name == name.Trim(), cancellationToken);
    }

    private static List<VariantDefinition> Variants(Experiment experiment) => JsonSerializer.Deserialize<List<VariantDefinition>>(experiment.Variants, Json)!;
}
