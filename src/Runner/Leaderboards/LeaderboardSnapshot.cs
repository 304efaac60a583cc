using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Evals.Benchmarks.Suites;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// <c>evals leaderboard export --html DIR</c>: the public leaderboard as static files a team can publish without running
/// the site — <c>index.html</c>, per suite its page (the official view where the suite declares one) and, for such
/// suites, the per-subject page with the site's charts (scripts in <c>lib/</c>: the ECharts bundle and charts.js that the
/// build puts next to the binaries, never a CDN), plus each view's JSON (what <c>/api/leaderboard</c> answers) and the CSV export. The
/// figures come from <see cref="LeaderboardQueries"/>, the query behind the live page, so they are the page's. Private
/// suites are left out, as the site hides them from anonymous readers. Each registered model shown gets its page
/// (<c>models/NAME.html</c>, linked from the tables): its registration (credentials masked), its arena rating, and per
/// suite its leaderboard run with the overall's interval and its family's checkpoints.
/// </summary>
public sealed class LeaderboardSnapshot(LeaderboardQueries queries, SuiteCatalog catalog, TimeProvider time,
    Microsoft.EntityFrameworkCore.IDbContextFactory<Storage.EvalsDbContext> dbFactory)
{
    /// <summary>The API's JSON style (snake_case names, as the site's HTTP JSON options), Chinese written as text.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        WriteIndented = false,
    };

    /// <summary>The files written, relative to <paramref name="directory"/>.</summary>
    public async Task<IReadOnlyList<string>> WriteAsync(string directory, string? onlySuite, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hidden = catalog.PrivateSuites();
        var all = (await queries.GetAsync(LeaderboardFilter.Default, cancellationToken)).Suites;
        if (onlySuite is not null && (!all.Contains(onlySuite) || hidden.Contains(onlySuite)))
            throw new Runs.BadInputException($"--suite '{onlySuite}': no such public suite in the database (known: {string.Join(", ", all.Where(s => !hidden.Contains(s)))})");

        var views = new List<(string Suite, string Slug, Leaderboard Official, Leaderboard? Tasks)>();
        foreach (var suite in all.Where(s => !hidden.Contains(s) && (onlySuite is null || s == onlySuite)))
        {
            var official = await queries.GetAsync(new LeaderboardFilter(suite), cancellationToken);
            if (official.Rows.Count == 0) continue;
            var tasks = official.ViewColumns is { Count: > 0 }
                ? await queries.GetAsync(new LeaderboardFilter(suite, View: LeaderboardFilter.TasksView), cancellationToken)
                : null;
            views.Add((suite, Slug(suite), official, tasks));
        }
        var modelPages = ModelPages(views.SelectMany(v => v.Official.Rows));

        var pages = new List<(string Name, string Content)>();
        var index = new List<(string Suite, string Page, int Models)>();
        foreach (var (suite, slug, official, tasks) in views)
        {
            pages.Add(($"{slug}.csv", LeaderboardCsv.Write(official)));
            pages.Add(($"{slug}.json", JsonSerializer.Serialize(official, Json)));
            if (tasks is not null)
            {
                pages.Add(($"{slug}-tasks.json", JsonSerializer.Serialize(tasks, Json)));
                pages.Add(($"{slug}.html", LeaderboardHtml.Write(official, now, ($"{slug}-tasks.html", $"{slug}.csv", $"{slug}.json"), modelPages)));
                pages.Add(($"{slug}-tasks.html", LeaderboardHtml.Write(tasks, now, ($"{slug}.html", $"{slug}.csv", $"{slug}-tasks.json"), modelPages)));
            }
            else
            {
                pages.Add(($"{slug}.html", LeaderboardHtml.Write(official, now, (null, $"{slug}.csv", $"{slug}.json"), modelPages)));
            }
            index.Add((suite, $"{slug}.html", official.Contenders.Count()));
        }
        var arena = await ArenaAsync(cancellationToken);
        foreach (var (model, page) in modelPages)
        {
            var suites = views.Select(v => (v.Suite, Page: $"../{v.Slug}.html", v.Official, Row: v.Official.Rows.FirstOrDefault(r => r.Model == model)))
                .Where(v => v.Row is not null).Select(v => (v.Suite, v.Page, v.Row!, v.Official.Rows.Where(r => r.Baseline is null && r.Family is not null && r.Family == v.Row!.Family)
                    .OrderBy(r => r.ModelRegisteredAt).ThenBy(r => r.Checkpoint, StringComparer.Ordinal).ToList())).ToList();
            pages.Add((page, LeaderboardHtml.Model(model, suites, arena?.Rows.FirstOrDefault(r => r.Model == model), arena?.Rows.Count ?? 0, modelPages, now)));
        }
        pages.Add(("index.html", LeaderboardHtml.Index(index, now)));
        foreach (var (script, bundled) in LeaderboardHtml.Scripts.Zip(new[] { "echarts.min.js", Path.Combine("snapshot-assets", "charts.js") }))
        {
            var path = Path.Combine(AppContext.BaseDirectory, bundled);
            if (!File.Exists(path))
                throw new InvalidOperationException($"{path} is missing next to the binaries; rebuild src/Runner, which bundles ECharts from npm and the site's charts.js");
            pages.Add((script, await File.ReadAllTextAsync(path, cancellationToken)));
        }

        // LeaderboardCsv starts with its own byte-order mark. Everything is computed before the first file is written: a failed query leaves the folder as it was.
        Directory.CreateDirectory(Path.Combine(directory, "lib"));
        if (modelPages.Count > 0) Directory.CreateDirectory(Path.Combine(directory, "models"));
        foreach (var (name, content) in pages)
            await File.WriteAllTextAsync(Path.Combine(directory, name), content, new System.Text.UTF8Encoding(false), cancellationToken);
        return pages.Select(p => p.Name).ToList();
    }

    /// <summary>Each registered model's page (the site links the same models): <c>models/SLUG.html</c>, a number added when two names slug alike.</summary>
    private static Dictionary<string, string> ModelPages(IEnumerable<LeaderboardRow> rows)
    {
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in rows.Where(r => r.Baseline is null && r.Spec != r.Model).Select(r => r.Model).Distinct().Order(StringComparer.Ordinal))
        {
            var page = $"models/{Slug(model)}.html";
            for (var n = 2; !used.Add(page); n++) page = $"models/{Slug(model)}-{n}.html";
            pages[model] = page;
        }
        return pages;
    }

    /// <summary>The latest arena ratings the site shows, or null when none were computed.</summary>
    private async Task<Storage.Entities.ArenaRatings?> ArenaAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var snapshot = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            db.ArenaRatingSnapshots.OrderByDescending(s => s.Id), cancellationToken);
        return snapshot is null ? null : Arena.ArenaRatingsCalculator.Read(snapshot);
    }

    /// <summary>A file name for a suite: its name with anything but letters, digits, '.', '-' and '_' replaced.</summary>
    public static string Slug(string suite) =>
        string.Concat(suite.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')).TrimStart('.') is { Length: > 0 } s ? s : "suite";
}
