using Evals.Runner.Backends.Onnx.Tokenization;

namespace Evals.Runner.Tests.Onnx.TokenizerAgreement;

/// <summary>Runs only where run.sh (or a person) has prepared the reference files; skipped, visibly, elsewhere.</summary>
public sealed class AgreementFactAttribute : FactAttribute
{
    public const string Variable = "EVALS_TOKENIZER_AGREEMENT";

    public AgreementFactAttribute()
    {
        var dir = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "reference.txt")))
            Skip = $"set {Variable} to a folder prepared by tests/Runner.Tests/Onnx/TokenizerAgreement/run.sh";
    }
}

public sealed class TokenizerAgreementTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [AgreementFact]
    public void Qwen3_ids_equal_the_reference_implementation_on_every_line_and_decode_round_trips()
    {
        var dir = Environment.GetEnvironmentVariable(AgreementFactAttribute.Variable)!;
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
        var tokenizer = Tokenizer.Load(Path.Combine(Environment.GetEnvironmentVariable(AgreementFactAttribute.Variable)!, "tokenizer.json"));
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
