using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Evals.Runner.Leaderboards;
using Microsoft.AspNetCore.Components;

namespace Evals.Web.Components.Pages.Leaderboard;

/// <summary>
/// The leaderboard table's rows as one piece of HTML. As Razor markup, a page's ~2,000 cells (each with its interval and
/// title) cost several times the page's query in render-tree frames; built once in a StringBuilder they cost little.
/// Every value goes through the site's <see cref="HtmlEncoder"/>: model names and specs are user data.
/// </summary>
public sealed class LeaderboardTableRows(HtmlEncoder encoder)
{
    private readonly StringBuilder _html = new();

    public MarkupString Render(Runner.Leaderboards.Leaderboard board, IReadOnlySet<string> radarModels)
    {
        _html.Clear();
        foreach (var row in board.Rows) Row(board, row, radarModels.Contains(row.Model));
        return new MarkupString(_html.ToString());
    }

    private void Row(Runner.Leaderboards.Leaderboard board, LeaderboardRow row, bool onRadar)
    {
        _html.Append("<tr class=\"").Append(E(RowClass(row))).Append("\" data-model=\"").Append(E(row.Model)).Append("\">");
        _html.Append("<td class=\"num rank\">").Append(row.Rank?.ToString(CultureInfo.CurrentCulture)).Append("</td>");
        _html.Append("<td><input type=\"checkbox\" form=\"filters\" name=\"radar\" value=\"").Append(E(row.Model)).Append('"')
            .Append(onRadar ? " checked" : "").Append(" /></td>");
        ModelCell(board, row);
        _html.Append("<td class=\"num overall\">").Append(row.Overall is { } overall ? Figure(overall) : "—");
        if (row.OverallCiLow is { } low && row.OverallCiHigh is { } high)
            _html.Append("<small>[").Append(Figure(low)).Append(", ").Append(Figure(high)).Append("]</small>");
        _html.Append("</td>");
        foreach (var c in board.Capabilities)
            _html.Append("<td class=\"num\">").Append(row.Capabilities.TryGetValue(c, out var v) ? Figure(v) : "—").Append("</td>");
        if (board.OfficialView)
            foreach (var col in board.ViewColumns!)
                _html.Append("<td class=\"num category\" data-category=\"").Append(E(col.Key)).Append("\">")
                    .Append(row.Categories?.TryGetValue(col.Key, out var avg) == true ? Figure(avg) : "—").Append("</td>");
        else
            foreach (var t in board.Tasks)
                if (row.Tasks.TryGetValue(t, out var cell))
                    _html.Append("<td class=\"num ").Append(cell.OlderTaskVersion ? "older-cell" : "").Append("\" title=\"")
                        .Append(E($"{cell.Metric}, task version {Short(cell.Version)}")).Append("\">").Append(Figure(cell.Score))
                        .Append("<small>[").Append(Figure(cell.CiLow)).Append(", ").Append(Figure(cell.CiHigh)).Append("] n=")
                        .Append(cell.N.ToString(CultureInfo.CurrentCulture)).Append("</small></td>");
                else
                    _html.Append("<td class=\"num\">—</td>");
        _html.Append("<td class=\"num\">").Append(row.Items.ToString(CultureInfo.CurrentCulture)).Append("</td>");
        _html.Append("<td><code>").Append(E(Short(row.SuiteVersion))).Append("</code></td>");
        _html.Append("<td>").Append(E(row.RunDate.ToString("yyyy-MM-dd HH:mm", CultureInfo.CurrentCulture))).Append("</td>");
        _html.Append("</tr>");
    }

    private void ModelCell(Runner.Leaderboards.Leaderboard board, LeaderboardRow row)
    {
        _html.Append("<td class=\"model\">");
        if (row.Baseline is null && row.Spec != row.Model)
            _html.Append("<a href=\"").Append(E("models/" + Uri.EscapeDataString(row.Model))).Append("\">").Append(E(row.Model))
                .Append("</a> <a class=\"run-link\" href=\"runs/").Append(row.RunId).Append("\">run</a>");
        else
            _html.Append("<a href=\"runs/").Append(row.RunId).Append("\">").Append(E(row.Model)).Append("</a>");
        if (row.Baseline is not null) _html.Append("<span class=\"baseline-mark\">基线 baseline</span>");
        if (row.OlderVersion)
            _html.Append("<span class=\"older-mark\" title=\"").Append(E($"suite version {row.SuiteVersion}, current {board.CurrentVersion}"))
                .Append("\">旧版本 older suite</span>");
        if (!row.Complete)
            _html.Append("<span class=\"incomplete-mark\" title=\"some items failed with errors and are left out; evals runs retry completes the run\">未完成 incomplete</span>");
        if (row.Family is not null)
            _html.Append("<div class=\"muted\">").Append(E(row.Family)).Append(' ').Append(E(row.Checkpoint)).Append(' ')
                .Append(row.Accepted ? "✓" : "").Append("</div>");
        _html.Append("</td>");
    }

    private string E(string? value) => value is null ? "" : encoder.Encode(value);

    private static string Figure(double value) => value.ToString("0.0", CultureInfo.CurrentCulture);

    /// <summary>The row's classes: <c>baseline</c>, <c>older</c> (the page's CSS and tests select on them).</summary>
    private static string RowClass(LeaderboardRow row) => string.Join(' ', new[] { row.Baseline is not null ? "baseline" : null, row.OlderVersion ? "older" : null }.Where(c => c is not null));

    /// <summary>A suite or task version as shown: its first 12 characters.</summary>
    public static string Short(string? version) => version is null ? "—" : version[..Math.Min(12, version.Length)];
}
