// The evaluator: test problems -> prompts -> batched generation (greedy, optionally k samples) -> Countdown scores.
using System.Diagnostics;
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Torch;
using Grpo.Training;
using TorchSharp;

namespace Grpo.Evaluation;

/// <summary>Turns a batch of prompt texts into completion texts (what follows the prompt, end token removed). Row i
/// samples from random stream streams[i] of options.Seed (Grpo.Model.TokenSampler), so its sample does not depend on
/// the batch it is in. The model path is <see cref="Evaluator.ModelTextGenerator"/>; tests can pass any function.</summary>
public delegate IReadOnlyList<string> TextGenerator(IReadOnlyList<string> prompts, GenerationOptions options, IReadOnlyList<long> streams);

/// <summary>Progress of one evaluation: Phase is "greedy" or "sampled"; Done/Total count problems of that phase.</summary>
public sealed record EvalProgress(string Checkpoint, string Phase, int Done, int Total, TimeSpan Elapsed);

public static class Evaluator
{
    /// <summary>Evaluates the problems in order (test_id = index in the list). Greedy decoding runs BatchSize problems
    /// per batch; sampled decoding runs the k samples of every problem as rows (sample j of problem i draws from stream
    /// i*k + j of Seed), BatchSize rows per batch, so the samples do not depend on the batch size. The behaviour
    /// metrics read completions with <paramref name="markers"/> (default: ReasoningMarkers.Default) and measure length
    /// with <paramref name="tokenCount"/> (default: characters).</summary>
    public static EvalResult Evaluate(IReadOnlyList<CountdownProblem> problems, EvalConfig config, TextGenerator generate,
        string checkpoint = "model", int step = 0, string modelDir = "", IProgress<EvalProgress>? progress = null,
        CancellationToken ct = default, ReasoningMarkers? markers = null, Func<string, int>? tokenCount = null)
    {
        config.Validate();
        var template = PromptTemplate.ByName(config.Template);
        var prompts = problems.Select(template.Render).ToArray();
        int n = prompts.Length;
        var clock = Stopwatch.StartNew();

        string[]? greedy = null;
        if (config.Greedy)
        {
            var options = new GenerationOptions(config.MaxNewTokens, Greedy: true);
            var rows = Enumerable.Range(0, n).Select(i => (Problem: i, Sample: 0)).ToArray();
            greedy = GenerateRows(rows, prompts, options, config.BatchSize, generate, 1,
                done => progress?.Report(new EvalProgress(checkpoint, "greedy", done, n, clock.Elapsed)), ct);
        }

        string[][]? sampled = null;
        if (config.Samples > 0)
        {
            int k = config.Samples;
            var options = new GenerationOptions(config.MaxNewTokens, Greedy: false, Temperature: config.Temperature,
                TopP: config.TopP, Seed: config.Seed);
            var rows = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, k).Select(j => (Problem: i, Sample: j))).ToArray();
            var texts = GenerateRows(rows, prompts, options, config.BatchSize, generate, k,
                done => progress?.Report(new EvalProgress(checkpoint, "sampled", done, n, clock.Elapsed)), ct);
            sampled = Enumerable.Range(0, n).Select(i => texts[(i * k)..((i + 1) * k)]).ToArray();
        }

        // Without greedy decoding the first sample stands in for score/generation (and so for accuracy).
        var records = Enumerable.Range(0, n)
            .Select(i => EvalRecords.Build(i, problems[i], prompts[i], greedy?[i] ?? sampled![i][0], sampled?[i]))
            .ToList();
        return new EvalResult(checkpoint, step, modelDir, n, EvalRecords.Accuracy(records), EvalRecords.FormatRate(records),
            EvalRecords.Sampled(records, config.Samples, config.Temperature, config.TopP), records)
        {
            Template = template.Name,
            MaxNewTokens = config.MaxNewTokens,
            ElapsedSeconds = clock.Elapsed.TotalSeconds,
            Behaviour = EvalBehaviour.Compute(records, config.Greedy, markers ?? ReasoningMarkers.Default, tokenCount),
        };
    }

    /// <summary>Completions of (problem, sample) rows, batchSize rows per call; row r samples from stream
    /// problem * samplesPerProblem + sample. Reports the problems whose rows are all done after each batch.</summary>
    static string[] GenerateRows((int Problem, int Sample)[] rows, string[] prompts, GenerationOptions options, int batchSize,
        TextGenerator generate, int samplesPerProblem, Action<int> reportDone, CancellationToken ct)
    {
        var texts = new string[rows.Length];
        for (int start = 0; start < rows.Length; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var batch = rows[start..Math.Min(rows.Length, start + batchSize)];
            var outputs = Checked(generate(batch.Select(r => prompts[r.Problem]).ToArray(), options,
                batch.Select(r => (long)r.Problem * samplesPerProblem + r.Sample).ToArray()), batch.Length);
            for (int i = 0; i < batch.Length; i++) texts[start + i] = outputs[i];
            reportDone((start + batch.Length) / samplesPerProblem);
        }
        return texts;
    }

    static IReadOnlyList<string> Checked(IReadOnlyList<string> outputs, int expected) =>
        outputs.Count == expected ? outputs
            : throw new InvalidOperationException($"generator returned {outputs.Count} completions for {expected} prompts");

    /// <summary>Generation with the project's Qwen2 model: encode, batched left-padded generate, cut at the first end
    /// token (as skip_special_tokens would drop it), decode.</summary>
    public static TextGenerator ModelTextGenerator(Qwen2ForCausalLM model, QwenTokenizer tokenizer) => (prompts, options, streams) =>
    {
        var eos = tokenizer.EosTokenIds;
        var ids = prompts.Select(p => tokenizer.Encode(p).ToArray()).ToList();
        using var noGrad = torch.no_grad();
        var sequences = Generator.Generate(model, ids, options, eos, tokenizer.PadTokenId, streams);
        return sequences.Select(s => tokenizer.Decode(s.Ids.TakeWhile(id => !eos.Contains(id)))).ToList();
    };

    /// <summary>The first NumProblems problems of the config's test file (all when 0), with a clear error when short.</summary>
    public static IReadOnlyList<CountdownProblem> LoadProblems(EvalConfig config)
    {
        if (!File.Exists(config.TestFile)) throw new FileNotFoundException($"Test set not found: {config.TestFile}", config.TestFile);
        var all = CountdownParquet.Read(config.TestFile);
        if (config.NumProblems == 0) return all;
        if (all.Count < config.NumProblems)
            throw new BadInputException($"{config.TestFile} holds {all.Count} problems, fewer than the {config.NumProblems} asked for (-n).");
        return all.Take(config.NumProblems).ToList();
    }

    /// <summary>Loads a model folder (weights, config and tokenizer) and evaluates it on the config's test file. Behaviour
    /// lengths are in the model's tokens; markers default to the folder's (RunCheckpoints.MarkersForModel). With
    /// <paramref name="models"/>, the weights load into the model it holds when the shape matches.</summary>
    public static EvalResult EvaluateModel(string modelDir, EvalConfig config, string checkpoint, int step,
        IProgress<EvalProgress>? progress = null, CancellationToken ct = default, ReasoningMarkers? markers = null,
        ReusableModel? models = null)
    {
        config.Validate();
        Grpo.Files.InputPaths.RequireFolder(modelDir, "model");
        var problems = LoadProblems(config);
        var tokenizer = QwenTokenizer.FromFolder(modelDir);
        markers ??= RunCheckpoints.MarkersForModel(modelDir);
        using var owned = models is null ? new ReusableModel() : null;
        var model = (models ?? owned!).Load(modelDir, TorchOptions.ParseDtype(config.Dtype), TorchOptions.ParseDevice(config.Device));
        var template = PromptTemplate.ByName(config.Template);
        int longestPrompt = problems.Count == 0 ? 0 : problems.Max(p => tokenizer.Encode(template.Render(p)).Count);
        config = FitToModel(config, longestPrompt, model.Config.MaxPositionEmbeddings, modelDir);
        return Evaluate(problems, config, ModelTextGenerator(model, tokenizer), checkpoint, step, modelDir, progress, ct,
            markers, text => tokenizer.Encode(text).Count) with { TestFile = config.TestFile };
    }

    /// <summary>Lowers max_new_tokens so that the longest prompt plus a completion fits the model's positions
    /// (max_position_embeddings): no completion can be longer than that, and the generator refuses to start
    /// otherwise. The eval file records the limit used. Throws when the prompts alone fill the positions.</summary>
    public static EvalConfig FitToModel(EvalConfig config, int longestPrompt, int maxPositions, string modelDir)
    {
        int room = maxPositions - longestPrompt;
        if (room < 1)
            throw new BadInputException($"{modelDir}: the longest prompt takes {longestPrompt} tokens, the model's max_position_embeddings " +
                $"is {maxPositions}: no room for a completion");
        return config.MaxNewTokens <= room ? config : config with { MaxNewTokens = room };
    }

    /// <summary>Evaluates the base model and every checkpoint of a run, writing eval/&lt;checkpoint&gt;.json for each;
    /// checkpoints whose eval file exists are skipped unless force. Returns the results (loaded when skipped).</summary>
    public static IReadOnlyList<(CheckpointRef Checkpoint, EvalResult Result, bool Skipped)> EvaluateRun(RunFolder run,
        EvalConfig config, string? baseModelDir = null, bool force = false, IProgress<EvalProgress>? progress = null,
        CancellationToken ct = default, string evalDir = RunFolder.DefaultEvalDir)
    {
        var results = new List<(CheckpointRef, EvalResult, bool)>();
        var markers = RunCheckpoints.Markers(run, baseModelDir);   // the base model's, for every checkpoint alike
        using var models = new ReusableModel();                       // one model object; each checkpoint's weights load into it
        foreach (var c in RunCheckpoints.Discover(run, baseModelDir))
        {
            var path = run.EvalPath(c.Name, evalDir);
            if (!force && File.Exists(path)) { results.Add((c, EvalResult.Load(path), true)); continue; }
            var result = EvaluateModel(c.ModelDir, config, c.Name, c.Step, progress, ct, markers, models);
            result.Save(path);
            results.Add((c, result, false));
        }
        return results;
    }
}
