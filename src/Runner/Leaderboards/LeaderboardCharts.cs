using System.Text.Json.Nodes;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// ECharts options (JSON, drawn by the site's wwwroot/charts.js, which the HTML snapshot carries too) for the leaderboard: a radar of capabilities, a task's bars with
/// CI whiskers, and a family's overall score over its checkpoints. Baselines are drawn as dashed chance lines, never as
/// contenders; rows on an older suite version are greyed and labelled.
/// </summary>
public static class LeaderboardCharts
{
    public const int MaxRadarModels = 5;
    private const string OlderColour = "#b8bec6";
    private const string BaselineColour = "#6b7480";

    /// <summary>Up to <see cref="MaxRadarModels"/> contenders on the capability axes (chance-normalised: chance is 0), baselines dashed.</summary>
    public static string? Radar(Leaderboard board, IReadOnlyList<LeaderboardRow> chosen)
    {
        if (board.Capabilities.Count == 0 || chosen.Count == 0) return null;
        var drawn = chosen.Take(MaxRadarModels).Concat(board.Baselines).ToList();
        var low = Math.Min(0, drawn.SelectMany(r => r.Capabilities.Values).DefaultIfEmpty(0).Min());
        var min = Math.Floor(low / 10) * 10;
        var data = new JsonArray();
        foreach (var row in drawn)
        {
            var item = new JsonObject
            {
                ["name"] = Label(row),
                ["value"] = new JsonArray(board.Capabilities.Select(c => (JsonNode?)JsonValue.Create(row.Capabilities.TryGetValue(c, out var v) ? Math.Round(v, 2) : min)).ToArray()),
            };
            if (row.Baseline is not null)
                item["lineStyle"] = new JsonObject { ["type"] = "dashed", ["color"] = BaselineColour };
            data.Add(item);
        }
        var option = new JsonObject
        {
            ["animation"] = false,
            ["tooltip"] = new JsonObject(),
            ["legend"] = new JsonObject { ["bottom"] = 0, ["data"] = new JsonArray(drawn.Select(r => (JsonNode?)JsonValue.Create(Label(r))).ToArray()) },
            ["radar"] = new JsonObject
            {
                ["radius"] = "62%",
                ["indicator"] = new JsonArray(board.Capabilities.Select(c => (JsonNode?)new JsonObject { ["name"] = c, ["max"] = 100, ["min"] = min }).ToArray()),
            },
            ["series"] = new JsonArray(new JsonObject { ["type"] = "radar", ["name"] = "capabilities", ["data"] = data }),
        };
        return option.ToJsonString();
    }

