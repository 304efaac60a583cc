using System.Diagnostics.CodeAnalysis;

namespace Evals.Benchmarks.Models;

/// <summary>
/// A parsed model spec: <c>scheme:target?key=value&amp;...</c> (see DESIGN.md "Names"). Parsing only checks the grammar;
/// each backend factory checks its own options and rejects unknown ones.
/// </summary>
public sealed record ModelSpec(string Scheme, string Target, IReadOnlyDictionary<string, string> Options)
{
    public string Text => Options.Count == 0 ? $"{Scheme}:{Target}" : $"{Scheme}:{Target}?{string.Join('&', Options.Select(o => $"{o.Key}={Uri.EscapeDataString(o.Value)}"))}";

    public override string ToString() => Text;

    public static bool TryParse(string text, [NotNullWhen(true)] out ModelSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "model spec is empty";
            return false;
        }
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            error = $"model spec '{text}' has no scheme: expected 'baseline:…', 'onnx:<folder>' or 'openai:<base-url>?model=…'";
            return false;
        }
        var scheme = text[..colon].Trim().ToLowerInvariant();
        if (!scheme.All(c => c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-'))
        {
            error = $"model spec '{text}': scheme '{scheme}' may hold only letters, digits and '-'";
            return false;
        }
        var rest = text[(colon + 1)..];
        var query = "";
        // openai base URLs contain '?' only before the options, so the last '?' starts them.
        var q = rest.LastIndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                error = $"model spec '{text}': option '{pair}' is not key=value";
                return false;
            }
            var key = Uri.UnescapeDataString(pair[..eq]).ToLowerInvariant();
            if (!options.TryAdd(key, Uri.UnescapeDataString(pair[(eq + 1)..])))
            {
                error = $"model spec '{text}': option '{key}' is given twice";
                return false;
            }
        }
        spec = new ModelSpec(scheme, rest, options);
        return true;
    }

    public static ModelSpec Parse(string text) =>
        TryParse(text, out var spec, out var error) ? spec : throw new ModelSpecException(error);

    /// <summary>Throws when an option outside <paramref name="allowed"/> is present (DESIGN.md: unknown options are an error).</summary>
    public void RequireKnownOptions(params string[] allowed)
    {
        var unknown = Options.Keys.Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            var hint = allowed.Length == 0 ? "it takes no options" : $"known options: {string.Join(", ", allowed)}";
            throw new ModelSpecException($"model spec '{Text}': unknown option(s) {string.Join(", ", unknown)}; {hint}");
        }
    }

    public int GetInt(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!Options.TryGetValue(key, out var raw)) return fallback;
        if (!int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ModelSpecException($"model spec '{Text}': option {key}='{raw}' is not an integer in [{min}, {max}]");
        return value;
    }

    public double GetDouble(string key, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!Options.TryGetValue(key, out var raw)) return fallback;
        if (!double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ModelSpecException($"model spec '{Text}': option {key}='{raw}' is not a number in [{min}, {max}]");
        return value;
    }
}

public sealed class ModelSpecException(string message) : Exception(message);
