using System.Collections.Concurrent;
using System.Text.Json;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Baselines;

/// <summary>
/// A file of model responses in HalluQA's format (a JSON array of <c>{question_id, question, response}</c>, judged
/// outputs add <c>is_hallucination</c>), read once per process and keyed by <c>question_id</c> as a string.
/// </summary>
internal sealed record HalluQaResponseFile(IReadOnlyDictionary<string, HalluQaResponse> ById)
{
    private static readonly ConcurrentDictionary<string, Lazy<HalluQaResponseFile>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The file at <paramref name="path"/>; a missing or malformed file is a <see cref="ModelSpecException"/> naming it.</summary>
    public static HalluQaResponseFile Load(ModelSpec spec, string option, string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return Loaded.GetOrAdd(full, p => new Lazy<HalluQaResponseFile>(() => Read(spec, option, p))).Value;
        }
        catch (ModelSpecException)
        {
            Loaded.TryRemove(full, out _);
            throw;
        }
    }

    private static HalluQaResponseFile Read(ModelSpec spec, string option, string path)
    {
        if (!File.Exists(path)) throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {path} does not exist");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {path}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message})");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {path}: expected a JSON array of {{question_id, response}}");
            var byId = new Dictionary<string, HalluQaResponse>(StringComparer.Ordinal);
            var index = 0;
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                var where = $"{path}: element {index++}";
                if (entry.ValueKind != JsonValueKind.Object
                    || !entry.TryGetProperty("question_id", out var id) || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                    throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {where}: field 'question_id': missing or not a string or integer");
                if (!entry.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.String)
                    throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {where}: field 'response': missing or not a string");
                bool? hallucinated = entry.TryGetProperty("is_hallucination", out var label) && label.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? label.GetBoolean() : null;
                var key = id.ValueKind == JsonValueKind.String ? id.GetString()!.Trim() : id.GetRawText();
                if (!byId.TryAdd(key, new HalluQaResponse(response.GetString()!, hallucinated)))
                    throw new ModelSpecException($"model spec '{spec.Text}': option {option}: {where}: field 'question_id': '{key}' appears twice");
            }
            return new HalluQaResponseFile(byId);
        }
    }
}

internal sealed record HalluQaResponse(string Response, bool? Hallucinated);
