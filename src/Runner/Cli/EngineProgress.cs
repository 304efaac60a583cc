using System.Globalization;
using System.Text.RegularExpressions;

namespace Evals.Runner.Cli;

/// <summary>
/// The engine's live figures for a progress line: the tokens/s and mean batch of scoring and of generation, read from the
/// run's backend report (which the run job refreshes at each committed batch), e.g. "scoring 1973 tokens/s, batch 23.9".
/// Empty while the report has none (a remote backend, or before the first batch).
/// </summary>
internal static partial class EngineProgress
{
    public static string From(string? backendReport)
    {
        if (string.IsNullOrEmpty(backendReport)) return "";
        var parts = Figures().Matches(backendReport).Select(m =>
            $"{m.Groups["what"].Value} {m.Groups["rate"].Value} tokens/s, batch {double.Parse(m.Groups["batch"].Value, CultureInfo.InvariantCulture):0.#}");
        return string.Join("; ", parts);
    }

    [GeneratedRegex(@"(?<what>scoring|generation): (?<rate>\d+) tokens/s, mean batch (?<batch>[\d.]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Figures();
}
