namespace Evals.Runner.Datasets;

/// <summary>
/// Rewrites Hugging Face URLs onto a mirror with the same layout (hf-mirror.com style, or an internal copy): the first
/// of <c>--mirror</c>, <c>Evals__DatasetMirror</c> and <c>HF_ENDPOINT</c> that is set. Other hosts are left alone.
/// </summary>
public sealed class DatasetMirror
{
    public const string HuggingFace = "https://huggingface.co";

    private readonly string? _base;

    private DatasetMirror(string? mirrorBase) => _base = mirrorBase?.TrimEnd('/');

    public static DatasetMirror None { get; } = new(null);

    /// <summary>Null when no mirror is configured; the chosen base otherwise, checked to be an absolute http(s) URL.</summary>
    public string? Base => _base;

    public static DatasetMirror From(string? option, string? configured, string? hfEndpoint)
    {
        var (value, origin) = !string.IsNullOrWhiteSpace(option) ? (option, "--mirror")
            : !string.IsNullOrWhiteSpace(configured) ? (configured, "Evals__DatasetMirror")
            : !string.IsNullOrWhiteSpace(hfEndpoint) ? (hfEndpoint, "HF_ENDPOINT")
            : (null, null);
        if (value is null) return None;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0)
            throw new Runs.BadInputException($"{origin} '{value}': must be an absolute http(s) base URL such as https://hf-mirror.com");
        return new DatasetMirror(value.Trim());
    }

    public Uri Rewrite(string url)
    {
        if (_base is not null && url.StartsWith(HuggingFace + "/", StringComparison.OrdinalIgnoreCase))
            return new Uri(_base + url[HuggingFace.Length..]);
        return new Uri(url);
    }
}
