using System.Text.Json;

namespace Evals.Benchmarks.Tests.Cmrc2018;

/// <summary>One dev question with every reference, and the prediction made for it (null: left unanswered).</summary>
public sealed record Cmrc2018Case(string Id, IReadOnlyList<string> References, string? Prediction, string Kind);

/// <summary>
/// Deterministic predictions for every question of the official dev file, one kind per question chosen by its position,
/// so that the set holds each kind an answer can take without any answer extraction: the gold span itself, with 。, in
/// 「」 or “” or ASCII quotes, with ASCII '.', '?', '…' or '……' after it, cut at either end, with Chinese words around it,
/// in upper case, wrapped in English clauses (contractions, several sentences, initials), empty, or unanswered. Questions
/// whose answers hold Latin letters or digits take the English and mixed kinds.
/// </summary>
public static class Cmrc2018PredictionSet
{
    public static readonly string[] ChineseKinds =
    [
        "gold", "gold_stop", "corner_quotes", "curly_quotes", "prefix_cut", "suffix_cut", "surrounding_words",
        "ascii_period", "ascii_quotes", "empty", "ellipsis", "double_ellipsis", "other_reference", "unanswered",
        "middle_dot_and_spaces", "question_mark",
    ];

    public static readonly string[] LatinKinds =
    [
        "gold", "upper_case", "contractions", "english_sentences", "possessive", "initials", "brackets", "ascii_period",
        "ascii_quotes", "prefix_cut", "suffix_cut", "hyphen_and_slash", "gold_stop", "comma_clause", "cannot_gonna",
    ];

    /// <summary>Every question of <paramref name="devFile"/> in file order, with its prediction.</summary>
    public static List<Cmrc2018Case> Build(string devFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(devFile));
        var cases = new List<Cmrc2018Case>();
        int chinese = 0, latin = 0;
        foreach (var article in document.RootElement.GetProperty("data").EnumerateArray())
        foreach (var paragraph in article.GetProperty("paragraphs").EnumerateArray())
        foreach (var qa in paragraph.GetProperty("qas").EnumerateArray())
        {
            var references = qa.GetProperty("answers").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToList();
            var gold = references[0];
            var hasLatin = references.Any(r => r.Any(char.IsAsciiLetterOrDigit));
            var kind = hasLatin ? LatinKinds[latin++ % LatinKinds.Length] : ChineseKinds[chinese++ % ChineseKinds.Length];
            cases.Add(new Cmrc2018Case(qa.GetProperty("id").GetString()!, references, Predict(kind, gold, references), kind));
        }
        return cases;
    }

    private static string? Predict(string kind, string gold, IReadOnlyList<string> references) => kind switch
    {
        "gold" => gold,
        "gold_stop" => gold + "。",
        "corner_quotes" => "「" + gold + "」",
        "curly_quotes" => "“" + gold + "”",
        "ascii_quotes" => "\"" + gold + "\"",
        "prefix_cut" => gold.Length > 1 ? gold[..(gold.Length - Math.Max(1, gold.Length / 3))] : gold,
        "suffix_cut" => gold.Length > 1 ? gold[Math.Max(1, gold.Length / 3)..] : gold,
        "surrounding_words" => "应该是" + gold + "的地方",
        "ascii_period" => gold + ".",
        "empty" => "",
        "ellipsis" => gold + "…",
        "double_ellipsis" => "……" + gold + "……",
        "other_reference" => references[^1] + "，" + gold,
        "unanswered" => null,
        "middle_dot_and_spaces" => " " + gold.Replace("的", "·的", StringComparison.Ordinal) + " ",
        "question_mark" => gold + "?",
        "upper_case" => gold.ToUpperInvariant(),
        "contractions" => "it's " + gold + ", don't you think",
        "english_sentences" => "the answer is " + gold + ". that's all. ok!",
        "possessive" => gold + "'s",
        "initials" => "j. " + gold + " and 3. " + gold,
        "brackets" => "(" + gold + ")",
        "hyphen_and_slash" => gold.Replace(' ', '-') + "/x",
        "comma_clause" => "\"" + gold + ",\" he said: 'yes'",
        "cannot_gonna" => "i cannot say, gonna guess " + gold,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
