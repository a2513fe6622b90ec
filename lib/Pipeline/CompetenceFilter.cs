// Training problems at the base model's edge of competence (arXiv 2512.07783: RL on data the model sometimes solves
// teaches; RL on what it always or never solves only sharpens): each problem of a pool gets k samples of the base
// model at the run's temperature and completion length, and only problems whose success rate lies in
// competence_band are trained on. The per-problem counts are computed once and cached beside the data, keyed by
// everything they depend on, so later runs (and resumes) read them instead of generating again.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Files;
using Grpo.Model;
using Grpo.Torch;

namespace Grpo.Pipeline;

/// <summary>The cache file: how the counts were made, and successes[i] of k for problem i of the pool.</summary>
public sealed record CompetenceCounts(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("model_sha256")] string ModelSha256,
    [property: JsonPropertyName("problems_sha256")] string ProblemsSha256,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("max_new_tokens")] int MaxNewTokens,
    [property: JsonPropertyName("template")] string Template,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("successes")] IReadOnlyList<int> Successes);

public static class CompetenceFilter
{
    /// <summary>The problems of <paramref name="problems"/>' first competence_problems whose base success rate is in
    /// competence_band, in their order; the counts come from <paramref name="cacheDir"/> when there, else are made
    /// (and written there). Throws when no problem is in the band.</summary>
    public static IReadOnlyList<CountdownProblem> Apply(IReadOnlyList<CountdownProblem> problems, CountdownRunConfig config,
        string cacheDir, Action<string>? log = null)
    {
        var band = config.Task.CompetenceBand ?? throw new ArgumentException("competence_band is not set");
        var pool = problems.Take(config.Task.CompetenceProblems).ToList();
        var counts = Counts(pool, config, cacheDir, log);
        int k = counts.Samples;
        var kept = pool.Where((_, i) => counts.Successes[i] / (double)k >= band[0] && counts.Successes[i] / (double)k <= band[1]).ToList();
        log?.Invoke($"competence band [{band[0]}, {band[1]}]: {kept.Count} of {pool.Count} problems (base solved " +
                    $"{Enumerable.Range(0, k + 1).Select(s => $"{s}/{k}: {counts.Successes.Count(x => x == s)}").Aggregate((a, b) => a + ", " + b)})");
        if (kept.Count == 0)
            throw new BadInputException($"competence_band [{band[0]}, {band[1]}]: none of the {pool.Count} problems has a base success rate in the band");
        return kept;
    }

    /// <summary>The cached counts for these problems and settings, or new ones (k samples per problem, seeded).</summary>
    public static CompetenceCounts Counts(IReadOnlyList<CountdownProblem> pool, CountdownRunConfig config, string cacheDir, Action<string>? log = null)
    {
        var grpo = config.Grpo;
        var wanted = Wanted(pool, config);
        var path = CachePath(wanted, cacheDir);
        if (File.Exists(path))
        {
            var cached = JsonSerializer.Deserialize<CompetenceCounts>(File.ReadAllText(path))
                ?? throw new BadInputException($"{path}: empty competence cache");
            if (cached.Successes.Count != pool.Count || cached.Successes.Any(s => s < 0 || s > cached.Samples))
                throw new BadInputException($"{path}: {cached.Successes.Count} counts for {pool.Count} problems; delete it to recount");
            log?.Invoke($"competence counts from {path}");
            return cached;
        }
        log?.Invoke($"competence: {pool.Count} problems x {wanted.Samples} samples of the base model (once; cached in {path})");
        var eval = new EvalConfig(TestFile: "competence pool", NumProblems: pool.Count, BatchSize: 256, MaxNewTokens: grpo.MaxCompletionLength,
            Template: config.Task.PromptTemplate, Greedy: false, Samples: wanted.Samples, Temperature: grpo.Temperature,
            TopP: grpo.TopP, Seed: grpo.Seed, Dtype: grpo.Dtype, Device: grpo.Device);
        var tokenizer = QwenTokenizer.FromFolder(grpo.ModelNameOrPath);
        using var model = Qwen2ForCausalLM.FromPretrained(grpo.ModelNameOrPath, TorchOptions.ParseDtype(grpo.Dtype), TorchOptions.ParseDevice(grpo.Device));
        model.eval();
        var result = Evaluator.Evaluate(pool, eval, Evaluator.ModelTextGenerator(model, tokenizer));
        var counts = wanted with { Successes = result.Records.Select(r => (int)r.SampledScores!.Sum()).ToList() };
        Directory.CreateDirectory(cacheDir);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(counts));
        return counts;
    }

    /// <summary>The file that holds (or will hold) the counts of these problems under these settings.</summary>
    public static string CachePath(IReadOnlyList<CountdownProblem> pool, CountdownRunConfig config, string cacheDir) =>
        CachePath(Wanted(pool, config), cacheDir);

    static string CachePath(CompetenceCounts wanted, string cacheDir) => Path.Combine(cacheDir, $"competence-{Key(wanted)}.json");

    static CompetenceCounts Wanted(IReadOnlyList<CountdownProblem> pool, CountdownRunConfig config) =>
        new(config.Grpo.ModelNameOrPath, ModelSha256(config.Grpo.ModelNameOrPath), ProblemsSha256(pool), config.Task.CompetenceSamples,
            config.Grpo.Temperature, config.Grpo.MaxCompletionLength, config.Task.PromptTemplate, config.Grpo.Seed, []);

    /// <summary>Where a train file's counts are kept: a folder beside it (for generated problems: the run folder).</summary>
    public static string CacheDirFor(string? trainFile, string runDir) =>
        trainFile is null ? runDir : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(trainFile))!, Path.GetFileName(trainFile) + ".competence");

    static string Key(CompetenceCounts c) => Hex(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('|', c.ModelSha256, c.ProblemsSha256, c.Samples, c.Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            c.MaxNewTokens, c.Template, c.Seed))))[..16];

    /// <summary>SHA-256 over the folder's config.json and weight files (in name order): other weights, other counts.</summary>
    public static string ModelSha256(string modelDir)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.GetFiles(modelDir, "*.safetensors").Order(StringComparer.Ordinal).Prepend(Path.Combine(modelDir, "config.json"));
        var buffer = new byte[1 << 20];
        foreach (var file in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file)));
            using var stream = File.OpenRead(file);
            for (int n; (n = stream.Read(buffer)) > 0;) sha.AppendData(buffer, 0, n);
        }
        return Hex(sha.GetHashAndReset());
    }

    static string ProblemsSha256(IReadOnlyList<CountdownProblem> pool) =>
        Hex(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(';', pool.Select(CountdownData.Key)))));

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
