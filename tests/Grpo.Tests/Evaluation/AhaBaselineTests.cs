// Re-thinking and recoveries against the base rate: series from aha_counts.json sources, the base row of each, and the
// pooling of training samples into blocks after the first step.
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.Evaluation;

public sealed class AhaBaselineTests
{
    static AhaStepCount Count(string source, int step, int completions, int withMarker, int hits, int recoveries) =>
        new(source, step, completions, withMarker, hits, recoveries, new Dictionary<string, int>());

    [Fact]
    public void Each_series_starts_with_its_base_and_every_row_carries_the_base_rate()
    {
        var rows = AhaBaseline.Rows(
        [
            Count(AhaExtractor.SamplesSource, 51, 10, 5, 6, 2),
            Count("eval/checkpoint-50", 50, 100, 30, 40, 12),
            Count(AhaExtractor.SamplesSource, 1, 20, 2, 2, 1),
            Count("eval/base/sampled", 0, 800, 40, 50, 8),
            Count(AhaExtractor.SamplesSource, 2, 10, 1, 1, 0),
            Count("eval/base", 0, 100, 10, 10, 4),
            Count(AhaExtractor.SamplesSource, 50, 30, 3, 3, 3),
        ], blockSteps: 50);

        Assert.Equal(
        [
            (AhaBaseline.EvalGreedy, "base", true), (AhaBaseline.EvalGreedy, "checkpoint-50", false),
            (AhaBaseline.EvalSampled, "base", true),
            (AhaBaseline.TrainingSamples, "step 1", true), (AhaBaseline.TrainingSamples, "steps 2-50", false),
            (AhaBaseline.TrainingSamples, "step 51", false),
        ], rows.Select(r => (r.Series, r.Rate.Label, r.IsBase)));

        var checkpoint = rows[1];
        Assert.Equal((0.3, 40.0, 12.0), (checkpoint.Rate.ReflectionRate, checkpoint.Rate.HitsPer100, checkpoint.Rate.RecoveriesPer100));
        Assert.Equal((0.1, 4.0), (checkpoint.Base.ReflectionRate, checkpoint.Base.RecoveriesPer100));
        // Steps 2 and 50 pooled: 40 completions, 4 with a marker, 3 recoveries; the base is step 1 alone (20, 2, 1).
        var block = rows[4];
        Assert.Equal((2, 50, 40, 4, 3), (block.Rate.FirstStep, block.Rate.LastStep, block.Rate.Completions, block.Rate.WithMarker, block.Rate.Recoveries));
        Assert.Equal((0.1, 5.0), (block.Base.ReflectionRate, block.Base.RecoveriesPer100));
    }

    [Fact]
    public void No_counts_give_no_rows_and_a_block_size_below_one_is_refused()
    {
        Assert.Empty(AhaBaseline.Rows([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => AhaBaseline.Rows([], 0));
    }

    [Fact]
    public void Evaluation_and_training_rows_come_apart_each_with_its_own_base()
    {
        AhaStepCount[] counts =
        [
            Count(AhaExtractor.SamplesSource, 1, 20, 2, 2, 1), Count(AhaExtractor.SamplesSource, 2, 10, 1, 1, 0),
            Count("eval/base", 0, 100, 10, 10, 4), Count("eval/checkpoint-50", 50, 100, 30, 40, 12),
            Count("eval/base/sampled", 0, 800, 40, 50, 8),
        ];
        Assert.Equal([AhaBaseline.EvalGreedy, AhaBaseline.EvalGreedy, AhaBaseline.EvalSampled],
            AhaBaseline.EvaluationRows(counts).Select(r => r.Series));
        var training = AhaBaseline.TrainingRows(counts, 50);
        Assert.Equal([("step 1", true), ("step 2", false)], training.Select(r => (r.Rate.Label, r.IsBase)));
        Assert.All(training, r => Assert.Equal(AhaBaseline.TrainingSamples, r.Series));
    }
}
