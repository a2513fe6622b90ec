// Reading the JSON of the completion servers' wire formats, field by field: every value of the wrong type or range is
// an error naming its field (choices[3].token_ids[7]), whichever side reads it (the client reading an answer, or
// `grpo serve` reading a request).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grpo.Rollouts;

/// <summary>A request or answer that does not have the documented shape; the message names the field.</summary>
public sealed class WireFormatException(string message) : Exception(message);

public static class WireJson
{
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>The JSON in <paramref name="text"/> (duplicate keys rejected); <paramref name="what"/> names it in errors.</summary>
    public static JsonNode? Parse(string text, string what)
    {
        try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new WireFormatException($"{what} is not JSON ({e.Message})"); }
    }

    public static JsonObject Object(JsonNode? node, string field) =>
        node as JsonObject ?? throw new WireFormatException($"{field} must be an object, got {Kind(node)}");

    public static JsonArray Array(JsonNode? node, string field) =>
        node as JsonArray ?? throw new WireFormatException($"{field} must be a list, got {Kind(node)}");

    public static bool IsNumber(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    public static long Long(JsonNode? node, string field)
    {
        // The literal, whatever the node was built from (parsed text, or a C# int/long/double).
        if (IsNumber(node))
        {
            var text = node!.ToJsonString();
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var x)) return x;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e18) return (long)d;
        }
        throw new WireFormatException($"{field} must be a whole number, got {Describe(node)}");
    }

    public static int Int(JsonNode? node, string field)
    {
        long x = Long(node, field);
        if (x is < int.MinValue or > int.MaxValue) throw new WireFormatException($"{field} {x} is out of range");
        return (int)x;
    }

    public static double Number(JsonNode? node, string field) =>
        IsNumber(node) && double.TryParse(node!.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
            : throw new WireFormatException($"{field} must be a number, got {Describe(node)}");

    public static bool Bool(JsonNode? node, string field) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>()
            : throw new WireFormatException($"{field} must be true or false, got {Describe(node)}");

    public static string String(JsonNode? node, string field) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new WireFormatException($"{field} must be a string, got {Describe(node)}");

    /// <summary>A list of whole numbers, each checked to lie in [min, max).</summary>
    public static int[] Ints(JsonNode? node, string field, long min = int.MinValue, long max = int.MaxValue)
    {
        var list = Array(node, field);
        var ids = new int[list.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            long x = Long(list[i], $"{field}[{i}]");
            if (x < min || x >= max) throw new WireFormatException($"{field}[{i}] = {x} is outside [{min}, {max})");
            ids[i] = (int)x;
        }
        return ids;
    }

    /// <summary>Optional fields: the value when present and not null, else the default.</summary>
    public static T? Optional<T>(JsonObject o, string name, Func<JsonNode?, string, T> read, string prefix = "") where T : struct =>
        o[name] is null ? null : read(o[name], prefix + name);

    public static string? OptionalString(JsonObject o, string name, string prefix = "") =>
        o[name] is null ? null : String(o[name], prefix + name);

    static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "true/false",
        },
        _ => "something else",
    };

    static string Describe(JsonNode? node) => node is JsonValue ? $"{Kind(node)} ({Shorten(node.ToJsonString())})" : Kind(node);

    /// <summary>At most 120 characters of <paramref name="text"/> on one line (for error messages quoting a body).</summary>
    public static string Shorten(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 120 ? line : line[..117] + "...";
    }
}
