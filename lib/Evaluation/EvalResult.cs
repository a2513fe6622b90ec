// The eval/<checkpoint>.json file: greedy accuracy, format rate, optional sampled summary, one record per problem.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Grpo.Evaluation;

/// <summary>One test problem. <see cref="Score"/> is the greedy equation reward (1 or 0); GenCalculation is the
/// value the generated equation computes to (null when it cannot be computed), as in the reference tutorials.
/// SampledGenerations keeps the k sampled texts beside their scores, so behaviour and aha analyses can be redone
/// (other markers, later definitions) without generating again.</summary>
public sealed record EvalRecord(
    [property: JsonPropertyName("test_id")] int TestId,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("nums")] IReadOnlyList<int> Nums,
    [property: JsonPropertyName("generation")] string Generation,
    [property: JsonPropertyName("gen_calculation")] double? GenCalculation,
    [property: JsonPropertyName("target")] int Target,
    [property: JsonPropertyName("format_reward")] double FormatReward,
    [property: JsonPropertyName("sampled_scores")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<double>? SampledScores = null,
    [property: JsonPropertyName("sampled_generations")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? SampledGenerations = null);

/// <summary>Sampled decoding: k samples per problem; mean_accuracy over all samples, pass_at_k = share of
/// problems with at least one correct sample (the unbiased estimator with n = k).</summary>
public sealed record SampledSummary(
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("top_p")] double TopP,
    [property: JsonPropertyName("mean_accuracy")] double MeanAccuracy,
    [property: JsonPropertyName("pass_at_k")] double PassAtK)
{
    /// <summary>pass@j for j = 1, 2, 4, … up to k (and k), unbiased estimator 1 - C(k-c, j)/C(k, j) averaged over
    /// problems (Chen et al. 2021), so one k = 8 run reports pass@1 (= mean accuracy), pass@4 and pass@8.</summary>
    [JsonPropertyName("pass_at")] public IReadOnlyDictionary<string, double>? PassAt { get; init; }
}

public sealed record EvalResult(
    [property: JsonPropertyName("checkpoint")] string Checkpoint,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("model_dir")] string ModelDir,
    [property: JsonPropertyName("num_problems")] int NumProblems,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("format_rate")] double FormatRate,
    [property: JsonPropertyName("sampled")] SampledSummary? Sampled,
    [property: JsonPropertyName("records"), JsonPropertyOrder(1)] IReadOnlyList<EvalRecord> Records)
{
    /// <summary>Behaviour metrics of the greedy and the sampled completions (docs/behaviour-metrics.md); null in files
    /// written before they existed.</summary>
    [JsonPropertyName("behaviour")] public EvalBehaviour? Behaviour { get; init; }

    // Additive fields (not in the minimal contract) that say how the numbers were produced.
    [JsonPropertyName("test_file")] public string? TestFile { get; init; }
    [JsonPropertyName("template")] public string? Template { get; init; }
    [JsonPropertyName("max_new_tokens")] public int? MaxNewTokens { get; init; }
    [JsonPropertyName("elapsed_seconds")] public double? ElapsedSeconds { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // Keep Chinese prompts readable in the file instead of \uXXXX escapes.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // A file that lacks a field, repeats one or holds null where a value belongs is an error here, not a crash later.
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Writes through a temp file and a rename, so a killed process never leaves half a file.</summary>
    public void Save(string path)
    {
        Grpo.Files.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>The largest eval file read: 5,000 problems with greedy and 8 sampled completions of 1,024 tokens take
    /// about 200 MB. Every record is kept in memory (reports compare them across checkpoints).</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>Parses the file as it streams in (no copy of the whole text in memory); a file over
    /// <see cref="MaxFileBytes"/> is refused before reading.</summary>
    public static EvalResult Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Eval file not found: {path}", path);
        Grpo.Files.InputPaths.RequireSizeAtMost(path, MaxFileBytes, "eval file",
            "5,000 problems with 8 samples of 1,024 tokens take about 200 MB");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<EvalResult>(stream, Json)
                ?? throw new FormatException($"{path}: eval file is empty (null).");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a valid eval file: {e.Message}", e);
        }
    }
}
