// The evaluator's batching, ordering, sampling and summaries, driven by a scripted text generator (no model).
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class EvaluatorTests
{
    // Problem i: nums [i+1, 2, 3], target i+6 (so "i+1 + 2 + 3" is the answer).
    static readonly CountdownProblem[] Problems = Enumerable.Range(0, 7).Select(i => new CountdownProblem([i + 1, 2, 3], i + 6)).ToArray();

    static string Answer(string equation) => $"calc</think>\n<answer>{equation}</answer>";

    /// <summary>Answers correctly for problems whose first number is odd (greedy) and records every call.</summary>
    sealed class ScriptedGenerator
    {
        public readonly List<(string[] Prompts, GenerationOptions Options)> Calls = [];
        public Func<int, GenerationOptions, int, string> Reply = (first, o, _) => first % 2 == 1 ? Answer($"{first} + 2 + 3") : Answer("1 + 1");

        public IReadOnlyList<string> Generate(IReadOnlyList<string> prompts, GenerationOptions options)
        {
            Calls.Add((prompts.ToArray(), options));
            return prompts.Select((p, j) => Reply(FirstNumber(p), options, j)).ToList();
        }

        // The English template prints nums like [3, 2, 3].
        static int FirstNumber(string prompt)
        {
            int open = prompt.IndexOf('[', prompt.IndexOf("numbers", StringComparison.Ordinal));
            return int.Parse(prompt[(open + 1)..prompt.IndexOf(',', open)]);
        }
    }

    static readonly EvalConfig Config = new(BatchSize: 3, MaxNewTokens: 50, Template: "english");

    [Fact]
    public void Greedy_batches_keep_test_order_and_accuracy_is_the_mean_of_scores()
    {
        var gen = new ScriptedGenerator();
        var result = Evaluator.Evaluate(Problems, Config, gen.Generate, "checkpoint-5", 5, "dir");

        Assert.Equal([3, 3, 1], gen.Calls.Select(c => c.Prompts.Length));
        Assert.All(gen.Calls, c => Assert.True(c.Options.Greedy));
        Assert.All(gen.Calls, c => Assert.Equal(50, c.Options.MaxNewTokens));
        Assert.Equal(Enumerable.Range(0, 7), result.Records.Select(r => r.TestId));
        Assert.Equal(Problems.Select(p => p.Target), result.Records.Select(r => r.Target));
        // Odd first numbers are i = 0, 2, 4, 6 -> 4 of 7 correct.
        Assert.Equal([1.0, 0, 1, 0, 1, 0, 1], result.Records.Select(r => r.Score));
        Assert.Equal(4.0 / 7, result.Accuracy, 12);
        Assert.Equal(result.Records.Average(r => r.Score), result.Accuracy);
        Assert.Equal(1.0, result.FormatRate);
        Assert.Null(result.Sampled);
        Assert.Equal(("checkpoint-5", 5, "dir", 7), (result.Checkpoint, result.Step, result.ModelDir, result.NumProblems));
        Assert.Equal(PromptTemplate.English.Render(Problems[3]), result.Records[3].Prompt);
    }

    [Fact]
    public void Sampled_decoding_repeats_each_prompt_k_times_with_a_seed_per_batch()
    {
        // Sample j of a problem is correct when j < 2 -> every problem has 2 of 4 correct.
        var gen = new ScriptedGenerator();
        gen.Reply = (first, o, j) => o.Greedy ? Answer("0") : j % 4 < 2 ? Answer($"{first} + 2 + 3") : Answer("1");
        var config = Config with { BatchSize = 8, Samples = 4, Temperature = 0.7f, TopP = 0.9f, Seed = 100 };
        var result = Evaluator.Evaluate(Problems, config, gen.Generate);

        var sampledCalls = gen.Calls.Where(c => !c.Options.Greedy).ToList();
        Assert.Equal([8, 8, 8, 4], sampledCalls.Select(c => c.Prompts.Length));
        Assert.Equal([100L, 101, 102, 103], sampledCalls.Select(c => c.Options.Seed!.Value));
        Assert.All(sampledCalls, c => Assert.Equal((0.7f, 0.9f), (c.Options.Temperature, c.Options.TopP)));
        Assert.All(sampledCalls, c => Assert.Equal(c.Prompts[0], c.Prompts[3]));
        Assert.All(result.Records, r => Assert.Equal([1.0, 1, 0, 0], r.SampledScores!));
        Assert.Equal((4, 0.5, 1.0), (result.Sampled!.K, result.Sampled.MeanAccuracy, result.Sampled.PassAtK));
        Assert.Equal(0.0, result.Accuracy);
    }

    [Fact]
    public void Progress_reports_each_batch_and_ends_at_the_total()
    {
        var reports = new List<EvalProgress>();
        Evaluator.Evaluate(Problems, Config, new ScriptedGenerator().Generate, progress: new SyncProgress(reports.Add));
        Assert.Equal([3, 6, 7], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(("greedy", 7), (r.Phase, r.Total)));
    }

    [Fact]
    public void Nothing_to_generate_is_rejected()
    {
        var e = Assert.Throws<BadInputException>(() => Evaluator.Evaluate(Problems, Config with { Greedy = false }, new ScriptedGenerator().Generate));
        Assert.Contains("greedy decoding is off", e.Message);
    }

    sealed class SyncProgress(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
