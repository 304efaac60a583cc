using Evals.Benchmarks.Models;
using System.CommandLine;
using System.Text.Json;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

internal static class RunCommands
{
    public static Command Run()
    {
        var model = new Option<string>("--model") { Description = "Model spec (baseline:majority, onnx:DIR, openai:URL?model=…) or a registered model's name", Required = true };
        var suite = new Option<string>("--suite") { Description = "Suite name (a folder under datasets/)", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N items of each task" };
        var shots = new Option<int?>("--shots") { Description = "Few-shot examples per prompt (default: the task's own)" };
        var mode = new Option<string>("--mode") { Description = "auto, loglikelihood or generate", DefaultValueFactory = _ => "auto" };
        var seed = new Option<int>("--seed") { Description = "Seed recorded with the run and passed to sampling" };
        var batch = new Option<int>("--batch-size") { Description = "Items per committed batch", DefaultValueFactory = _ => 16 };
        var circular = new Option<bool>("--circular") { Description = "Multiple choice: also ask every rotation of the options; circular accuracy is reported beside accuracy" };
        var wait = new Option<bool>("--wait") { Description = "Show progress until the run ends, then its scores" };
        var json = new Option<FileInfo?>("--json") { Description = "With --wait: write the run summary JSON to this file" };
        var noWorker = new Option<bool>("--no-worker") { Description = "With --wait: only wait; let other worker nodes execute the run" };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the model for every item, even where the response cache holds the answer" };
        var judge = new Option<string?>("--judge") { Description = "Judged suites (halluqa): the judge model's spec or registered name; it must have passed `evals judge-check`" };
        var selfCheck = new Option<int>("--selfcheck") { Description = "Judged suites: sample K more answers per item and report SelfCheck consistency and its AUROC" };
        var selfCheckTemperature = new Option<double>("--selfcheck-temperature") { Description = "Sampling temperature of the SelfCheck answers", DefaultValueFactory = _ => 1.0 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature of the answers (default 0: greedy); a model spec's own temperature=T wins" };
        var samples = new Option<int>("--samples") { Description = "Numeric-answer (math) tasks: sample K answers per item and score their majority vote (self-consistency); needs a temperature above 0" };
        var baseline = new Option<string?>("--baseline") { Description = "Pairwise suites (alpacaeval): the baseline the answers are compared with: a run id (a stored run of the baseline model on the same suite) or a model spec or registered name (asked live); default: the baseline answers the items carry" };
        var reference = ReferenceOption();
        var command = new Command("run", "Evaluate a model on a suite")
            { model, suite, limit, shots, mode, seed, circular, batch, wait, json, noWorker, noCache, judge, baseline, selfCheck, selfCheckTemperature, temperature, samples, reference };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(json) is not null && !parse.GetValue(wait))
                throw new BadInputException("--json needs --wait (the summary exists once the run has ended)");
            if (parse.GetValue(reference) is not null && !parse.GetValue(wait))
                throw new BadInputException("--reference needs --wait (it normalises the summary printed once the run has ended; `evals runs show ID --reference …` does it later)");
            var hostWorker = parse.GetValue(wait) && !parse.GetValue(noWorker);
            using var host = await CliHost.CreateAsync(hostWorker, verbose: false, ct);
            await host.StartAsync(ct);
            try
            {
                var config = new RunConfig
                {
                    Limit = parse.GetValue(limit),
                    Shots = parse.GetValue(shots),
                    Mode = parse.GetValue(mode)!,
                    Seed = parse.GetValue(seed),
                    BatchSize = parse.GetValue(batch),
                    Circular = parse.GetValue(circular),
                    NoCache = parse.GetValue(noCache),
                    Judge = parse.GetValue(judge),
                    PairwiseBaselineName = parse.GetValue(baseline),
                    SelfCheckSamples = parse.GetValue(selfCheck),
                    SelfCheckTemperature = parse.GetValue(selfCheckTemperature),
                    Decoding = new DecodingOptions(Temperature: parse.GetValue(temperature)),
                    Samples = parse.GetValue(samples),
                };
                var run = await host.Services.GetRequiredService<RunSubmitter>()
                    .SubmitAsync(new RunRequest(parse.GetValue(model)!, parse.GetValue(suite)!, config), message => Console.Error.WriteLine($"warning: {message}"), ct);
                if (!parse.GetValue(wait))
                {
                    Console.WriteLine(run.Id);
                    return ExitCodes.Success;
                }
                Console.Error.WriteLine($"Run {run.Id}: {run.ModelName} on {parse.GetValue(suite)}, {run.TotalItems} items");
                var status = (await RunWaiter.WaitAsync(host.Services, [new WaitedRun(run.Id, run.ModelName)], ct))[0];
                var summary = await host.Services.GetRequiredService<RunSummaryQuery>().GetAsync(run.Id, parse.GetValue(reference), ct);
                PrintSummary(summary!);
                if (parse.GetValue(json) is { } file)
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, RunSummary.Json), ct);
                return status == RunStatus.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    private static Option<string?> ReferenceOption() => new("--reference")
    {
        Description = "Normalise task scores against this run (id) or registered model (its latest succeeded run on the suite), CUGE-style: " +
            "the reference = 100 on every task, capabilities average those percentages (default: the reference capabilities.json names for the suite, else chance)",
    };

    internal static void PrintSummary(RunSummary summary)
    {
        // n counts every item asked; unparseable and refused answers are in it as misses (a miss is a miss).
        var table = new Table().AddColumns("task", "metric", "score", "95% CI", "n", "correct", "wrong", "unparseable", "refused", "error", "answered acc.");
        foreach (var (name, task) in summary.Tasks)
            table.AddRow(Markup.Escape(name), task.Metric, $"{task.Score:0.00}", $"{task.CiLow:0.0}–{task.CiHigh:0.0}", task.N.ToString(),
                task.Outcomes["correct"].ToString(), task.Outcomes["wrong"].ToString(),
                task.Outcomes["unparseable"].ToString(), task.Outcomes["refused"].ToString(), task.Outcomes["error"].ToString(),
                task.Metrics?.GetValueOrDefault(TaskScoring.AnsweredAccuracy) is { } answered ? $"{answered.Score:0.00}" : "—");
        table.AddRow("[bold]overall[/]", "", (summary.Overall is { } overall ? $"[bold]{overall:0.00}[/]" : "— (overlap metrics only: --reference)") + (summary.Status == "succeeded" && !summary.Complete ? " [red](incomplete)[/]" : ""),
            "", "", "", "", "", "", "", "");
        AnsiConsole.Write(table);
        PrintNormalisation(summary);
        foreach (var (name, task) in summary.Tasks.Where(t => t.Value.Hallucination is not null))
            PrintHallucination(name, task, summary.Judge);
        foreach (var (name, task) in summary.Tasks.Where(t => t.Value.Breakdown is not null))
            AnsiConsole.MarkupLine($"{Markup.Escape(name)} by {Markup.Escape(task.BreakdownField ?? "group")}: " + string.Join(", ",
                task.Breakdown!.Select(g => $"{Markup.Escape(g.Key)} {g.Value.Score:0.00} (n {g.Value.N})")));
        if (summary.SelfConsistency is { } voting) AnsiConsole.MarkupLine($"self-consistency: {Markup.Escape(voting)}");
        var usage = summary.Usage;
        AnsiConsole.MarkupLine($"usage: {usage.PromptTokens} prompt + {usage.CompletionTokens} completion tokens, cost {usage.Cost:0.######}, " +
            $"{usage.CachedItems} cached, mean latency {usage.MeanLatencyMs:0.#} ms" + (usage.MeanTtftMs is { } ttft ? $", mean time to first token {ttft:0.#} ms" : ""));
        AnsiConsole.MarkupLine($"run [bold]{summary.RunId}[/] {summary.Status} — {Markup.Escape(summary.Model)} on {summary.Suite}@{summary.SuiteVersion} ({summary.Mode})" +
            (summary.RescoredFrom is { } source ? $", re-scored from run {source}" : "") +
            (summary.Error is null ? "" : $": [red]{Markup.Escape(summary.Error)}[/]"));
        if (summary.Status == "succeeded" && !summary.Complete)
            AnsiConsole.MarkupLine($"[red]incomplete[/]: {summary.FailedItems} item(s) failed with errors and are left out of these scores; " +
                $"`evals runs retry {summary.RunId}` completes the run (the gate and A/B tests refuse it until then)");
    }

    private static void PrintNormalisation(RunSummary summary)
    {
        if (summary.Reference is { } reference)
        {
            var table = new Table().Title($"relative to run {reference.RunId} ({Markup.Escape(reference.Model)}) = 100, CUGE-style")
                .AddColumns("task", "score", "reference", "relative");
            foreach (var (name, task) in summary.Tasks.Where(t => t.Value.ReferenceScore is not null))
                table.AddRow(Markup.Escape(name), $"{task.Score:0.00}", $"{task.ReferenceScore:0.00}", task.Relative is { } r ? $"{r:0.00}" : "—");
            AnsiConsole.Write(table);
        }
        if (summary.Capabilities.Count > 0)
            AnsiConsole.MarkupLine($"capabilities ({summary.Normalisation}-normalised): " +
                string.Join(", ", summary.Capabilities.Select(c => $"{Markup.Escape(c.Key)} {c.Value:0.00}")));
        if (summary.ReferenceNote is { } note) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        foreach (var (name, why) in summary.LeftOutOfCapabilities ?? [])
            AnsiConsole.MarkupLine($"not in capabilities: {Markup.Escape(name)} — {Markup.Escape(why)}");
    }

    private static void PrintHallucination(string name, TaskSummary task, string? judge)
    {
        var report = task.Hallucination!;
        var table = new Table().Title($"{Markup.Escape(name)}: hallucination (judge {Markup.Escape(judge ?? "?")})")
            .AddColumns("kind", "hallucination rate", "95% CI (Wilson)", "non-hallucination rate", "n", "unjudged");
        void Row(string kind, Evals.Benchmarks.Hallucination.KindRates rates) =>
            table.AddRow(Markup.Escape(kind), $"{rates.Hallucination.Value:0.00}", $"{rates.Hallucination.CiLow:0.0}–{rates.Hallucination.CiHigh:0.0}",
                $"{rates.NonHallucination.Value:0.00}", rates.Hallucination.N.ToString(), rates.Unjudged.ToString());
        foreach (var (kind, rates) in report.Kinds) Row(kind, rates);
        Row("[bold]total[/]", report.Overall);
        AnsiConsole.Write(table);
        if (report.RefusalOnUnanswerable is { } refusal)
            AnsiConsole.MarkupLine($"refusal when unknown: {refusal.Value:0.00}% of {refusal.N} unanswerable items (95% CI {refusal.CiLow:0.0}–{refusal.CiHigh:0.0})");
        if (report.SelfCheck is { } selfCheck)
            AnsiConsole.MarkupLine($"selfcheck over {selfCheck.N} judged items: mean n-gram likelihood {selfCheck.MeanNgramLikelihood:0.000}, AUROC {Auroc(selfCheck.AurocNgram)}" +
                (selfCheck.MeanJudgeLikelihood is { } j ? $"; mean judge likelihood {j:0.000}, AUROC {Auroc(selfCheck.AurocJudge)}" : ""));

        static string Auroc(double? value) => value is { } v ? $"{v:0.000}" : "undefined (one class only)";
    }

    /// <summary>
    /// <c>runs rescore ID</c>: a new run scoring the source's stored outputs with today's rules, no model calls. The id is
    /// read as text so that a malformed one gets our own message (exit 2), as an unknown one does.
    /// </summary>
    private static Command Rescore()
    {
        var id = new Argument<string>("id") { Description = "The run whose stored outputs to score again" };
        var wait = new Option<bool>("--wait") { Description = "Show progress until the re-scoring ends, then its scores and what changed" };
        var json = new Option<FileInfo?>("--json") { Description = "With --wait: write the new run's summary JSON to this file" };
        var noWorker = new Option<bool>("--no-worker") { Description = "With --wait: only wait; let other worker nodes execute it" };
        var command = new Command("rescore", "Score a finished run's stored outputs again with today's rules, as a new run linked to it (no model calls)")
            { id, wait, json, noWorker };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(json) is not null && !parse.GetValue(wait))
                throw new BadInputException("--json needs --wait (the summary exists once the re-scoring has ended)");
            using var host = await CliHost.CreateAsync(parse.GetValue(wait) && !parse.GetValue(noWorker), verbose: false, ct);
            await host.StartAsync(ct);
            try
            {
                var rescorer = host.Services.GetRequiredService<Rescoring.RunRescorer>();
                var run = await rescorer.SubmitAsync(parse.GetValue(id)!, ct);
                if (!parse.GetValue(wait))
                {
                    Console.WriteLine(run.Id);
                    return ExitCodes.Success;
                }
                Console.Error.WriteLine($"Run {run.Id}: re-scoring run {run.RescoredFrom} ({run.ModelName}), {run.TotalItems} items, no model calls");
                var status = (await RunWaiter.WaitAsync(host.Services, [new WaitedRun(run.Id, run.ModelName)], ct))[0];
                var summary = await host.Services.GetRequiredService<RunSummaryQuery>().GetAsync(run.Id, ct);
                PrintSummary(summary!);
                var report = await rescorer.ReportAsync(run.Id, ct);
                Console.WriteLine($"re-scored from run {run.RescoredFrom}: {report.Scored} items scored again, {report.Changed} changed outcome or score" +
                    string.Concat(report.Copied.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"; {c.Value} {c.Key}")));
                if (parse.GetValue(json) is { } file)
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, RunSummary.Json), ct);
                return status == RunStatus.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        });
        return command;
    }

    public static Command Runs()
    {
        var runs = new Command("runs", "List, inspect, cancel, retry and re-score runs");

        var take = new Option<int>("--last") { Description = "How many recent runs", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "Recent runs, newest first") { take };
        list.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            var rows = await db.Runs.AsNoTracking().Include(r => r.Suite).OrderByDescending(r => r.CreatedAt).Take(parse.GetValue(take)).ToListAsync(ct);
            var table = new Table().AddColumns("id", "model", "suite", "status", "progress", "failed", "created");
            foreach (var r in rows)
                table.AddRow(r.Id.ToString(), Markup.Escape(r.ModelName), r.Suite!.Name, r.Status.ToString().ToLowerInvariant(),
                    $"{r.CompletedItems}/{r.TotalItems}", r.FailedItems.ToString(), r.CreatedAt.ToString("u"));
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });

        var id = new Argument<Guid>("id") { Description = "Run id" };
        var asJson = new Option<bool>("--json") { Description = "Print the run summary JSON" };
        var reference = ReferenceOption();
        var show = new Command("show", "A run's status and scores") { id, asJson, reference };
        show.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var summary = await host.Services.GetRequiredService<RunSummaryQuery>().GetAsync(parse.GetValue(id), parse.GetValue(reference), ct)
                ?? throw new BadInputException($"no run with id {parse.GetValue(id)}");
            if (parse.GetValue(asJson)) Console.WriteLine(JsonSerializer.Serialize(summary, RunSummary.Json));
            else
            {
                Console.WriteLine($"progress: {summary.CompletedItems}/{summary.TotalItems} items, {summary.FailedItems} failed");
                PrintSummary(summary);
            }
            return ExitCodes.Success;
        });

        var cancelId = new Argument<Guid>("id") { Description = "Run id" };
        var cancel = new Command("cancel", "Cancel a queued or running run") { cancelId };
        cancel.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var status = await host.Services.GetRequiredService<RunControl>().CancelAsync(parse.GetValue(cancelId), ct);
            Console.WriteLine(status == RunStatus.Cancelled ? "cancelled" : status is RunStatus.Running or RunStatus.Queued
                ? "cancellation requested; the worker stops before its next batch" : $"run already {status.ToString().ToLowerInvariant()}");
            return ExitCodes.Success;
        });

        var retryId = new Argument<Guid>("id") { Description = "Run id" };
        var retry = new Command("retry", "Queue a failed or cancelled run again; stored results are kept, failed items are retried") { retryId };
        retry.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            await host.Services.GetRequiredService<RunControl>().RetryAsync(parse.GetValue(retryId), ct);
            Console.WriteLine("queued");
            return ExitCodes.Success;
        });

        runs.Subcommands.Add(list);
        runs.Subcommands.Add(show);
        runs.Subcommands.Add(cancel);
        runs.Subcommands.Add(retry);
        runs.Subcommands.Add(Rescore());
        return runs;
    }
}
