// bench-step's instruments on tests/reference/qwen2-tiny: the synthetic task's id ranges (which give a random model
// rewards that differ within a group), and the gradient file that lets two processes show a memory lever leaves the
// gradients alone.
using Grpo.Bench;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Bench;

public class StepBenchTests
{
    static string TinyDir => TestPaths.Reference("qwen2-tiny");

    [Theory]
    [InlineData("181", 181, 181)]
    [InlineData("0-149", 0, 149)]
    public void Synthetic_tokens_are_one_id_or_an_inclusive_range(string text, int first, int last) =>
        Assert.Equal((first, last), SyntheticTask.ParseTokens(text, "--synthetic-token"));

    [Theory]
    [InlineData("7-3", "first id is above its last")]
    [InlineData("-5", "must be a token id or a range")]
    [InlineData("1-2-3", "must be a token id or a range")]
    [InlineData("abc", "must be a token id or a range")]
    public void A_malformed_synthetic_token_is_refused_naming_the_flag(string text, string why)
    {
        var e = Assert.Throws<BadInputException>(() => SyntheticTask.ParseTokens(text, "--synthetic-token"));
        Assert.Contains("--synthetic-token", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_range_rewards_the_share_of_its_ids_without_end_tokens()
    {
        var reward = SyntheticTask.ChosenTokenShare(10, 19, [301]);
        // 10 and 19 are in, 9 and 20 out; the end token does not count
        Assert.Equal(0.5, reward.Score(new RewardInput(new TrainingPrompt([1]), "", [10, 9, 19, 20, 301])));
    }

    [Fact]
    public void Saved_gradients_match_a_repeated_step_exactly_and_differ_from_another_seed()
    {
        var root = Directory.CreateTempSubdirectory("grpo-step-gradients").FullName;
        try
        {
            var config = GrpoConfig.Tiny with
            {
                ModelNameOrPath = TinyDir, Seed = 5, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 1, NumGenerations = 4,
                MaxCompletionLength = 6, DropZeroStdGroups = false, MaxSteps = 1,
            };
            GrpoTask Task() => SyntheticTask.ForModel(TinyDir, 0, 149, 5, "test");
            var file = Path.Combine(root, "gradients.safetensors");
            GradientComparison Step(int seed, bool save)
            {
                using var trainer = GrpoRun.Create(config with { Seed = seed, OutputDir = Path.Combine(root, Guid.NewGuid().ToString("N")) }, Task);
                trainer.Step();
                if (save) StepGradients.Save(trainer, file);
                return StepGradients.Compare(trainer, file);
            }
            Assert.Equal(0, Step(5, save: true).MaxAbsDifference);
            var same = Step(5, save: false);
            Assert.Equal(0, same.MaxAbsDifference);
            Assert.True(same.MaxAbs > 0, "the step's gradients are not all zero");
            Assert.True(Step(6, save: false).RelativeNorm > 0.01);
        }
        finally { Directory.Delete(root, true); }
    }
}
