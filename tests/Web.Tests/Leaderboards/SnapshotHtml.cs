using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Evals.Web.Tests.Leaderboards;

/// <summary>
/// Reads a page of <c>evals leaderboard export --html</c> back (its rows and each figure cell's exact
/// <c>data-value</c>) and checks it against <c>/api/leaderboard</c>'s JSON for the same view.
/// </summary>
public static partial class SnapshotHtml
{
    public sealed record Row(string Model, string Rank, Dictionary<string, Dictionary<string, string>> Cells, string Items);

    public static List<Row> Rows(string html)
    {
        var body = html[html.IndexOf("<tbody>", StringComparison.Ordinal)..html.IndexOf("</tbody>", StringComparison.Ordinal)];
        return RowPattern().Matches(body).Select(m =>
        {
            var cells = CellPattern().Matches(m.Groups["cells"].Value)
                .ToDictionary(c => WebUtility.HtmlDecode(c.Groups["key"].Value), c => AttributePattern().Matches(c.Groups["attrs"].Value)
                    .Select(a => (Name: a.Groups["name"].Value, Value: WebUtility.HtmlDecode(a.Groups["value"].Value)))
                    .Append(("text", WebUtility.HtmlDecode(c.Groups["text"].Value))).ToDictionary(a => a.Item1, a => a.Item2));
            return new Row(WebUtility.HtmlDecode(m.Groups["model"].Value), RankPattern().Match(m.Groups["cells"].Value).Groups["rank"].Value, cells,
                ItemsPattern().Match(m.Groups["cells"].Value).Groups["items"].Value);
        }).ToList();
    }

    /// <summary>Every row in the API's order, every figure of the view equal to the API's (exactly: the HTML carries round-trip values).</summary>
    public static void AssertEqualsApi(JsonElement board, string html)
    {
        var rows = Rows(html);
        var expected = board.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(expected.Select(r => r.GetProperty("model").GetString()), rows.Select(r => r.Model));
        var official = board.GetProperty("filter").GetProperty("view").GetString() == "official" && board.GetProperty("view_columns").ValueKind == JsonValueKind.Array;
        var rank = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var (json, row) = (expected[i], rows[i]);
            Assert.Equal(json.GetProperty("baseline").ValueKind == JsonValueKind.Null ? (++rank).ToString(CultureInfo.InvariantCulture) : "", row.Rank);
            Assert.Equal(json.GetProperty("items").GetInt32().ToString(CultureInfo.InvariantCulture), row.Items);
            Same(json.GetProperty("overall"), row.Cells["overall"], "data-value", row.Model);
            Same(json.GetProperty("overall_ci_low"), row.Cells["overall"], "data-ci-low", row.Model);
            Same(json.GetProperty("overall_ci_high"), row.Cells["overall"], "data-ci-high", row.Model);
            foreach (var cap in board.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!))
                Same(json.GetProperty("capabilities").TryGetProperty(cap, out var v) ? v : default, row.Cells[$"cap:{cap}"], "data-value", row.Model);
            if (official)
                foreach (var key in board.GetProperty("view_columns").EnumerateArray().Select(c => c.GetProperty("key").GetString()!))
                    Same(json.GetProperty("categories").TryGetProperty(key, out var v) ? v : default, row.Cells[$"cat:{key}"], "data-value", row.Model);
            else
                foreach (var task in board.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()!))
                {
                    var cell = row.Cells[$"task:{task}"];
                    if (!json.GetProperty("tasks").TryGetProperty(task, out var t))
                    {
                        Assert.False(cell.ContainsKey("data-value"), $"{row.Model} {task}: the API has no score, the HTML has one");
                        continue;
                    }
                    Same(t.GetProperty("score"), cell, "data-value", row.Model);
                    Same(t.GetProperty("ci_low"), cell, "data-ci-low", row.Model);
                    Same(t.GetProperty("ci_high"), cell, "data-ci-high", row.Model);
                    Assert.Equal(t.GetProperty("n").GetInt32().ToString(CultureInfo.InvariantCulture), cell["data-n"]);
                }
        }
    }

    private static void Same(JsonElement expected, Dictionary<string, string> cell, string attribute, string model)
    {
        if (expected.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            Assert.False(cell.ContainsKey(attribute), $"{model}: the API has no {attribute}, the HTML has {cell.GetValueOrDefault(attribute)}");
            return;
        }
        Assert.True(cell.ContainsKey(attribute), $"{model}: the HTML lacks {attribute} ({expected})");
        Assert.Equal(expected.GetDouble(), double.Parse(cell[attribute], CultureInfo.InvariantCulture));
        // The shown text is the exact value rounded as the live page rounds it.
        if (attribute == "data-value") Assert.StartsWith(expected.GetDouble().ToString("0.0", CultureInfo.InvariantCulture), cell["text"]);
    }

    [GeneratedRegex("<tr class=\"[^\"]*\" data-model=\"(?<model>[^\"]*)\" data-run=\"[^\"]*\">(?<cells>.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<td (?<attrs>[^>]*data-key=\"(?<key>[^\"]*)\"[^>]*)>(?<text>[^<]*)")]
    private static partial Regex CellPattern();

    [GeneratedRegex("(?<name>[a-z-]+)=\"(?<value>[^\"]*)\"")]
    private static partial Regex AttributePattern();

    [GeneratedRegex("<td class=\"num rank\">(?<rank>[0-9]*)</td>")]
    private static partial Regex RankPattern();

    [GeneratedRegex("<td class=\"num items\">(?<items>[0-9]+)</td>")]
    private static partial Regex ItemsPattern();
}
