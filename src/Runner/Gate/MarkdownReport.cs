using System.Text;

namespace Evals.Runner.Gate;

/// <summary>The gate as Markdown for a pull-request comment: verdict first, then one table row per check.</summary>
public static class MarkdownReport
{
    public static string Build(GateReport report)
    {
        var r = report.Result;
        var md = new StringBuilder();
        md.AppendLine(r.Passed ? "### ✅ Evals gate passed" : $"### ❌ Evals gate failed: regression in {string.Join(", ", r.Failures.Select(f => $"`{f.Name}`"))}");
        md.AppendLine();
        md.AppendLine($"Candidate **{Escape(report.Candidate.Model)}** (run `{report.Candidate.RunId}`) against baseline **{Escape(report.Baseline.Model)}** " +
                      $"(run `{report.Baseline.RunId}`{(report.Baseline.Reused ? ", reused" : "")}) on `{report.SuiteLabel}`; {report.Settings}.");
        md.AppendLine();
        md.AppendLine($"| | check | n | baseline | candidate | Δ | {report.ConfidencePercent}% CI | test | p (adj.) | allowed drop |");
        md.AppendLine("|---|---|--:|--:|--:|--:|---|---|--:|--:|");
        foreach (var c in r.Checks)
        {
            var d = c.Comparison;
            var mark = c.Failed ? "❌" : c.Drop > c.MaxDrop ? "⚠️" : "✅";
            var name = c.Name == "overall" ? "**overall**" : $"`{c.Name}`";
            md.AppendLine($"| {mark} | {name} | {d.N} | {GateReport.F(c.Baseline)} | {GateReport.F(c.Candidate)} | {GateReport.Signed(d.Difference)} | " +
                          $"{GateReport.Signed(d.CiLow)} … {GateReport.Signed(d.CiHigh)} | {GateReport.TestName(d)} | {GateReport.P(c.AdjustedP)} | {GateReport.F(c.MaxDrop)} |");
        }
        md.AppendLine();
        foreach (var f in r.Failures) md.AppendLine($"- **{f.Name}** {f.Reason}. {GateReport.Numbers(f)}");
        foreach (var c in r.Checks.Where(c => !c.Failed && c.Drop > c.MaxDrop)) md.AppendLine($"- ⚠️ {c.Name} {c.Reason}.");
        foreach (var note in report.Notes) md.AppendLine($"- {note}");
        md.AppendLine();
        md.AppendLine("<sub>A check fails only when the drop exceeds its allowance **and** is significant; McNemar's test for accuracy-type tasks, a stratified paired bootstrap for the overall score.</sub>");
        return md.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|").Replace("*", "\\*").Replace("_", "\\_");
}
