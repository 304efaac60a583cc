using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Evals.Storage.Entities;
using Evals.Storage.Text;

namespace Evals.Web.Feedback;

/// <summary>
/// An event whose fields are all well-formed; its experiment and variant are checked against the database next. An event
/// without model, input and output (<see cref="RatesStoredTrace"/>) rates a trace ingested through
/// <c>/api/otel/v1/traces</c>, which holds them.
/// </summary>
public sealed record ParsedFeedback(
    string EventId, string TraceId, string? Model, string? Experiment, string? Variant, string? Input, string? Output,
    string RatingScale, short Rating, bool Positive, string[] Tags, string? Comment, DateTimeOffset? Timestamp)
{
    public bool RatesStoredTrace => Model is null;
}

/// <summary>
/// Reads one feedback event from JSON, collecting every problem by field name rather than stopping at the first. Unknown
/// fields are errors too: a misspelt <c>ratng</c> must not silently become an event without a rating.
/// </summary>
public static partial class FeedbackEventParser
{
    public const int MaxIdLength = 128;
    public const int MaxModelLength = 200;
    public const int MaxNameLength = 100;
    public const int MaxTextLength = 32_000;
    public const int MaxCommentLength = 4_000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 64;
    /// <summary>Clocks differ; an event from further ahead than this is a client bug.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    private static readonly HashSet<string> Known =
        ["event_id", "trace_id", "model", "experiment", "variant", "input", "output", "rating", "tags", "comment", "timestamp"];

    public static (ParsedFeedback? Event, Dictionary<string, string[]> Errors) Parse(JsonElement e, DateTimeOffset now)
    {
        try
        {
            return ParseObject(e, now);
        }
        catch (InvalidOperationException)
        {
            // A field name with an escaped lone surrogate: System.Text.Json cannot make it a string.
            return (null, new Dictionary<string, string[]> { [""] = ["a field name contains a lone UTF-16 surrogate escape, which is not valid Unicode"] });
        }
    }

    private static (ParsedFeedback? Event, Dictionary<string, string[]> Errors) ParseObject(JsonElement e, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors[""] = [$"an event must be a JSON object, not {Describe(e.ValueKind)}"];
            return (null, errors);
        }
        foreach (var property in e.EnumerateObject())
            if (!Known.Contains(property.Name))
                errors[property.Name] = [$"unknown field; an event has {string.Join(", ", Known)}"];

        var eventId = RequiredString(e, "event_id", MaxIdLength, errors, "the idempotency key: a resent event with the same id is stored once");
        var traceId = RequiredString(e, "trace_id", MaxIdLength, errors, "the conversation turn the rating is about");
        // All three left out: the event rates a stored trace (an ingested GenAI span) that holds them.
        var ratesStoredTrace = !Present(e, "model") && !Present(e, "input") && !Present(e, "output");
        string? model = null, input = null, output = null;
        if (!ratesStoredTrace)
        {
            model = RequiredString(e, "model", MaxModelLength, errors, "the model that answered (leave out model, input and output only to rate a trace sent to /api/otel/v1/traces)");
            input = RequiredString(e, "input", MaxTextLength, errors, "the user's message", allowEmpty: false);
            output = RequiredString(e, "output", MaxTextLength, errors, "the model's answer", allowEmpty: true);
        }
        var experiment = OptionalString(e, "experiment", MaxNameLength, errors);
        var variant = OptionalString(e, "variant", MaxNameLength, errors);
        if (experiment is not null && variant is null && !errors.ContainsKey("variant"))
            errors["variant"] = ["required with 'experiment': the variant the user was assigned"];
        if (variant is not null && experiment is null && !errors.ContainsKey("experiment"))
            errors["experiment"] = ["required with 'variant': the experiment's name"];
        var (scale, rating, positive) = Rating(e, errors);
        var tags = Tags(e, errors);
        var comment = OptionalString(e, "comment", MaxCommentLength, errors);
        var timestamp = Timestamp(e, now, errors);

