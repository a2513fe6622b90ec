// Chunked log-probs and entropy equal the full-logits path (GrpoLoss.SelectiveLogSoftmax / Entropy over model.Logits),
// values and every parameter's gradient, on the reference models (tests/reference/qwen2-tiny, untied and tied head) in
// float32 and bfloat16; and the cold-start loss computed chunk by chunk equals the cross-entropy over full logits.
using Grpo.Model;
using Grpo.Training;
using Grpo.Training.Sft;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class ChunkedLogProbsTests
{
    static Qwen2ForCausalLM Model(string variant, ScalarType dtype)
    {
        var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference(variant), dtype);
        foreach (var p in model.parameters()) p.requires_grad = true;   // full fine-tuning: the head's weight gets a gradient too
        return model;
    }

    /// <summary>Final hidden states of 3 rows x 10 tokens (the second left-padded by 4) and a next token per position.</summary>
    static (Tensor Hidden, Tensor Targets) Forward(Qwen2ForCausalLM model)
    {
        var g = new torch.Generator(11);
        var ids = randint(0, 300, [3, 10], generator: g);
        var mask = ones(3, 10, ScalarType.Int64);
        mask[1, ..4] = zeros(4, ScalarType.Int64);
        var hidden = model.HiddenStates(ids, mask, Positions.FromAttentionMask(mask), null);
        return (hidden, randint(0, 320, [3, 10], generator: g));
    }

    [Theory]
    [InlineData("qwen2-tiny", ScalarType.Float32, 4)]
    [InlineData("qwen2-tiny", ScalarType.Float32, 1)]
    [InlineData("qwen2-tiny", ScalarType.Float32, 0)]
    [InlineData("qwen2-tiny-tied", ScalarType.Float32, 7)]
    [InlineData("qwen2-tiny", ScalarType.BFloat16, 4)]
    [InlineData("qwen2-tiny-tied", ScalarType.BFloat16, 7)]
    public void Chunked_log_probs_entropy_and_gradients_equal_the_full_logits_path(string variant, ScalarType dtype, int chunk)
    {
        using var model = Model(variant, dtype);
        using var scope = NewDisposeScope();
        const double temperature = 0.7;
        var weights = randn([3, 10], generator: new torch.Generator(5));   // a loss that weighs every position differently

        var (hidden, targets) = Forward(model);
        var logits = model.Logits(hidden);
        var expected = GrpoLoss.SelectiveLogSoftmax(logits, targets, temperature);
        var expectedEntropy = GrpoLoss.Entropy(logits.detach(), temperature);
        (expected * weights).sum().backward();
        var expectedGrads = ParameterGradients.Take(model);

        (hidden, targets) = Forward(model);
        var (actual, entropy) = ChunkedLogProbs.Compute(hidden, model.LmHeadWeight, targets, temperature, chunk, withEntropy: true);
        (actual * weights).sum().backward();
        var actualGrads = ParameterGradients.Take(model);

        Assert.Equal(ScalarType.Float32, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        // float32: summation order only. bfloat16: the same bf16 logits, then float32 math; gradients round to bf16.
        bool f32 = dtype == ScalarType.Float32;
        Assert.True((expected - actual).abs().max().item<float>() < (f32 ? 1e-5f : 1e-3f));
        Assert.True((expectedEntropy - entropy!).abs().max().item<float>() < (f32 ? 1e-5f : 1e-3f));
        ParameterGradients.AssertClose(expectedGrads, actualGrads, f32 ? 1e-5 : 2e-2);
    }

    [Fact]
    public void Without_gradients_the_chunks_give_the_same_log_probs()
    {
        using var model = Model("qwen2-tiny", ScalarType.Float32);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (hidden, targets) = Forward(model);
        var expected = GrpoLoss.SelectiveLogSoftmax(model.Logits(hidden), targets);
        var (actual, entropy) = ChunkedLogProbs.Compute(hidden, model.LmHeadWeight, targets, 1.0, 4);
        Assert.Null(entropy);
        Assert.False(actual.requires_grad);
        Assert.True((expected - actual).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [InlineData("qwen2-tiny", 3)]
    [InlineData("qwen2-tiny-tied", 0)]
    public void Chunked_completion_loss_and_gradients_equal_cross_entropy_over_full_logits(string variant, int chunk)
    {
        using var model = Model(variant, ScalarType.Float32);
        using var scope = NewDisposeScope();
        var (ids, mask, labels) = SupervisedTrainer.Collate(
            [new SftExample([5, 17, 200], [33, 9, 301]), new SftExample([41], [250, 8, 64, 7, 301])], padId: 302, CPU);
        var positions = Positions.FromAttentionMask(mask);

        var expected = SupervisedTrainer.CompletionLoss(model.forward(ids, mask, positions), labels);
        expected.backward();
        var expectedGrads = ParameterGradients.Take(model);

        var actual = SupervisedTrainer.CompletionLoss(model, model.HiddenStates(ids, mask, positions, null), labels, chunk);
        actual.backward();
        var actualGrads = ParameterGradients.Take(model);

        Assert.Equal(expected.item<float>(), actual.item<float>(), 1e-5f);
        ParameterGradients.AssertClose(expectedGrads, actualGrads, 1e-5);
    }
}
