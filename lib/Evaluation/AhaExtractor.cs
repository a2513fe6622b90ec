// Aha-moment extraction: finds re-thinking markers ("wait", 等等, 重新检查 …, a model's own "no") and recoveries (a
// rejected attempt, then a correct answer) in completion samples and eval records (docs/behaviour-metrics.md).
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpo.Countdown;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <summary>One text scanned for phrases: a sampled completion or an eval generation.</summary>
public sealed record AhaDocument(string Source, int Step, string Text, bool Correct, int? TestId = null);

/// <summary>A line of aha.jsonl. Kind "phrase": one re-thinking marker. Kind "recovery": one completion that rejected
/// an attempt and then answered correctly; Phrase is the marker of its last rejection and Context surrounds it.</summary>
public sealed record AhaHit(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("phrase")] string Phrase,
    [property: JsonPropertyName("context")] string Context,
    [property: JsonPropertyName("correct")] bool Correct,
    [property: JsonPropertyName("test_id")] int? TestId,
    [property: JsonPropertyName("kind")] string Kind = AhaExtractor.PhraseKind);

/// <summary>Counts for one (source, step): how many texts were scanned, how many had a re-thinking marker (hit_rate =
/// the reflection rate), marker hits in all and per marker, and recoveries. Texts per step vary (samples are a random
/// fraction), so compare rates, not raw counts.</summary>
public sealed record AhaStepCount(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("completions")] int Completions,
    [property: JsonPropertyName("completions_with_hit")] int CompletionsWithHit,
    [property: JsonPropertyName("hits")] int Hits,
    [property: JsonPropertyName("recoveries")] int Recoveries,
    [property: JsonPropertyName("per_phrase")] IReadOnlyDictionary<string, int> PerPhrase)
{
    [JsonPropertyName("hit_rate")] public double HitRate => Completions == 0 ? 0 : (double)CompletionsWithHit / Completions;
    [JsonPropertyName("recoveries_per_100")] public double RecoveriesPer100 => Completions == 0 ? 0 : 100.0 * Recoveries / Completions;
}

public sealed record AhaResult(IReadOnlyList<AhaHit> Hits, IReadOnlyList<AhaStepCount> Counts)
{
    /// <summary>One line: hits in how many scanned completions, or that there were none (and none to scan).</summary>
    public string Summary()
    {
        int scanned = Counts.Sum(c => c.Completions), withHit = Counts.Sum(c => c.CompletionsWithHit);
        if (scanned == 0) return "No completions to scan: the run has no completion samples or evaluations yet";
        if (Hits.Count == 0) return $"No aha phrase in {scanned} scanned completions";
        return $"{Hits.Count} hits in {withHit} of {scanned} scanned completions";
    }
}

public static class AhaExtractor
{
    public const string SamplesSource = "completion_samples";
    public const string SuccessSource = "success_completion_samples";
    public const string PhraseKind = "phrase", RecoveryKind = "recovery";

    /// <summary>The re-thinking markers of a text's reasoning, in order: phrases (PhraseFinder rules) and the model's
    /// reject verdicts right after a step (ReasoningAnalysis.Markers).</summary>
    public static IReadOnlyList<(int Index, string Phrase)> FindPhrases(string text, AhaConfig config) =>
        ReasoningAnalysis.Trace(text, config.Markers).Markers.Where(m => m.Rejects).Select(m => (m.Index, m.Marker)).ToList();

    /// <summary>The hit with up to <c>contextChars</c> characters on each side (never splitting a surrogate pair).</summary>
    public static string Context(string text, int index, int length, int contextChars)
    {
        int start = (int)Math.Max(0L, (long)index - contextChars);
        int end = (int)Math.Min(text.Length, (long)index + length + contextChars);
        if (start > 0 && char.IsLowSurrogate(text[start])) start++;
        if (end < text.Length && char.IsLowSurrogate(text[end])) end--;
        return text[start..end];
    }

    public static IEnumerable<AhaDocument> FromSamples(IEnumerable<CompletionSample> samples, string source) =>
        // Entries of the success file are correct by construction; the sampled file says so in its header.
        samples.Select(s => new AhaDocument(source, s.Step, s.Completion, source == SuccessSource || s.Equation == 1));

    /// <summary>The greedy generations (source eval/&lt;checkpoint&gt;) and, when the file stores them, the sampled
    /// ones (eval/&lt;checkpoint&gt;/sampled), each with its own score.</summary>
    public static IEnumerable<AhaDocument> FromEval(EvalResult eval)
    {
        var source = AhaSource.Eval(eval.Checkpoint).Label;
        var sampledSource = AhaSource.Eval(eval.Checkpoint, sampled: true).Label;
        foreach (var r in eval.Records) yield return new AhaDocument(source, eval.Step, r.Generation, r.Score >= 1, r.TestId);
        foreach (var r in eval.Records)
        {
            if (r.SampledGenerations is not { } texts) continue;
            if (r.SampledScores is not { } scores || scores.Count != texts.Count)
                throw new InvalidDataException($"{source}: record {r.TestId} has {texts.Count} sampled_generations but " +
                    $"{r.SampledScores?.Count ?? 0} sampled_scores.");
            for (int j = 0; j < texts.Count; j++) yield return new AhaDocument(sampledSource, eval.Step, texts[j], scores[j] >= 1, r.TestId);
        }
    }

