// What a default run spends its time on, measured as the pipeline runs it: GRPO steps of a preset (generation,
// reference pass and update, as the trainer times them) and the evaluation of held-out problems (greedy + k samples).
// Model FLOP/s come from ModelBench.FlopsPerToken, so they compare with MatmulPeak's yardstick.
using System.Diagnostics;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Training;

namespace Grpo.Bench;

/// <summary>Medians per step. Tokens/s count completion tokens for the generation and prompt + completion tokens of
/// the rows that reach the update (all rows, unless drop_zero_std_groups drops some).</summary>
public sealed record GrpoStepBench(int Steps, double StepSeconds, double GenerationSeconds, double ReferenceSeconds,
    double UpdateSeconds, double CompletionTokens, double GenerationTokensPerSecond, double GenerationGflops,
    double UpdateTokensPerSecond, double UpdateGflops);

public sealed record EvalBench(int Problems, int Samples, double Seconds, long GeneratedTokens, double TokensPerSecond,
    double Gflops, double Accuracy);

public static class DefaultRunBench
{
    /// <summary>steps + 1 GRPO steps of <paramref name="config"/> in a temporary run folder (deleted after); the first
    /// step (start-up, first-call costs) is not counted.</summary>
    public static GrpoStepBench GrpoSteps(CountdownRunConfig run, int steps)
    {
        var dir = Directory.CreateTempSubdirectory("grpo-bench-").FullName;
        try
        {
            var config = run.Grpo with { OutputDir = dir, MaxSteps = steps + 1, SaveSteps = steps + 1 };
            var metrics = new List<Dictionary<string, double>>();
            using (var trainer = CountdownRun.Create(run with { Grpo = config }))
                trainer.Train(new SyncProgress<GrpoProgress>(p => metrics.Add(p.Metrics.ToDictionary(kv => kv.Key, kv => kv.Value))));
            var timed = metrics.Skip(1).ToList();
            double Median(string name) => MedianOf(timed.Select(m => m[name]));

            var model = Qwen2Config.Load(config.ModelNameOrPath);
            double prompt = CountdownRun.Prompts(run.Task, config.Seed, QwenTokenizer.FromFolder(config.ModelNameOrPath))
                .Average(p => Math.Min(p.Ids.Length, config.MaxPromptLength));
            int rows = config.PromptsPerStep * config.NumGenerations;
            double completion = Median(MetricNames.MeanLength), completionTokens = rows * completion;
            double updateRows = config.DropZeroStdGroups ? rows * (1 - Median(MetricNames.FracRewardZeroStd)) : rows;
            double updateTokens = updateRows * (prompt + completion);
            // The group's prompt is prefilled once; each completion token attends to the prompt and half its completion.
            double generationFlops = config.PromptsPerStep * prompt * ModelBench.FlopsPerToken(model, prompt / 2)
                + completionTokens * ModelBench.FlopsPerToken(model, prompt + completion / 2);
            double updateFlops = 3 * updateTokens * ModelBench.FlopsPerToken(model, (prompt + completion) / 2);
            double generation = Median(MetricNames.GenerationTime), update = Median(MetricNames.UpdateTime);
            return new GrpoStepBench(timed.Count, Median(MetricNames.StepTime), generation, Median(MetricNames.ReferenceTime), update,
                completionTokens, completionTokens / generation, generationFlops / generation / 1e9,
                updateTokens / update, updateFlops / update / 1e9);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The first <c>config.NumProblems</c> problems of the config's test file, evaluated on one model folder as
    /// EvaluateRun does (greedy and/or samples); completion tokens counted with the folder's tokenizer.</summary>
    public static EvalBench Evaluation(string modelDir, EvalConfig config)
    {
        var clock = Stopwatch.StartNew();
        var result = Evaluator.EvaluateModel(modelDir, config, "bench", 0);
        double seconds = clock.Elapsed.TotalSeconds;
        var tokenizer = QwenTokenizer.FromFolder(modelDir);
        var model = Qwen2Config.Load(modelDir);
        var texts = result.Records.SelectMany(r => (config.Greedy ? [r.Generation] : Array.Empty<string>()).Concat(r.SampledGenerations ?? []));
        long generated = texts.Sum(t => (long)tokenizer.Encode(t).Count);
        double prompt = result.Records.Average(r => tokenizer.Encode(r.Prompt).Count);
        int sequencesPerProblem = (config.Greedy ? 1 : 0) + config.Samples;
        double completion = generated / (double)(result.NumProblems * sequencesPerProblem);
        // Prefill: each problem's prompt once in the greedy pass and (about) once in the sampled pass.
        int prefills = (config.Greedy ? 1 : 0) + (config.Samples > 0 ? 1 : 0);
        double flops = result.NumProblems * prefills * prompt * ModelBench.FlopsPerToken(model, prompt / 2)
            + generated * ModelBench.FlopsPerToken(model, prompt + completion / 2);
        return new EvalBench(result.NumProblems, config.Samples, seconds, generated, generated / seconds, flops / seconds / 1e9, result.Accuracy);
    }

    static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