        return errors.Count > 0
            ? (null, errors)
            : (new ParsedFeedback(eventId!, traceId!, model, experiment, variant, input, output, scale!, rating, positive, tags, comment, timestamp), errors);
    }

    private static bool Present(JsonElement e, string name) => e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    private static string? RequiredString(JsonElement e, string name, int maxLength, Dictionary<string, string[]> errors, string what, bool allowEmpty = false)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors[name] = [$"required: {what}"];
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = [$"must be a string, not {Describe(value.ValueKind)}"];
            return null;
        }
        if (ReadText(value, out var problem) is not { } text)
        {
            errors[name] = [problem!];
            return null;
        }
        if (!allowEmpty && string.IsNullOrWhiteSpace(text)) errors[name] = [$"must not be empty: {what}"];
        else if (text.Length > maxLength) errors[name] = [$"at most {maxLength} characters (got {text.Length})"];
        else return text;
        return null;
    }

    private static string? OptionalString(JsonElement e, string name, int maxLength, Dictionary<string, string[]> errors)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) errors[name] = [$"must be a string, not {Describe(value.ValueKind)}"];
        else if (ReadText(value, out var problem) is not { } text) errors[name] = [problem!];
        else if (string.IsNullOrWhiteSpace(text)) errors[name] = ["must not be empty; leave the field out instead"];
        else if (text.Length > maxLength) errors[name] = [$"at most {maxLength} characters (got {text.Length})"];
        else return text;
        return null;
    }

    /// <summary>Thumbs (<c>"up"</c>/<c>"down"</c>) or stars (an integer 1–5); 4–5 stars count as positive.</summary>
    private static (string? Scale, short Rating, bool Positive) Rating(JsonElement e, Dictionary<string, string[]> errors)
    {
        const string expected = "\"up\" or \"down\" (thumbs), or an integer from 1 to 5 (stars)";
        if (!e.TryGetProperty("rating", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors["rating"] = [$"required: {expected}"];
            return (null, 0, false);
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.String when value.ValueEquals("up") || value.ValueEquals("down"):
                var up = value.ValueEquals("up");
                return (FeedbackEvent.Thumbs, up ? (short)1 : (short)0, up);
            case JsonValueKind.Number when value.TryGetInt32(out var stars) && stars is >= 1 and <= 5:
                return (FeedbackEvent.Stars, (short)stars, stars >= 4);
            default:
                errors["rating"] = [$"must be {expected}; got {value.GetRawText()}"];
                return (null, 0, false);
        }
    }

    private static string[] Tags(JsonElement e, Dictionary<string, string[]> errors)
    {
        if (!e.TryGetProperty("tags", out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors["tags"] = [$"must be an array of strings, not {Describe(value.ValueKind)}"];
            return [];
        }
        var tags = new List<string>();
        var problems = new List<string>();
        var i = 0;
        foreach (var tag in value.EnumerateArray())
        {
            if (tag.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(ReadText(tag, out _) ?? "")) problems.Add($"[{i}] must be a non-empty string" + (tag.ValueKind == JsonValueKind.String && ReadText(tag, out var p) is null ? $" ({p})" : ""));
            else if (ReadText(tag, out _)!.Length > MaxTagLength) problems.Add($"[{i}] has more than {MaxTagLength} characters");
            else tags.Add(ReadText(tag, out _)!);
            i++;
        }
        if (i > MaxTags) problems.Add($"at most {MaxTags} tags (got {i})");
        if (problems.Count > 0) errors["tags"] = problems.ToArray();
        return tags.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static DateTimeOffset? Timestamp(JsonElement e, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        if (!e.TryGetProperty("timestamp", out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String || !IsoTime().IsMatch(ReadText(value, out _) ?? "")
            || !DateTimeOffset.TryParse(ReadText(value, out _), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            errors["timestamp"] = [$"must be an ISO 8601 time with a UTC offset, like 2026-11-23T08:00:00Z; got {value.GetRawText()}"];
            return null;
        }
        if (parsed > now + MaxClockSkew)
        {
            errors["timestamp"] = [$"is in the future ({parsed:O}; the server's time is {now:O})"];
            return null;
        }
        // PostgreSQL keeps instants, not offsets; Npgsql writes only UTC values to timestamptz.
        return parsed.ToUniversalTime();
    }

    // An offset is required: a time without one would be read in the server's zone.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoTime();

    /// <summary>
    /// A JSON string that can be stored (<see cref="StoredText"/>: client text with NUL or a lone surrogate is refused,
    /// never escaped); null with the reason otherwise. <c>GetString</c> itself throws on an escaped lone surrogate.
    /// </summary>
    internal static string? ReadText(JsonElement value, out string? problem)
    {
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            problem = "contains a lone UTF-16 surrogate escape, which is not valid Unicode";
            return null;
        }
        problem = StoredText.Problem(text);
        return problem is null ? text : null;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
