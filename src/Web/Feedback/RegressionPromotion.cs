using System.Text.RegularExpressions;
using Evals.Benchmarks.Suites;
using Evals.Runner.Suites;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Web.Feedback;

/// <summary>One selected trace with the reference answer the admin wrote for it.</summary>
public sealed record Promotion(long FeedbackId, string? Reference);

public sealed record PromotionResult(string Suite, int Promoted, string Version, int Items);

/// <summary>
/// Adds selected feedback traces to a database-backed regression suite (<see cref="RegressionSuites"/>). Everything is
/// checked before anything is written; a trace promoted again to the same suite gets its reference replaced (a new
/// suite version, as any edit).
/// </summary>
public sealed partial class RegressionPromotion(IDbContextFactory<EvalsDbContext> dbFactory, StorageConnection storage, SuiteCatalog catalog, RegressionSuites suites)
{
    public const int MaxReferenceLength = 8_000;

    /// <exception cref="ArgumentException">A message naming what is wrong (the suite name, a trace, a reference).</exception>
    public async Task<PromotionResult> PromoteAsync(string? suite, IReadOnlyList<Promotion> promotions, string addedBy, CancellationToken cancellationToken = default)
    {
        suite = suite?.Trim() ?? "";
        if (!SuiteName().IsMatch(suite))
            throw new ArgumentException($"suite: '{suite}' is not a suite name (lower-case letters, digits, '-' and '_', at most 64 characters)");
        if (catalog.SuiteNames().Contains(suite))
            throw new ArgumentException($"suite: '{suite}' is a datasets suite; choose another name for a regression suite");
        if (promotions.Count == 0) throw new ArgumentException("select at least one trace");
        foreach (var p in promotions)
        {
            if (string.IsNullOrWhiteSpace(p.Reference)) throw new ArgumentException($"trace {p.FeedbackId}: the reference answer is empty");
            if (p.Reference.Length > MaxReferenceLength) throw new ArgumentException($"trace {p.FeedbackId}: the reference answer is longer than {MaxReferenceLength} characters");
        }
        var ids = promotions.Select(p => p.FeedbackId).ToList();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var found = await db.Feedback.Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync(cancellationToken);
            if (ids.Except(found).FirstOrDefault() is var missing && missing != 0) throw new ArgumentException($"trace {missing} does not exist");
        }

        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO regression_items (suite, key, input, reference, feedback_id, added_by, added_at)
            SELECT $1, f.event_id, f.input, p.reference, f.id, $4, now()
            FROM unnest($2::bigint[], $3::text[]) AS p(id, reference) JOIN feedback_events f ON f.id = p.id
            ON CONFLICT (suite, key) DO UPDATE SET reference = excluded.reference, added_by = excluded.added_by, added_at = excluded.added_at
            """, connection);
        command.Parameters.AddWithValue(suite);
        command.Parameters.AddWithValue(ids.ToArray());
        command.Parameters.AddWithValue(promotions.Select(p => p.Reference!.Trim()).ToArray());
        command.Parameters.AddWithValue(addedBy);
        var promoted = await command.ExecuteNonQueryAsync(cancellationToken);
        var definition = (await suites.LoadAsync(suite, cancellationToken))!;
        return new PromotionResult(suite, promoted, definition.Version, definition.Tasks[0].Task.EvalItems.Count());
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex SuiteName();
}
