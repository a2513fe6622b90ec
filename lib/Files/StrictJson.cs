// Parses JSON a person hands in (config files, model folders, safetensors headers, JSONL lines) strictly: a
// duplicate key is an error (which of two values would win is a guess), and every error names the source.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Grpo.Files;

public static class StrictJson
{
    /// <summary>Options for JsonNode.Parse / JsonDocument.Parse that reject duplicate keys (JsonException).</summary>
    public static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false };

    /// <summary>The JSON object in <paramref name="text"/>; <paramref name="source"/> (a path, "path:line", a flag)
    /// starts every error message.</summary>
    public static JsonObject ParseObject(string text, string source)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(text, documentOptions: Options); }
        catch (JsonException e) { throw new BadInputException($"{source}: malformed JSON: {e.Message}", e); }
        return node as JsonObject ?? throw new BadInputException($"{source}: expected a JSON object, got {Kind(node)}");
    }

    /// <summary>The largest JSON file read whole: settings and model files are kilobytes (a model index ~100 KB).</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>Reads and parses a whole file (which must be a regular file of at most <see cref="MaxFileBytes"/>).</summary>
    public static JsonObject ReadObject(string path)
    {
        InputPaths.RequireSizeAtMost(path, MaxFileBytes, path, "settings and model files are kilobytes");
        return ParseObject(File.ReadAllText(path), path);
    }

    /// <summary>Settings records (GRPO, a task's) as config.json and --config files spell them: snake_case names, an
    /// unknown field or a null where the record has no null is an error.</summary>
    public static JsonSerializerOptions RecordOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,   // "dtype": null is an error, not a null string inside the trainer
    };

    /// <summary>The snake_case field names of a settings record (as <see cref="RecordOptions"/> writes them).</summary>
    public static IReadOnlySet<string> FieldNames<T>(T sample) =>
        JsonSerializer.SerializeToNode(sample, RecordOptions)!.AsObject().Select(kv => kv.Key).ToHashSet();

    /// <summary>A copy of the fields of <paramref name="all"/> named in <paramref name="names"/> (one record's part of a
    /// flat settings file).</summary>
    public static JsonObject Only(JsonObject all, IReadOnlySet<string> names) =>
        new(all.Where(kv => names.Contains(kv.Key)).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));

    /// <summary><paramref name="basis"/> with the fields of <paramref name="overrides"/> replaced; a field the record
    /// lacks is an error naming <paramref name="source"/>, <paramref name="what"/> ("GRPO config") and the field, a value
    /// of the wrong type one naming the field and the type it needs.</summary>
    public static T Overlay<T>(T basis, JsonObject overrides, string source, string what)
    {
        var merged = JsonSerializer.SerializeToNode(basis, RecordOptions)!.AsObject();
        foreach (var (key, value) in overrides)
        {
            if (!merged.ContainsKey(key))
                throw new BadInputException($"{source}: unknown {what} field '{key}'");
            merged[key] = value?.DeepClone();
        }
        try { return merged.Deserialize<T>(RecordOptions)!; }
        catch (JsonException e) { throw new BadInputException($"{source}: {WrongType<T>(e)}", e); }
    }

    /// <summary>"field 'max_steps' must be a whole number" from the serializer's error (whose line numbers refer to
    /// the merged document, not the user's file).</summary>
    static string WrongType<T>(JsonException e)
    {
        var field = (e.Path ?? "").TrimStart('$', '.');
        var name = field.Split('[')[0];
        var property = typeof(T).GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == name);
        if (property is null) return e.Message;
        var type = property.PropertyType;
        bool nullable = Nullable.GetUnderlyingType(type) is not null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        string expected = type == typeof(int) ? "a whole number" : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false" : type == typeof(string) ? "a string"
            : type == typeof(IReadOnlyList<string>) ? "a list of strings" : type == typeof(IReadOnlyList<double>) ? "a list of numbers"
            : type.Name;
        return $"field '{field}' must be {expected}{(nullable ? " or null" : "")}";
    }

    static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => "true/false",
        },
        _ => "something else",
    };
}
