using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Judging;

/// <summary>
/// One labelled pair: a question answered by two models, with every human vote on it. Votes are positional in the
/// labels' own order: <see cref="PairwiseVerdict.A"/> = <see cref="Model1"/> preferred, B = <see cref="Model2"/>, tie.
/// </summary>
public sealed record PairwiseLabelItem(int Index, string Id, string Source, int Line, int QuestionId, string Question,
    string Model1, string Model2, string Answer1, string Answer2, IReadOnlyList<PairwiseVerdict> Votes);

/// <summary>
/// Reads pairwise human labels in PRD's format (<c>prd_vicuna80_pairwise/ratings-human</c>): files named
/// <c>answer_&lt;model1&gt;-vs-answer_&lt;model2&gt;-human-reviewer_threeclass.jsonl</c>, each line
/// <c>{"question_id", "text", "score"}</c> with score 1 = model1 preferred, 2 = model2, 3 = tie. A folder is read file by
/// file in ordinal name order; within a file, items (one per question) come in the order their question first appears,
/// and <see cref="PairwiseLabelItem.Index"/> numbers them from 0 across the whole set.
/// <para>PRD does not publish the answers. With an answers folder (<c>answer_&lt;model&gt;.jsonl</c>, lines
/// <c>{"question_id", "text"}</c> as PRD and FastChat write them) the judge sees the real answers; without one, each
/// answer is a placeholder naming the model and question (<see cref="Placeholder"/>), which only a deterministic judge
/// can use.</para>
/// </summary>
public static partial class PairwiseLabels
{
    public static string Placeholder(string model, int questionId) =>
        string.Create(CultureInfo.InvariantCulture, $"（{model} 对问题 {questionId} 的回答未随标注发布）");

    public static IReadOnlyList<PairwiseLabelItem> Read(string path, string? answersFolder = null)
    {
        var files = Directory.Exists(path)
            ? Directory.GetFiles(path, "*.jsonl").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path] : throw new FileNotFoundException($"{path}: no such file or folder", path);
        if (files.Count == 0) throw new FormatException($"{path}: holds no .jsonl label files");
        var answers = new Dictionary<string, Dictionary<int, string>>(StringComparer.Ordinal);
        var items = new List<PairwiseLabelItem>();
        foreach (var file in files)
        {
            var name = FileName().Match(Path.GetFileName(file));
            if (!name.Success)
                throw new FormatException($"{file}:1: the file name must be answer_<model1>-vs-answer_<model2>-human-reviewer_threeclass.jsonl (PRD's naming: the models are only in the name)");
            var (model1, model2) = (name.Groups[1].Value, name.Groups[2].Value);
            var byQuestion = new Dictionary<int, (int Line, string Text, List<PairwiseVerdict> Votes)>();
            var order = new List<int>();
            var lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                if (line.Trim().Length == 0) continue;
                var (questionId, text, score) = ReadVote(file, lineNumber, line);
                if (!byQuestion.TryGetValue(questionId, out var entry))
                {
                    entry = (lineNumber, text, []);
                    byQuestion[questionId] = entry;
                    order.Add(questionId);
                }
                entry.Votes.Add(score switch { 1 => PairwiseVerdict.A, 2 => PairwiseVerdict.B, _ => PairwiseVerdict.Tie });
            }
            foreach (var q in order)
            {
                var (line, text, votes) = byQuestion[q];
                var answer1 = answersFolder is null ? Placeholder(model1, q) : Answer(answers, answersFolder, model1, q, file, line);
                var answer2 = answersFolder is null ? Placeholder(model2, q) : Answer(answers, answersFolder, model2, q, file, line);
                items.Add(new PairwiseLabelItem(items.Count, string.Create(CultureInfo.InvariantCulture, $"{model1}-vs-{model2}/{q}"),
                    Path.GetFileName(file), line, q, text, model1, model2, answer1, answer2, votes));
            }
        }
        return items;
    }

    private static (int QuestionId, string Text, int Score) ReadVote(string file, int line, string json)
    {
        JsonElement o;
        try
        {
            using var doc = JsonDocument.Parse(json);
            o = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"{file}:{line}: not valid JSON: {e.Message}", e);
        }
        if (o.ValueKind != JsonValueKind.Object) throw new FormatException($"{file}:{line}: expected a JSON object");
        if (!o.TryGetProperty("question_id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var questionId))
            throw new FormatException($"{file}:{line}: field 'question_id' must be an integer");
        if (!o.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            throw new FormatException($"{file}:{line}: field 'text' must be a string (the question)");
        if (!o.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var score) || score is < 1 or > 3)
            throw new FormatException($"{file}:{line}: field 'score' must be 1 (model1 preferred), 2 (model2) or 3 (tie)");
        return (questionId, text.GetString()!, score);
    }

    private static string Answer(Dictionary<string, Dictionary<int, string>> cache, string folder, string model, int questionId, string labelsFile, int labelsLine)
    {
        if (!cache.TryGetValue(model, out var byId))
        {
            var file = Path.Combine(folder, $"answer_{model}.jsonl");
            if (!File.Exists(file)) throw new FormatException($"{labelsFile}:{labelsLine}: no answers file {file} for model '{model}'");
            byId = [];
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                if (line.Trim().Length == 0) continue;
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                if (!o.TryGetProperty("question_id", out var id) || !id.TryGetInt32(out var q))
                    throw new FormatException($"{file}:{n}: field 'question_id' must be an integer");
                if (!o.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    throw new FormatException($"{file}:{n}: field 'text' must be a string (the answer)");
                byId[q] = text.GetString()!;
            }
            cache[model] = byId;
        }
        return byId.TryGetValue(questionId, out var answer) ? answer
            : throw new FormatException($"{labelsFile}:{labelsLine}: the answers of '{model}' hold no question {questionId}");
    }

    [GeneratedRegex(@"^answer_(.+?)-vs-answer_(.+?)-human-reviewer_threeclass\.jsonl$")]
    private static partial Regex FileName();
}

