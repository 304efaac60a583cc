using Evals.Benchmarks.Metrics;
using Evals.Benchmarks.Suites.Reading;
using Xunit.Abstractions;

namespace Evals.Benchmarks.Tests.Cmrc2018;

/// <summary>
/// The CMRC 2018 scorer against the official script's rules: over predictions made for every real dev question (the
/// shared copy of <c>cmrc2018_dev.json</c>) it must give the independent oracle's EM and F1, and a handful of cases
/// worked out by hand pin the quirks (the punctuation list, NLTK's contractions and sentence split).
/// </summary>
public class Cmrc2018ScorerTests(ITestOutputHelper output)
{
    [SharedDatasetsFact("cmrc2018")]
    public void Scores_on_real_dev_predictions_equal_the_official_rules()
    {
        var folder = SharedDatasets.Get("cmrc2018");
        var cases = Cmrc2018PredictionSet.Build(Path.Combine(folder, "cmrc2018_dev.json"));
        Assert.True(cases.Count >= 600, $"{cases.Count} questions");
        foreach (var kind in Cmrc2018PredictionSet.ChineseKinds.Concat(Cmrc2018PredictionSet.LatinKinds))
            Assert.True(cases.Count(c => c.Kind == kind) >= 10, $"kind {kind}: {cases.Count(c => c.Kind == kind)} questions");

        // Item by item first, so that a difference names its question.
        var differences = cases.Where(c => c.Prediction is not null)
            .Select(c => (Case: c, Em: Cmrc2018Scorer.ExactMatch(c.Prediction!, c.References), F1: Cmrc2018Scorer.F1(c.Prediction!, c.References),
                OracleEm: OfficialCmrc2018Oracle.CalcEmScore(c.References, c.Prediction!), OracleF1: OfficialCmrc2018Oracle.CalcF1Score(c.References, c.Prediction!)))
            .Where(d => d.Em != d.OracleEm || Math.Abs(d.F1 - d.OracleF1) > 1e-12)
            .Take(5).Select(d => $"{d.Case.Id} [{d.Case.Kind}] '{d.Case.Prediction}' vs '{d.Case.References[0]}': em {d.Em}/{d.OracleEm}, f1 {d.F1}/{d.OracleF1}; "
                + $"tokens [{string.Join('|', Cmrc2018Scorer.MixedSegmentation(d.Case.Prediction!))}] / [{string.Join('|', OfficialCmrc2018Oracle.MixedSegmentation(d.Case.Prediction!, true))}]")
            .ToList();
        Assert.True(differences.Count == 0, string.Join('\n', differences));

        var (em, f1, total, skipped) = Cmrc2018Scorer.Evaluate(cases.Select(c => (c.References, c.Prediction)));
        var oracle = OfficialCmrc2018Oracle.Evaluate(cases);
        output.WriteLine($"{total} questions, {skipped} unanswered: EM {em:F3} (oracle {oracle.Em:F3}), F1 {f1:F3} (oracle {oracle.F1:F3})");
        Assert.Equal((oracle.Total, oracle.Skip), (total, skipped));
        Assert.Equal(cases.Count, total);
        Assert.True(Math.Abs(em - oracle.Em) < 0.001, $"EM {em} vs {oracle.Em}");
        Assert.True(Math.Abs(f1 - oracle.F1) < 0.001, $"F1 {f1} vs {oracle.F1}");
        // Guard against a set that cannot tell scorers apart: neither all right nor all wrong.
        Assert.InRange(em, 20, 80);
        Assert.InRange(f1, 40, 95);
    }

    [SharedDatasetsFact("cmrc2018")]
    public void Replies_that_are_already_a_span_score_through_the_task_as_the_official_script_scores_them()
    {
        var folder = SharedDatasets.Get("cmrc2018");
        var cases = Cmrc2018PredictionSet.Build(Path.Combine(folder, "cmrc2018_dev.json"))
            .Where(c => c.Prediction is not null && SpanAnswerExtraction.Extract(c.Prediction).Rule is SpanAnswerExtraction.Verbatim or SpanAnswerExtraction.Empty)
            .ToList();
        Assert.True(cases.Count > 1500, $"{cases.Count}");
        foreach (var c in cases)
        {
            var span = SpanAnswerExtraction.Extract(c.Prediction!).Span;
            Assert.Equal(OfficialCmrc2018Oracle.CalcEmScore(c.References, c.Prediction!), Cmrc2018Scorer.ExactMatch(span, c.References));
            Assert.Equal(OfficialCmrc2018Oracle.CalcF1Score(c.References, c.Prediction!), Cmrc2018Scorer.F1(span, c.References), 12);
        }
    }

