using Evals.Benchmarks.Suites.Clue;
using Evals.Benchmarks.Suites.Exams;
using Evals.Benchmarks.Suites.Reading;

namespace Evals.Benchmarks.Suites.Import;

/// <summary>
/// Reads one benchmark's official files as published and turns them into task items. Validates everything; see
/// <see cref="ImportResult.Succeeded"/> for what skip-bad changes.
/// </summary>
public interface IFormatReader
{
    /// <summary>The FORMAT of <c>evals import FORMAT</c>.</summary>
    string Format { get; }

    /// <summary>The suite an import fills when <c>--suite</c> is not given.</summary>
    string DefaultSuite { get; }

    /// <summary>What <c>--path</c> must hold, for help text and errors.</summary>
    string Expects { get; }

    ImportResult Read(string path, bool skipBad = false);
}

/// <summary>The one explicit catalog of import formats; a duplicate name fails at start-up.</summary>
public static class ImportFormats
{
    private static readonly Dictionary<string, IFormatReader> Readers = Build(
        [.. ClueFormats.All.Select(f => (IFormatReader)new ClueJsonLinesReader(f)),
         new ChidReader(),
         new Cmrc2018Reader(),
         new C3Reader(),
         new ClueFolderReader(),
         new CevalReader(),
         new CmmluReader(),
         new Hallucination.HalluQaReader(),
         new Generation.CslTitleReader(),
         new Generation.WmtReader(),
         new Generation.UhgevalReader(),
         new Dialogue.KdConvReader(),
         new Maths.CmathReader(),
         new Maths.MgsmReader(),
         new Judged.PairwiseAlpacaEvalReader(),

         new Judged.AlignBenchReader(),
         new Judged.MtBenchReader(chinese: false),
         new Judged.MtBenchReader(chinese: true)]);

    public static IReadOnlyCollection<string> Names => Readers.Keys;

    public static IFormatReader Get(string format) =>
        Readers.TryGetValue(format, out var reader) ? reader : throw new UnknownFormatException(format, Readers.Keys.ToList());

    private static Dictionary<string, IFormatReader> Build(IReadOnlyList<IFormatReader> readers)
    {
        var map = new Dictionary<string, IFormatReader>(StringComparer.Ordinal);
        foreach (var reader in readers)
            if (!map.TryAdd(reader.Format, reader)) throw new InvalidOperationException($"import format '{reader.Format}' is registered twice");
        return map;
    }
}

public sealed class UnknownFormatException(string format, IReadOnlyList<string> known) : Exception(Describe(format, known))
{
    private static string Describe(string format, IReadOnlyList<string> known)
    {
        var near = known.Where(k => k.Contains(format, StringComparison.OrdinalIgnoreCase) || format.Contains(k, StringComparison.OrdinalIgnoreCase)
            || Distance(k, format.ToLowerInvariant()) <= 2).ToList();
        var hint = near.Count > 0 ? $"; did you mean {string.Join(" or ", near)}?" : "";
        return $"unknown import format '{format}'{hint} known formats: {string.Join(", ", known)}";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
