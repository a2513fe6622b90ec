// Loads the Hugging Face reference cases of tests/reference (produced by transformers 4.44, see its README.md).
using System.Text.Json.Nodes;

namespace Grpo.Tests.Model;

public static class ReferenceCases
{
    public static string ModelDir(string variant) => TestPaths.Reference(variant);

    static readonly Dictionary<string, JsonObject> cache = new();

    public static JsonObject Cases(string variant)
    {
        lock (cache)
        {
            if (!cache.TryGetValue(variant, out var c))
                cache[variant] = c = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ModelDir(variant), "cases.json")))!["cases"]!;
            return c;
        }
    }

    public static long[][] Ints(JsonNode node) => node.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
    public static long[] IntRow(JsonNode node) => node.AsArray().Select(x => x!.GetValue<long>()).ToArray();
    public static float[] Floats(JsonNode node) => node.AsArray().Select(x => x!.GetValue<float>()).ToArray();

    /// <summary>Flattens a nested float array of any depth.</summary>
    public static float[] Flat(JsonNode node)
    {
        var list = new List<float>();
        void Walk(JsonNode n) { if (n is JsonArray a) foreach (var x in a) Walk(x!); else list.Add(n.GetValue<float>()); }
        Walk(node);
        return list.ToArray();
    }
}
