// What counts as "the model re-thinks" in a completion: re-thinking phrases (any model) and a model's own verdict
// words (the tiny model writes "no" after a failed attempt and "ok" after the one it keeps). A model folder names
// its verdicts in reasoning_markers.json; docs/behaviour-metrics.md defines how they are used.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grpo.Countdown;

/// <param name="Phrases">Re-thinking phrases, found anywhere in the reasoning (PhraseFinder rules); each one rejects
/// the attempt written before it.</param>
/// <param name="RejectMarkers">Verdict words that reject the attempt they follow. Counted only right after an
/// arithmetic step (white space and punctuation between), so "no" in "there is no way" is not a verdict.</param>
/// <param name="AcceptMarkers">Verdict words that accept the attempt they follow (same placement rule).</param>
public sealed record ReasoningMarkers(
    [property: JsonPropertyName("phrases")] IReadOnlyList<string> Phrases,
    [property: JsonPropertyName("reject_markers")] IReadOnlyList<string> RejectMarkers,
    [property: JsonPropertyName("accept_markers")] IReadOnlyList<string> AcceptMarkers)
{
    /// <summary>The phrases of the R1-Zero Countdown tutorials (Chinese prompt) plus their English counterparts;
    /// no verdict words, since free-text models have none of their own.</summary>
    public static readonly ReasoningMarkers Default = new(
    [
        "突然意识到", "突然想到", "突然发现", "突然", "意识到", "发现", "重新", "等等", "检查",
        "wait", "aha", "let me re-check", "let me check", "actually", "hmm",
    ], [], []);

    /// <summary>The file a model folder may hold to name its own markers (fields as in this record; missing ones
    /// take the defaults). Hugging Face loaders ignore it.</summary>
    public const string FileName = "reasoning_markers.json";

    /// <summary>Re-thinking markers of both kinds: what the reflection rate counts.</summary>
    [JsonIgnore] public IEnumerable<string> Rethinking => Phrases.Concat(RejectMarkers);

    /// <summary>Rejects blank words and an empty marker set, naming the bad value.</summary>
    public void Validate(string source = nameof(ReasoningMarkers))
    {
        if (Phrases.Count + RejectMarkers.Count == 0)
            throw new ArgumentException($"{source}: no phrases and no reject_markers: give at least one re-thinking marker.");
        foreach (var (field, list) in new[] { ("phrases", Phrases), ("reject_markers", RejectMarkers), ("accept_markers", AcceptMarkers) })
            foreach (var p in list)
                if (string.IsNullOrWhiteSpace(p)) throw new ArgumentException($"{source}: {field} contains a blank entry: '{p}'.");
        var both = RejectMarkers.Intersect(AcceptMarkers, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
        if (both is not null) throw new ArgumentException($"{source}: '{both}' is both a reject and an accept marker.");
    }

    /// <summary>The markers of a model folder: its reasoning_markers.json, or <see cref="Default"/> when it has none.</summary>
    public static ReasoningMarkers ForModel(string modelDir)
    {
        var path = Path.Combine(modelDir, FileName);
        return File.Exists(path) ? Load(path) : Default;
    }

    /// <summary>A markers file, or a model folder's markers (<see cref="ForModel"/>), as a person names either;
    /// anything else (a FIFO, which would block the read, a device) is refused naming <paramref name="source"/>.</summary>
    public static ReasoningMarkers FromPath(string path, string source)
    {
        if (Directory.Exists(path)) return ForModel(path);
        Grpo.Files.InputPaths.RequireRegularFile(path, source);
        return Load(path);
    }

    sealed record FileFields(
        [property: JsonPropertyName("phrases")] List<string>? Phrases,
        [property: JsonPropertyName("reject_markers")] List<string>? RejectMarkers,
        [property: JsonPropertyName("accept_markers")] List<string>? AcceptMarkers);

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads a markers file; a field it leaves out keeps the default. Errors name the file.</summary>
    public static ReasoningMarkers Load(string path)
    {
        Grpo.Files.InputPaths.RequireSizeAtMost(path, Grpo.Files.StrictJson.MaxFileBytes, "reasoning markers file", "a few lists of words");
        FileFields fields;
        try { fields = JsonSerializer.Deserialize<FileFields>(File.ReadAllText(path), Json) ?? throw new JsonException("the file holds null"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a reasoning markers file: {e.Message}", e); }
        var markers = new ReasoningMarkers(fields.Phrases ?? Default.Phrases, fields.RejectMarkers ?? Default.RejectMarkers,
            fields.AcceptMarkers ?? Default.AcceptMarkers);
        try { markers.Validate(path); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
        return markers;
    }

    /// <summary>Writes the verdict words, and the phrases only when they differ from the defaults (so a folder
    /// follows later changes of the default list).</summary>
    public void Save(string modelDir)
    {
        var phrases = Phrases.SequenceEqual(Default.Phrases) ? null : Phrases.ToList();
        Grpo.Files.AtomicFile.WriteAllText(Path.Combine(modelDir, FileName),
            JsonSerializer.Serialize(new FileFields(phrases, RejectMarkers.ToList(), AcceptMarkers.ToList()),
                new JsonSerializerOptions(Json) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull }) + "\n");
    }
}
