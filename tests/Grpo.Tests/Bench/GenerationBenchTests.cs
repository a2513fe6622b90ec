// The generation lever bench (`bench-step --generation-levers`): every variant generates the same tokens, and the
// paired ratio compares each variant with the first one of the same repetition.
using Grpo.Bench;
using Grpo.Countdown;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Bench;

public class GenerationBenchTests
{
    [Fact]
    public void Every_lever_variant_is_timed_on_the_same_completions()
    {
        var config = GrpoConfig.Tiny with
        {
            ModelNameOrPath = Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny"),
            PerDeviceTrainBatchSize = 12, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 32,
        };
        var task = StepBench.CountdownTask(new CountdownRunConfig { Grpo = config, Task = CountdownTaskConfig.Easy with { NumTrainProblems = 50 } });
        var timings = GenerationBench.Run(config, task, repetitions: 2, warmups: 0);

        Assert.Equal(GenerationBench.Levers.Select(v => v.Name).Order(), timings.Select(t => t.Variant).Distinct().Order());
        Assert.All(timings, t => Assert.True(t.Seconds > 0));
        Assert.Single(timings.Select(t => t.Tokens).Distinct());
        Assert.InRange(timings[0].Tokens, 3 * 4, 3 * 4 * 32);
        Assert.Equal(1.0, GenerationBench.Median(timings, "levers off").Ratio, 12);
    }

    [Fact]
    public void Paired_ratio_divides_by_the_first_variant_of_the_same_repetition()
    {
        var timings = new List<GenerationTiming>
        {
            new("levers off", 1, 4.0, 10), new("all on", 1, 1.0, 10),
            new("levers off", 2, 8.0, 10), new("all on", 2, 4.0, 10),
            new("levers off", 3, 2.0, 10), new("all on", 3, 2.0, 10),
        };
        var (seconds, ratio) = GenerationBench.Median(timings, "all on");
        Assert.Equal(2.0, seconds);
        Assert.Equal(0.5, ratio);   // ratios 0.25, 0.5, 1.0
    }
}
