using System.Globalization;
using System.Text.Json;

namespace Evals.Web.Feedback;

/// <summary>
/// The ECharts option for daily positive rates with their 95% Wilson bands: per line, an invisible series at the lower
/// bound and a stacked, filled one of height (upper − lower) on top of it — ECharts' usual way to draw a band — then
/// the rate itself. Days without ratings are gaps.
/// </summary>
public static class SatisfactionChart
{
    private static readonly string[] Palette = ["#2f6fb0", "#c0504d", "#4f9a55", "#8064a2", "#d08a2c", "#2a9d9d"];

    public static string Option(string title, DateOnly from, DateOnly to, IReadOnlyList<(string Name, IReadOnlyList<DailyRate> Daily)> lines)
    {
        var days = new List<DateOnly>();
        for (var d = from; d <= to; d = d.AddDays(1)) days.Add(d);
        var series = new List<object>();
        for (var i = 0; i < lines.Count; i++)
        {
            var (name, daily) = lines[i];
            var byDay = daily.ToDictionary(d => d.Day, d => d.Rate);
            double? Pick(DateOnly day, Func<Rate, double?> f) => byDay.TryGetValue(day, out var r) ? f(r) is { } v ? Math.Round(v, 2) : null : null;
            var color = Palette[i % Palette.Length];
            var stack = $"band{i}";
            series.Add(new { name = $"{name} 95% CI", type = "line", stack, data = days.Select(d => Pick(d, r => r.CiLow)), lineStyle = new { opacity = 0 }, symbol = "none", silent = true, tooltip = new { show = false } });
            series.Add(new { name = $"{name} 95% CI", type = "line", stack, data = days.Select(d => Pick(d, r => r.CiHigh - r.CiLow)), lineStyle = new { opacity = 0 },
                areaStyle = new { color, opacity = 0.18 }, symbol = "none", silent = true, tooltip = new { show = false } });
            series.Add(new { name, type = "line", data = days.Select(d => Pick(d, r => r.Value)), itemStyle = new { color }, lineStyle = new { color, width = 2 }, connectNulls = false });
        }
        var option = new
        {
            title = new { text = title, left = 0, textStyle = new { fontSize = 14 } },
            tooltip = new { trigger = "axis" },
            legend = new { top = 30, type = "scroll", data = lines.Select(l => l.Name) },
            grid = new { top = 72, left = 48, right = 16, bottom = 32 },
            xAxis = new { type = "category", data = days.Select(d => d.ToString("MM-dd", CultureInfo.InvariantCulture)) },
            yAxis = new { type = "value", min = 0, max = 100, name = "好评率 % positive" },
            series,
        };
        return JsonSerializer.Serialize(option);
    }
}
