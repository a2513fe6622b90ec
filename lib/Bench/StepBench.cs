// One GRPO step, timed as generation / reference / update, for config variants interleaved in one process
// (`bench-step`): each repetition runs one step of a fresh trainer per variant, from the same weights and seed, so every
// variant samples the same generation batch and updates on it; warm-up rounds run first and are not reported.
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Training;
using static TorchSharp.torch;

namespace Grpo.Bench;

public sealed record StepVariant(string Name, GrpoConfig Config);

/// <summary>Seconds of one step's parts (the trainer's time/* metrics), and its loss and gradient norm: equal across
/// variants that only change how the update is computed.
/// PeakRssGiB: the process's peak resident memory in each part ("load" = building the trainer: model, LoRA, task),
/// each measured from the end of the part before (ModelBench.ResetPeakRss); empty where the peak cannot be reset.</summary>
public sealed record StepTiming(string Variant, int Repetition, double Generation, double Reference, double Update,
    double Step, double Loss, double GradNorm, IReadOnlyDictionary<string, double> PeakRssGiB);

public static class StepBench
{
    /// <summary>The update's memory/speed levers one at a time against all off, then all on (the config's values).</summary>
    public static IReadOnlyList<StepVariant> Levers(GrpoConfig c)
    {
        var off = c with { SharePromptForward = false, SortByLength = false, LogitsChunkSize = 0 };
        return
        [
            new("levers off", off),
            new("chunked logits", off with { LogitsChunkSize = ChunkedLogProbs.DefaultChunkSize }),
            new("sorted rows", off with { SortByLength = true }),
            new("shared prompt", off with { SharePromptForward = true }),
            new("all on", c with { SharePromptForward = true, SortByLength = true, LogitsChunkSize = ChunkedLogProbs.DefaultChunkSize }),
        ];
    }

    /// <summary>The Countdown task of the config (prompts tokenized once: that is not part of a step).</summary>
    public static GrpoTask CountdownTask(CountdownRunConfig config)
    {
        config.Validated();
        var tokenizer = QwenTokenizer.FromFolder(config.Grpo.ModelNameOrPath);
        var tokens = TokenSpec.FromModel(config.Grpo.ModelNameOrPath, tokenizer);
        return new GrpoTask(CountdownRun.Prompts(config.Task, config.Grpo.Seed, tokenizer), CountdownRun.Rewards(config, tokens), tokens);
    }

    /// <summary>afterStep: called with each variant's trainer after its step, while the gradients are still there.</summary>
    public static IReadOnlyList<StepTiming> Run(IReadOnlyList<StepVariant> variants, GrpoTask task, int repetitions,
        int warmups = 1, Action<string>? log = null, Action<StepVariant, GrpoTrainer>? afterStep = null)
    {
        var root = Directory.CreateTempSubdirectory("grpo-bench-step").FullName;
        var timings = new List<StepTiming>();
        try
        {
            for (int round = 0; round < warmups + repetitions; round++)
                for (int v = 0; v < variants.Count; v++)
                {
                    int rep = round - warmups + 1;
                    var config = variants[v].Config with { OutputDir = Path.Combine(root, $"{round}-{v}") };
                    GrpoProgress? step = null;
                    var peaks = new Dictionary<string, double>();
                    bool resettable = ModelBench.ResetPeakRss();
                    void Peak(string part)
                    {
                        if (!resettable) return;
                        peaks[part] = Math.Max(peaks.GetValueOrDefault(part), ModelBench.PeakRssGiB());   // update: once per iteration
                        ModelBench.ResetPeakRss();
                    }
                    using (var trainer = GrpoRun.Create(config, () => task))
                    {
                        Peak("load");
                        trainer.PhaseEnded += Peak;
                        trainer.Step(new SyncProgress<GrpoProgress>(p => step = p));
                        afterStep?.Invoke(variants[v], trainer);
                    }
                    var t = new StepTiming(variants[v].Name, rep, step![MetricNames.GenerationTime], step[MetricNames.ReferenceTime],
                        step[MetricNames.UpdateTime], step[MetricNames.StepTime], step[MetricNames.Loss], step[MetricNames.GradNorm], peaks);
                    log?.Invoke($"{(rep < 1 ? "warm-up" : $"repetition {rep}")}, {t.Variant}: step {t.Step:F2} s = generation " +
                        $"{t.Generation:F2} + reference {t.Reference:F2} + update {t.Update:F2}; loss {t.Loss:G6}, grad_norm {t.GradNorm:G6}" +
                        (peaks.Count == 0 ? "" : "; peak RSS (GiB) " + string.Join(", ", peaks.Select(p => $"{p.Key} {p.Value:F2}"))));
                    if (rep >= 1) timings.Add(t);
                    Directory.Delete(config.OutputDir, recursive: true);
                }
        }
        finally { Directory.Delete(root, recursive: true); }
        return timings;
    }

