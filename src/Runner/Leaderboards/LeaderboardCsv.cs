using System.Globalization;
using System.Text;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// A leaderboard view as CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs read the Chinese names):
/// one row per model in the page's order (every row unless a page was asked), ranks over the whole view, with every figure the page shows — overall and its interval, capabilities,
/// the suite's official columns where it has them, and every task's score, interval and n.
/// </summary>
public static class LeaderboardCsv
{
    public static string Write(Leaderboard board)
    {
        var header = new List<string> { "rank", "model", "baseline", "family", "checkpoint", "accepted", "overall", "overall_ci_low", "overall_ci_high", "tasks_mean" };
        header.AddRange(board.Capabilities.Select(c => $"capability:{c}"));
        var view = board.ViewColumns ?? [];
        header.AddRange(view.Select(v => $"category:{v.Key}"));
        foreach (var task in board.Tasks) header.AddRange([$"{task}", $"{task}:ci_low", $"{task}:ci_high", $"{task}:n"]);
        header.AddRange(["items", "complete", "suite_version", "older_version", "run_date", "run_id"]);

        var csv = new StringBuilder("\uFEFF");
        Line(csv, header);
        foreach (var row in board.Rows)
        {
            var fields = new List<string>
            {
                row.Rank?.ToString(CultureInfo.InvariantCulture) ?? "", row.Model, row.Baseline ?? "", row.Family ?? "", row.Checkpoint ?? "",
                Bool(row.Accepted), Number(row.Overall), Number(row.OverallCiLow), Number(row.OverallCiHigh), Number(row.TasksMean),
            };
            fields.AddRange(board.Capabilities.Select(c => Number(row.Capabilities.TryGetValue(c, out var v) ? v : null)));
            fields.AddRange(view.Select(v => Number(row.Categories?.TryGetValue(v.Key, out var c) == true ? c : null)));
            foreach (var task in board.Tasks)
                fields.AddRange(row.Tasks.TryGetValue(task, out var cell)
                    ? [Number(cell.Score), Number(cell.CiLow), Number(cell.CiHigh), cell.N.ToString(CultureInfo.InvariantCulture)]
                    : ["", "", "", ""]);
            fields.AddRange([row.Items.ToString(CultureInfo.InvariantCulture), Bool(row.Complete), row.SuiteVersion, Bool(row.OlderVersion),
                row.RunDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), row.RunId.ToString()]);
            Line(csv, fields);
        }
        return csv.ToString();
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "";

    private static string Bool(bool value) => value ? "true" : "false";

    private static void Line(StringBuilder csv, IEnumerable<string> fields)
    {
        csv.AppendJoin(',', fields.Select(Quote));
        csv.Append("\r\n");
    }

    // A field that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with ' (OWASP's CSV injection rule):
    // model names are chosen by whoever registers a model.
    private static string Quote(string field)
    {
        if (field.Length > 0 && field[0] is '=' or '+' or '@' or '\t' or '\r' || (field.StartsWith('-') && !double.TryParse(field, CultureInfo.InvariantCulture, out _)))
            field = "'" + field;
        return field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
    }
}
