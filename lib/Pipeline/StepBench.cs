// One GRPO step, timed as generation / reference / update, for config variants interleaved in one process
// (`bench-step`): each repetition runs one step of a fresh trainer per variant, from the same weights and seed, so every
// variant samples the same generation batch and updates on it; warm-up rounds run first and are not reported.
using Grpo.Model;
using Grpo.Training;

namespace Grpo.Pipeline;

public sealed record StepVariant(string Name, GrpoConfig Config);

/// <summary>Seconds of one step's parts (the trainer's time/* metrics), and its loss and gradient norm: equal across
/// variants that only change how the update is computed.</summary>
public sealed record StepTiming(string Variant, int Repetition, double Generation, double Reference, double Update,
    double Step, double Loss, double GradNorm);

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
    public static GrpoTask CountdownTask(GrpoConfig config)
    {
        var tokenizer = QwenTokenizer.FromFolder(config.ModelNameOrPath);
        return new GrpoTask(CountdownRun.Prompts(CountdownRun.Validated(config), tokenizer),
            config.RewardFuncs.Select(CountdownRewardFunctions.ByName).ToList(), TokenSpec.FromModel(config.ModelNameOrPath, tokenizer));
    }

    public static IReadOnlyList<StepTiming> Run(IReadOnlyList<StepVariant> variants, GrpoTask task, int repetitions,
        int warmups = 1, Action<string>? log = null)
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
                    using (var trainer = GrpoRun.Create(config, () => task))
                        trainer.Step(new SyncProgress<GrpoProgress>(p => step = p));
                    var t = new StepTiming(variants[v].Name, rep, step!["time/generation"], step["time/reference"],
                        step["time/update"], step["step_time"], step["loss"], step["grad_norm"]);
                    log?.Invoke($"{(rep < 1 ? "warm-up" : $"repetition {rep}")}, {t.Variant}: step {t.Step:F2} s = generation " +
                        $"{t.Generation:F2} + reference {t.Reference:F2} + update {t.Update:F2}; loss {t.Loss:G6}, grad_norm {t.GradNorm:G6}");
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