    /// <summary>One task: a bar per contender of the table's page (every contender when the board is not paged) with its
    /// 95% interval as whiskers; baselines' scores and chance as horizontal lines.</summary>
    public static string? TaskBars(Leaderboard board, string task)
    {
        var rows = board.Contenders.Where(r => r.Tasks.ContainsKey(task)).ToList();
        if (rows.Count == 0) return null;
        var bars = new JsonArray();
        var whiskers = new JsonArray();
        for (var i = 0; i < rows.Count; i++)
        {
            var cell = rows[i].Tasks[task];
            var bar = new JsonObject { ["value"] = Math.Round(cell.Score, 2), ["ci"] = new JsonArray(Math.Round(cell.CiLow, 2), Math.Round(cell.CiHigh, 2)) };
            if (rows[i].OlderVersion || cell.OlderTaskVersion) bar["itemStyle"] = new JsonObject { ["color"] = OlderColour };
            bars.Add(bar);
            whiskers.Add(new JsonArray(i, Math.Round(cell.CiLow, 2), Math.Round(cell.CiHigh, 2)));
        }
        var lines = new JsonArray();
        foreach (var baseline in board.Baselines.Where(b => b.Tasks.ContainsKey(task)))
            lines.Add(ChanceLine($"{baseline.Baseline} {baseline.Tasks[task].Score:0.0}", baseline.Tasks[task].Score));
        if (rows.Select(r => r.Tasks[task].Chance).FirstOrDefault(c => c is > 0) is { } chance)
            lines.Add(ChanceLine($"chance {chance:0.0}", chance));
        var option = new JsonObject
        {
            ["animation"] = false,
            ["title"] = new JsonObject { ["text"] = task, ["left"] = "center", ["textStyle"] = new JsonObject { ["fontSize"] = 14 } },
            ["tooltip"] = new JsonObject { ["trigger"] = "item" },
            ["grid"] = new JsonObject { ["left"] = 48, ["right"] = 120, ["bottom"] = 90, ["top"] = 40 },
            ["xAxis"] = new JsonObject
            {
                ["type"] = "category",
                ["data"] = new JsonArray(rows.Select(r => (JsonNode?)JsonValue.Create(Label(r))).ToArray()),
                ["axisLabel"] = new JsonObject { ["rotate"] = 30, ["interval"] = 0 },
            },
            ["yAxis"] = new JsonObject { ["type"] = "value", ["min"] = 0, ["max"] = 100, ["name"] = rows[0].Tasks[task].Metric },
            ["series"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "bar", ["name"] = rows[0].Tasks[task].Metric, ["data"] = bars, ["itemStyle"] = new JsonObject { ["color"] = "#c8102e" },
                    ["markLine"] = new JsonObject { ["symbol"] = "none", ["data"] = lines },
                },
                new JsonObject { ["type"] = "custom", ["name"] = "95% CI", ["renderItem"] = "whiskers", ["data"] = whiskers, ["z"] = 10, ["tooltip"] = new JsonObject { ["show"] = false } }),
        };
        return option.ToJsonString();
    }

    /// <summary>A family's overall score by checkpoint (in registration order) over the whole view, whatever page the table
    /// shows; accepted checkpoints are diamonds labelled ✓.</summary>
    public static string? Checkpoints(Leaderboard board, string family)
    {
        var rows = board.Standings.Where(r => r.Baseline is null && r.Family == family && r.Overall is not null)
            .OrderBy(r => r.ModelRegisteredAt).ThenBy(r => r.Checkpoint, StringComparer.Ordinal).ToList();
        if (rows.Count == 0) return null;
        var points = new JsonArray();
        foreach (var row in rows)
        {
            var point = new JsonObject { ["value"] = Math.Round(row.Overall!.Value, 2), ["model"] = row.Model };
            if (row.Accepted)
            {
                point["symbol"] = "diamond";
                point["symbolSize"] = 16;
                point["label"] = new JsonObject { ["show"] = true, ["formatter"] = "✓ accepted", ["position"] = "top" };
            }
            if (row.OlderVersion) point["itemStyle"] = new JsonObject { ["color"] = OlderColour };
            points.Add(point);
        }
        var lines = new JsonArray();
        foreach (var baseline in board.Baselines.Where(b => b.Overall is not null))
            lines.Add(ChanceLine($"{baseline.Baseline} {baseline.Overall:0.0}", baseline.Overall!.Value));
        var option = new JsonObject
        {
            ["animation"] = false,
            ["title"] = new JsonObject { ["text"] = family, ["left"] = "center", ["textStyle"] = new JsonObject { ["fontSize"] = 14 } },
            ["tooltip"] = new JsonObject { ["trigger"] = "axis" },
            ["grid"] = new JsonObject { ["left"] = 48, ["right"] = 120, ["bottom"] = 40, ["top"] = 40 },
            ["xAxis"] = new JsonObject
            {
                ["type"] = "category", ["name"] = "checkpoint",
                ["data"] = new JsonArray(rows.Select(r => (JsonNode?)JsonValue.Create(r.Checkpoint ?? r.Model)).ToArray()),
            },
            ["yAxis"] = new JsonObject { ["type"] = "value", ["name"] = "overall" },
            ["series"] = new JsonArray(new JsonObject
            {
                ["type"] = "line", ["name"] = "overall", ["data"] = points, ["symbolSize"] = 8, ["itemStyle"] = new JsonObject { ["color"] = "#c8102e" },
                ["markLine"] = new JsonObject { ["symbol"] = "none", ["data"] = lines },
            }),
        };
        return option.ToJsonString();
    }

    private static string Label(LeaderboardRow row) => row.OlderVersion ? $"{row.Model} (older suite)" : row.Model;

    private static JsonObject ChanceLine(string name, double value) => new()
    {
        ["name"] = name,
        ["yAxis"] = Math.Round(value, 2),
        ["lineStyle"] = new JsonObject { ["type"] = "dashed", ["color"] = BaselineColour },
        ["label"] = new JsonObject { ["formatter"] = name, ["position"] = "end" },
    };
}
