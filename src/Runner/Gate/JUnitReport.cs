using System.Globalization;
using System.Xml.Linq;

namespace Evals.Runner.Gate;

/// <summary>
/// The gate as JUnit XML, the format CI servers render (GitHub Actions via test-reporter actions, GitLab's
/// <c>artifacts:reports:junit</c>, Jenkins): one test suite, one test case per task plus one for the overall score; a
/// regression is a <c>failure</c> whose message names the drop and whose text carries every number.
/// </summary>
public static class JUnitReport
{
    public static XDocument Build(GateReport report)
    {
        var result = report.Result;
        var checks = result.Checks.ToList();
        var failures = checks.Count(c => c.Failed);
        var time = report.DurationS.ToString("0.###", CultureInfo.InvariantCulture);
        var cases = checks.Select(c =>
        {
            var element = new XElement("testcase",
                new XAttribute("classname", $"evals.gate.{report.Candidate.Suite}"),
                new XAttribute("name", c.Name),
                new XAttribute("time", "0"));
            if (c.Failed)
                element.Add(new XElement("failure",
                    new XAttribute("message", $"{c.Name} {c.Reason}"),
                    new XAttribute("type", "regression"),
                    GateReport.Numbers(c)));
            element.Add(new XElement("system-out", $"{c.Reason}. {GateReport.Numbers(c)}"));
            return element;
        });
        var suite = new XElement("testsuite",
            new XAttribute("name", $"evals gate {report.SuiteLabel}: {report.Candidate.Model} vs {report.Baseline.Model}"),
            new XAttribute("tests", checks.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", 0),
            new XAttribute("time", time),
            new XAttribute("timestamp", report.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XElement("properties",
                Property("candidate", report.Candidate.Model),
                Property("candidate_run", report.Candidate.RunId.ToString()),
                Property("baseline", report.Baseline.Model),
                Property("baseline_run", report.Baseline.RunId.ToString()),
                Property("baseline_reused", report.Baseline.Reused ? "true" : "false"),
                Property("suite", report.SuiteLabel),
                Property("max_drop", GateReport.F(result.Options.MaxDrop)),
                Property("alpha", GateReport.F(result.Options.Alpha)),
                Property("correction", result.Options.Holm ? "holm" : "none")),
            cases,
            new XElement("system-out", string.Join("\n", report.Notes.Prepend(report.Headline))));
        return new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement("testsuites",
                new XAttribute("name", "evals gate"),
                new XAttribute("tests", checks.Count),
                new XAttribute("failures", failures),
                new XAttribute("errors", 0),
                new XAttribute("time", time),
                suite));
    }

    private static XElement Property(string name, string value) => new("property", new XAttribute("name", name), new XAttribute("value", value));
}
