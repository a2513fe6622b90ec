// The generation levers of a GRPO step one at a time (`bench-step --generation-levers`): a step's B prompts x G
// completions generated with the shared prefill and the dropping of finished rows switched off and on, interleaved in
// one process on the same prompts and seed. Neither lever changes a token; the bench checks that on every run.
using System.Diagnostics;
using Grpo.Model;
using Grpo.Torch;
using Grpo.Training;

namespace Grpo.Bench;

public sealed record GenerationVariant(string Name, bool SharePrompts, bool DropFinishedRows);

/// <summary>Seconds of one generation batch and the completion tokens it produced (equal across variants).</summary>
public sealed record GenerationTiming(string Variant, int Repetition, double Seconds, long Tokens);

public static class GenerationBench
{
    public static IReadOnlyList<GenerationVariant> Levers { get; } =
    [
        new("levers off", SharePrompts: false, DropFinishedRows: false),
        new("shared prefill", SharePrompts: true, DropFinishedRows: false),
        new("finished rows dropped", SharePrompts: false, DropFinishedRows: true),
        new("all on", SharePrompts: true, DropFinishedRows: true),
    ];

    /// <summary>The task's first B prompts, each G times (as the trainer forms a batch), sampled as the trainer samples
    /// its first step; warm-up rounds first, not reported.</summary>
    public static IReadOnlyList<GenerationTiming> Run(GrpoConfig config, GrpoTask task, int repetitions, int warmups = 1,
        Action<string>? log = null)
    {
        using var model = Qwen2ForCausalLM.FromPretrained(config.ModelNameOrPath, TorchOptions.ParseDtype(config.Dtype),
            TorchOptions.ParseDevice(config.Device));
        model.eval();
        var prompts = task.Prompts.Take(config.PromptsPerStep)
            .Select(p => p.Ids.Length > config.MaxPromptLength ? p.Ids[^config.MaxPromptLength..] : p.Ids)
            .SelectMany(ids => Enumerable.Repeat(ids, config.NumGenerations)).ToList();
        var options = new GenerationOptions(config.MaxCompletionLength, Greedy: false, Temperature: config.Temperature,
            TopP: config.TopP, TopK: config.TopK, Seed: (long)config.Seed * 1_000_003L);
        var timings = new List<GenerationTiming>();
        IReadOnlyList<GeneratedSequence>? first = null;
        for (int round = 0; round < warmups + repetitions; round++)
            foreach (var v in Levers)
            {
                int rep = round - warmups + 1;
                var clock = Stopwatch.StartNew();
                var generated = Generator.Generate(model, prompts, options with { SharePrompts = v.SharePrompts, DropFinishedRows = v.DropFinishedRows },
                    task.Tokens.EosIds, task.Tokens.PadId);
                double seconds = clock.Elapsed.TotalSeconds;
                first ??= generated;
                if (!generated.Select(s => s.Ids).SequenceEqual(first.Select(s => s.Ids), IdsComparer.Instance))
                    throw new InvalidOperationException($"generation lever '{v.Name}' changed the generated tokens");
                var t = new GenerationTiming(v.Name, rep, seconds, generated.Sum(s => (long)s.Ids.Length));
                log?.Invoke($"{(rep < 1 ? "warm-up" : $"repetition {rep}")}, {t.Variant}: {t.Seconds:F2} s, {t.Tokens} tokens");
                if (rep >= 1) timings.Add(t);
            }
        return timings;
    }

    /// <summary>Median of the variant's seconds, and of its ratio to the first variant paired by repetition.</summary>
    public static (double Seconds, double Ratio) Median(IReadOnlyList<GenerationTiming> timings, string variant)
    {
        var mine = timings.Where(t => t.Variant == variant).ToList();
        var ratios = mine.Select(t => t.Seconds / timings.First(f => f.Variant == Levers[0].Name && f.Repetition == t.Repetition).Seconds);
        return (Middle(mine.Select(t => t.Seconds)), Middle(ratios));
    }

    static double Middle(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    sealed class IdsComparer : IEqualityComparer<int[]>
    {
        public static readonly IdsComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a) => a.Length;
    }
}
