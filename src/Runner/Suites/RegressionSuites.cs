using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Suites;

/// <summary>
/// Suites kept in the database (<c>regression_items</c>) rather than in a datasets folder: real user questions promoted
/// from the feedback page, each with the reference answer an admin wrote. A suite has one task,
/// <c>&lt;suite&gt;/answers</c>, of kind span_extraction scored by character F1 (exact match beside it): the closest
/// existing metric for a free-form Chinese answer against one reference. Its version is a SHA-256 of the manifest and
/// every item in key order, so adding or editing an item makes a new version, and runs on the old one keep naming it.
/// </summary>
public sealed class RegressionSuites(IDbContextFactory<EvalsDbContext> dbFactory)
{
    public const string TaskName = "answers";

    /// <summary>The suite as it is now, or null when no item has that suite name.</summary>
    public async Task<SuiteDefinition?> LoadAsync(string suite, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.RegressionItems.AsNoTracking().Where(i => i.Suite == suite).OrderBy(i => i.Key)
            .Select(i => new { i.Key, i.Input, i.Reference }).ToListAsync(cancellationToken);
        if (rows.Count == 0) return null;
        var manifest = Manifest(suite);
        var manifestJson = JsonSerializer.Serialize(manifest, TaskManifest.Json);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(manifestJson));
        var items = new List<TaskItem>(rows.Count);
        foreach (var (row, ordinal) in rows.Select((r, i) => (r, i)))
        {
            var fields = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["id"] = row.Key, ["question"] = row.Input, ["answers"] = new[] { row.Reference },
            });
            hash.AppendData(Encoding.UTF8.GetBytes("\n" + fields.GetRawText()));
            items.Add(new TaskItem(row.Key, "test", ordinal, fields));
        }
        var task = TaskKinds.Create(suite, manifest, items);
        return new SuiteDefinition(suite, [new LoadedTask(task, Convert.ToHexStringLower(hash.GetHashAndReset()), manifestJson)]);
    }

    public static TaskManifest Manifest(string suite) => new()
    {
        Name = TaskName,
        Kind = "span_extraction",
        Description = $"Regression suite '{suite}': user questions promoted from online feedback, with reference answers written by an admin.",
        Files = new Dictionary<string, string> { ["test"] = "(database: regression_items)" },
        EvalSplit = "test",
        AnswerField = "answers",
        Template = "{question}",
        Metric = Cmrc2018Scorer.F1Name,
        MaxTokens = 512,
    };
}
