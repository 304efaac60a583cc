using System.Text.Json;
using Evals.Benchmarks.Ratings;

namespace Evals.Benchmarks.Tests;

/// <summary>Readers for shared dataset files used by several test classes; finding them is <see cref="SharedDatasets"/>.</summary>
public static class SharedData
{
    /// <summary>
    /// The PRD Vicuna80 human votes as arena battles, per its README: file <c>answer_M1-vs-answer_M2-human-reviewer_threeclass.jsonl</c>,
    /// score 1 → model_a (M1) won, 2 → model_b (M2) won, 3 → tie; files in ordinal name order, lines in file order.
    /// </summary>
    public static List<Battle> LoadPrdVicunaBattles(string datasetDirectory)
    {
        const string prefix = "answer_";
        const string suffix = "-human-reviewer_threeclass.jsonl";
        var battles = new List<Battle>();
        var files = Directory.GetFiles(Path.Combine(datasetDirectory, "ratings-human"), "*.jsonl")
            .OrderBy(Path.GetFileName, StringComparer.Ordinal);
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var pair = name[prefix.Length..^suffix.Length].Split("-vs-answer_");
            Assert.Equal(2, pair.Length);
            foreach (var line in File.ReadLines(file))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var json = JsonDocument.Parse(line);
                var winner = json.RootElement.GetProperty("score").GetInt32() switch
                {
                    1 => BattleWinner.ModelA,
                    2 => BattleWinner.ModelB,
                    3 => BattleWinner.Tie,
                    var other => throw new InvalidDataException($"{name}: unexpected score {other}"),
                };
                battles.Add(new Battle(pair[0], pair[1], winner));
            }
        }
        return battles;
    }
}
