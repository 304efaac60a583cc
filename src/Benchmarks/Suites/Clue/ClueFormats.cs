using System.Globalization;
using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Clue;

/// <summary>
/// One CLUE classification task's JSON Lines layout: which field holds the id and the label, the label set, and the
/// task's own field checks. CLUE and FewCLUE share field names, so one definition reads both.
/// </summary>
/// <param name="IdField">Null when the files carry no id (AFQMC dev): the 0-based line number is the id, as CLUE numbers test lines.</param>
/// <param name="Excluded">Label values that the authors exclude from scoring (OCNLI's '-': no annotator majority).</param>
/// <param name="Check">Checks the task's own fields and may add derived ones (prefixed nowhere; listed in datasets/README.md).</param>
public sealed record ClueTaskFormat(
    string Name,
    string? IdField,
    string LabelField,
    IReadOnlySet<string> Labels,
    IReadOnlyList<string> Excluded,
    Action<JsonObject, List<string>> Check);

public static class ClueFormats
{
    public static readonly ClueTaskFormat Afqmc = new("afqmc", null, "label", Set("0", "1"), [],
        (o, p) => Texts(o, p, "sentence1", "sentence2"));

    public static readonly ClueTaskFormat Ocnli = new("ocnli", "id", "label", Set("entailment", "neutral", "contradiction"), ["-"],
        (o, p) => Texts(o, p, "sentence1", "sentence2"));

    /// <summary>TNEWS' 15 classes: 100–116 without 105 and 111 (CLUE labels.json).</summary>
    public static readonly ClueTaskFormat Tnews = new("tnews", "id", "label",
        Set(Enumerable.Range(100, 17).Where(n => n is not (105 or 111)).Select(Invariant).ToArray()), [],
        (o, p) =>
        {
            Texts(o, p, "sentence");
            Fields.String(o, "label_desc", p);
            if (o.ContainsKey("keywords")) Fields.String(o, "keywords", p, allowEmpty: true);
        });

    /// <summary>IFLYTEK's 119 app categories, 0–118; its description field is <c>label_des</c> (not TNEWS's <c>label_desc</c>).</summary>
    public static readonly ClueTaskFormat Iflytek = new("iflytek", "id", "label",
        Set(Enumerable.Range(0, 119).Select(Invariant).ToArray()), [],
        (o, p) =>
        {
            Texts(o, p, "sentence");
            Fields.String(o, "label_des", p);
        });

    public static readonly ClueTaskFormat Csl = new("csl", "id", "label", Set("0", "1"), [],
        (o, p) =>
        {
            Texts(o, p, "abst");
            // Derived: the keyword list as one string, for prompt templates.
            if (Fields.Strings(o, "keyword", p) is { } keywords) o["keyword_text"] = string.Join("、", keywords);
        });

    public static readonly ClueTaskFormat Cluewsc = new("cluewsc", "idx", "label", Set("true", "false"), [],
        (o, p) =>
        {
            var text = Fields.String(o, "text", p);
            if (!o.TryGetPropertyValue("target", out var node) || node is not JsonObject target)
            {
                p.Add("field 'target': missing or not an object");
                return;
            }
            foreach (var span in new[] { "span1", "span2" })
            {
                var spanText = Fields.String(target, $"{span}_text", p);
                var index = Fields.Integer(target, $"{span}_index", p);
                if (spanText is null || index is null || text is null) continue;
                if (index < 0 || index + spanText.Length > text.Length || string.CompareOrdinal(text, (int)index, spanText, 0, spanText.Length) != 0)
                    p.Add($"field 'target.{span}_index': {index} does not point at '{spanText}' in 'text'");
                // Derived: the spans at top level, for prompt templates.
                o[$"{span}_text"] = spanText;
            }
        });

    public static IReadOnlyList<ClueTaskFormat> All { get; } = [Afqmc, Ocnli, Tnews, Iflytek, Csl, Cluewsc];

    private static void Texts(JsonObject o, List<string> problems, params string[] fields)
    {
        foreach (var field in fields) Fields.String(o, field, problems);
    }

    private static IReadOnlySet<string> Set(params string[] values) => new HashSet<string>(values, StringComparer.Ordinal);

    private static string Invariant(int n) => n.ToString(CultureInfo.InvariantCulture);
}
