using System.Globalization;
using System.Net;
using System.Text;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// A leaderboard view as one HTML page that opens from a folder (CSS inline, nothing fetched from elsewhere): the
/// site's charts (radar, the first task's bars with intervals, a family's checkpoints; ECharts and the site's charts.js
/// from the snapshot's own <c>lib/</c>, options as data attributes, so no inline script) and the table the site's
/// page shows — overall and its interval, capabilities, the suite's official columns or one column per task — in the
/// same order. Every figure cell carries its exact value in <c>data-value</c> (round-trip format) beside the rounded
/// text, so a published snapshot can be checked against the API. Every text from the database is HTML-escaped.
/// </summary>
public static class LeaderboardHtml
{
    internal const string Style = """
        body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:1.5rem;color:#1d232a}
        h1 small{color:#6b7480;font-weight:normal}
        a{color:#c8102e}
        .muted{color:#6b7480;font-size:.9rem}
        .table-scroll{overflow-x:auto}
        table{border-collapse:collapse;font-size:.9rem}
        th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;white-space:nowrap}
        th{background:#f5f6f8;position:sticky;top:0}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        td small{color:#6b7480;margin-left:.25rem}
        tr.baseline{color:#6b7480;font-style:italic}
        tr.older{color:#8a9099}
        .baseline-mark,.older-mark,.incomplete-mark{font-size:.75rem;border-radius:3px;padding:0 .25rem;margin-left:.25rem;background:#eef0f3}
        .incomplete-mark{background:#fdecea}
        .charts{display:flex;flex-wrap:wrap;gap:1rem}
        .charts section{flex:1 1 420px;min-width:320px}
        .chart{height:340px}
        """;

    /// <summary>The scripts a snapshot page loads, relative to the snapshot's folder (<see cref="LeaderboardSnapshot"/> copies them).</summary>
    public static readonly IReadOnlyList<string> Scripts = ["lib/echarts.min.js", "lib/charts.js"];

    /// <param name="links">Relative addresses of this view's other forms: the other view (null when the suite has only
    /// one), its CSV and its JSON.</param>
    /// <param name="modelPages">Each registered model's page in the snapshot (relative address), linked from its name.</param>
    public static string Write(Leaderboard board, DateTimeOffset generatedAt, (string? OtherView, string Csv, string Json) links,
        IReadOnlyDictionary<string, string>? modelPages = null)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append($"<title>Evals · {E(board.Suite)} 排行榜 Leaderboard</title>\n<style>{Style}</style>\n</head>\n<body>\n")
            .Append("<p><a href=\"index.html\">← 全部套件 all suites</a></p>\n")
            .Append($"<h1>排行榜 <small>Leaderboard</small> · <span class=\"suite\">{E(board.Suite)}</span></h1>\n")
            .Append($"<p class=\"muted\">当前版本 current version <code class=\"suite-version\">{E(Short(board.CurrentVersion))}</code>")
            .Append($" · 快照生成于 snapshot taken {generatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC")
            .Append(" · 每个模型取最新一次成功的评测 each model's latest succeeded run · 分数 0–100，方括号内为 95% 置信区间 [95% CI]</p>\n");

        html.Append("<p class=\"views\">");
        if (board.ViewColumns is { Count: > 0 })
            html.Append(board.OfficialView
                ? $"<span>{E(board.Suite)} 官方视图 official view</span> <a class=\"view-link\" href=\"{E(links.OtherView)}\">各科 subjects →</a> · "
                : $"<a class=\"view-link\" href=\"{E(links.OtherView)}\">← {E(board.Suite)} 官方视图 official view</a> <span>各科 subjects</span> · ");
        html.Append($"下载 Download: <a class=\"export-csv\" href=\"{E(links.Csv)}\">CSV</a> · <a class=\"export-json\" href=\"{E(links.Json)}\">JSON</a></p>\n");

