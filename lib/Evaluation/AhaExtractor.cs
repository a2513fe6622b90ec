// Aha-moment extraction: finds re-thinking phrases ("wait", 等等, 重新检查 …) in completion samples and eval records.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grpo.Evaluation;

/// <summary>One text scanned for phrases: a sampled completion or an eval generation.</summary>
public sealed record AhaDocument(string Source, int Step, string Text, bool Correct, int? TestId = null);

/// <summary>One phrase occurrence (a line of aha.jsonl).</summary>
public sealed record AhaHit(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("phrase")] string Phrase,
    [property: JsonPropertyName("context")] string Context,
    [property: JsonPropertyName("correct")] bool Correct,
    [property: JsonPropertyName("test_id")] int? TestId);

/// <summary>Counts for one (source, step): how many texts were scanned, how many had a hit, hits per phrase.
/// Texts per step vary (samples are a random fraction), so compare rates, not raw hit counts.</summary>
public sealed record AhaStepCount(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("completions")] int Completions,
    [property: JsonPropertyName("completions_with_hit")] int CompletionsWithHit,
    [property: JsonPropertyName("hits")] int Hits,
    [property: JsonPropertyName("per_phrase")] IReadOnlyDictionary<string, int> PerPhrase)
{
    [JsonPropertyName("hit_rate")] public double HitRate => Completions == 0 ? 0 : (double)CompletionsWithHit / Completions;
}

public sealed record AhaResult(IReadOnlyList<AhaHit> Hits, IReadOnlyList<AhaStepCount> Counts);

public static class AhaExtractor
{
    public const string SamplesSource = "completion_samples";
    public const string SuccessSource = "success_completion_samples";

    /// <summary>Leftmost-longest scan: at each position the longest matching phrase wins and the scan continues
    /// after it, so overlapping shorter phrases (突然 inside 突然意识到) are not counted again. Latin phrases match
    /// case-insensitively and only as whole words ("wait" not in "awaited"); CJK phrases match anywhere.</summary>
    public static IReadOnlyList<(int Index, string Phrase)> FindPhrases(string text, AhaConfig config)
    {
        var phrases = config.Phrases.Distinct().OrderByDescending(p => p.Length)
            .Select(p => (Phrase: p, Lower: p.ToLowerInvariant())).ToArray();
        var hits = new List<(int, string)>();
        for (int i = 0; i < text.Length;)
        {
            string? found = null;
            foreach (var (phrase, lower) in phrases)
                if (MatchesAt(text, i, lower)) { found = phrase; break; }
            if (found is null) { i++; continue; }
            hits.Add((i, found));
            i += found.Length;
        }
        return hits;
    }

    static bool MatchesAt(string text, int i, string lowerPhrase)
    {
        if (i + lowerPhrase.Length > text.Length) return false;
        for (int j = 0; j < lowerPhrase.Length; j++)
            if (char.ToLowerInvariant(text[i + j]) != lowerPhrase[j]) return false;
        // Whole-word rule only at Latin edges: Chinese text has no spaces, so "等等wait" still counts "wait".
        if (IsAsciiWordChar(lowerPhrase[0]) && i > 0 && IsAsciiWordChar(text[i - 1])) return false;
        int end = i + lowerPhrase.Length;
        if (IsAsciiWordChar(lowerPhrase[^1]) && end < text.Length && IsAsciiWordChar(text[end])) return false;
        return true;
    }

    static bool IsAsciiWordChar(char c) => c < 128 && char.IsLetterOrDigit(c);

    /// <summary>The hit with up to <c>contextChars</c> characters on each side (never splitting a surrogate pair).</summary>
    public static string Context(string text, int index, int length, int contextChars)
    {
        int start = Math.Max(0, index - contextChars);
        int end = Math.Min(text.Length, index + length + contextChars);
        if (start > 0 && char.IsLowSurrogate(text[start])) start++;
        if (end < text.Length && char.IsLowSurrogate(text[end])) end--;
        return text[start..end];
    }

    public static IEnumerable<AhaDocument> FromSamples(IEnumerable<CompletionSample> samples, string source) =>
        // Entries of the success file are correct by construction; the sampled file says so in its header.
        samples.Select(s => new AhaDocument(source, s.Step, s.Completion, source == SuccessSource || s.Equation == 1));

    public static IEnumerable<AhaDocument> FromEval(EvalResult eval) =>
        eval.Records.Select(r => new AhaDocument("eval/" + eval.Checkpoint, eval.Step, r.Generation, r.Score >= 1, r.TestId));

