using System.Globalization;
using Evals.Benchmarks.Models;

namespace Evals.Runner.Backends.OpenAiCompatible;

/// <summary>
/// The options of an <c>openai:&lt;base-url&gt;?model=…</c> spec. Vendors differ only here: base URL, model name, key
/// variable, politeness (concurrency, rpm), decoding overrides, prices and the provider's refusal codes.
/// </summary>
public sealed record OpenAiSpec
{
    public static readonly string[] KnownOptions =
    [
        "model", "key_env", "max_concurrency", "rpm", "temperature", "top_p", "max_tokens", "timeout_s", "retries",
        "retry_delay_ms", "price_in", "price_out", "stream", "refusal_codes", "probe",
    ];

    /// <summary>
    /// Error codes and types that mean "the provider declined" rather than "the request failed": OpenAI's and Kimi's
    /// content filters, DashScope's data inspection, Zhipu's 1301 (sensitive content). More come from <c>refusal_codes=</c>.
    /// </summary>
    public static readonly string[] DefaultRefusalCodes =
        ["content_filter", "content_policy_violation", "data_inspection_failed", "DataInspectionFailed", "1301", "sensitive_words_detected"];

    public required Uri BaseUrl { get; init; }
    public required string Model { get; init; }
    public string? KeyEnv { get; init; }
    public int MaxConcurrency { get; init; } = 8;
    public int? RequestsPerMinute { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public int Retries { get; init; } = 4;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Price per million prompt / completion tokens, in whatever currency the user works in.</summary>
    public double PriceIn { get; init; }
    public double PriceOut { get; init; }
    /// <summary>Stream responses (SSE), which gives the time to first token.</summary>
    public bool Stream { get; init; }
    public required IReadOnlySet<string> RefusalCodes { get; init; }
    /// <summary>Whether submitting checks that the host accepts connections (off for endpoints that come and go).</summary>
    public bool Probe { get; init; } = true;

    /// <summary>Checks every option; throws <see cref="ModelSpecException"/> naming the option that is wrong.</summary>
    public static OpenAiSpec Parse(ModelSpec spec)
    {
        spec.RequireKnownOptions(KnownOptions);
        if (!Uri.TryCreate(spec.Target, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https") || baseUrl.Host.Length == 0)
            throw new ModelSpecException($"model spec '{spec.Text}': '{spec.Target}' is not an http(s) base URL; expected openai:https://host/v1?model=NAME&key_env=VAR");
        if (!string.IsNullOrEmpty(baseUrl.UserInfo))
            throw new ModelSpecException($"model spec '{spec.Text}': the base URL must not carry credentials; name the key's environment variable with key_env=");
        if (!spec.Options.TryGetValue("model", out var model) || string.IsNullOrWhiteSpace(model))
            throw new ModelSpecException($"model spec '{spec.Text}': option model= is required (the model name the endpoint serves)");
        string? keyEnv = null;
        if (spec.Options.TryGetValue("key_env", out var env))
        {
            if (env.Length == 0 || !env.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw new ModelSpecException($"model spec '{spec.Text}': key_env='{env}' is not an environment variable name (letters, digits, '_')");
            if (!KeyEnvAllowed(env, out var rule))
                throw new ModelSpecException($"model spec '{spec.Text}': key_env='{env}' is not allowed: only variables matching {rule} may hold model keys ({AllowedKeyEnvSetting})");
            keyEnv = env;
        }
        var stream = spec.Options.GetValueOrDefault("stream", "false");
        if (stream is not ("true" or "false")) throw new ModelSpecException($"model spec '{spec.Text}': stream='{stream}' is not true or false");
        var probe = spec.Options.GetValueOrDefault("probe", "true");
        if (probe is not ("true" or "false")) throw new ModelSpecException($"model spec '{spec.Text}': probe='{probe}' is not true or false");
        var refusals = new HashSet<string>(DefaultRefusalCodes, StringComparer.OrdinalIgnoreCase);
        if (spec.Options.TryGetValue("refusal_codes", out var codes))
            refusals.UnionWith(codes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new OpenAiSpec
        {
            // A trailing slash makes the SDK append "chat/completions" to the path instead of replacing its last segment.
            BaseUrl = baseUrl.AbsolutePath.EndsWith('/') ? baseUrl : new Uri(baseUrl + "/"),
            Model = model,
            KeyEnv = keyEnv,
            MaxConcurrency = spec.GetInt("max_concurrency", 8, 1, 1024),
            RequestsPerMinute = spec.Options.ContainsKey("rpm") ? spec.GetInt("rpm", 0, 1, 1_000_000) : null,
            Temperature = spec.Options.ContainsKey("temperature") ? spec.GetDouble("temperature", 0, 0, 2) : null,
            TopP = spec.Options.ContainsKey("top_p") ? spec.GetDouble("top_p", 1, 0, 1) : null,
            MaxTokens = spec.Options.ContainsKey("max_tokens") ? spec.GetInt("max_tokens", 0, 1, 1_000_000) : null,
            Timeout = TimeSpan.FromSeconds(spec.GetDouble("timeout_s", 60, 0.01, 3600)),
            Retries = spec.GetInt("retries", 4, 0, 20),
            RetryDelay = TimeSpan.FromMilliseconds(spec.GetInt("retry_delay_ms", 1000, 1, 600_000)),
            PriceIn = spec.GetDouble("price_in", 0, 0),
            PriceOut = spec.GetDouble("price_out", 0, 0),
            Stream = stream == "true",
            RefusalCodes = refusals,
            Probe = probe == "true",
        };
    }

    /// <summary>
    /// The operator's list of environment variables that may be sent as a bearer token, comma-separated, <c>*</c> a
    /// wildcard. Read from the process environment only (every node and the CLI see the same rule). Without it, only
    /// names that say they are API keys: anything else (<c>ConnectionStrings__Evals</c>, <c>PGPASSWORD</c>, a cloud
    /// secret) could otherwise be sent to whatever base URL an admin registered.
    /// </summary>
    public const string AllowedKeyEnvSetting = "Evals__AllowedKeyEnv";
    public const string DefaultAllowedKeyEnv = "*_API_KEY,EVALS_*_KEY";

    public static bool KeyEnvAllowed(string name, out string rule)
    {
        rule = Environment.GetEnvironmentVariable(AllowedKeyEnvSetting) is { Length: > 0 } configured ? configured : DefaultAllowedKeyEnv;
        foreach (var pattern in rule.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var regex = "^" + string.Join(".*", pattern.Split('*').Select(System.Text.RegularExpressions.Regex.Escape)) + "$";
            if (System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.CultureInvariant)) return true;
        }
        return false;
    }

    /// <summary>The key from the environment, or null when the spec names no variable (local servers). Never logged.</summary>
    public string? ReadKey(string specText)
    {
        if (KeyEnv is null) return null;
        var key = Environment.GetEnvironmentVariable(KeyEnv);
        if (string.IsNullOrEmpty(key))
            throw new ModelSpecException($"model spec '{specText}': environment variable {KeyEnv} (key_env) is not set or empty in this process");
        return key;
    }

    public double Cost(long promptTokens, long completionTokens) => (promptTokens * PriceIn + completionTokens * PriceOut) / 1_000_000.0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{BaseUrl} model={Model}");
}
