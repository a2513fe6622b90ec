// The cold-start trainer: its completion-only loss is transformers' masked LM loss (reference case lm_loss_prompt_masked,
// computed by Hugging Face in tests/reference), collation left-pads like generation, and training lowers the loss.
using Grpo.Model;
using Grpo.Tests.Model;
using Grpo.Training.Sft;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class SupervisedTrainerTests
{
    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Completion_loss_equals_transformers_loss_with_the_prompt_masked(string variant)
    {
        var c = ReferenceCases.Cases(variant)["lm_loss_prompt_masked"]!;
        var ids = ReferenceCases.IntRow(c["input_ids"]!).Select(x => (int)x).ToArray();
        var labels = ReferenceCases.IntRow(c["labels"]!);
        int promptLength = labels.TakeWhile(l => l == -100).Count();
        using var model = Qwen2ForCausalLM.FromPretrained(ReferenceCases.ModelDir(variant));
        var example = new SftExample(ids[..promptLength], ids[promptLength..]);

        using var scope = NewDisposeScope();
        var (input, mask, batchLabels) = SupervisedTrainer.Collate([example], padId: 302, CPU);
        var loss = SupervisedTrainer.CompletionLoss(model.forward(input, mask, Positions.FromAttentionMask(mask)), batchLabels);
        Assert.Equal(c["loss"]!.GetValue<float>(), loss.item<float>(), 1e-5f);
    }

    [Fact]
    public void Collate_left_pads_and_labels_only_completion_tokens()
    {
        using var scope = NewDisposeScope();
        var (ids, mask, labels) = SupervisedTrainer.Collate([new SftExample([1, 2], [3]), new SftExample([4], [5, 6, 7])], padId: 9, CPU);
        Assert.Equal(new long[] { 9, 1, 2, 3, 4, 5, 6, 7 }, ids.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 1, 1, 1, 1, 1, 1 }, mask.data<long>().ToArray());
        Assert.Equal(new long[] { -100, -100, -100, 3, -100, 5, 6, 7 }, labels.data<long>().ToArray());
    }

    [Fact]
    public void Training_on_a_fixed_completion_lowers_its_loss()
    {
        using var model = Qwen2ForCausalLM.FromPretrained(ReferenceCases.ModelDir("qwen2-tiny"));
        var examples = Enumerable.Range(0, 8).Select(i => new SftExample([10 + i, 20 + i, 30], [40, 41, 42, 301])).ToList();
        double Loss()
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var (ids, mask, labels) = SupervisedTrainer.Collate(examples, 302, CPU);
            return SupervisedTrainer.CompletionLoss(model.forward(ids, mask, Positions.FromAttentionMask(mask)), labels).item<float>();
        }
        double before = Loss();
        SupervisedTrainer.Train(model, examples, new SftConfig { BatchSize = 8, MaxSteps = 30, LearningRate = 3e-3, WarmupSteps = 2 }, padId: 302);
        double after = Loss();
        Assert.True(after < before * 0.5, $"loss {before:F3} -> {after:F3}");
    }
}
