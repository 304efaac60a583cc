using System.Text.Json;

namespace Evals.Web.Charts;

/// <summary>One series of a <see cref="CiBarChart"/>: a value per category with its interval (null where it has none).</summary>
public sealed record CiSeries(string Name, IReadOnlyList<double?> Values, IReadOnlyList<double?> Lows, IReadOnlyList<double?> Highs);

/// <summary>
/// An ECharts option for grouped bars with confidence-interval whiskers (drawn by charts.js's "whiskers" series), and
/// optional horizontal reference lines (chance levels, baselines). Serialised for a <c>data-echarts-option</c> attribute.
/// </summary>
public static class CiBarChart
{
    private const double GroupWidth = 0.7;

    public static string Option(IReadOnlyList<string> categories, IReadOnlyList<CiSeries> series, string yName,
        IReadOnlyList<(string Name, double Value)>? lines = null, double? yMax = 100)
    {
        var all = new List<object>();
        for (var s = 0; s < series.Count; s++)
        {
            var offset = -GroupWidth / 2 + (s + 0.5) * GroupWidth / series.Count;
            var one = series[s];
            all.Add(new Dictionary<string, object?>
            {
                ["name"] = one.Name,
                ["type"] = "bar",
                ["barGap"] = "0%",
                ["barCategoryGap"] = $"{(1 - GroupWidth) * 100:0}%",
                ["data"] = categories.Select((c, i) => (object?)(one.Values[i] is { } v ? new Dictionary<string, object?>
                {
                    ["value"] = Math.Round(v, 2),
                    ["ci"] = one.Lows[i] is { } l && one.Highs[i] is { } h ? new[] { Math.Round(l, 2), Math.Round(h, 2) } : null,
                } : null)).ToList(),
                ["markLine"] = s == 0 && lines is { Count: > 0 } ? new Dictionary<string, object?>
                {
                    ["symbol"] = "none",
                    ["lineStyle"] = new { type = "dashed", color = "#6b7480" },
                    ["label"] = new { formatter = "{b}", position = "insideEndTop" },
                    ["data"] = lines.Select(l => new { name = l.Name, yAxis = Math.Round(l.Value, 2) }).ToList(),
                } : null,
            });
            all.Add(new Dictionary<string, object?>
            {
                ["name"] = one.Name,
                ["type"] = "custom",
                ["renderItem"] = "whiskers",
                ["tooltip"] = new { show = false },
                ["z"] = 10,
                ["data"] = categories.Select((c, i) => one.Lows[i] is { } l && one.Highs[i] is { } h
                    ? new object[] { i, Math.Round(l, 2), Math.Round(h, 2), Math.Round(offset, 4) } : null).Where(d => d is not null).ToList(),
            });
        }
        var option = new Dictionary<string, object?>
        {
            ["animation"] = false,
            ["tooltip"] = new { trigger = "item" },
            ["legend"] = new { top = 0 },
            ["grid"] = new { left = 48, right = 24, top = 36, bottom = 72 },
            ["xAxis"] = new { type = "category", data = categories, axisLabel = new { rotate = categories.Count > 6 ? 30 : 0, interval = 0 } },
            ["yAxis"] = new { type = "value", name = yName, min = 0, max = yMax },
            ["series"] = all,
        };
        return JsonSerializer.Serialize(option);
    }
}