    [Theory]
    // the span itself, and with Chinese punctuation from the list (deleted for EM and F1)
    [InlineData("北京", "北京", 1, 1.0)]
    [InlineData("「北京」。", "北京", 1, 1.0)]
    // ASCII '.' is not in the list and is not trimmed: EM 0; F1 [北, 京, .] against [北, 京]: P 2/3, R 1 → 0.8
    [InlineData("北京.", "北京", 0, 0.8)]
    // '……' is one two-character entry that no single character equals, so '…' stays: [北, 京, ……] (one NLTK token)
    [InlineData("北京……", "北京", 0, 0.8)]
    // '’' is in the list but '‘' is not: [‘, 北, 京] → 0.8
    [InlineData("‘北京’", "北京", 0, 0.8)]
    // the Latin run "abc." ends in a final period that NLTK splits off: [abc, .] against [abc]: P 1/2, R 1
    [InlineData("abc.", "abc", 0, 2.0 / 3)]
    // "don't" is [do, n't]: [do, n't, know] against [do]: P 1/3, R 1 → 0.5
    [InlineData("don't know", "do", 0, 0.5)]
    // Punkt splits "yes. no" into two sentences, so the period is its own token: [yes, ., no] against [yes] → 0.5;
    // tokenised as one sentence it would be [yes., no] and score 0
    [InlineData("yes. no", "yes", 0, 0.5)]
    // an initial before a lower-case word is not a sentence end: [henry, a., walsh], as the reference
    [InlineData("Henry A. Walsh", "henry a. walsh", 1, 1.0)]
    // a listed '-' is dropped without ending the Latin run: "ωforce" on both sides
    [InlineData("ω-force", "ωforce", 1, 1.0)]
    // inner spaces count for EM, not for F1
    [InlineData("光荣 和", "光荣和", 0, 1.0)]
    [InlineData("", "北京", 0, 0.0)]
    public void Hand_computed_cases(string prediction, string reference, double em, double f1)
    {
        Assert.Equal(em, Cmrc2018Scorer.ExactMatch(prediction, [reference]));
        Assert.Equal(f1, Cmrc2018Scorer.F1(prediction, [reference]), 12);
        Assert.Equal(em, OfficialCmrc2018Oracle.CalcEmScore([reference], prediction));
        Assert.Equal(f1, OfficialCmrc2018Oracle.CalcF1Score([reference], prediction), 12);
    }

    [Theory]
    [InlineData("don't", "do|n't")]
    [InlineData("it's fine, isn't it?", "it|'s|fine|,|is|n't|it|?")]
    [InlineData("i cannot say, gonna guess", "i|can|not|say|,|gon|na|guess")]
    [InlineData("\"yes,\" he said: 'no'", "``|yes|,|''|he|said|:|'no|'")]
    [InlineData("that's all. ok!", "that|'s|all|.|ok|!")]
    [InlineData("j. smith and 3. x", "j.|smith|and|3.|x")]
    [InlineData("1,000 people (ok) cost $3.88", "1,000|people|(|ok|)|cost|$|3.88")]
    [InlineData("wait... what", "wait|...|what")]
    public void Nltk_word_tokenize_cases(string text, string tokens)
    {
        Assert.Equal(tokens.Split('|'), NltkWordTokenizer.WordTokenize(text));
        Assert.Equal(tokens.Split('|'), OfficialCmrc2018Oracle.WordTokenize(text));
    }

    [Theory]
    [InlineData("that's all. ok!", "that's all.|ok!")]
    [InlineData("henry a. walsh", "henry a. walsh")]
    [InlineData("(it ended.) then more. 3. x", "(it ended.)|then more.|3. x")]
    [InlineData("what?! no  ", "what?!|no")]
    [InlineData("  lead. tail", "  lead.|tail")]
    public void Punkt_sentences_with_an_untrained_model(string text, string sentences) =>
        Assert.Equal(sentences.Split('|'), PunktSentenceSplitter.Split(text));

    [Fact]
    public void Python_lower_case_expands_dotted_capital_i_and_ends_words_with_final_sigma()
    {
        // str.lower(): 'İ' → 'i' + U+0307 (two code points); 'ΟΔΟΣ' → 'οδος' with a final 'ς'
        Assert.Equal(["i\u0307stanbul"], Cmrc2018Scorer.MixedSegmentation("İstanbul"));
        Assert.Equal(["οδος"], Cmrc2018Scorer.MixedSegmentation("ΟΔΟΣ"));
    }
}