/// <summary>
/// A pairwise judge against human votes. Each labelled item is judged in both orders (<see cref="PairwiseJudgment"/>,
/// model1 as the "candidate"); the item's combined verdict is compared with every vote on it, so an item with three
/// votes counts three times, as each person's vote is a label. Agreement and Cohen's kappa are over the 3 × 3 table
/// (model1 / model2 / tie) of votes × judge; unjudged items are left out and counted; the position-bias rate is the share
/// of items read in both orders whose verdict flipped.
/// </summary>
public sealed record PairwiseAgreement(int Items, int Votes, int UnjudgedItems, int[,] Table, double Agreement, double Kappa, double PositionBiasRate, int Flipped, int BothRead)
{
    public static PairwiseAgreement Compute(IReadOnlyList<PairwiseLabelItem> items, IReadOnlyList<PairwiseJudgment> judgments)
    {
        if (items.Count != judgments.Count) throw new ArgumentException($"{items.Count} items but {judgments.Count} judgments");
        var table = new int[3, 3];
        int votes = 0, unjudged = 0, flipped = 0, bothRead = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var j = judgments[i];
            if (j.CandidateFirst is not null && j.CandidateSecond is not null) bothRead++;
            if (j.Flipped) flipped++;
            var judge = j.Outcome switch
            {
                PairwiseOutcome.CandidateWins => 0,
                PairwiseOutcome.BaselineWins => 1,
                PairwiseOutcome.Tie => 2,
                _ => -1,
            };
            if (judge < 0)
            {
                unjudged++;
                continue;
            }
            foreach (var vote in items[i].Votes)
            {
                table[(int)vote, judge]++;
                votes++;
            }
        }
        var agreed = table[0, 0] + table[1, 1] + table[2, 2];
        return new PairwiseAgreement(items.Count, votes, unjudged, table, votes == 0 ? double.NaN : 100.0 * agreed / votes,
            CohensKappa.Compute(table), bothRead == 0 ? double.NaN : 100.0 * flipped / bothRead, flipped, bothRead);
    }
}
