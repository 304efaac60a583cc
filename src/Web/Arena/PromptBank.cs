using System.Text.Json;
using Evals.Benchmarks.Suites;

namespace Evals.Web.Arena;

public sealed record ArenaPrompt(string Id, string Category, string Prompt);

/// <summary>The shipped bank of Chinese arena prompts, <c>datasets/arena/prompts.jsonl</c>, read once.</summary>
public sealed class PromptBank(SuiteCatalog catalog)
{
    private readonly Lazy<IReadOnlyList<ArenaPrompt>> _prompts = new(() => Read(Path.Combine(catalog.Root, "arena", "prompts.jsonl")));

    public IReadOnlyList<ArenaPrompt> All => _prompts.Value;

    public ArenaPrompt Draw() => All.Count == 0 ? throw new InvalidOperationException("the arena prompt bank is empty") : All[Random.Shared.Next(All.Count)];

    public static IReadOnlyList<ArenaPrompt> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var prompts = new List<ArenaPrompt>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                string Field(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                    ? s : throw new FormatException($"{path}:{line}: field '{name}': missing or not a non-empty string");
                prompts.Add(new ArenaPrompt(Field("id"), Field("category"), Field("prompt")));
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{line}: not valid JSON ({e.Message})");
            }
        }
        return prompts;
    }
}
