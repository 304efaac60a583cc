using System.CommandLine;
using System.Globalization;
using Evals.Benchmarks.Suites.Hallucination;
using Evals.Benchmarks.Suites.Import;
using Evals.Runner.Runs;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals halluqa score-outputs DIR [--data HalluQA.json]</c>: HalluQA's leaderboard from judged outputs in its
/// format (every <c>*.json</c> under DIR whose entries carry <c>is_hallucination</c>), computed as the official script
/// does; one row per model. Needs no database.
/// </summary>
internal static class HalluQaCommands
{
    private static readonly string[] Kinds = [HallucinationKinds.Misleading, HallucinationKinds.MisleadingHard, HallucinationKinds.Knowledge];

    public static Command HalluQa()
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "Folder with judged outputs (searched recursively), e.g. HalluQA's Chinese_LLMs_outputs" };
        var data = new Option<FileInfo?>("--data") { Description = "HalluQA.json (default: the nearest one in DIR or the folders above it)" };
        var score = new Command("score-outputs", "Non-hallucination rate per category and in total from judged outputs, as HalluQA's leaderboard") { folder, data };
        score.SetAction((parse, ct) =>
        {
            var dir = parse.GetValue(folder)!;
            if (!dir.Exists) throw new BadInputException($"{dir.FullName}: no such folder");
            var dataFile = parse.GetValue(data)?.FullName ?? FindData(dir)
                ?? throw new BadInputException($"no HalluQA.json in {dir.FullName} or the folders above it; name it with --data");
            var questions = new HalluQaReader().Read(dataFile);
            if (!questions.Succeeded) throw new BadInputException(string.Join('\n', questions.Problems));
            var kinds = questions.Task(HalluQaReader.TaskName).Items.ToDictionary(i => i.Id, i => i.GetString("kind")!);

            var problems = new List<ImportProblem>();
            var rows = new List<LeaderboardRow>();
            foreach (var file in Directory.EnumerateFiles(dir.FullName, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (Path.GetFullPath(file) == Path.GetFullPath(dataFile)) continue;
                var outputs = HalluQaLeaderboard.Read(file, problems);
                if (outputs is null) continue;
                var row = HalluQaLeaderboard.Score(HalluQaLeaderboard.ModelName(file), kinds, outputs);
                if (row.UnknownIds > 0) problems.Add(new ImportProblem(file, 0, $"{row.UnknownIds} question_id(s) are not in {dataFile}"));
                rows.Add(row);
            }
            if (problems.Count > 0) throw new BadInputException(string.Join('\n', problems));
            if (rows.Count == 0) throw new BadInputException($"{dir.FullName}: no judged outputs (JSON arrays whose entries carry is_hallucination)");

            var table = new Table().AddColumns("model", "misleading", "misleading-hard", "knowledge", "total");
            foreach (var row in rows.OrderByDescending(r => r.Total.Rate).ThenBy(r => r.Model, StringComparer.Ordinal))
                table.AddRow([Markup.Escape(row.Model), .. Kinds.Select(k => Cell(row.Kinds.GetValueOrDefault(k))), Cell(row.Total)]);
            AnsiConsole.Write(table);
            Console.WriteLine("non-hallucination rate (%): answers the judge found not hallucinated and not empty, over all answers of the category");
            return Task.FromResult(ExitCodes.Success);
        });
        return new Command("halluqa", "HalluQA utilities") { score };
    }

    private static string Cell(PassCount? count) =>
        count is null ? "–" : string.Create(CultureInfo.InvariantCulture, $"{count.Rate:0.00} ({count.Passed}/{count.Total})");

    private static string? FindData(DirectoryInfo dir)
    {
        for (var d = dir; d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "HalluQA.json"))) return Path.Combine(d.FullName, "HalluQA.json");
        return null;
    }
}
