using System.CommandLine;
using System.Globalization;
using Evals.Benchmarks.Hallucination;
using Evals.Benchmarks.Judging;
using Evals.Runner.Hallucination;
using Evals.Runner.Runs;
using JudgeModes = Evals.Storage.Entities.JudgeCheck.Modes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals judge-check --judge SPEC --labels FILE [--mode hallucination|pairwise|single] [--min-kappa K]</c>: how far a
/// judge agrees with labelled answers (Cohen's kappa; single grading: Spearman's rho against people's grades), stored per
/// judge, prompt version and mode in PostgreSQL. Exit 0 when kappa reaches the minimum, 1 when it does not (the
/// check ran; the judge failed it and runs will refuse it), 2 for bad input.
/// </summary>
internal static class JudgeCommands
{
    public static Command JudgeCheck()
    {
        var judge = new Option<string>("--judge") { Description = "Judge model spec or registered name", Required = true };
        var labels = new Option<FileInfo>("--labels") { Description = "hallucination: labelled answers in HalluQA's judged-output format (question, response, Best_Answer1.., is_hallucination); pairwise: PRD's human votes (a ratings-human folder or one of its files); single: JSON Lines of graded answers {question_id, category, question, answer, grade, reference?, dimensions?}", Required = true };
        var mode = new Option<string>("--mode") { Description = "What the judge is qualified for: hallucination (yes/no verdicts, the default), pairwise (A/B/tie, judged in both orders) or single (1–10 grades against people's)", DefaultValueFactory = _ => JudgeModes.Hallucination };
        var prompt = new Option<string?>("--prompt") { Description = $"single: the judge prompt family to check ({string.Join(", ", JudgePromptStyles.All)}); runs of that family need the check" };
        var answers = new Option<DirectoryInfo?>("--answers") { Description = "pairwise: a folder of answer_<model>.jsonl files ({question_id, text}) holding the answers the votes were about; without it the judge sees placeholders (PRD publishes no answers)" };
        var minKappa = new Option<double?>("--min-kappa") { Description = "Kappa the judge must reach (default Judge:MinKappa, 0.6; pairwise Judge:MinPairwiseKappa, 0.4)" };
        var minSpearman = new Option<double?>("--min-spearman") { Description = "single: Spearman's rho the judge must reach (default Judge:MinSingleSpearman, 0.5)" };
        var limit = new Option<int?>("--limit") { Description = "Check only the first N labelled answers" };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the judge even where the response cache holds its reply" };
        var command = new Command("judge-check", "Measure a judge's agreement with labels (Cohen's kappa); a judge below the minimum may not score runs")
            { judge, labels, mode, prompt, answers, minKappa, minSpearman, limit, noCache };
        command.SetAction(async (parse, ct) =>
        {
            var chosen = parse.GetValue(mode);
            if (chosen != JudgeModes.Single && parse.GetValue(prompt) is not null) throw new BadInputException("--prompt goes with --mode single only");
            if (chosen != JudgeModes.Single && parse.GetValue(minSpearman) is not null) throw new BadInputException("--min-spearman goes with --mode single only");
            switch (chosen)
            {
                case JudgeModes.Pairwise:
                    return await PairwiseAsync(parse, judge, labels, answers, minKappa, limit, noCache, ct);
                case JudgeModes.Single:
                    return await SingleAsync(parse, judge, labels, prompt, answers, minKappa, minSpearman, limit, noCache, ct);
                case JudgeModes.Hallucination:
                    break;
                case var other:
                    throw new BadInputException($"--mode '{other}': expected hallucination, pairwise or single");
            }
            if (parse.GetValue(answers) is not null) throw new BadInputException("--answers goes with --mode pairwise only");
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

    private static async Task<int> SingleAsync(ParseResult parse, Option<string> judge, Option<FileInfo> labels, Option<string?> prompt, Option<DirectoryInfo?> answers,
        Option<double?> minKappa, Option<double?> minSpearman, Option<int?> limit, Option<bool> noCache, CancellationToken ct)
    {
        if (parse.GetValue(answers) is not null) throw new BadInputException("--answers goes with --mode pairwise only; single labels carry their answers");
        if (parse.GetValue(minKappa) is not null) throw new BadInputException("--min-kappa: single grading is qualified on Spearman's rho; give --min-spearman");
        var style = parse.GetValue(prompt) ?? throw new BadInputException($"--mode single needs --prompt: the judge prompt family to check ({string.Join(", ", JudgePromptStyles.All)})");
        if (!JudgePromptStyles.All.Contains(style)) throw new BadInputException($"--prompt '{style}': expected one of {string.Join(", ", JudgePromptStyles.All)}");
        var file = parse.GetValue(labels)!;
        if (!file.Exists) throw new BadInputException($"--labels: {file.FullName} does not exist");
        var (read, problems) = SingleGradeLabels.Read(file.FullName, style);
        if (problems.Count > 0) throw new BadInputException(string.Join('\n', problems));
        if (parse.GetValue(limit) is { } n)
        {
            if (n < 1) throw new BadInputException($"--limit must be at least 1 (got {n})");
            read = read.Take(n).ToList();
        }

        using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
        var threshold = parse.GetValue(minSpearman) ?? host.Services.GetRequiredService<JudgeOptions>().MinSingleSpearman;
        if (threshold is < -1 or > 1 || double.IsNaN(threshold)) throw new BadInputException($"--min-spearman must be in [-1, 1] (got {threshold})");
        var resolved = await host.Services.GetRequiredService<ModelResolver>().ResolveAsync(parse.GetValue(judge)!, ct);
        var (check, agreement) = await host.Services.GetRequiredService<JudgeChecks>().CheckSingleAsync(resolved, file.FullName, style, read, threshold,
            parse.GetValue(noCache), ct);

        static string Show(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "undefined";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"judge {resolved.Name} (single, prompt {check.PromptVersion}): {agreement.Items} answers graded, {agreement.Unjudged} without a readable grade"));
        Console.WriteLine($"spearman: {Show(check.Spearman)}");
        Console.WriteLine($"kendall tau-b: {Show(check.KendallTauB)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"same grade: {check.Agreement:0.00}%, within one point: {(double.IsNaN(agreement.WithinOne) ? 0 : agreement.WithinOne):0.00}%"));
        if (check.Passed)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"passed: spearman ≥ {threshold:0.###}; the judge may grade {style} tasks (check {check.Id})"));
            return ExitCodes.Success;
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"error: judge {resolved.Name} refused for single grading ({style}): spearman {Show(check.Spearman)} is below {threshold:0.###}; runs with this judge will not start (check {check.Id})"));
        return ExitCodes.Failed;
    }

    private static async Task<int> PairwiseAsync(ParseResult parse, Option<string> judge, Option<FileInfo> labels, Option<DirectoryInfo?> answers,
        Option<double?> minKappa, Option<int?> limit, Option<bool> noCache, CancellationToken ct)
    {
        var path = parse.GetValue(labels)!.FullName;
        if (!File.Exists(path) && !Directory.Exists(path)) throw new BadInputException($"--labels: {path} does not exist");
        var answersFolder = parse.GetValue(answers);
        if (answersFolder is { Exists: false }) throw new BadInputException($"--answers: {answersFolder.FullName} does not exist");
        IReadOnlyList<PairwiseLabelItem> items;
        try
        {
            items = PairwiseLabels.Read(path, answersFolder?.FullName);
        }
        catch (FormatException e)
        {
            throw new BadInputException(e.Message);
        }
        if (parse.GetValue(limit) is { } n)
        {
            if (n < 1) throw new BadInputException($"--limit must be at least 1 (got {n})");
            items = items.Take(n).ToList();
        }

        using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
        var options = host.Services.GetRequiredService<JudgeOptions>();
        var threshold = parse.GetValue(minKappa) ?? options.MinPairwiseKappa;
        if (threshold is < -1 or > 1 || double.IsNaN(threshold)) throw new BadInputException($"--min-kappa must be in [-1, 1] (got {threshold})");
        var resolved = await host.Services.GetRequiredService<ModelResolver>().ResolveAsync(parse.GetValue(judge)!, ct);
        var (check, agreement) = await host.Services.GetRequiredService<JudgeChecks>().CheckPairwiseAsync(resolved, path, items, threshold, parse.GetValue(noCache), ct);

        string[] names = ["model1", "model2", "tie"];
        var table = new Table().Title("human votes (rows) × judge (columns)").AddColumns("", "judge: model1", "judge: model2", "judge: tie");
        for (var r = 0; r < 3; r++)
            table.AddRow($"votes: {names[r]}", agreement.Table[r, 0].ToString(CultureInfo.InvariantCulture), agreement.Table[r, 1].ToString(CultureInfo.InvariantCulture),
                agreement.Table[r, 2].ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (answersFolder is null) Console.WriteLine("note: no --answers: the judge saw placeholders for the answers (only a deterministic judge can use them)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"judge {resolved.Name} (pairwise, prompt {check.PromptVersion}): {agreement.Items} pairs judged in both orders, {agreement.Votes} human votes compared, {agreement.UnjudgedItems} pairs without a readable verdict"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agreement: {check.Agreement:0.00}%"));
        Console.WriteLine(check.Kappa is { } kappa ? string.Create(CultureInfo.InvariantCulture, $"kappa: {kappa:0.0000}") : "kappa: undefined");
        Console.WriteLine(check.PositionBiasRate is { } bias
            ? string.Create(CultureInfo.InvariantCulture, $"position bias: {bias:0.00}% of pairs changed verdict with the order ({agreement.Flipped} of {agreement.BothRead})")
            : "position bias: undefined (no pair was read in both orders)");
        if (check.Passed)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"passed: kappa ≥ {threshold:0.###}; the judge may judge pairwise tasks (check {check.Id})"));
            return ExitCodes.Success;
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"error: judge {resolved.Name} refused for pairwise judging: kappa {(check.Kappa is { } k ? k.ToString("0.0000", CultureInfo.InvariantCulture) : "undefined")} is below {threshold:0.###}; runs with this judge will not start (check {check.Id})"));
        return ExitCodes.Failed;
    }
}
