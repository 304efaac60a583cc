using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Generation;

/// <summary>
/// UHGEval as published (IAAR-Shanghai/UHGEval <c>dataset_uhgeval_concise.jsonl</c>, or the full version): JSON Lines
/// of <c>{id, headLine, broadcastDate, type, newsBeginning, hallucinatedContinuation, generatedBy, annotations,
/// realContinuation, newsRemainder}</c>. Each line becomes <c>{id, headline, beginning, continuation, type}</c> of
/// task <c>uhgeval</c>, split <c>test</c>: the generative evaluation continues <c>newsBeginning</c> and compares with
/// <c>realContinuation</c>.
/// </summary>
public sealed class UhgevalReader : IFormatReader
{
    public const string TaskName = "uhgeval";

    public string Format => "uhgeval";
    public string DefaultSuite => "cuge";
    public string Expects => "dataset_uhgeval_concise.jsonl or dataset_uhgeval_full.jsonl (UHGEval's JSON Lines), or a folder holding one";

    public ImportResult Read(string path, bool skipBad = false)
    {
        var builder = new ImportBuilder(Format, skipBad);
        var file = Directory.Exists(path)
            ? new[] { "dataset_uhgeval_concise.jsonl", "dataset_uhgeval_full.jsonl" }.Select(f => Path.Combine(path, f)).FirstOrDefault(File.Exists) ?? Path.Combine(path, "dataset_uhgeval_concise.jsonl")
            : path;
        if (!File.Exists(file))
        {
            builder.Fatal(file, 0, $"no such file; expected {Expects}");
            return builder.Build();
        }
        foreach (var line in JsonLines.Read(File.ReadAllText(file)))
        {
            if (line.Object is not { } obj)
            {
                builder.Problem(file, line.Line, line.Error!);
                continue;
            }
            var problems = new List<string>();
            var id = Fields.String(obj, "id", problems);
            var headline = Fields.String(obj, "headLine", problems);
            var beginning = Fields.String(obj, "newsBeginning", problems);
            var continuation = Fields.String(obj, "realContinuation", problems);
            var type = Fields.String(obj, "type", problems);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, line.Line, problem);
                continue;
            }
            builder.Add(TaskName, "test", id!.Trim(), new JsonObject
            {
                ["headline"] = headline!.Trim(),
                ["beginning"] = beginning!.Trim(),
                ["continuation"] = continuation!.Trim(),
                ["type"] = type!.Trim(),
            }, file, line.Line);
        }
        return builder.Build();
    }
}
