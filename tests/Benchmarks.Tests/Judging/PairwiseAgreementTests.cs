using System.Text.Json;
using Evals.Benchmarks.Judging;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests.Judging;

/// <summary>
/// Judge qualification against PRD's human pairwise votes: agreement, Cohen's kappa and the position-bias rate of a judge
/// whose verdicts are known, checked against a computation straight from the raw files.
/// </summary>
public sealed class PairwiseAgreementTests
{
    /// <summary>The votes of every (file, question), read from the raw lines independently of <see cref="PairwiseLabels"/>:
    /// codes 1/2/3 in file order, items in first-appearance order, files in ordinal name order.</summary>
    internal static List<List<int>> RawItems(string folder)
    {
        var items = new List<List<int>>();
        foreach (var file in Directory.GetFiles(folder, "*.jsonl").OrderBy(Path.GetFileName, StringComparer.Ordinal))
        {
            var byQuestion = new Dictionary<int, List<int>>();
            foreach (var line in File.ReadLines(file).Where(l => l.Trim().Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                var q = doc.RootElement.GetProperty("question_id").GetInt32();
                if (!byQuestion.TryGetValue(q, out var votes))
                {
                    byQuestion[q] = votes = [];
                    items.Add(votes);
                }
                votes.Add(doc.RootElement.GetProperty("score").GetInt32());
            }
        }
        return items;
    }

    /// <summary>The judge: the votes' most frequent code (ties between codes go to 3), answered the other way on every
    /// <paramref name="every"/>-th item (1 ↔ 2, 3 → 1).</summary>
    internal static int JudgeCode(IReadOnlyList<int> votes, int index, int every)
    {
        var counts = new int[4];
        foreach (var v in votes) counts[v]++;
        var max = counts.Max();
        var code = counts[1] == max && counts[2] < max && counts[3] < max ? 1 : counts[2] == max && counts[1] < max && counts[3] < max ? 2 : 3;
        if (every > 0 && index % every == 0) code = code switch { 1 => 2, 2 => 1, _ => 1 };
        return code;
    }

    /// <summary>Agreement (%) and kappa by the textbook formula over the votes × judge table.</summary>
    internal static (int Votes, double Agreement, double Kappa) HandComputed(List<List<int>> items, int every)
    {
        var table = new double[4, 4];
        var n = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var judge = JudgeCode(items[i], i, every);
            foreach (var vote in items[i]) { table[vote, judge]++; n++; }
        }
        double observed = 0, expected = 0;
        for (var k = 1; k <= 3; k++)
        {
            observed += table[k, k] / n;
            double row = 0, column = 0;
            for (var j = 1; j <= 3; j++) { row += table[k, j]; column += table[j, k]; }
            expected += row / n * (column / n);
        }
        return (n, 100 * observed, (observed - expected) / (1 - expected));
    }

    [SharedDatasetsFact("prd_vicuna80_pairwise")]
    public void Agreement_and_kappa_of_a_known_judge_equal_the_hand_computation()
    {
        var folder = Path.Combine(SharedDatasets.Get("prd_vicuna80_pairwise"), "ratings-human");
        var items = PairwiseLabels.Read(folder);
        var raw = RawItems(folder);
        Assert.Equal(raw.Count, items.Count);
        Assert.Equal(7040, items.Sum(i => i.Votes.Count));

        // The judge sees model1 first, then model2 first; it names the same model both times.
        static PairwiseVerdict Positional(int code, bool model1First) => code switch
        {
            1 => model1First ? PairwiseVerdict.A : PairwiseVerdict.B,
            2 => model1First ? PairwiseVerdict.B : PairwiseVerdict.A,
            _ => PairwiseVerdict.Tie,
        };
        var judgments = items.Select(i => JudgeCode(raw[i.Index], i.Index, 4))
            .Select(code => new PairwiseJudgment(Positional(code, true), Positional(code, false))).ToList();
        var result = PairwiseAgreement.Compute(items, judgments);
        var (votes, agreement, kappa) = HandComputed(raw, 4);
        Assert.Equal(votes, result.Votes);
        Assert.Equal(agreement, result.Agreement, 10);
        Assert.Equal(kappa, result.Kappa, 10);
        Assert.Equal(0.0, result.PositionBiasRate);
        Assert.InRange(result.Kappa, 0.3, 0.9); // a real spread, not a degenerate table

        // The same items judged by "always the first shown": every verdict a tie, every item flipped.
        var positional = PairwiseAgreement.Compute(items, items.Select(_ => new PairwiseJudgment(PairwiseVerdict.A, PairwiseVerdict.A)).ToList());
        Assert.Equal(100.0, positional.PositionBiasRate);
        Assert.Equal(100.0 * 804 / 7040, positional.Agreement, 10); // only the human ties agree
        Assert.Equal(0.0, positional.Kappa, 12);
    }

    [Fact]
    public void A_label_file_with_a_bad_score_is_named_by_file_line_and_field()
    {
        var folder = Directory.CreateTempSubdirectory("evals-prd-").FullName;
        var file = Path.Combine(folder, "answer_a-vs-answer_b-human-reviewer_threeclass.jsonl");
        File.WriteAllText(file, "{\"question_id\": 1, \"text\": \"q\", \"score\": 1}\n{\"question_id\": 1, \"text\": \"q\", \"score\": 4}\n");
        var e = Assert.Throws<FormatException>(() => PairwiseLabels.Read(folder));
        Assert.StartsWith($"{file}:2: field 'score'", e.Message);
        File.WriteAllText(file, "{\"question_id\": 1, \"text\": \"q\", \"score\": 3}\n");
        File.WriteAllText(Path.Combine(folder, "votes.jsonl"), "");
        Assert.Contains("file name must be", Assert.Throws<FormatException>(() => PairwiseLabels.Read(folder)).Message);
    }
}
