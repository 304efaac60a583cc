using System.CommandLine;
using System.Globalization;
using Evals.Benchmarks.Statistics;
using Evals.Runner.Gate;
using Evals.Runner.Runs;
using Evals.Storage.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary><c>evals gate</c>: is the candidate checkpoint significantly worse than the baseline? Exit 0 pass, 1 regression, 2 cannot decide.</summary>
internal static class GateCommands
{
    public static Command Gate()
    {
        var candidate = new Option<string>("--candidate") { Description = "Model spec, registered model name, or the id of a finished run", Required = true };
        var baseline = new Option<string>("--baseline") { Description = "Model spec, registered model name, run id, or latest-accepted (the candidate family's last accepted checkpoint)", Required = true };
        var suite = new Option<string>("--suite") { Description = "Suite name", Required = true };
        var maxDrop = new Option<double?>("--max-drop") { Description = "Points a task or the overall score may drop before significance is looked at (default 1)" };
        var alpha = new Option<double>("--alpha") { Description = "Significance level of a drop", DefaultValueFactory = _ => 0.05 };
        var tasks = new Option<string?>("--tasks") { Description = "Compare only these tasks (comma-separated, full or short names)" };
        var thresholds = new Option<FileInfo?>("--thresholds") { Description = "JSON file of allowed drops: {\"default\": 1, \"overall\": 0.5, \"smoke/idioms\": 3}" };
        var junit = new Option<FileInfo?>("--junit") { Description = "Write JUnit XML (one test case per task) to this file" };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Write a Markdown summary (for a pull-request comment) to this file" };
        var html = new Option<FileInfo?>("--html") { Description = "Write a self-contained HTML report with charts to this file" };
        var accept = new Option<bool>("--accept-on-pass") { Description = "On a pass, mark the candidate as its family's latest accepted checkpoint" };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N items of each task" };
        var correction = new Option<string>("--correction") { Description = "holm (adjust p-values over all checks) or none", DefaultValueFactory = _ => "holm" };
        var rounds = new Option<int>("--rounds") { Description = "Bootstrap resamples", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<long>("--seed") { Description = "Bootstrap seed" };
        var noWorker = new Option<bool>("--no-worker") { Description = "Only wait; let other worker nodes execute the runs" };
        var command = new Command("gate", "Fail (exit 1) when the candidate is significantly worse than the baseline by more than the allowed drop")
        {
            candidate, baseline, suite, maxDrop, alpha, tasks, thresholds, junit, markdown, html, accept, limit, correction, rounds, seed, noWorker,
        };
        command.SetAction(async (parse, ct) =>
        {
            var a = parse.GetValue(alpha);
            if (a is <= 0 or >= 1) throw new BadInputException($"--alpha {a.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1");
            if (parse.GetValue(maxDrop) is < 0) throw new BadInputException($"--max-drop {parse.GetValue(maxDrop)} must be 0 or more");
            if (parse.GetValue(rounds) is < 100 or > 1_000_000) throw new BadInputException($"--rounds {parse.GetValue(rounds)} must be in [100, 1000000]");
            if (parse.GetValue(correction) is not ("holm" or "none")) throw new BadInputException($"--correction '{parse.GetValue(correction)}' must be holm or none");
            foreach (var file in new[] { parse.GetValue(junit), parse.GetValue(markdown), parse.GetValue(html) })
                if (file?.Directory is { Exists: false } dir) throw new BadInputException($"output folder '{dir.FullName}' does not exist");
            var limits = parse.GetValue(thresholds) is { } t ? GateThresholds.Read(t.FullName) : GateThresholds.Empty;

            var started = System.Diagnostics.Stopwatch.StartNew();
            using var host = await CliHost.CreateAsync(!parse.GetValue(noWorker), verbose: false, ct);
            await host.StartAsync(ct);
            try
            {
                return await RunGateAsync(host.Services, parse, started, limits, ct);
            }
            catch (GateIncompleteException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }

            async Task<int> RunGateAsync(IServiceProvider services, ParseResult parse, System.Diagnostics.Stopwatch started, GateThresholds limits, CancellationToken ct)
            {
                var gate = ActivatorUtilities.CreateInstance<GateRuns>(services);
                var submitter = services.GetRequiredService<RunSubmitter>();
                var suiteName = parse.GetValue(suite)!.Trim();
                var config = new RunConfig { Limit = parse.GetValue(limit) };

                // 1. Resolve both sides completely before anything is written.
                var candidateText = parse.GetValue(candidate)!.Trim();
                GateSide? candidateRun = null;
                ValidatedRun? candidateToRun = null;
                string version;
                IReadOnlyList<string> taskNames;
                if (Guid.TryParse(candidateText, out var candidateId))
                {
                    candidateRun = await gate.FinishedRunAsync(candidateId, "candidate", ct);
                    if (candidateRun.Suite != suiteName)
                        throw new BadInputException($"--candidate: run {candidateId} evaluated suite '{candidateRun.Suite}', not '{suiteName}'");
                    version = candidateRun.SuiteVersion;
                    taskNames = await gate.TaskNamesAsync(candidateId, ct);
                }
                else
                {
                    candidateToRun = await submitter.ValidateAsync(new RunRequest(candidateText, suiteName, config), m => Console.Error.WriteLine($"warning: {m}"), ct);
                    version = candidateToRun.Suite.Version;
                    taskNames = candidateToRun.Suite.Tasks.Select(x => x.Task.FullName).ToList();
                }
                var registered = await gate.RegisteredAsync(candidateText, candidateRun?.ModelId ?? candidateToRun?.Model.ModelId, ct);
                if (parse.GetValue(accept) && registered?.Family is null)
                    throw new BadInputException("--accept-on-pass: the candidate must be a registered model with a family (`evals models add --name … --family …`)");

                var baselineText = parse.GetValue(baseline)!.Trim();
                if (baselineText == GateRuns.LatestAccepted)
                {
                    if (registered is null)
                        throw new BadInputException($"--baseline {GateRuns.LatestAccepted}: the candidate '{candidateText}' is not a registered model, so it has no family");
                    var accepted = await gate.LatestAcceptedAsync(registered, ct);
                    Console.Error.WriteLine($"baseline: {accepted.Name} ({accepted.Checkpoint ?? "no checkpoint label"}), family {accepted.Family}'s latest accepted checkpoint");
                    baselineText = accepted.Name;
                }
                GateSide? baselineRun = null;
                ValidatedRun? baselineToRun = null;
                if (Guid.TryParse(baselineText, out var baselineId))
                    baselineRun = await gate.FinishedRunAsync(baselineId, "baseline", ct);
                else
                {
                    baselineToRun = await submitter.ValidateAsync(new RunRequest(baselineText, suiteName, config), m => Console.Error.WriteLine($"warning: {m}"), ct);
                    baselineRun = await gate.ReusableRunAsync(baselineToRun.Model.Spec.Text, suiteName, version, baselineToRun.Config, ct);
                    if (baselineRun is not null)
                    {
                        Console.Error.WriteLine($"baseline: reusing run {baselineRun.RunId} of {baselineRun.Model} on {suiteName}@{version}");
                        baselineToRun = null;
                    }
                    else if (baselineToRun.Suite.Version != version)
                        throw new BadInputException($"suites of different versions: the candidate run evaluated {suiteName}@{version}, the suite's files are now {suiteName}@{baselineToRun.Suite.Version} and no baseline run of {suiteName}@{version} exists");
                }
                if (baselineRun is not null && (baselineRun.Suite != suiteName || baselineRun.SuiteVersion != version))
                    throw new BadInputException($"suites of different versions: the baseline run {baselineRun.RunId} evaluated {baselineRun.Suite}@{baselineRun.SuiteVersion}, the candidate {suiteName}@{version}; compare runs of the same version");

                var only = GateTasks.Parse(parse.GetValue(tasks), suiteName, taskNames);
                var perTask = limits.Resolve(suiteName, taskNames);
                var options = new GateOptions(
                    MaxDrop: parse.GetValue(maxDrop) ?? limits.Default ?? 1.0,
                    Alpha: a,
                    TaskMaxDrop: perTask,
                    OverallMaxDrop: limits.Overall,
                    Holm: parse.GetValue(correction) == "holm",
                    Rounds: parse.GetValue(rounds),
                    Seed: parse.GetValue(seed));

                // 2. Run what has to run.
                var toRun = new List<(ValidatedRun, string)>();
                if (candidateToRun is not null) toRun.Add((candidateToRun, "candidate"));
                if (baselineToRun is not null) toRun.Add((baselineToRun, "baseline"));
                var finished = await RunWaiter.SubmitAndWaitAsync(services, toRun, ct);
                for (var i = 0; i < finished.Count; i++)
                    if (finished[i].Status != RunStatus.Succeeded)
                        throw new GateIncompleteException($"{toRun[i].Item2} run {finished[i].Run.Id} ended {finished[i].Status.ToString().ToLowerInvariant()}; the gate cannot decide (see `evals runs show {finished[i].Run.Id}`)");
                GateSide Side(ValidatedRun validated, Run run) => new(run.Id, run.ModelName, run.ModelId, validated.Suite.Name, validated.Suite.Version, Reused: false);
                candidateRun ??= Side(candidateToRun!, finished[0].Run);
                baselineRun ??= Side(baselineToRun!, finished[^1].Run);

                // 3. Compare on the same items and decide.
                var notes = new List<string>();
                var aligned = await gate.AlignedScoresAsync([(candidateRun.RunId, "candidate"), (baselineRun.RunId, "baseline")], only, notes, ct);
                var paired = aligned.Select(x => new PairedTask(x.Task, x.Metric, x.Scores[0], x.Scores[1])).ToList();
                var result = RegressionGate.Evaluate(paired, options);
                var time = services.GetRequiredService<TimeProvider>();
                var report = new GateReport(candidateRun, baselineRun, result, notes, time.GetUtcNow(), Math.Round(started.Elapsed.TotalSeconds, 3));

                Print(report);
                if (parse.GetValue(junit) is { } junitFile) JUnitReport.Build(report).Save(junitFile.FullName);
                if (parse.GetValue(markdown) is { } markdownFile) await File.WriteAllTextAsync(markdownFile.FullName, MarkdownReport.Build(report), ct);
                if (parse.GetValue(html) is { } htmlFile) await File.WriteAllTextAsync(htmlFile.FullName, HtmlReport.Build(report), ct);
                if (!result.Passed)
                {
                    Console.Error.WriteLine($"gate failed: {string.Join("; ", result.Failures.Select(f => $"{f.Name} {f.Reason}"))}");
                    return ExitCodes.Failed;
                }
                if (parse.GetValue(accept))
                {
                    await gate.AcceptAsync(registered!.Id, ct);
                    Console.WriteLine($"accepted {registered.Name} as family {registered.Family}'s latest checkpoint");
                }
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private static void Print(GateReport report)
    {
        var table = new Table().AddColumns("", "check", "n", "baseline", "candidate", "Δ", $"{report.ConfidencePercent}% CI", "test", "p (adj.)", "allowed drop", "verdict");
        foreach (var c in report.Result.Checks)
        {
            var d = c.Comparison;
            table.AddRow(c.Failed ? "[red]FAIL[/]" : "[green]pass[/]", Markup.Escape(c.Name), d.N.ToString(CultureInfo.InvariantCulture), GateReport.F(c.Baseline), GateReport.F(c.Candidate),
                GateReport.Signed(d.Difference), $"{GateReport.Signed(d.CiLow)} … {GateReport.Signed(d.CiHigh)}", GateReport.TestName(d), GateReport.P(c.AdjustedP),
                GateReport.F(c.MaxDrop), Markup.Escape(c.Reason));
        }
        AnsiConsole.Write(table);
        foreach (var note in report.Notes) AnsiConsole.MarkupLine($"note: {Markup.Escape(note)}");
        AnsiConsole.MarkupLine($"candidate {Markup.Escape(report.Candidate.Model)} (run {report.Candidate.RunId}) vs baseline {Markup.Escape(report.Baseline.Model)} " +
                               $"(run {report.Baseline.RunId}{(report.Baseline.Reused ? ", reused" : "")}) on {Markup.Escape(report.SuiteLabel)}; {Markup.Escape(report.Settings)}");
        AnsiConsole.MarkupLine((report.Result.Passed ? "[green]gate: " : "[red]gate: ") + Markup.Escape(report.Headline) + "[/]");
    }
}
