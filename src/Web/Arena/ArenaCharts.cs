using System.Text.Json;
using Evals.Storage.Entities;

namespace Evals.Web.Arena;

/// <summary>ECharts options for the arena pages, built here so the page only writes markup (charts.js draws them).</summary>
public static class ArenaCharts
{
    /// <summary>A heatmap of the row model's win rate over the column model, in percent; empty cells stay blank.</summary>
    public static string WinRateHeatmap(ArenaRatings ratings)
    {
        var models = ratings.Models;
        var cells = new List<object>();
        for (var i = 0; i < models.Count; i++)
            for (var j = 0; j < models.Count; j++)
                if (ratings.WinFraction[i][j] is { } f)
                    cells.Add(new object[] { j, i, Math.Round(f * 100, 1) });
        var option = new
        {
            tooltip = new { position = "top" },
            grid = new { left = 140, right = 30, top = 20, bottom = 100 },
            xAxis = new { type = "category", data = models, name = "对手 opponent", axisLabel = new { rotate = 30 }, splitArea = new { show = true } },
            yAxis = new { type = "category", data = models, inverse = true, splitArea = new { show = true } },
            visualMap = new { min = 0, max = 100, calculable = true, orient = "horizontal", left = "center", bottom = 0, inRange = new { color = new[] { "#b42318", "#f7f8fa", "#1a7f37" } } },
            series = new[] { new { name = "胜率 win rate %", type = "heatmap", data = cells, label = new { show = true } } },
        };
        return JsonSerializer.Serialize(option);
    }
}
