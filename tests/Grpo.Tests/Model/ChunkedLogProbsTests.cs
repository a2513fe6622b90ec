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
    /// <summary>Every parameter trained (the head's weight gets a gradient too), or all but the LM head's weight (as
    /// with LoRA: then the chunks' gradient with respect to the hidden states is computed in forward).</summary>
    static Qwen2ForCausalLM Model(string variant, ScalarType dtype, bool frozenHead = false)
    {
        var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference(variant), dtype);
        foreach (var p in model.parameters()) p.requires_grad = true;
        if (frozenHead) model.LmHeadWeight.requires_grad = false;
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

    const double Temperature = 0.7;

    /// <summary>Log-probs and entropies of the fixed batch, and every parameter's gradient of a loss that weighs each
    /// position differently, through the full logits (GrpoLoss) or the chunks.</summary>
    static (Tensor LogProbs, Tensor Entropy, Dictionary<string, Tensor> Grads) Run(Qwen2ForCausalLM model, int? chunk)
    {
        var weights = randn([3, 10], generator: new torch.Generator(5));
        var (hidden, targets) = Forward(model);
        Tensor logp, entropy;
        if (chunk is int c) (logp, entropy) = ChunkedLogProbs.Compute(hidden, model.LmHeadWeight, targets, Temperature, c, withEntropy: true)!;
        else
        {
            var logits = model.Logits(hidden);
            (logp, entropy) = (GrpoLoss.SelectiveLogSoftmax(logits, targets, Temperature), GrpoLoss.Entropy(logits.detach(), Temperature));
        }
        (logp * weights).sum().backward();
        return (logp, entropy!, ParameterGradients.Take(model));
    }

    [Theory]
    [InlineData("qwen2-tiny", 4, false)]
    [InlineData("qwen2-tiny", 1, false)]
    [InlineData("qwen2-tiny", 0, false)]
    [InlineData("qwen2-tiny-tied", 7, false)]
    [InlineData("qwen2-tiny", 4, true)]
    [InlineData("qwen2-tiny-tied", 0, true)]
    public void Float32_chunked_log_probs_entropy_and_gradients_equal_the_full_logits_path(string variant, int chunk, bool frozenHead)
    {
        using var model = Model(variant, ScalarType.Float32, frozenHead);
        using var scope = NewDisposeScope();
        var expected = Run(model, chunk: null);
        var actual = Run(model, chunk);
        Assert.Equal(ScalarType.Float32, actual.LogProbs.dtype);
        Assert.Equal(expected.LogProbs.shape, actual.LogProbs.shape);
        Assert.True((expected.LogProbs - actual.LogProbs).abs().max().item<float>() < 1e-5f);
        Assert.True((expected.Entropy - actual.Entropy).abs().max().item<float>() < 1e-5f);
        ParameterGradients.AssertClose(expected.Grads, actual.Grads, 1e-5);   // summation order only
    }

    [Theory]
    [InlineData("qwen2-tiny", 4, false)]
    [InlineData("qwen2-tiny-tied", 7, false)]
    [InlineData("qwen2-tiny", 7, true)]
    [InlineData("qwen2-tiny-tied", 3, true)]
    public void Bfloat16_chunked_gradients_are_as_close_to_float32_as_the_full_logits_path(string variant, int chunk, bool frozenHead)
    {
        // Both bf16 paths round differently (the frozen head's gradient is formed in forward), and a bf16 backward
        // through the layers moves gradients by 1-3% (k_proj.bias, whose exact gradient is 0, by ~10%); so each is
        // compared with the float32 gradient of the same bf16 weights, and the chunks must do as well as full logits.
        using var model = Model(variant, ScalarType.BFloat16, frozenHead);
        using var scope = NewDisposeScope();
        var full = Run(model, chunk: null);
        var actual = Run(model, chunk);
        model.to(ScalarType.Float32);
        var exact = Run(model, chunk: null);
        Assert.True((full.LogProbs - actual.LogProbs).abs().max().item<float>() < 1e-3f);   // the same bf16 logits
        Assert.True((full.Entropy - actual.Entropy).abs().max().item<float>() < 1e-3f);
        var fullError = ParameterGradients.RelativeErrors(exact.Grads, full.Grads);
        var chunkedError = ParameterGradients.RelativeErrors(exact.Grads, actual.Grads);
        foreach (var (name, e) in fullError)
            Assert.True(chunkedError[name] <= 1.5 * e + 0.005, $"{name}: |chunked - float32| / |float32| = {chunkedError[name]:F4}, full logits {e:F4}");
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
