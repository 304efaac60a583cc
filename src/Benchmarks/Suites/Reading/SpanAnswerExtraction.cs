using System.Text.RegularExpressions;

namespace Evals.Benchmarks.Suites.Reading;

/// <summary>The span taken from a model's reply, and the rule that took it (stored per item as <c>rule</c>).</summary>
public sealed record SpanExtraction(string Span, string Rule);

/// <summary>
/// Turns a chat model's reply into the prediction the official CMRC 2018 scorer would be given. This is our step, not
/// the official script's (which scores the prediction string as it is); it runs before <see cref="Metrics.Cmrc2018Scorer"/>,
/// is the same for every model, and never touches what the scorer decides (full stops, 《》, spaces, case). Rules, the
/// first that applies wins:
/// <list type="number">
/// <item><c>empty</c>: nothing but white space; the span is "" and scores 0.</item>
/// <item><c>verbatim</c>: one line with no answer phrase and no quotes around it: the reply itself, unchanged.</item>
/// <item><c>answer_prefix</c>: the first line that opens with an answer phrase — 答案：, 答案是, 答案为, 答：,
/// 原文中的答案是, 文中的答案是, 正确答案是, 根据文章，答案是 … — with the phrase removed.</item>
/// <item><c>first_line</c>: several lines and no answer phrase: the first non-empty line.</item>
/// <item><c>…_quoted</c> (<c>verbatim_quoted</c>, <c>answer_prefix_quoted</c>, <c>first_line_quoted</c>): the span so far
/// is wrapped whole in one pair of quotes the model added — “…”, 「…」, 『…』, "…", ‘…’ — optionally followed by 。 or
/// a period; the quotes (and that stop) are removed when the opening quote does not occur again inside. 《》 are kept:
/// they are part of a title as the passage writes it (and the official list deletes them anyway).</item>
/// </list>
/// Lines are trimmed only where a line is picked out of several or a phrase is removed; a one-line reply is passed on
/// as written (the scorer strips it, as the official script does).
/// </summary>
public static partial class SpanAnswerExtraction
{
    public const string Empty = "empty";
    public const string Verbatim = "verbatim";
    public const string AnswerPrefix = "answer_prefix";
    public const string FirstLine = "first_line";
    public const string QuotedSuffix = "_quoted";

    private static readonly (string Open, string Close)[] Quotes = [("“", "”"), ("「", "」"), ("『", "』"), ("\"", "\""), ("‘", "’")];

    // 答 and 答案 need a colon after them, so that a span which starts with them (答辩委员会) is left alone.
    [GeneratedRegex(@"^(?:根据(?:文章|原文|材料)[，,]\s*)?(?:(?:原文|文章|文)中的)?(?:正确)?(?:答案(?:应该)?(?:是|为)\s*[：:]?|答案?\s*[：:])\s*")]
    private static partial Regex AnswerPhrase();

    public static SpanExtraction Extract(string output)
    {
        var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return new SpanExtraction("", Empty);

        string span, rule;
        var prefixed = lines.Select(l => (Line: l, Phrase: AnswerPhrase().Match(l)))
            .FirstOrDefault(l => l.Phrase.Success && l.Phrase.Length > 0 && l.Phrase.Length < l.Line.Length);
        if (prefixed.Line is not null)
            (span, rule) = (prefixed.Line[prefixed.Phrase.Length..].Trim(), AnswerPrefix);
        else if (lines.Count == 1)
            (span, rule) = (output, Verbatim);
        else
            (span, rule) = (lines[0], FirstLine);

        return Unquote(span) is { } inner ? new SpanExtraction(inner, rule + QuotedSuffix) : new SpanExtraction(span, rule);
    }

    private static string? Unquote(string span)
    {
        var text = span.Trim();
        if (text.EndsWith('。') || text.EndsWith('.')) text = text[..^1].TrimEnd();
        foreach (var (open, close) in Quotes)
        {
            if (text.Length <= open.Length + close.Length
                || !text.StartsWith(open, StringComparison.Ordinal) || !text.EndsWith(close, StringComparison.Ordinal)) continue;
            var inner = text[open.Length..^close.Length];
            if (inner.Contains(open, StringComparison.Ordinal) || inner.Trim().Length == 0) continue;
            return inner.Trim();
        }
        return null;
    }
}
