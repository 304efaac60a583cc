using System.Globalization;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.Caching;

/// <summary>
/// What makes two specs the same model for the response cache: scheme, target and the options that change answers.
/// Options that only change how politely or where from a model is called (concurrency, rpm, timeouts, key variable,
/// prices, threads, library paths, drill delays) are left out, so changing them keeps the cache.
/// </summary>
public static class ModelIdentity
{
    private static readonly HashSet<string> Operational = new(StringComparer.Ordinal)
    {
        "key_env", "max_concurrency", "rpm", "timeout_s", "retries", "retry_delay_ms", "price_in", "price_out", "stream", "refusal_codes", "probe",
        "delay_ms", "threads", "library", "cuda_provider",
    };

    public static string For(ModelSpec spec)
    {
        var options = spec.Options.Where(o => !Operational.Contains(o.Key)).OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}");
        var identity = $"{spec.Scheme}:{spec.Target}?{string.Join('&', options)}";
        if (spec.Scheme == "onnx")
        {
            // A folder re-exported in place is another model: its weights file's size and time stamp go into the identity.
            var file = Path.Combine(spec.Target, spec.Options.GetValueOrDefault("file", "model.onnx"));
            var info = new FileInfo(file);
            if (info.Exists) identity += string.Create(CultureInfo.InvariantCulture, $"#{info.Length}@{info.LastWriteTimeUtc.Ticks}");
        }
        if (spec is { Scheme: "baseline", Target: "replay" } && spec.Options.TryGetValue("file", out var replayed))
        {
            // A replay file rewritten in place holds other outputs: the same stamp keeps its cached answers apart.
            var info = new FileInfo(replayed);
            if (info.Exists) identity += string.Create(CultureInfo.InvariantCulture, $"#{info.Length}@{info.LastWriteTimeUtc.Ticks}");
        }
        return identity;
    }

    /// <summary>Whether the spec itself asks for sampling (a temperature above zero overrides the run's decoding).</summary>
    public static bool Samples(ModelSpec spec) =>
        spec.Options.TryGetValue("temperature", out var t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0;
}
