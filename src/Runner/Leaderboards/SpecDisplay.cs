using System.Text.RegularExpressions;

namespace Evals.Runner.Leaderboards;

/// <summary>
/// A model spec as a public page (the site's model pages, the static snapshot's) may show it. Specs name keys by environment variable (<c>key_env=</c>), never by value,
/// but a base URL can still carry credentials (<c>https://user:secret@host</c>) or a key in its own query string: those
/// are masked, whatever else the spec says.
/// </summary>
public static partial class SpecDisplay
{
    public const string Masked = "***";

    public static string Mask(string spec)
    {
        var masked = UserInfo().Replace(spec, m => $"{m.Groups["scheme"].Value}{Masked}@");
        return SecretOption().Replace(masked, m => $"{m.Groups["name"].Value}={Masked}");
    }

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.\-]*://)[^/@?\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UserInfo();

    // key_env names a variable, not a secret: it stays readable.
    [GeneratedRegex(@"(?<name>(?<![a-z_])(?:api[_-]?key|key|token|secret|password|pwd|access[_-]?token|auth))=(?!\*\*\*)[^&#\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretOption();
}
