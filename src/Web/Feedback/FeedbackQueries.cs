using Evals.Benchmarks.Feedback;
using Evals.Benchmarks.Statistics;
using Evals.Storage;
using Npgsql;

namespace Evals.Web.Feedback;

/// <summary>A positive rate with its 95% Wilson interval, on the 0–100 scale; null rate when nothing was rated.</summary>
public sealed record Rate(int Positive, int N, double? Value, double? CiLow, double? CiHigh)
{
    public static Rate Of(int positive, int n)
    {
        if (n == 0) return new Rate(0, 0, null, null, null);
        var (low, high) = WilsonInterval.Compute(positive, n);
        return new Rate(positive, n, 100.0 * positive / n, low, high);
    }
}

public sealed record DailyRate(DateOnly Day, Rate Rate);

/// <summary>
/// How often one online check flagged a model's sampled answers (<see cref="Rate.Positive"/> counts flags; for the
/// hallucination judge, flags plus replies with no readable verdict, which are never a pass).
/// </summary>
public sealed record CheckRate(string Check, Rate Flagged, int Errors);

public sealed record ModelFeedback(string Model, Rate Satisfaction, IReadOnlyList<DailyRate> Daily, IReadOnlyList<CheckRate> Checks, DriftResult Drift);

public sealed record VariantFeedback(string Experiment, string Variant, Rate Satisfaction, IReadOnlyList<DailyRate> Daily);

public sealed record ModelDrift(string Model, DriftResult Drift);

public sealed record FeedbackSummary(
    DateTimeOffset From, DateTimeOffset To, int Events, int Thumbs, int Stars,
    IReadOnlyList<ModelFeedback> Models, IReadOnlyList<VariantFeedback> Variants, IReadOnlyList<ModelDrift> Alerts, DriftPolicy DriftPolicy);

/// <summary>
/// Aggregates over <c>feedback_events</c> and <c>feedback_checks</c> for the public dashboard and its JSON: no user
/// text leaves here. Days are UTC days. Drift compares the last 7 days with the 28 days before them.
/// </summary>
public sealed class FeedbackQueries(StorageConnection storage, TimeProvider time)
{
    public static readonly TimeSpan RecentWindow = TimeSpan.FromDays(7);
    public static readonly TimeSpan BaselineWindow = TimeSpan.FromDays(28);
    public static readonly IReadOnlyList<string> Checks = ["hallucination", "refusal", "language", "length"];

