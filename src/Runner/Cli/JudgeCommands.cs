using System.CommandLine;
using System.Globalization;
using Evals.Benchmarks.Hallucination;
using Evals.Runner.Hallucination;
using Evals.Runner.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals judge-check --judge SPEC --labels FILE [--min-kappa K]</c>: how far a judge agrees with labelled answers
/// (Cohen's kappa), stored per judge in PostgreSQL. Exit 0 when kappa reaches the minimum, 1 when it does not (the
/// check ran; the judge failed it and runs will refuse it), 2 for bad input.
/// </summary>
internal static class JudgeCommands
{
    public static Command JudgeCheck()
    {
        var judge = new Option<string>("--judge") { Description = "Judge model spec or registered name", Required = true };
        var labels = new Option<FileInfo>("--labels") { Description = "Labelled answers in HalluQA's judged-output format (question, response, Best_Answer1.., is_hallucination)", Required = true };
        var minKappa = new Option<double?>("--min-kappa") { Description = "Kappa the judge must reach (default Judge:MinKappa, 0.6)" };
        var limit = new Option<int?>("--limit") { Description = "Check only the first N labelled answers" };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the judge even where the response cache holds its reply" };
        var command = new Command("judge-check", "Measure a judge's agreement with labels (Cohen's kappa); a judge below the minimum may not score runs")
            { judge, labels, minKappa, limit, noCache };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(labels)!;
            if (!file.Exists) throw new BadInputException($"--labels: {file.FullName} does not exist");
            var (read, problems) = JudgeLabelFile.Read(file.FullName);
            if (problems.Count > 0) throw new BadInputException(string.Join('\n', problems));
            if (parse.GetValue(limit) is { } n)
            {
                if (n < 1) throw new BadInputException($"--limit must be at least 1 (got {n})");
                read = read.Take(n).ToList();
            }
            if (read.Count == 0) throw new BadInputException($"--labels: {file.FullName} holds no labelled answers");

            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var options = host.Services.GetRequiredService<JudgeOptions>();
            var threshold = parse.GetValue(minKappa) ?? options.MinKappa;
            if (threshold is < -1 or > 1 || double.IsNaN(threshold)) throw new BadInputException($"--min-kappa must be in [-1, 1] (got {threshold})");
            var resolved = await host.Services.GetRequiredService<ModelResolver>().ResolveAsync(parse.GetValue(judge)!, ct);
            var result = await host.Services.GetRequiredService<JudgeChecks>().CheckAsync(resolved, file.FullName, read, threshold, parse.GetValue(noCache), ct);
            var check = result.Stored;

            var table = new Table().Title("labels (rows) × judge (columns)").AddColumns("", "judge: not hallucinated", "judge: hallucinated");
            table.AddRow("label: not hallucinated", result.Table[0, 0].ToString(CultureInfo.InvariantCulture), result.Table[0, 1].ToString(CultureInfo.InvariantCulture));
            table.AddRow("label: hallucinated", result.Table[1, 0].ToString(CultureInfo.InvariantCulture), result.Table[1, 1].ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"judge {resolved.Name}: {check.Items} items, {check.Unjudged} without a readable verdict, {result.EmptyAnswers} empty answers left out"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agreement: {check.Agreement:0.00}%"));
            Console.WriteLine(check.Kappa is { } kappa
                ? string.Create(CultureInfo.InvariantCulture, $"kappa: {kappa:0.0000}")
                : "kappa: undefined (the judge and the labels each gave a single verdict throughout)");
            if (check.Passed)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"passed: kappa ≥ {threshold:0.###}; the judge may score runs (check {check.Id})"));
                return ExitCodes.Success;
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"error: judge {resolved.Name} refused for scoring: kappa {(check.Kappa is { } k ? k.ToString("0.0000", CultureInfo.InvariantCulture) : "undefined")} is below {threshold:0.###}; runs with this judge will not start (check {check.Id})"));
            return ExitCodes.Failed;
        });
        return command;
    }
}
