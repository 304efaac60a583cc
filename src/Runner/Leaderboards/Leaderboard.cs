using System.Text.Json.Serialization;

namespace Evals.Runner.Leaderboards;

/// <summary>One task's score in one row: the run summary's figures for that task (0–100, 95% bootstrap interval).</summary>
/// <param name="OlderTaskVersion">This task's data differs from the suite's current version of it (or the task is gone).</param>
public sealed record LeaderboardCell(string Metric, double Score, int N, double CiLow, double CiHigh, double? Chance, double? Normalised,
    string Version, bool OlderTaskVersion);

/// <summary>A model's latest succeeded run on the suite, with the scores its run summary gives.</summary>
/// <param name="Items">Items the run evaluated (every outcome).</param>
/// <param name="OlderVersion">The run evaluated an older version of the suite than its current one: its scores are
/// not comparable item for item with the current version's rows.</param>
/// <param name="Baseline">random, majority or first when the run's model is a baseline (a chance line, not a contender).</param>
/// <param name="OverallCiLow">The overall's 95% interval, as the run summary gives it (stratified bootstrap through the roll-up).</param>
/// <param name="Categories">Subject-category averages (C-Eval, CMMLU: each subject's score, then the mean per category
/// and <c>overall</c> over all subjects), as the run summary's <c>categories</c> gives them for this suite.</param>
/// <param name="Complete">False when some of the run's items have outcome error (the model was not reached): its scores
/// leave them out until <c>evals runs retry</c> completes it.</param>
/// <param name="Rank">The contender's place in the sorted order over all rows of the view (whatever page this row is on);
/// null for a baseline.</param>
public sealed record LeaderboardRow(
    Guid RunId,
    string Model,
    string Spec,
    string? Family,
    string? Checkpoint,
    DateTimeOffset? ModelRegisteredAt,
    bool Accepted,
    string? Baseline,
    string SuiteVersion,
    bool OlderVersion,
    DateTimeOffset RunDate,
    int Items,
    double? Overall,
    double TasksMean,
    IReadOnlyDictionary<string, double> Capabilities,
    IReadOnlyDictionary<string, LeaderboardCell> Tasks,
    bool Complete = true,
    double? OverallCiLow = null,
    double? OverallCiHigh = null,
    IReadOnlyDictionary<string, double>? Categories = null,
    int? Rank = null);

/// <summary>Where a row stands in the whole sorted view, whichever page shows it: what the checkpoint chart and the page
/// links need of every row without reading its cells.</summary>
public sealed record LeaderboardStanding(string Model, int? Rank, string? Baseline, string? Family, string? Checkpoint,
    DateTimeOffset? ModelRegisteredAt, bool Accepted, bool OlderVersion, double? Overall);

/// <summary>The leaderboard of one suite: its current version, its tasks and capabilities as columns, one row per model.</summary>
/// <param name="Tasks">The current version's tasks in suite order, then any task only older versions had.</param>
/// <param name="ViewColumns">The suite's official columns (its suite.json's <c>leaderboard</c>), null when it declares none.</param>
/// <param name="Rows">The rows of the asked page (<see cref="LeaderboardFilter.Page"/>), or every row when no page was asked.</param>
/// <param name="TotalRows">Rows in the whole view, baselines included.</param>
/// <param name="Page">The page shown (1-based; past the last page it shows no rows); null: every row.</param>
/// <param name="Standings">Every row of the view in the sorted order (not serialised: the JSON carries <see cref="Rows"/>).</param>
/// <param name="BaselineRows">The baselines' whole rows wherever they sort, for the charts' chance lines.</param>
public sealed record Leaderboard(
    string? Suite,
    IReadOnlyList<string> Suites,
    string? CurrentVersion,
    DateTimeOffset? CurrentVersionCreatedAt,
    IReadOnlyList<string> Tasks,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Families,
    IReadOnlyList<LeaderboardRow> Rows,
    LeaderboardFilter Filter,
    IReadOnlyList<Evals.Benchmarks.Suites.ViewColumn>? ViewColumns,
    int TotalRows,
    int? Page,
    int PageSize,
    [property: JsonIgnore] IReadOnlyList<LeaderboardStanding> Standings,
    [property: JsonIgnore] IReadOnlyList<LeaderboardRow> BaselineRows)
{
    /// <summary>Pages of <see cref="PageSize"/> rows in the view (at least 1).</summary>
    public int PageCount => Math.Max(1, (TotalRows + PageSize - 1) / PageSize);

    /// <summary>The table shows the suite's own columns instead of one per task.</summary>
    [JsonIgnore] public bool OfficialView => Filter.View == LeaderboardFilter.OfficialView && ViewColumns is { Count: > 0 };

    /// <summary>The contenders among <see cref="Rows"/> (the page's).</summary>
    [JsonIgnore] public IEnumerable<LeaderboardRow> Contenders => Rows.Where(r => r.Baseline is null);
    /// <summary>Every baseline of the view, on this page or not.</summary>
    [JsonIgnore] public IEnumerable<LeaderboardRow> Baselines => BaselineRows;
}
