using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Evals.Benchmarks.Suites;
using Xunit.Abstractions;

namespace Evals.Benchmarks.Tests.Extraction;

/// <summary>One hand-written model output and what a careful human reads in it: a letter, a label word, "none" or "refused".</summary>
public sealed record CorpusCase(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("options")] string[]? Options,
    [property: JsonPropertyName("continuations")] string[] Continuations,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("expected")] string Expected)
{
    public bool IsLetters => Options is not null;
}

/// <summary>
/// Agreement with a careful human reader on corpus.jsonl (outputs written the way Chinese chat models answer), for our
/// extraction and two independent comparators: OpenCompass's first_option_postprocess and C-Eval's extract_ans. The
/// comparators read letters only, so their figures cover the letter items, and an expected "refused" counts as agreeing
/// with their empty answer; ours must say refused. The figures printed here are the ones in docs/answer-extraction.md.
/// </summary>
public class ExtractionCorpusTests(ITestOutputHelper output)
{
    public static readonly Lazy<List<CorpusCase>> Corpus = new(() =>
        File.ReadLines(Path.Combine(SharedDatasets.RepositoryRoot, "tests", "Benchmarks.Tests", "Extraction", "corpus.jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select(l => JsonSerializer.Deserialize<CorpusCase>(l) ?? throw new InvalidDataException(l)).ToList());

    // Kinds where a miss would silently score a wrong answer or hide a refusal: every case must be read exactly right.
    private static readonly string[] CriticalKinds =
        ["negation", "multi_letter", "refusal", "refusal_with_answer", "self_correction", "hedge", "think", "lowercase", "markdown", "label_negation"];

    // Pinned from the measured figures (docs/answer-extraction.md); a change that lowers them must say why.
    private const double MinimumOverall = 0.99;

    public static string Ours(CorpusCase c)
    {
        var e = AnswerExtraction.Extract(c.Output, c.Continuations, c.Options);
        return e.Refused ? "refused" : e.Choice is { } i ? c.Continuations[i] : "none";
    }

    public static string? OpenCompass(CorpusCase c) => c.IsLetters ? OpenCompassFirstOption.Extract(c.Output, string.Concat(c.Continuations)) ?? "none" : null;

    public static string? CEval(CorpusCase c) => c.IsLetters ? CEvalExtractAns.Extract(c.Output) ?? "none" : null;

    private static bool Agrees(string expected, string? got, bool knowsRefusals) =>
        got == expected || (!knowsRefusals && expected == "refused" && got == "none");

    [Fact]
    public void The_corpus_is_large_and_covers_every_kind()
    {
        var corpus = Corpus.Value;
        Assert.True(corpus.Count >= 250, $"{corpus.Count} cases");
        Assert.Equal(corpus.Count, corpus.Select(c => c.Id).Distinct().Count());
        Assert.Equal(corpus.Count, corpus.Select(c => c.Output).Distinct().Count() + corpus.GroupBy(c => c.Output).Sum(g => g.Count() - 1));
        foreach (var kind in corpus.GroupBy(c => c.Kind))
            Assert.True(kind.Count() >= 6, $"kind {kind.Key}: {kind.Count()} cases");
        foreach (var c in corpus)
            Assert.True(c.Expected is "none" or "refused" || c.Continuations.Contains(c.Expected), $"{c.Id}: expected {c.Expected}");
    }

    [Fact]
    public void Agreement_with_a_careful_reader()
    {
        var corpus = Corpus.Value;
        var rows = corpus.Select(c => (Case: c, Ours: Ours(c), OpenCompass: OpenCompass(c), CEval: CEval(c))).ToList();
        string Rate(IEnumerable<bool> agree)
        {
            var list = agree.ToList();
            return list.Count == 0 ? "n/a" : $"{list.Count(a => a) * 100.0 / list.Count,5:0.0}% ({list.Count(a => a)}/{list.Count})";
        }

        var table = new StringBuilder();
        table.AppendLine($"{"kind",-20} {"n",3}  {"ours",-16} {"OpenCompass",-16} {"C-Eval",-16}");
        foreach (var kind in rows.GroupBy(r => r.Case.Kind))
        {
            var letters = kind.Where(r => r.Case.IsLetters).ToList();
            table.AppendLine($"{kind.Key,-20} {kind.Count(),3}  {Rate(kind.Select(r => Agrees(r.Case.Expected, r.Ours, true))),-16} " +
                $"{Rate(letters.Select(r => Agrees(r.Case.Expected, r.OpenCompass, false))),-16} {Rate(letters.Select(r => Agrees(r.Case.Expected, r.CEval, false))),-16}");
        }
        void Total(string name, List<(CorpusCase Case, string Ours, string? OpenCompass, string? CEval)> subset)
        {
            var letters = subset.Where(r => r.Case.IsLetters).ToList();
            table.AppendLine($"{name,-20} {subset.Count,3}  {Rate(subset.Select(r => Agrees(r.Case.Expected, r.Ours, true))),-16} " +
                $"{Rate(letters.Select(r => Agrees(r.Case.Expected, r.OpenCompass, false))),-16} {Rate(letters.Select(r => Agrees(r.Case.Expected, r.CEval, false))),-16}");
        }
        Total("all", rows);
        Total("letter items", rows.Where(r => r.Case.IsLetters).ToList());
        Total("split dev", rows.Where(r => r.Case.Split == "dev").ToList());
        Total("split heldout", rows.Where(r => r.Case.Split == "heldout").ToList());
        Total("split heldout2", rows.Where(r => r.Case.Split == "heldout2").ToList());
        Total("split heldout3", rows.Where(r => r.Case.Split == "heldout3").ToList());
        var letterRows = rows.Where(r => r.Case.IsLetters).ToList();
        output.WriteLine(table.ToString());

        var misses = rows.Where(r => !Agrees(r.Case.Expected, r.Ours, true)).ToList();
        foreach (var miss in misses)
            output.WriteLine($"ours disagrees: {miss.Case.Id} expected {miss.Case.Expected}, got {miss.Ours} " +
                $"({AnswerExtraction.Extract(miss.Case.Output, miss.Case.Continuations, miss.Case.Options).Rule}): {miss.Case.Output.ReplaceLineEndings(" ⏎ ")}");

        // A wrong pick (an option other than the reader's, or an option where the reader saw none) scores silently;
        // a miss (unparseable where the reader saw an answer) at least shows as unparseable.
        var wrongPicks = misses.Where(m => m.Ours is not ("none" or "refused")).ToList();
        output.WriteLine($"ours: {misses.Count} disagreements, of which {wrongPicks.Count} wrong picks: {string.Join(", ", wrongPicks.Select(m => m.Case.Id))}");
        Assert.DoesNotContain(wrongPicks, m => m.Case.Split == "dev");

        var overall = rows.Count(r => Agrees(r.Case.Expected, r.Ours, true)) / (double)rows.Count;
        Assert.True(overall >= MinimumOverall, $"overall agreement {overall:P1} < {MinimumOverall:P1}");
        var critical = misses.Where(m => CriticalKinds.Contains(m.Case.Kind) && m.Case.Split == "dev").Select(m => m.Case.Id).ToList();
        Assert.True(critical.Count == 0, "critical kinds must be read exactly: " + string.Join(", ", critical));
        var ourLetters = letterRows.Count(r => Agrees(r.Case.Expected, r.Ours, true));
        Assert.True(ourLetters > letterRows.Count(r => Agrees(r.Case.Expected, r.OpenCompass, false)));
        Assert.True(ourLetters > letterRows.Count(r => Agrees(r.Case.Expected, r.CEval, false)));
    }
}
