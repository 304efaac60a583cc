using System.Text.Json;

namespace Evals.Web.V1;

/// <summary>Readers for the optional fields that chat and legacy completions share; each says whether the value is acceptable.</summary>
internal static class RequestFields
{
    public static bool Number(JsonElement body, string name, double fallback, double min, double max, out double value)
    {
        value = fallback;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        return v.ValueKind == JsonValueKind.Number && (value = v.GetDouble()) >= min && value <= max;
    }

    public static bool Integer(JsonElement body, string name, int fallback, int min, int max, out int value)
    {
        value = fallback;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value) && value >= min && value <= max;
    }

    public static bool Bool(JsonElement body, string name, out bool value)
    {
        value = false;
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return false;
        value = v.GetBoolean();
        return true;
    }

    /// <summary>The <c>model</c>, <c>temperature</c>, <c>top_p</c>, <c>seed</c>, <c>stop</c>, <c>stream</c> and <c>stream_options</c> fields, or the field that is wrong and why.</summary>
    public static (CommonFields? Fields, string? Param, string? Error) Common(JsonElement body)
    {
        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
            return (null, "model", "'model' is required: the name of a served model (GET /v1/models).");
        if (!Number(body, "temperature", 1, 0, 2, out var temperature)) return (null, "temperature", "'temperature' must be a number in [0, 2].");
        if (!Number(body, "top_p", 1, 0, 1, out var topP) || topP == 0) return (null, "top_p", "'top_p' must be a number in (0, 1].");
        if (!Integer(body, "n", 1, 1, 1, out _)) return (null, "n", "'n' must be 1: this server returns one choice per request.");
        int? seed = null;
        if (body.TryGetProperty("seed", out var seedValue) && seedValue.ValueKind != JsonValueKind.Null)
        {
            if (seedValue.ValueKind != JsonValueKind.Number || !seedValue.TryGetInt32(out var s)) return (null, "seed", "'seed' must be a 32-bit integer.");
            seed = s;
        }
        var stop = new List<string>();
        if (body.TryGetProperty("stop", out var stopValue) && stopValue.ValueKind != JsonValueKind.Null)
        {
            if (stopValue.ValueKind == JsonValueKind.String) stop.Add(stopValue.GetString()!);
            else if (stopValue.ValueKind == JsonValueKind.Array && stopValue.GetArrayLength() <= 4 && stopValue.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))
                stop.AddRange(stopValue.EnumerateArray().Select(s => s.GetString()!));
            else return (null, "stop", "'stop' must be a string or an array of at most 4 strings.");
            if (stop.Any(s => s.Length == 0)) return (null, "stop", "'stop' sequences must not be empty.");
        }
        if (!Bool(body, "stream", out var stream)) return (null, "stream", "'stream' must be a boolean.");
        var includeUsage = false;
        if (body.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object || !Bool(streamOptions, "include_usage", out includeUsage))
                return (null, "stream_options", "'stream_options' must be an object like {\"include_usage\": true}.");
        }
        return (new CommonFields(model.GetString()!, temperature, topP, seed, stop, stream, includeUsage), null, null);
    }
}

internal sealed record CommonFields(string Model, double Temperature, double TopP, int? Seed, IReadOnlyList<string> Stop, bool Stream, bool IncludeUsage);
