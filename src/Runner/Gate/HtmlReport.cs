using System.Globalization;
using System.Net;
using System.Text;

namespace Evals.Runner.Gate;

/// <summary>
/// The gate as one self-contained HTML file (no scripts, fonts or styles fetched from anywhere, so CI artifacts open
/// offline): the verdict, a forest plot of each check's difference with its interval against zero and the allowed drop,
/// grouped bars of the two models' scores, and the table.
/// </summary>
public static class HtmlReport
{
    public static string Build(GateReport report)
    {
        var r = report.Result;
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Evals gate: {{E(report.Candidate.Model)}} vs {{E(report.Baseline.Model)}}</title>
            <style>
            body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:2rem;color:#222;max-width:1100px}
            h1{font-size:1.4rem}.pass{color:#1a7f37}.fail{color:#cf222e}
            table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}
            td:nth-child(2),th:nth-child(2){text-align:left}tr.failed{background:#ffebe9}tr.warn{background:#fff8c5}
            figure{margin:1.5rem 0}figcaption{font-size:.9rem;color:#555}svg text{font-size:12px}
            </style></head><body>
            <h1 class="{{(r.Passed ? "pass" : "fail")}}">{{(r.Passed ? "✅ Gate passed" : "❌ Gate failed")}}</h1>
            <p>{{E(report.Headline)}}</p>
            <p>Candidate <b>{{E(report.Candidate.Model)}}</b> (run <code>{{report.Candidate.RunId}}</code>) against baseline
            <b>{{E(report.Baseline.Model)}}</b> (run <code>{{report.Baseline.RunId}}</code>{{(report.Baseline.Reused ? ", reused" : "")}})
            on <code>{{E(report.SuiteLabel)}}</code>; {{E(report.Settings)}}.</p>
            """);
        html.Append("<figure>").Append(ForestPlot(report)).Append($"<figcaption>Candidate − baseline in points with {report.ConfidencePercent}% paired-bootstrap intervals; ")
            .Append("the dashed red line is each check's allowed drop, the grey line zero. Red marks a failed check.</figcaption></figure>");
        html.Append("<figure>").Append(Bars(report)).Append("<figcaption>Scores (0–100) on the paired items: baseline grey, candidate blue.</figcaption></figure>");
        html.Append($"<table><thead><tr><th></th><th>check</th><th>n</th><th>baseline</th><th>candidate</th><th>Δ</th><th>{report.ConfidencePercent}% CI</th><th>test</th><th>p</th><th>p (adj.)</th><th>allowed drop</th></tr></thead><tbody>");
        foreach (var c in r.Checks)
        {
            var d = c.Comparison;
            var rowClass = c.Failed ? "failed" : c.Drop > c.MaxDrop ? "warn" : "";
            html.Append($"<tr class=\"{rowClass}\"><td>{(c.Failed ? "❌" : "✅")}</td><td title=\"{E(c.Reason)}\">{E(c.Name)}</td><td>{d.N}</td><td>{GateReport.F(c.Baseline)}</td><td>{GateReport.F(c.Candidate)}</td>" +
                        $"<td>{GateReport.Signed(d.Difference)}</td><td>{GateReport.Signed(d.CiLow)} … {GateReport.Signed(d.CiHigh)}</td><td>{GateReport.TestName(d)}</td>" +
                        $"<td>{GateReport.P(d.PValue)}</td><td>{GateReport.P(c.AdjustedP)}</td><td>{GateReport.F(c.MaxDrop)}</td></tr>");
        }
        html.Append("</tbody></table><ul>");
        foreach (var c in r.Checks) html.Append($"<li><b>{E(c.Name)}</b>: {E(c.Reason)}. {E(GateReport.Numbers(c))}</li>");
        foreach (var note in report.Notes) html.Append($"<li>{E(note)}</li>");
        html.Append("</ul></body></html>\n");
        return html.ToString();
    }

    private static string ForestPlot(GateReport report)
    {
        var checks = report.Result.Checks.ToList();
        var low = Math.Min(checks.Min(c => c.Comparison.CiLow), -checks.Max(c => c.MaxDrop));
        var high = Math.Max(checks.Max(c => c.Comparison.CiHigh), 0);
        var pad = Math.Max(1, (high - low) * 0.08);
        (low, high) = (low - pad, high + pad);
        const int left = 200, width = 640, row = 26, top = 24;
        var height = top + row * checks.Count + 30;
        double X(double v) => left + (v - low) / (high - low) * width;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 20}\" height=\"{height}\" role=\"img\" aria-label=\"differences with intervals\">");
        var zero = X(0);
        svg.Append($"<line x1=\"{N(zero)}\" y1=\"{top - 10}\" x2=\"{N(zero)}\" y2=\"{height - 24}\" stroke=\"#888\"/>");
        foreach (var tick in Ticks(low, high))
            svg.Append($"<text x=\"{N(X(tick))}\" y=\"{height - 8}\" text-anchor=\"middle\" fill=\"#555\">{tick.ToString("0.#", CultureInfo.InvariantCulture)}</text>");
        for (var i = 0; i < checks.Count; i++)
        {
            var c = checks[i];
            var y = top + row * i + row / 2;
            var color = c.Failed ? "#cf222e" : "#0969da";
            svg.Append($"<text x=\"{left - 8}\" y=\"{y + 4}\" text-anchor=\"end\"{(c.Name == "overall" ? " font-weight=\"bold\"" : "")}>{E(c.Name)}</text>");
            svg.Append($"<line x1=\"{N(X(-c.MaxDrop))}\" y1=\"{y - 10}\" x2=\"{N(X(-c.MaxDrop))}\" y2=\"{y + 10}\" stroke=\"#cf222e\" stroke-dasharray=\"3,3\"/>");
            svg.Append($"<line x1=\"{N(X(c.Comparison.CiLow))}\" y1=\"{y}\" x2=\"{N(X(c.Comparison.CiHigh))}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"2\"/>");
            svg.Append($"<circle cx=\"{N(X(c.Comparison.Difference))}\" cy=\"{y}\" r=\"5\" fill=\"{color}\"><title>{E(c.Name)}: {E(GateReport.Numbers(c))}</title></circle>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Bars(GateReport report)
    {
        var checks = report.Result.Checks.ToList();
        const int left = 200, width = 640, row = 34, top = 10;
        var height = top + row * checks.Count + 24;
        double X(double v) => left + Math.Clamp(v, 0, 100) / 100 * width;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 60}\" height=\"{height}\" role=\"img\" aria-label=\"scores\">");
        for (var i = 0; i < checks.Count; i++)
        {
            var c = checks[i];
            var y = top + row * i;
            svg.Append($"<text x=\"{left - 8}\" y=\"{y + 17}\" text-anchor=\"end\">{E(c.Name)}</text>");
            svg.Append($"<rect x=\"{left}\" y=\"{y + 2}\" width=\"{N(X(c.Baseline) - left)}\" height=\"12\" fill=\"#8c959f\"><title>baseline {GateReport.F(c.Baseline)}</title></rect>");
            svg.Append($"<rect x=\"{left}\" y=\"{y + 15}\" width=\"{N(X(c.Candidate) - left)}\" height=\"12\" fill=\"{(c.Failed ? "#cf222e" : "#0969da")}\"><title>candidate {GateReport.F(c.Candidate)}</title></rect>");
            svg.Append($"<text x=\"{N(X(c.Baseline) + 4)}\" y=\"{y + 12}\" fill=\"#555\">{GateReport.F(c.Baseline)}</text>");
            svg.Append($"<text x=\"{N(X(c.Candidate) + 4)}\" y=\"{y + 25}\">{GateReport.F(c.Candidate)}</text>");
        }
        foreach (var tick in new[] { 0, 25, 50, 75, 100 })
            svg.Append($"<text x=\"{N(X(tick))}\" y=\"{height - 6}\" text-anchor=\"middle\" fill=\"#555\">{tick}</text>");
        return svg.Append("</svg>").ToString();
    }

    private static IEnumerable<double> Ticks(double low, double high)
    {
        var span = high - low;
        var step = new[] { 0.5, 1, 2, 5, 10, 20, 50 }.First(s => span / s <= 10);
        for (var t = Math.Ceiling(low / step) * step; t <= high; t += step) yield return Math.Round(t, 6);
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
    private static string E(string text) => WebUtility.HtmlEncode(text);
}
