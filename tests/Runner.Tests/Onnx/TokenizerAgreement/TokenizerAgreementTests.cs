using Evals.Runner.Backends.Onnx.Tokenization;
using Evals.TestKit;

namespace Evals.Runner.Tests.Onnx.TokenizerAgreement;

/// <summary>
/// Runs where prepare.sh (scripts/test.sh runs it) or a person has prepared the reference files; elsewhere a real skip,
/// except under CI (<see cref="SharedDatasetsRule.IsCi"/>), where it runs and <see cref="Folder"/> fails naming what is missing.
/// </summary>
public sealed class AgreementFactAttribute : FactAttribute
{
    public const string Variable = "EVALS_TOKENIZER_AGREEMENT";

    public AgreementFactAttribute()
    {
        if (Missing() is { } missing && !SharedDatasetsRule.IsCi) Skip = missing;
    }

    /// <summary>The prepared folder; fails the test when it is not there.</summary>
    public static string Folder()
    {
        if (Missing() is { } missing) Assert.Fail(missing + (SharedDatasetsRule.IsCi ? ", and CI must run these tests (scripts/test.sh prepares them)" : ""));
        return Environment.GetEnvironmentVariable(Variable)!;
    }

    private static string? Missing()
    {
        var dir = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(dir)) return $"{Variable} is not set (tests/Runner.Tests/Onnx/TokenizerAgreement/prepare.sh prints the folder to set it to)";
        return File.Exists(Path.Combine(dir, "reference.txt")) ? null : $"{Path.Combine(dir, "reference.txt")} is missing (run prepare.sh)";
    }
}

public sealed class TokenizerAgreementTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [AgreementFact]
    public void Qwen3_ids_equal_the_reference_implementation_on_every_line_and_decode_round_trips()
    {
        var dir = AgreementFactAttribute.Folder();
        var tokenizer = Tokenizer.Load(Path.Combine(dir, "tokenizer.json"));
        var lines = ReadLines(Path.Combine(dir, "lines.txt"));
        var expected = ReadLines(Path.Combine(dir, "reference.txt"));
        Assert.Equal(lines.Count, expected.Count);
        var mismatches = new List<string>();
        var roundTrip = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var ids = tokenizer.Encode(lines[i], addSpecialTokens: true);
            var actual = string.Join(' ', ids);
            if (actual != expected[i]) mismatches.Add($"line {i + 1} '{lines[i]}':\n  ours {actual}\n  ref  {expected[i]}");
            if (tokenizer.Decode(ids) != lines[i] && lines[i].IsNormalized()) roundTrip.Add($"line {i + 1} '{lines[i]}'");
        }
        output.WriteLine($"{lines.Count} lines, {mismatches.Count} differ, {roundTrip.Count} NFC lines fail decode(encode(x)) == x");
        foreach (var m in mismatches.Take(20)) output.WriteLine(m);
        Assert.True(lines.Count >= 2000, $"only {lines.Count} lines");
        Assert.Empty(mismatches);
        Assert.Empty(roundTrip);
    }

    [AgreementFact]
    public void Qwen3_gives_the_ids_recorded_in_the_onnxruntime_notes()
    {
        var tokenizer = Tokenizer.Load(Path.Combine(AgreementFactAttribute.Folder(), "tokenizer.json"));
        Assert.Equal([108386, 3837, 99489, 6313, 100644, 104307, 101243, 1773], tokenizer.Encode("你好，世界！今天天气很好。"));
        Assert.Equal([151644, 872, 198, 9707, 220, 99489, 220, 16, 17, 18, 19, 20, 21, 1513, 944, 151645, 198],
            tokenizer.Encode("<|im_start|>user\nHello 世界 123456 don't<|im_end|>\n"));
    }

    private static List<string> ReadLines(string path)
    {
        var lines = File.ReadAllText(path).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