    public static AhaResult Extract(IEnumerable<AhaDocument> documents, AhaConfig config)
    {
        config.Validate();
        var hits = new List<AhaHit>();
        var counts = new Dictionary<(string, int), (int Docs, int DocsWithHit, int Hits, Dictionary<string, int> PerPhrase)>();
        foreach (var doc in documents)
        {
            var found = FindPhrases(doc.Text, config);
            var key = (doc.Source, doc.Step);
            if (!counts.TryGetValue(key, out var c)) c = (0, 0, 0, config.Phrases.Distinct().ToDictionary(p => p, _ => 0));
            c.Docs++;
            if (found.Count > 0) c.DocsWithHit++;
            c.Hits += found.Count;
            foreach (var (index, phrase) in found)
            {
                c.PerPhrase[phrase]++;
                hits.Add(new AhaHit(doc.Source, doc.Step, phrase, Context(doc.Text, index, phrase.Length, config.ContextChars),
                    doc.Correct, doc.TestId));
            }
            counts[key] = c;
        }
        var table = counts.Select(kv => new AhaStepCount(kv.Key.Item1, kv.Key.Item2, kv.Value.Docs, kv.Value.DocsWithHit,
                kv.Value.Hits, kv.Value.PerPhrase))
            .OrderBy(c => SourceOrder(c.Source)).ThenBy(c => c.Source, StringComparer.Ordinal).ThenBy(c => c.Step).ToList();
        return new AhaResult(hits, table);
    }

    static int SourceOrder(string source) => source switch { SamplesSource => 0, SuccessSource => 1, _ => 2 };

    /// <summary>The documents of a run folder: both completion sample files (when present) and every eval/*.json.</summary>
    public static IReadOnlyList<AhaDocument> RunDocuments(string runDir)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"Run folder not found: {runDir}");
        var docs = new List<AhaDocument>();
        var samplesDir = Path.Combine(runDir, "completion_samples");
        foreach (var source in new[] { SamplesSource, SuccessSource })
        {
            var path = Path.Combine(samplesDir, source + ".txt");
            if (File.Exists(path)) docs.AddRange(FromSamples(CompletionSamplesFile.Read(path), source));
        }
        var evalDir = Path.Combine(runDir, "eval");
        if (Directory.Exists(evalDir))
            foreach (var path in Directory.GetFiles(evalDir, "*.json").OrderBy(p => p, StringComparer.Ordinal))
                docs.AddRange(FromEval(EvalResult.Load(path)));
        return docs;
    }

    /// <summary>Documents from explicit files: *.json are eval files, anything else a completion samples file
    /// (named "success_completion_samples*" = all correct).</summary>
    public static IReadOnlyList<AhaDocument> FileDocuments(IEnumerable<string> paths)
    {
        var docs = new List<AhaDocument>();
        foreach (var path in paths)
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) { docs.AddRange(FromEval(EvalResult.Load(path))); continue; }
            var source = Path.GetFileName(path).StartsWith(SuccessSource, StringComparison.Ordinal) ? SuccessSource : SamplesSource;
            docs.AddRange(FromSamples(CompletionSamplesFile.Read(path), source));
        }
        return docs;
    }

    static readonly JsonSerializerOptions JsonLine = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Reading is strict: a line missing a field, repeating one or holding null is an error naming the line.
    static readonly JsonSerializerOptions JsonLineStrict = new(JsonLine)
    {
        AllowDuplicateProperties = false, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    };

    /// <summary>Writes aha.jsonl (one hit per line) and, beside it, aha_counts.json (the per-step table).</summary>
    public static void Write(AhaResult result, string jsonlPath)
    {
        var sb = new StringBuilder();
        foreach (var hit in result.Hits) sb.Append(JsonSerializer.Serialize(hit, JsonLine)).Append('\n');
        Grpo.Files.AtomicFile.WriteAllText(jsonlPath, sb.ToString());
        var countsPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonlPath))!, "aha_counts.json");
        Grpo.Files.AtomicFile.WriteAllText(countsPath, JsonSerializer.Serialize(result.Counts, new JsonSerializerOptions(JsonLine) { WriteIndented = true }));
    }

    public static IReadOnlyList<AhaHit> ReadJsonl(string path)
    {
        Grpo.Files.InputPaths.RequireRegularFile(path, "aha file");
        return File.ReadLines(path).Select((l, i) => (Line: l, Number: i + 1)).Where(x => x.Line.Trim().Length > 0).Select(x =>
        {
            try { return JsonSerializer.Deserialize<AhaHit>(x.Line, JsonLineStrict) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new FormatException($"{path}:{x.Number}: not an aha hit: {e.Message}", e); }
        }).ToList();
    }
}
