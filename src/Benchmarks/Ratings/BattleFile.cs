using System.Globalization;
using System.Text.Json;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// Reads battles in Chatbot Arena's published format: a JSON array of objects with <c>model_a</c>, <c>model_b</c>,
/// <c>winner</c> and optionally <c>tstamp</c> (other fields are ignored). Battles are returned in time order — by
/// <c>tstamp</c> when every battle has one, in file order when none has — as the online Elo needs. Problems name the
/// file, the line and the field.
/// </summary>
public static class BattleFile
{
    public static IReadOnlyList<Battle> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var battles = new List<(Battle Battle, double? Time, int Line)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new FormatException($"{path}:1: expected a JSON array of battles");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var line = LineOf(bytes, reader.TokenStartIndex);
                if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException($"{path}:{line}: battle {battles.Count} is not a JSON object");
                using var element = JsonDocument.ParseValue(ref reader);
                battles.Add(Parse(path, line, battles.Count, element.RootElement));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message})");
        }
        var timed = battles.Count(b => b.Time is not null);
        if (timed > 0 && timed < battles.Count)
        {
            var first = battles.First(b => b.Time is null);
            throw new FormatException($"{path}:{first.Line}: field 'tstamp': missing, while other battles have one (time order would be undefined)");
        }
        // OrderBy is stable: battles with equal timestamps keep their file order.
        return (timed > 0 ? battles.OrderBy(b => b.Time) : battles.AsEnumerable()).Select(b => b.Battle).ToList();
    }

    private static (Battle, double?, int) Parse(string path, int line, int index, JsonElement e)
    {
        string Field(string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                ? s
                : throw new FormatException($"{path}:{line}: battle {index}: field '{name}': missing or not a non-empty string");
        var a = Field("model_a");
        var b = Field("model_b");
        BattleWinner winner;
        try
        {
            winner = Battle.ParseWinner(Field("winner"));
        }
        catch (FormatException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new FormatException($"{path}:{line}: battle {index}: field 'winner': {ex.Message}");
        }
        double? time = null;
        if (e.TryGetProperty("tstamp", out var t) && t.ValueKind != JsonValueKind.Null)
            time = t.ValueKind == JsonValueKind.Number ? t.GetDouble()
                : t.ValueKind == JsonValueKind.String && double.TryParse(t.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed
                : throw new FormatException($"{path}:{line}: battle {index}: field 'tstamp': not a number");
        return (new Battle(a, b, winner), time, line);
    }

    private static int LineOf(byte[] bytes, long offset)
    {
        var line = 1;
        for (var i = 0; i < offset && i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') line++;
        return line;
    }
}
