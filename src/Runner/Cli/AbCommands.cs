using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Evals.Benchmarks.Experiments;
using Evals.Runner.Gate;
using Evals.Runner.Runs;
using Evals.Storage.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary><c>evals ab run</c>: one model, one suite, two or more prompt variants on the same items.</summary>
internal static class AbCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Ab()
    {
        var model = new Option<string>("--model") { Description = "Model spec or registered model name", Required = true };
        var suite = new Option<string>("--suite") { Description = "Suite name", Required = true };
        var variants = new Option<string[]>("--variant") { Description = "NAME=FILE, at least twice: a template for every task, or a .json object of task → template", Required = true, AllowMultipleArgumentsPerToken = false };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N items of each task" };
        var alpha = new Option<double>("--alpha") { Description = "Significance level for declaring a winner", DefaultValueFactory = _ => 0.05 };
        var rounds = new Option<int>("--rounds") { Description = "Bootstrap resamples", DefaultValueFactory = _ => 10_000 };
        var json = new Option<FileInfo?>("--json") { Description = "Write the comparison as JSON to this file" };
        var noWorker = new Option<bool>("--no-worker") { Description = "Only wait; let other worker nodes execute the runs" };
        var run = new Command("run", "Run every prompt variant on the same items and compare them") { model, suite, variants, limit, alpha, rounds, json, noWorker };
        run.SetAction(async (parse, ct) =>
        {
            var a = parse.GetValue(alpha);
            if (a is <= 0 or >= 1) throw new BadInputException($"--alpha {a.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1");
            if (parse.GetValue(rounds) is < 100 or > 1_000_000) throw new BadInputException($"--rounds {parse.GetValue(rounds)} must be in [100, 1000000]");
            var named = parse.GetValue(variants)!.Select(PromptVariantFile.ParseOption).ToList();
            if (named.Count < 2) throw new BadInputException($"--variant: an A/B test needs at least two variants (got {named.Count})");
            if (named.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new BadInputException($"--variant: name '{twice.Key}' is used twice");
            if (parse.GetValue(json)?.Directory is { Exists: false } dir) throw new BadInputException($"--json: folder '{dir.FullName}' does not exist");

            using var host = await CliHost.CreateAsync(!parse.GetValue(noWorker), verbose: false, ct);
            // Everything is validated before the worker starts: a refusal then stops nothing half-started (a scheduler
            // stopped right after its start logged a faulted task).
            var services = host.Services;
            var validated = await services.GetRequiredService<RunSubmitter>()
                .ValidateAsync(new RunRequest(parse.GetValue(model)!, parse.GetValue(suite)!, new RunConfig { Limit = parse.GetValue(limit) }), m => Console.Error.WriteLine($"warning: {m}"), ct);
            var files = named.Select(v => PromptVariantFile.Read(v.Name, v.Path, validated.Suite)).ToList();
            await host.StartAsync(ct);
            try
            {
                var experiment = Guid.CreateVersion7(services.GetRequiredService<TimeProvider>().GetUtcNow());
                var requests = files.Select(f => (validated with
                {
                    Config = validated.Config with
                    {
                        PromptVariant = f.Name,
                        PromptTemplates = new Dictionary<string, string>(f.Templates),
                        PromptHash = f.Hash,
                        Experiment = experiment,
                    },
                }, $"variant {f.Name}")).ToList();
                var finished = await RunWaiter.SubmitAndWaitAsync(services, requests, ct);
                for (var i = 0; i < finished.Count; i++)
                    if (finished[i].Status != RunStatus.Succeeded)
                    {
                        Console.Error.WriteLine($"error: variant {files[i].Name}'s run {finished[i].Run.Id} ended {finished[i].Status.ToString().ToLowerInvariant()} (see `evals runs show {finished[i].Run.Id}`)");
                        return ExitCodes.Failed;
                    }

                var notes = new List<string>();
                var aligned = await ActivatorUtilities.CreateInstance<GateRuns>(services)
                    .AlignedScoresAsync(finished.Select((f, i) => (f.Run.Id, $"variant {files[i].Name}")).ToList(), null, notes, ct);
                var report = VariantComparison.Compare(files.Select(f => f.Name).ToList(),
                    aligned.Select(x => new VariantTask(x.Task, x.Metric, x.Keys, x.Scores)).ToList(), a, parse.GetValue(rounds));
                Print(report, notes);
                if (parse.GetValue(json) is { } file)
                {
                    var output = new
                    {
                        Experiment = experiment,
                        Model = validated.Model.Name,
                        Suite = validated.Suite.Name,
                        SuiteVersion = validated.Suite.Version,
                        Variants = files.Select((f, i) => new { f.Name, File = f.Path, PromptHash = f.Hash, RunId = finished[i].Run.Id, f.Templates }),
                        report.Scores,
                        Pairs = report.Pairs.Select(p => new { p.First, p.Second, p.Overall, p.AdjustedP, p.Significant, p.Tasks }),
                        report.Disagreements,
                        report.Winner,
                        report.Verdict,
                        report.Alpha,
                        Notes = notes,
                    };
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(output, Json), ct);
                }
                return ExitCodes.Success;
            }
            catch (GateIncompleteException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        var ab = new Command("ab", "Prompt A/B tests");
        ab.Subcommands.Add(run);
        return ab;
    }

    private static void Print(VariantReport report, IReadOnlyList<string> notes)
    {
        var percent = (int)Math.Round(100 * (1 - report.Alpha));
        var scores = new Table().AddColumn("task");
        foreach (var v in report.Variants) scores.AddColumn($"{Markup.Escape(v)} ({percent}% CI)");
        foreach (var task in report.Scores.Select(s => s.Task).Distinct())
            scores.AddRow([Markup.Escape(task), .. report.Variants.Select(v => report.Scores.Single(s => s.Variant == v && s.Task == task))
                .Select(s => $"{GateReport.F(s.Score)} ({GateReport.F(s.CiLow)}–{GateReport.F(s.CiHigh)})")]);
        AnsiConsole.Write(scores);
        var pairs = new Table().AddColumns("pair", "Δ overall", $"{percent}% CI", "p (Holm)", "significant", "per task (Δ, p)");
        foreach (var p in report.Pairs)
            pairs.AddRow(Markup.Escape($"{p.First} − {p.Second}"), GateReport.Signed(p.Overall.Difference), $"{GateReport.Signed(p.Overall.CiLow)} … {GateReport.Signed(p.Overall.CiHigh)}",
                GateReport.P(p.AdjustedP), p.Significant ? "yes" : "no",
                Markup.Escape(string.Join("; ", p.Tasks.Select(t => $"{t.Name} {GateReport.Signed(t.Difference)} (p {GateReport.P(t.PValue)})"))));
        AnsiConsole.Write(pairs);
        AnsiConsole.MarkupLine($"{report.Disagreements.Count} item(s) where the variants disagree" + (report.Disagreements.Count > 0 ? ":" : ""));
        foreach (var d in report.Disagreements.Take(20))
            AnsiConsole.MarkupLine($"  {Markup.Escape(d.Task)} {Markup.Escape(d.Key)}: " +
                Markup.Escape(string.Join(", ", report.Variants.Select((v, i) => $"{v} {GateReport.F(d.Scores[i])}"))));
        if (report.Disagreements.Count > 20) AnsiConsole.MarkupLine($"  … and {report.Disagreements.Count - 20} more (all of them in --json)");
        foreach (var note in notes) AnsiConsole.MarkupLine($"note: {Markup.Escape(note)}");
        AnsiConsole.MarkupLine(Markup.Escape(report.Verdict));
    }
}
