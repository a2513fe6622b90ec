// Parses JSON a person hands in (config files, model folders, safetensors headers, JSONL lines) strictly: a
// duplicate key is an error (which of two values would win is a guess), and every error names the source.
using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary>Reads and parses a whole file (which must be a regular file).</summary>
    public static JsonObject ReadObject(string path)
    {
        InputPaths.RequireRegularFile(path, path);
        return ParseObject(File.ReadAllText(path), path);
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
