using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Evals.Benchmarks.Judging;

/// <summary>One AlpacaEval annotation: the baseline's output (<c>output_1</c>) against the model's (<c>output_2</c>).</summary>
/// <param name="Preference">1 = baseline preferred, 2 = model preferred, 0 or 1.5 = draw, null = no valid judgment.</param>
public sealed record AlpacaEvalAnnotation(int Line, string Instruction, string Generator1, string Output1, string Generator2, string Output2,
    string? Annotator, double? Preference);

/// <summary>
/// Reads AlpacaEval's <c>annotations.json</c> (a JSON array of objects with <c>instruction</c>, <c>output_1</c>,
/// <c>generator_1</c>, <c>output_2</c>, <c>generator_2</c>, <c>annotator</c>, <c>preference</c>); preferences may be
/// integers or floats. Problems name the file, the line and the field.
/// </summary>
public static class AlpacaEvalAnnotations
{
    public static IReadOnlyList<AlpacaEvalAnnotation> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true });
        var annotations = new List<AlpacaEvalAnnotation>();
        var line = 1;
        var countedTo = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) throw new FormatException($"{path}:1: expected a JSON array of annotations");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var at = (int)reader.TokenStartIndex;
                line += bytes.AsSpan(countedTo, at - countedTo).Count((byte)'\n');
                countedTo = at;
                if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException($"{path}:{line}: annotation {annotations.Count} is not a JSON object");
                using var element = JsonDocument.ParseValue(ref reader);
                annotations.Add(ReadOne(element.RootElement, path, line));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message}", e);
        }
        return annotations;
    }

    private static AlpacaEvalAnnotation ReadOne(JsonElement o, string path, int line)
    {
        string Text(string field, bool required = true)
        {
            if (o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String) return v.GetString()!;
            if (!required && (!o.TryGetProperty(field, out v) || v.ValueKind == JsonValueKind.Null)) return "";
            throw new FormatException($"{path}:{line}: field '{field}' must be a string");
        }
        double? preference = null;
        if (o.TryGetProperty("preference", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetDouble(out var value) || double.IsNaN(value))
                throw new FormatException($"{path}:{line}: field 'preference' must be a number or null (got {p.GetRawText()})");
            preference = value;
        }
        else if (!o.TryGetProperty("preference", out _))
            throw new FormatException($"{path}:{line}: field 'preference' is missing");
        var annotator = Text("annotator", required: false);
        return new AlpacaEvalAnnotation(line, Text("instruction"), Text("generator_1"), Text("output_1"), Text("generator_2"), Text("output_2"),
            annotator.Length == 0 ? null : annotator, preference);
    }
}

/// <summary>AlpacaEval's head-to-head description of one model against the baseline, in the leaderboard's columns.</summary>
public sealed record AlpacaEvalHead2Head(double WinRate, double StandardError, int Wins, int WinsBase, int Draws, int Total, int Dropped);

/// <summary>
/// AlpacaEval's win rate and standard error (<c>alpaca_eval.metrics</c>, <c>describe_head2head</c>; re-implemented here):
/// a draw (0, or 1.5) becomes 1.5; values that are not preferences (null, outside [1, 2]) are dropped; p = preference − 1;
/// standard_error = 100 · sem(p) (sample standard deviation, ddof 1, over √n; sums in NumPy's order);
/// n_wins = #(p &gt; ½), n_wins_base = #(p &lt; ½), n_draws = #draws, n_total = #kept.
/// <para>The win rate, 100 · mean(p), is computed as (n_wins / n_total + ½ · n_draws / n_total) · 100: equal in exact
/// arithmetic for discrete preferences, and the rounding of the code that wrote the published AlpacaEval 1.0 leaderboard
/// (alpaca-7b: 26.459627329192543, where today's <c>mean() * 100</c> gives …546). Preferences strictly between 1 and 2
/// (AlpacaEval 2.0's weighted annotators) use the mean.</para>
/// </summary>
public static class AlpacaEvalWinRate
{
    public static AlpacaEvalHead2Head Describe(IEnumerable<double?> preferences)
    {
        var kept = new List<double>();
        int wins = 0, winsBase = 0, draws = 0, dropped = 0;
        var discrete = true;
        foreach (var raw in preferences)
        {
            if (raw is 0 or 1.5) draws++;
            if (raw is not { } value) { dropped++; continue; }
            if (value == 0) value = 1.5;
            if (value is < 1 or > 2) { dropped++; continue; }
            var p = value - 1;
            if (p > 0.5) wins++;
            else if (p < 0.5) winsBase++;
            if (p is not (0 or 0.5 or 1)) discrete = false;
            kept.Add(p);
        }
        var n = kept.Count;
        if (n == 0) return new AlpacaEvalHead2Head(double.NaN, double.NaN, 0, 0, draws, 0, dropped);
        var values = kept.ToArray();
        var mean = NumpySum.Sum(values) / n;
        var winRate = discrete ? ((double)wins / n + 0.5 * ((double)draws / n)) * 100 : mean * 100;
        var standardError = double.NaN;
        if (n > 1)
        {
            var squares = new double[n];
            for (var i = 0; i < n; i++) squares[i] = (mean - values[i]) * (mean - values[i]);
            var variance = NumpySum.Sum(squares) / (n - 1);
            standardError = Math.Sqrt(variance) / Math.Sqrt(n) * 100;
        }
        return new AlpacaEvalHead2Head(winRate, standardError, wins, winsBase, draws, n, dropped);
    }
}

/// <summary>One row of AlpacaEval's leaderboard CSV (<c>,win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,mode,avg_length,…</c>).</summary>
public sealed record AlpacaEvalLeaderboardRow(string Model, double WinRate, double StandardError, int Wins, int WinsBase, int Draws, int Total, string Mode, int AverageLength);

public static class AlpacaEvalLeaderboard
{
    public static IReadOnlyList<AlpacaEvalLeaderboardRow> Read(string path)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length == 0) throw new FormatException($"{path}:1: empty file");
        var header = lines[0].Split(',');
        int Column(string name)
        {
            var i = Array.IndexOf(header, name);
            return i >= 0 ? i : throw new FormatException($"{path}:1: no column '{name}'");
        }
        int winRate = Column("win_rate"), se = Column("standard_error"), nWins = Column("n_wins"), nBase = Column("n_wins_base"),
            nDraws = Column("n_draws"), nTotal = Column("n_total"), mode = Column("mode"), length = Column("avg_length");
        var rows = new List<AlpacaEvalLeaderboardRow>();
        for (var l = 1; l < lines.Length; l++)
        {
            if (lines[l].Length == 0) continue;
            // Model names hold no commas in the published files; a quoted field is refused rather than misread.
            if (lines[l].Contains('"')) throw new FormatException($"{path}:{l + 1}: quoted fields are not supported");
            var cells = lines[l].Split(',');
            if (cells.Length != header.Length) throw new FormatException($"{path}:{l + 1}: {cells.Length} fields, the header has {header.Length}");
            double Number(int i) => double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                : throw new FormatException($"{path}:{l + 1}: field '{header[i]}' is not a number ('{cells[i]}')");
            int Count(int i) => int.TryParse(cells[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : throw new FormatException($"{path}:{l + 1}: field '{header[i]}' is not an integer ('{cells[i]}')");
            rows.Add(new AlpacaEvalLeaderboardRow(cells[0], Number(winRate), Number(se), Count(nWins), Count(nBase), Count(nDraws), Count(nTotal), cells[mode], Count(length)));
        }
        return rows;
    }
}