    public async Task<FeedbackSummary> SummaryAsync(int days = 28, CancellationToken cancellationToken = default)
    {
        var to = time.GetUtcNow();
        var from = new DateTimeOffset(to.UtcDateTime.Date, TimeSpan.Zero).AddDays(-(days - 1));
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        var daily = new List<(string Model, DateOnly Day, int N, int Positive)>();
        await using (var command = new NpgsqlCommand("""
            SELECT model, (occurred_at AT TIME ZONE 'UTC')::date, count(*)::int, (count(*) FILTER (WHERE positive))::int
            FROM feedback_events WHERE occurred_at >= $1 AND occurred_at <= $2 AND positive IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
            """, connection))
        {
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                daily.Add((reader.GetString(0), DateOnly.FromDateTime(reader.GetDateTime(1)), reader.GetInt32(2), reader.GetInt32(3)));
        }

        var variants = new List<(string Experiment, string Variant, DateOnly Day, int N, int Positive)>();
        await using (var command = new NpgsqlCommand("""
            SELECT x.name, f.variant, (f.occurred_at AT TIME ZONE 'UTC')::date, count(*)::int, (count(*) FILTER (WHERE f.positive))::int
            FROM feedback_events f JOIN experiments x ON x.id = f.experiment_id
            WHERE f.occurred_at >= $1 AND f.occurred_at <= $2 AND f.positive IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, connection))
        {
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                variants.Add((reader.GetString(0), reader.GetString(1), DateOnly.FromDateTime(reader.GetDateTime(2)), reader.GetInt32(3), reader.GetInt32(4)));
        }

        var checks = new List<(string Model, string Check, int Flagged, int Passed, int Errors)>();
        await using (var command = new NpgsqlCommand("""
            SELECT f.model, c.kind, (count(*) FILTER (WHERE c.outcome = 'flagged'))::int, (count(*) FILTER (WHERE c.outcome = 'pass'))::int,
                   (count(*) FILTER (WHERE c.outcome = 'error'))::int
            FROM feedback_checks c JOIN feedback_events f ON f.id = c.feedback_id
            WHERE f.occurred_at >= $1 AND f.occurred_at <= $2 GROUP BY 1, 2
            """, connection))
        {
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                checks.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4)));
        }

        int events = 0, thumbs = 0, stars = 0;
        await using (var command = new NpgsqlCommand("""
            SELECT count(*)::int, (count(*) FILTER (WHERE rating_scale = 'thumbs'))::int, (count(*) FILTER (WHERE rating_scale = 'stars'))::int
            FROM feedback_events WHERE occurred_at >= $1 AND occurred_at <= $2 AND rating_scale IS NOT NULL
            """, connection))
        {
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (events, thumbs, stars) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        }

        var drift = (await DriftAsync(connection, to, cancellationToken)).ToDictionary(d => d.Model, d => d.Drift);
        var models = PerModel(daily, checks, drift);
        var variantRows = variants.GroupBy(v => (v.Experiment, v.Variant)).Select(g => new VariantFeedback(g.Key.Experiment, g.Key.Variant,
            Rate.Of(g.Sum(d => d.Positive), g.Sum(d => d.N)), g.Select(d => new DailyRate(d.Day, Rate.Of(d.Positive, d.N))).ToList())).ToList();
        return new FeedbackSummary(from, to, events, thumbs, stars, models, variantRows,
            models.Where(m => m.Drift.Alert).Select(m => new ModelDrift(m.Model, m.Drift)).ToList(), DriftPolicy.Default);
    }

    /// <summary>
    /// One row per model name. Feedback clients choose the names, so this stays linear in them: each model's days and
    /// checks are looked up by name, not searched for in the whole list.
    /// </summary>
    public static List<ModelFeedback> PerModel(IReadOnlyList<(string Model, DateOnly Day, int N, int Positive)> daily,
        IReadOnlyList<(string Model, string Check, int Flagged, int Passed, int Errors)> checks, IReadOnlyDictionary<string, DriftResult> drift)
    {
        var daysOf = daily.ToLookup(d => d.Model, StringComparer.Ordinal);
        var checksOf = checks.ToDictionary(c => (c.Model, c.Check));
        return daily.Select(d => d.Model).Concat(drift.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(model =>
        {
            var days = daysOf[model].ToList();
            var modelChecks = Checks.Select(kind =>
            {
                var c = checksOf.GetValueOrDefault((model, kind));
                // A miss is a miss: a judge reply with no readable verdict (stored as error; failed calls store nothing) is no
                // pass, so the hallucination rate counts it as not passed. The length check's errors mean it could not run
                // (no profile yet): no answer was checked, so they stay out.
                return kind == "hallucination"
                    ? new CheckRate(kind, Rate.Of(c.Flagged + c.Errors, c.Flagged + c.Passed + c.Errors), c.Errors)
                    : new CheckRate(kind, Rate.Of(c.Flagged, c.Flagged + c.Passed), c.Errors);
            }).ToList();
            return new ModelFeedback(model, Rate.Of(days.Sum(d => d.Positive), days.Sum(d => d.N)),
                days.Select(d => new DailyRate(d.Day, Rate.Of(d.Positive, d.N))).ToList(), modelChecks,
                drift.TryGetValue(model, out var result) ? result : SatisfactionDrift.Check(0, 0, 0, 0));
        }).ToList();
    }

    /// <summary>Every model rated in the last five weeks, with its drift test (alerting or not).</summary>
    public async Task<IReadOnlyList<ModelDrift>> DriftAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await DriftAsync(connection, time.GetUtcNow(), cancellationToken);
    }

    private static async Task<IReadOnlyList<ModelDrift>> DriftAsync(NpgsqlConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var split = now - RecentWindow;
        await using var command = new NpgsqlCommand("""
            SELECT model,
                   (count(*) FILTER (WHERE occurred_at >= $2 AND positive))::int, (count(*) FILTER (WHERE occurred_at >= $2))::int,
                   (count(*) FILTER (WHERE occurred_at < $2 AND positive))::int, (count(*) FILTER (WHERE occurred_at < $2))::int
            FROM feedback_events WHERE occurred_at >= $1 AND occurred_at <= $3 AND positive IS NOT NULL GROUP BY model ORDER BY model
            """, connection);
        command.Parameters.AddWithValue(split - BaselineWindow);
        command.Parameters.AddWithValue(split);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<ModelDrift>();
        while (await reader.ReadAsync(cancellationToken))
            result.Add(new ModelDrift(reader.GetString(0), SatisfactionDrift.Check(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4))));
        return result;
    }
}