    public static AhaResult Extract(IEnumerable<AhaDocument> documents, AhaConfig config)
    {
        config.Validate();
        var markers = config.Markers.Rethinking.Distinct().ToList();
        var hits = new List<AhaHit>();
        var counts = new Dictionary<(string, int), (int Docs, int DocsWithHit, int Hits, int Recoveries, Dictionary<string, int> PerPhrase)>();
        foreach (var doc in documents)
        {
            var trace = ReasoningAnalysis.Trace(doc.Text, config.Markers);
            var found = trace.Markers.Where(m => m.Rejects).ToList();
            var recovery = Recovery(trace, doc.Correct);
            var key = (doc.Source, doc.Step);
            if (!counts.TryGetValue(key, out var c)) c = (0, 0, 0, 0, markers.ToDictionary(p => p, _ => 0));
            c.Docs++;
            if (found.Count > 0) c.DocsWithHit++;
            c.Hits += found.Count;
            foreach (var m in found)
            {
                c.PerPhrase[m.Marker]++;
                hits.Add(new AhaHit(doc.Source, doc.Step, m.Marker, Context(doc.Text, m.Index, m.Marker.Length, config.ContextChars),
                    doc.Correct, doc.TestId));
            }
            if (recovery is { } turn)
            {
                c.Recoveries++;
                hits.Add(new AhaHit(doc.Source, doc.Step, turn.Marker, Context(doc.Text, turn.Index, turn.Marker.Length, config.ContextChars),
                    true, doc.TestId, RecoveryKind));
            }
            counts[key] = c;
        }
        var table = counts.Select(kv => new AhaStepCount(kv.Key.Item1, kv.Key.Item2, kv.Value.Docs, kv.Value.DocsWithHit,
                kv.Value.Hits, kv.Value.Recoveries, kv.Value.PerPhrase))
            .OrderBy(c => SourceOrder(c.Source)).ThenBy(c => c.Source, StringComparer.Ordinal).ThenBy(c => c.Step).ToList();
        return new AhaResult(hits, table);
    }

    /// <summary>Whether a text re-thinks (has a re-thinking marker) and whether it recovers (rejects an attempt and
    /// then answers correctly), by the rules <see cref="Extract"/> counts with.</summary>
    public static (bool Rethinks, bool Recovers) Classify(string text, bool correct, ReasoningMarkers markers)
    {
        var trace = ReasoningAnalysis.Trace(text, markers);
        return (trace.Markers.Any(m => m.Rejects), Recovery(trace, correct) is not null);
    }

    /// <summary>The last rejection of a correct text: the same rule as CompletionAnalysis.Recovered, with correctness
    /// as the source recorded it.</summary>
    static MarkerHit? Recovery(ReasoningTrace trace, bool correct) => correct ? trace.LastRejection : null;

    /// <summary>Eval files (eval/&lt;checkpoint&gt;, eval/&lt;checkpoint&gt;/sampled), not training samples.</summary>
    public static bool IsEvalSource(string source) => AhaSource.Parse(source).IsEval;

    static int SourceOrder(string source) => source switch { SamplesSource => 0, SuccessSource => 1, _ => 2 };

    /// <summary>The documents of a run folder: both completion sample files (when present) and every eval/*.json.</summary>
    public static IReadOnlyList<AhaDocument> RunDocuments(RunFolder run)
    {
        if (!Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"Run folder not found: {run.Root}");
        var docs = new List<AhaDocument>();
        foreach (var (source, path) in new[] { (SamplesSource, run.CompletionSamplesPath), (SuccessSource, run.SuccessSamplesPath) })
            if (File.Exists(path)) docs.AddRange(FromSamples(CompletionSamplesFile.Read(path), source));
        var evalDir = run.EvalDir();
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

    /// <summary>Throws unless both files <see cref="Write"/> writes (aha.jsonl and aha_counts.json beside it) can be
    /// written as regular files; <paramref name="source"/> names where the path came from.</summary>
    public static void CheckOutputs(string jsonlPath, string source)
    {
        Grpo.Files.OutputPaths.CheckFile(jsonlPath, source);
        Grpo.Files.OutputPaths.CheckFile(CountsPath(jsonlPath), source);
    }

    static string CountsPath(string jsonlPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonlPath))!, RunFolder.AhaCountsFileName);

    /// <summary>Writes aha.jsonl (one hit per line) and, beside it, aha_counts.json (the per-step table).</summary>
    public static void Write(AhaResult result, string jsonlPath)
    {
        CheckOutputs(jsonlPath, "aha output");
        var sb = new StringBuilder();
        foreach (var hit in result.Hits) sb.Append(JsonSerializer.Serialize(hit, JsonLine)).Append('\n');
        Grpo.Files.AtomicFile.WriteAllText(jsonlPath, sb.ToString());
        var countsPath = CountsPath(jsonlPath);
        Grpo.Files.AtomicFile.WriteAllText(countsPath, JsonSerializer.Serialize(result.Counts, new JsonSerializerOptions(JsonLine) { WriteIndented = true }));
    }

    /// <summary>aha_counts.json as <see cref="Write"/> wrote it.</summary>
    public static IReadOnlyList<AhaStepCount> ReadCounts(string path)
    {
        Grpo.Files.InputPaths.RequireRegularFile(path, "aha counts file");
        try { return JsonSerializer.Deserialize<List<AhaStepCount>>(File.ReadAllText(path), JsonLineStrict) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new FormatException($"{path}: not an aha counts file: {e.Message}", e); }
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
