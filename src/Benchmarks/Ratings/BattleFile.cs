using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// Reads battles in Chatbot Arena's published format: a JSON array of objects with <c>model_a</c>, <c>model_b</c>,
/// <c>winner</c> and optionally <c>tstamp</c> and <c>conv_metadata</c> (each answer's style counts, read into
/// <see cref="Battle.StyleA"/> and <see cref="Battle.StyleB"/> when all eight are there) and <c>anony</c> (false marks
/// the battle <see cref="Battle.Named"/>); other fields are ignored. Battles are returned in time order — by
/// <c>tstamp</c> when every battle has one, in file order when none has — as the online Elo needs. Problems name the
/// file, the line and the field.
/// </summary>
public static class BattleFile
{
    private static readonly JsonReaderOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <param name="requireStyle">Every battle must carry the style counts (for style control); a battle without them is an error naming its line.</param>
    /// <param name="readCategories">Classify each battle's prompt (<see cref="PromptCategories"/>) from the user turns of
    /// <c>conversation_a</c>, or from <c>language</c> when there is no conversation.</param>
    public static IReadOnlyList<Battle> Read(string path, bool requireStyle = false, bool readCategories = false)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path, requireStyle, readCategories);
    }

    /// <summary>
    /// Streams the array: one buffer (grown only for a battle larger than it), each battle parsed straight from the
    /// reader, and line numbers counted incrementally as the reader moves on (never from the file's start), so time and
    /// memory grow linearly with the file. <paramref name="path"/> names the file in messages.
    /// <para>The reading methods are compiled optimised at first call rather than precompiled: precompiled (ReadyToRun)
    /// code cannot inline <see cref="Utf8JsonReader"/>'s members, which live in another assembly, and the published CLI
    /// runs with tiered compilation off, so it would never be recompiled.</para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<Battle> Read(Stream stream, string path, bool requireStyle = false, bool readCategories = false)
    {
        var battles = new List<(Battle Battle, double? Time, int Line)>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var buffer = new byte[1 << 20];
        var filled = 0;
        var eof = false;
        var state = new JsonReaderState(Options);
        var started = false;
        var ended = false;
        // The line number at buffer offset countedTo: newlines are counted once, as positions move forward.
        var line = 1;
        var countedTo = 0;
        try
        {
            while (!ended)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                while (!eof && filled < buffer.Length)
                {
                    var read = stream.Read(buffer, filled, buffer.Length - filled);
                    if (read == 0) eof = true;
                    filled += read;
                }
                var reader = new Utf8JsonReader(buffer.AsSpan(0, filled), eof, state);
                // Where the next unread token starts, and the reader's state there: a battle cut by the buffer's end is read again.
                var resumeState = reader.CurrentState;
                var resumeAt = 0L;
                while (true)
                {
                    if (!reader.Read()) break;
                    if (!started)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException($"{path}:1: expected a JSON array of battles");
                        started = true;
                    }
                    else if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        ended = true;
                        break;
                    }
                    else
                    {
                        var at = (int)reader.TokenStartIndex;
                        line += buffer.AsSpan(countedTo, at - countedTo).Count((byte)'\n');
                        countedTo = at;
                        if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException($"{path}:{line}: battle {battles.Count} is not a JSON object");
                        if (!TryReadBattle(ref reader, path, line, battles.Count, names, requireStyle, readCategories, out var battle)) break;
                        battles.Add(battle);
                    }
                    resumeState = reader.CurrentState;
                    resumeAt = reader.BytesConsumed;
                }
                if (ended) break;
                if (eof) throw new FormatException(started ? $"{path}:{line}: the array of battles is not closed (the file ends inside it)" : $"{path}:1: expected a JSON array of battles");
                // Keep the unread tail at the buffer's start; count the newlines of the part let go.
                var shift = (int)resumeAt;
                line += buffer.AsSpan(countedTo, Math.Max(0, shift - countedTo)).Count((byte)'\n');
                countedTo = Math.Max(0, countedTo - shift);
                buffer.AsSpan(shift, filled - shift).CopyTo(buffer);
                filled -= shift;
                state = resumeState;
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

    /// <summary>
    /// Reads one battle object from its start token. False when the buffer ends inside it (more data is needed); other
    /// fields are skipped whatever their shape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadBattle(ref Utf8JsonReader reader, string path, int line, int index, Dictionary<string, string> names,
        bool requireStyle, bool readCategories, out (Battle, double?, int) battle)
    {
        battle = default;
        string? a = null, b = null, winner = null, language = null;
        AnswerStyle? styleA = null, styleB = null;
        List<string>? userTurns = null;
        double? time = null;
        var badTime = false;
        var named = false;
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var name = reader.ValueTextEquals("model_a"u8) ? "model_a" : reader.ValueTextEquals("model_b"u8) ? "model_b"
                : reader.ValueTextEquals("winner"u8) ? "winner" : reader.ValueTextEquals("tstamp"u8) ? "tstamp"
                : reader.ValueTextEquals("conv_metadata"u8) ? "conv_metadata" : reader.ValueTextEquals("anony"u8) ? "anony"
                : !readCategories ? null
                : reader.ValueTextEquals("conversation_a"u8) ? "conversation_a" : reader.ValueTextEquals("language"u8) ? "language" : null;
            if (!reader.Read()) return false;
            if (name == "anony")
            {
                if (reader.TokenType is JsonTokenType.True or JsonTokenType.False) named = reader.TokenType == JsonTokenType.False;
                else if (!reader.TrySkip()) return false;
                continue;
            }
            if (name == "language")
            {
                if (reader.TokenType == JsonTokenType.String) language = reader.GetString();
                else if (!reader.TrySkip()) return false;
                continue;
            }
            if (name == "conversation_a")
            {
                userTurns = [];
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    if (!reader.TrySkip()) return false;
                    continue;
                }
                if (!TryReadUserTurns(ref reader, userTurns)) return false;
                continue;
            }
            if (name == "conv_metadata")
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    if (!reader.TrySkip()) return false;
                    continue;
                }
                if (!TryReadStyle(ref reader, path, line, index, out styleA, out styleB)) return false;
                continue;
            }
            if (name is null)
            {
                if (!reader.TrySkip()) return false;
                continue;
            }
            if (name == "tstamp")
            {
                time = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.Number => reader.GetDouble(),
                    JsonTokenType.String when double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
                    _ => null,
                };
                badTime = reader.TokenType is not (JsonTokenType.Null or JsonTokenType.Number) && time is null;
                if (!reader.TrySkip()) return false;
                continue;
            }
            string? value = null;
            if (reader.TokenType == JsonTokenType.String)
            {
                var text = reader.GetString()!;
                value = text.Length == 0 ? null : name == "winner" ? text : names.TryGetValue(text, out var known) ? known : names[text] = text;
            }
            else if (!reader.TrySkip()) return false;
            switch (name)
            {
                case "model_a": a = value; break;
                case "model_b": b = value; break;
                default: winner = value; break;
            }
        }
        foreach (var (field, value) in new[] { ("model_a", a), ("model_b", b), ("winner", winner) })
            if (value is null)
                throw new FormatException($"{path}:{line}: battle {index}: field '{field}': missing or not a non-empty string");
        BattleWinner parsedWinner;
        try
        {
            parsedWinner = Battle.ParseWinner(winner!);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}:{line}: battle {index}: field 'winner': {ex.Message}");
        }
        if (badTime) throw new FormatException($"{path}:{line}: battle {index}: field 'tstamp': not a number");
        if (requireStyle && styleA is null)
            throw new FormatException($"{path}:{line}: battle {index}: field 'conv_metadata': missing or without all of {string.Join(", ", StyleFields)} (style control needs them)");
        var categories = !readCategories ? null
            : userTurns is { Count: > 0 } ? PromptCategories.Of(userTurns)
            : language is not null ? PromptCategories.OfLanguage(language)
            : [];
        battle = (new Battle(a!, b!, parsedWinner) { StyleA = styleA, StyleB = styleB, Categories = categories, Named = named }, time, line);
        return true;
    }

    private static readonly string[] StyleFields =
    [
        "sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a",
        "sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b",
    ];

    /// <summary>
    /// Reads <c>conv_metadata</c> from its start token: each of <see cref="StyleFields"/> is a count or an object of counts
    /// (summed, as FastChat does); both styles are null unless all eight are present. False when the buffer ends inside it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadStyle(ref Utf8JsonReader reader, string path, int line, int index, out AnswerStyle? a, out AnswerStyle? b)
    {
        a = b = null;
        var counts = new int?[StyleFields.Length];
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var slot = -1;
            for (var i = 0; i < StyleFields.Length && slot < 0; i++)
                if (reader.ValueTextEquals(StyleFields[i])) slot = i;
            if (!reader.Read()) return false;
            if (slot < 0)
            {
                if (!reader.TrySkip()) return false;
                continue;
            }
            var field = $"conv_metadata.{StyleFields[slot]}";
            if (reader.TokenType == JsonTokenType.Number)
                counts[slot] = Count(ref reader, path, line, index, field);
            else if (reader.TokenType == JsonTokenType.StartObject)
            {
                var sum = 0;
                while (true)
                {
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.EndObject) break;
                    if (!reader.Read()) return false;
                    if (reader.TokenType != JsonTokenType.Number) throw new FormatException($"{path}:{line}: battle {index}: field '{field}': not a count");
                    sum += Count(ref reader, path, line, index, field);
                }
                counts[slot] = sum;
            }
            else throw new FormatException($"{path}:{line}: battle {index}: field '{field}': not a count or an object of counts");
        }
        if (counts.All(c => c is not null))
        {
            a = new AnswerStyle(counts[0]!.Value, counts[1]!.Value, counts[2]!.Value, counts[3]!.Value);
            b = new AnswerStyle(counts[4]!.Value, counts[5]!.Value, counts[6]!.Value, counts[7]!.Value);
        }
        return true;
    }

    private static int Count(ref Utf8JsonReader reader, string path, int line, int index, string field) =>
        reader.TryGetInt32(out var value) && value >= 0 ? value
            : throw new FormatException($"{path}:{line}: battle {index}: field '{field}': not a whole count of 0 or more");

    /// <summary>
    /// The user turns' text of a <c>conversation_a</c> array (each <c>{role, content}</c>; content a string, or a list
    /// whose strings are taken, as in Chatbot Arena's multimodal dumps). False when the buffer ends inside it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadUserTurns(ref Utf8JsonReader reader, List<string> turns)
    {
        while (true)
        {
            if (!reader.Read()) return false;
            if (reader.TokenType == JsonTokenType.EndArray) return true;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                if (!reader.TrySkip()) return false;
                continue;
            }
            string? role = null, content = null;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var field = reader.ValueTextEquals("role"u8) ? 1 : reader.ValueTextEquals("content"u8) ? 2 : 0;
                if (!reader.Read()) return false;
                if (field == 1 && reader.TokenType == JsonTokenType.String) role = reader.GetString();
                else if (field == 2 && reader.TokenType == JsonTokenType.String) content = reader.GetString();
                else if (field == 2 && reader.TokenType == JsonTokenType.StartArray)
                {
                    var parts = new List<string>();
                    while (true)
                    {
                        if (!reader.Read()) return false;
                        if (reader.TokenType == JsonTokenType.EndArray) break;
                        if (reader.TokenType == JsonTokenType.String) parts.Add(reader.GetString()!);
                        else if (!reader.TrySkip()) return false;
                    }
                    content = string.Join("\n", parts);
                }
                else if (!reader.TrySkip()) return false;
            }
            if (role == "user" && content is not null) turns.Add(content);
        }
    }
}