        Charts(html, board);
        html.Append("<div class=\"table-scroll\">\n<table class=\"leaderboard\">\n<thead><tr><th>#</th><th>模型 Model</th><th>总分 Overall</th>");
        foreach (var c in board.Capabilities) html.Append($"<th class=\"capability\">{E(c)}</th>");
        if (board.OfficialView)
            foreach (var col in board.ViewColumns!) html.Append($"<th class=\"category\">{E(col.Label)}</th>");
        else
            foreach (var t in board.Tasks) html.Append($"<th class=\"task\">{E(t)}</th>");
        html.Append("<th>条数 Items</th><th>套件版本 Suite version</th><th>日期 Run date</th></tr></thead>\n<tbody>\n");

        foreach (var row in board.Rows)
        {
            var classes = string.Join(' ', new[] { row.Baseline is not null ? "baseline" : null, row.OlderVersion ? "older" : null }.Where(c => c is not null));
            html.Append($"<tr class=\"{classes}\" data-model=\"{E(row.Model)}\" data-run=\"{row.RunId}\">")
                .Append($"<td class=\"num rank\">{row.Rank?.ToString(CultureInfo.InvariantCulture)}</td>")
                .Append(modelPages?.TryGetValue(row.Model, out var modelPage) == true
                    ? $"<td class=\"model\"><a class=\"model-link\" href=\"{E(modelPage)}\">{E(row.Model)}</a>"
                    : $"<td class=\"model\">{E(row.Model)}");
            if (row.Baseline is not null) html.Append("<span class=\"baseline-mark\">基线 baseline</span>");
            if (row.OlderVersion) html.Append($"<span class=\"older-mark\" title=\"suite version {E(row.SuiteVersion)}\">旧版本 older suite</span>");
            if (!row.Complete) html.Append("<span class=\"incomplete-mark\">未完成 incomplete</span>");
            if (row.Family is not null) html.Append($"<div class=\"muted\">{E(row.Family)} {E(row.Checkpoint)} {(row.Accepted ? "✓" : "")}</div>");
            html.Append("</td>");

            html.Append($"<td class=\"num overall\" data-key=\"overall\"{Value(row.Overall)}{Interval(row.OverallCiLow, row.OverallCiHigh)}>{Text(row.Overall)}");
            if (row.OverallCiLow is { } low && row.OverallCiHigh is { } high) html.Append($"<small>[{F1(low)}, {F1(high)}]</small>");
            html.Append("</td>");
            foreach (var c in board.Capabilities)
            {
                double? v = row.Capabilities.TryGetValue(c, out var cap) ? cap : null;
                html.Append($"<td class=\"num\" data-key=\"{E("cap:" + c)}\"{Value(v)}>{Text(v)}</td>");
            }
            if (board.OfficialView)
                foreach (var col in board.ViewColumns!)
                {
                    double? v = row.Categories?.TryGetValue(col.Key, out var avg) == true ? avg : null;
                    html.Append($"<td class=\"num category\" data-key=\"{E("cat:" + col.Key)}\"{Value(v)}>{Text(v)}</td>");
                }
            else
                foreach (var t in board.Tasks)
                {
                    if (row.Tasks.TryGetValue(t, out var cell))
                        html.Append($"<td class=\"num\" data-key=\"{E("task:" + t)}\"{Value(cell.Score)}{Interval(cell.CiLow, cell.CiHigh)} data-n=\"{cell.N}\" title=\"{E(cell.Metric)}\">")
                            .Append($"{F1(cell.Score)}<small>[{F1(cell.CiLow)}, {F1(cell.CiHigh)}] n={cell.N}</small></td>");
                    else
                        html.Append($"<td class=\"num\" data-key=\"{E("task:" + t)}\">—</td>");
                }
            html.Append($"<td class=\"num items\">{row.Items}</td><td><code>{E(Short(row.SuiteVersion))}</code></td>")
                .Append($"<td>{row.RunDate.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
        foreach (var script in Scripts) html.Append($"<script src=\"{script}\"></script>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The live page's default charts: the top contenders' radar, the first task's bars, the largest family's checkpoints.</summary>
    private static void Charts(StringBuilder html, Leaderboard board)
    {
        var radar = LeaderboardCharts.Radar(board, board.Contenders.OrderByDescending(r => r.Overall).Take(LeaderboardCharts.MaxRadarModels).ToList());
        var task = board.Tasks.FirstOrDefault();
        var bars = task is null ? null : LeaderboardCharts.TaskBars(board, task);
        var family = board.Contenders.Where(r => r.Family is not null).GroupBy(r => r.Family!).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        var line = family is null ? null : LeaderboardCharts.Checkpoints(board, family);
        if (radar is null && bars is null && line is null) return;
        html.Append("<div class=\"charts\">\n");
        if (radar is not null)
            html.Append($"<section><h2>能力雷达 <small>Capabilities (normalised: chance = 0)</small></h2><div class=\"chart\" id=\"radar-chart\" data-echarts-option=\"{E(radar)}\"></div></section>\n");
        if (bars is not null)
            html.Append($"<section><h2>任务得分 <small>{E(task)}, 95% CI</small></h2><div class=\"chart\" id=\"task-chart\" data-echarts-option=\"{E(bars)}\" data-echarts-formatter=\"ci\"></div></section>\n");
        if (line is not null)
            html.Append($"<section><h2>检查点 <small>{E(family)}: overall by checkpoint</small></h2><div class=\"chart\" id=\"checkpoint-chart\" data-echarts-option=\"{E(line)}\"></div></section>\n");
        html.Append("</div>\n");
    }

    /// <summary>
    /// A registered model's page in the snapshot (<c>models/</c>): its registration (spec with credentials masked), its
    /// arena rating, and per suite its leaderboard run (the latest succeeded one) with the overall's interval, its rank,
    /// and its family's checkpoints on that suite, accepted ones marked, each linking to its own page.
    /// </summary>
    /// <param name="suites">Per suite: its page (relative to the model page), the model's row, its family's rows in registration order.</param>
    public static string Model(string model, IReadOnlyList<(string Suite, string Page, LeaderboardRow Row, List<LeaderboardRow> Family)> suites,
        Storage.Entities.ArenaRatings.Row? arena, int arenaModels, IReadOnlyDictionary<string, string> modelPages, DateTimeOffset generatedAt)
    {
        var first = suites[0].Row;
        string PageOf(string name) => modelPages.TryGetValue(name, out var page) ? Path.GetFileName(page) : "";
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append($"<title>Evals · {E(model)}</title>\n<style>{Style}</style>\n</head>\n<body>\n")
            .Append("<p><a href=\"../index.html\">← 全部套件 all suites</a></p>\n")
            .Append($"<h1 class=\"model-name\">{E(model)}{(suites.Any(s => s.Row.Accepted) ? " <span class=\"accepted-mark\">✓ 已接受 accepted</span>" : "")}</h1>\n")
            .Append($"<p class=\"muted\">快照生成于 snapshot taken {generatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC")
            .Append(" · 每个套件取最新一次成功的评测 each suite's latest succeeded run</p>\n")
            .Append("<dl class=\"model-registration\">")
            .Append($"<dt>规格 Spec</dt><dd><code class=\"spec\">{E(SpecDisplay.Mask(first.Spec))}</code></dd>")
            .Append($"<dt>模型族 Family</dt><dd>{E(first.Family ?? "—")}{(first.Checkpoint is null ? "" : $" · checkpoint {E(first.Checkpoint)}")}</dd>");
        if (first.ModelRegisteredAt is { } registered)
            html.Append($"<dt>注册 Registered</dt><dd>{registered.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}</dd>");
        html.Append("<dt>竞技场 Arena</dt><dd class=\"arena-rating\">")
            .Append(arena is { } a
                ? $"{a.Rating.ToString("0", CultureInfo.InvariantCulture)} <small>[{a.CiLow.ToString("0", CultureInfo.InvariantCulture)}, {a.CiHigh.ToString("0", CultureInfo.InvariantCulture)}]</small> · rank {a.BestRank}–{a.WorstRank} of {arenaModels} · {a.Votes} votes"
                : "not rated yet")
            .Append("</dd></dl>\n");
        foreach (var (suite, page, row, family) in suites)
        {
            html.Append($"<section class=\"model-suite\" data-suite=\"{E(suite)}\"><h2><a href=\"{E(page)}\">{E(suite)}</a></h2>\n")
                .Append("<table class=\"runs\"><thead><tr><th>运行 Run</th><th>日期 Run date</th><th>套件版本 Suite version</th><th>总分 Overall [95% CI]</th><th>#</th></tr></thead><tbody>")
                .Append($"<tr data-run=\"{row.RunId}\"><td><code>{row.RunId.ToString()[..8]}</code></td>")
                .Append($"<td>{row.RunDate.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}</td><td><code>{E(Short(row.SuiteVersion))}</code></td>")
                .Append($"<td class=\"num overall\"{Value(row.Overall)}{Interval(row.OverallCiLow, row.OverallCiHigh)}>{Text(row.Overall)}");
            if (row.OverallCiLow is { } low && row.OverallCiHigh is { } high) html.Append($"<small>[{F1(low)}, {F1(high)}]</small>");
            if (!row.Complete) html.Append("<span class=\"incomplete-mark\">未完成 incomplete</span>");
            html.Append($"</td><td class=\"num rank\">{row.Rank?.ToString(CultureInfo.InvariantCulture)}</td></tr></tbody></table>\n");
            if (family.Count > 1)
            {
                html.Append($"<h3>模型族检查点 <small>{E(row.Family)} checkpoints (registration order)</small></h3>\n<table class=\"checkpoints\"><thead><tr><th>模型 Model</th><th>检查点 Checkpoint</th><th>总分 Overall</th></tr></thead><tbody>");
                foreach (var c in family)
                    html.Append($"<tr data-checkpoint=\"{E(c.Model)}\"><td><a href=\"{E(PageOf(c.Model))}\">{E(c.Model)}</a>{(c.Accepted ? " <span class=\"accepted-mark\">✓</span>" : "")}</td>")
                        .Append($"<td>{E(c.Checkpoint)}</td><td class=\"num\"{Value(c.Overall)}>{Text(c.Overall)}</td></tr>");
                html.Append("</tbody></table>\n");
            }
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The snapshot's front page: one link per suite (to its official view where it has one).</summary>
    public static string Index(IReadOnlyList<(string Suite, string Page, int Models)> suites, DateTimeOffset generatedAt)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append($"<title>Evals 排行榜 Leaderboard</title>\n<style>{Style}</style>\n</head>\n<body>\n")
            .Append("<h1>排行榜 <small>Leaderboard</small></h1>\n")
            .Append($"<p class=\"muted\">快照生成于 snapshot taken {generatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</p>\n<ul class=\"suites\">\n");
        foreach (var (suite, page, models) in suites)
            html.Append($"<li><a href=\"{E(page)}\">{E(suite)}</a> <span class=\"muted\">{models} 个模型 models</span></li>\n");
        if (suites.Count == 0) html.Append("<li>还没有完成的评测 · No finished runs yet.</li>\n");
        html.Append("</ul>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Short(string? version) => version is null ? "—" : version[..Math.Min(12, version.Length)];

    private static string F1(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Text(double? value) => value is { } v ? F1(v) : "—";

    private static string Value(double? value) => value is { } v ? $" data-value=\"{v.ToString("R", CultureInfo.InvariantCulture)}\"" : "";

    private static string Interval(double? low, double? high) => low is { } l && high is { } h
        ? $" data-ci-low=\"{l.ToString("R", CultureInfo.InvariantCulture)}\" data-ci-high=\"{h.ToString("R", CultureInfo.InvariantCulture)}\""
        : "";
}