    /// <summary>Median of each variant's ratio to the first variant, paired by repetition (the machine's speed
    /// drifts between repetitions, not within a pair).</summary>
    public static double MedianRatio(IReadOnlyList<StepTiming> timings, string variant, Func<StepTiming, double> part)
    {
        var first = timings.First().Variant;
        var ratios = timings.Where(t => t.Variant == variant)
            .Select(t => part(t) / part(timings.First(f => f.Variant == first && f.Repetition == t.Repetition)))
            .ToList();
        return Middle(ratios);
    }

    public static double Median(IReadOnlyList<StepTiming> timings, string variant, Func<StepTiming, double> part) =>
        Middle(timings.Where(t => t.Variant == variant).Select(part).ToList());

    static double Middle(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}

/// <summary>The gradients a step left on the trained parameters, written to a file and compared with another run's, so
/// that two processes (each with its own peak memory) can show that a memory lever leaves the gradients unchanged.</summary>
public sealed record GradientComparison(double MaxAbsDifference, double MaxAbs, double RelativeNorm);

public static class StepGradients
{
    public static void Save(GrpoTrainer trainer, string path)
    {
        using var scope = NewDisposeScope();
        SafeTensors.Write(path, Gradients(trainer));
    }

    /// <summary>This run's gradients against saved ones: the largest |difference| and |saved| over all elements, and
    /// the norm of the difference over the norm of the saved gradients; a parameter set that differs in names or
    /// shapes is an error naming the file.</summary>
    public static GradientComparison Compare(GrpoTrainer trainer, string path)
    {
        using var scope = NewDisposeScope();
        var mine = Gradients(trainer).ToDictionary(g => g.Name, g => g.Gradient);
        double maxDiff = 0, maxAbs = 0, diffSquares = 0, savedSquares = 0;
        int seen = 0;
        SafeTensors.ReadTensors(path, (entry, saved) =>
        {
            if (!mine.TryGetValue(entry.Name, out var g) || !g.shape.SequenceEqual(saved.shape))
                throw new BadInputException($"{path}: gradient \"{entry.Name}\" has no counterpart of the same shape in this run");
            var diff = g.to(CPU).to(ScalarType.Float64).sub(saved.to(ScalarType.Float64));
            maxDiff = Math.Max(maxDiff, diff.abs().max().item<double>());
            maxAbs = Math.Max(maxAbs, saved.abs().max().item<float>());
            diffSquares += diff.mul(diff).sum().item<double>();
            var saved64 = saved.to(ScalarType.Float64);
            savedSquares += saved64.mul(saved64).sum().item<double>();
            seen++;
        });
        if (seen != mine.Count) throw new BadInputException($"{path} holds {seen} gradients, this run has {mine.Count}");
        return new GradientComparison(maxDiff, maxAbs, savedSquares > 0 ? Math.Sqrt(diffSquares / savedSquares) : 0);
    }

    // A parameter no gradient reached counts as zeros, as the optimizer sees it.
    static IEnumerable<(string Name, Tensor Gradient)> Gradients(GrpoTrainer trainer) =>
        trainer.TrainedParameters.Select(p => (p.Name, p.Parameter.grad ?? zeros_like(p.Parameter)));
}
