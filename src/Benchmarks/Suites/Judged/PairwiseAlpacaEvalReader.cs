using System.Globalization;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Judging;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Judged;

/// <summary>
/// AlpacaEval as published (tatsu-lab/alpaca_eval): <c>results/&lt;model&gt;/&lt;annotator&gt;/annotations.json</c> files and,
/// where present, the leaderboard CSV <c>src/alpaca_eval/leaderboards/data_AlpacaEval/&lt;annotator&gt;_leaderboard.csv</c>.
/// The items of task <c>alpaca_eval</c> are the instructions with the baseline's answer (<c>output_1</c>,
/// text-davinci-003 in AlpacaEval 1.0) as <see cref="PairwiseJudgedTask.BaselineOutputField"/>, ids 0…n−1 in file order;
/// every annotations file must hold the same instructions in the same order. Each shipped annotations file is also
/// scored (<see cref="AlpacaEvalWinRate"/>) and reported as a note, with whether it equals the leaderboard's row.
/// </summary>
public sealed class PairwiseAlpacaEvalReader : IFormatReader
{
    public const string TaskName = "alpaca_eval";
    public const string LeaderboardFolder = "src/alpaca_eval/leaderboards/data_AlpacaEval";

    public string Format => "alpacaeval";
    public string DefaultSuite => "alpacaeval";
    public string Expects => "AlpacaEval's repository layout: results/<model>/<annotator>/annotations.json (and optionally the leaderboard CSVs under " + LeaderboardFolder + ")";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var results = Path.Combine(path, "results");
        var files = Directory.Exists(results)
            ? Directory.GetFiles(results, "annotations.json", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList()
            : [];
        if (files.Count == 0)
        {
            builder.Fatal(path, 0, $"no results/<model>/<annotator>/annotations.json; expected {Expects}");
            return builder.Build();
        }
        IReadOnlyList<AlpacaEvalAnnotation>? first = null;
        string? firstFile = null;
        foreach (var file in files)
        {
            IReadOnlyList<AlpacaEvalAnnotation> annotations;
            try
            {
                annotations = AlpacaEvalAnnotations.Read(file);
            }
            catch (FormatException e)
            {
                builder.Fatal(file, 0, e.Message);
                continue;
            }
            if (first is null)
            {
                first = annotations;
                firstFile = file;
                for (var i = 0; i < annotations.Count; i++)
                {
                    var a = annotations[i];
                    if (a.Instruction.Trim().Length == 0) { builder.Problem(file, a.Line, "field 'instruction': empty"); continue; }
                    if (JsonLines.UnstorableText(JsonValue.Create(a.Instruction + a.Output1)) is { } unstorable) { builder.Problem(file, a.Line, unstorable); continue; }
                    builder.Add(TaskName, "eval", i.ToString(CultureInfo.InvariantCulture), new JsonObject
                    {
                        ["instruction"] = a.Instruction,
                        [PairwiseJudgedTask.BaselineOutputField] = a.Output1,
                        [PairwiseJudgedTask.BaselineModelField] = a.Generator1,
                    }, file, a.Line);
                }
            }
            else if (annotations.Count != first.Count || Enumerable.Range(0, first.Count).Any(i => annotations[i].Instruction != first[i].Instruction))
            {
                var at = Enumerable.Range(0, Math.Min(annotations.Count, first.Count)).FirstOrDefault(i => annotations[i].Instruction != first[i].Instruction, -1);
                builder.Fatal(file, at >= 0 ? annotations[at].Line : 0,
                    $"field 'instruction': does not match {firstFile} ({annotations.Count} annotations against {first.Count}); every annotations file must judge the same instructions in the same order");
                continue;
            }
            builder.Note(Describe(path, file, annotations));
        }
        return builder.Build();
    }

    private static string Describe(string root, string file, IReadOnlyList<AlpacaEvalAnnotation> annotations)
    {
        var model = annotations.Select(a => a.Generator2).Distinct().ToList();
        var baseline = annotations.Select(a => a.Generator1).Distinct().ToList();
        var annotator = Path.GetFileName(Path.GetDirectoryName(file)!);
        var d = AlpacaEvalWinRate.Describe(annotations.Select(a => a.Preference));
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{string.Join("/", model)} vs {string.Join("/", baseline)} ({annotator}): win_rate {d.WinRate:R}, standard_error {d.StandardError:R}, n_wins {d.Wins}, n_wins_base {d.WinsBase}, n_draws {d.Draws}, n_total {d.Total}");
        var board = Path.Combine(root, LeaderboardFolder, $"{annotator}_leaderboard.csv");
        if (!File.Exists(board) || model.Count != 1) return line + "; no leaderboard to compare with";
        var row = AlpacaEvalLeaderboard.Read(board).FirstOrDefault(r => r.Model == model[0]);
        if (row is null) return line + $"; {model[0]} is not on the leaderboard";
        var equal = row.WinRate == d.WinRate && row.StandardError == d.StandardError
            && (row.Wins, row.WinsBase, row.Draws, row.Total) == (d.Wins, d.WinsBase, d.Draws, d.Total);
        return line + (equal ? "; equal to the published leaderboard"
            : string.Create(CultureInfo.InvariantCulture, $"; DIFFERS from the published leaderboard (win_rate {row.WinRate:R}, standard_error {row.StandardError:R}, {row.Wins}/{row.WinsBase}/{row.Draws} of {row.Total})"));
    }
}
