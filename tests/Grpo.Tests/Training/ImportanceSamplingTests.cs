// TRL's vLLM importance-sampling correction (grpo_trainer.py: ratio = exp(old - sampler) per token or summed per
// sequence, clamped or masked to [clip_min, clip_max]) and the logged mismatch, on numbers worked out by hand.
using Grpo.Training;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class ImportanceSamplingTests
{
    static readonly double Ln2 = Math.Log(2), Ln4 = Math.Log(4);

    // One row: the trainer gives token 0 twice the sampler's probability, token 1 the same, token 2 (past the
    // completion's end, mask 0) four times.
    static (Tensor Trainer, Tensor Sampler, Tensor Mask) Row() => (
        tensor(new[] { (float)Ln2, 0f, (float)Ln4 }, [1, 3]), zeros([1, 3]), tensor(new[] { 1f, 1f, 0f }, [1, 3]));

    static float[] Weights(string mode, double? min, double? max)
    {
        var (t, s, m) = Row();
        using var w = ImportanceSampling.Weights(t, s, m, mode, min, max);
        return w.data<float>().ToArray();
    }

    [Fact]
    public void Token_truncate_clamps_each_tokens_ratio_at_the_cap()
    {
        // exp(ln 2) = 2 -> 1.5; exp(0) = 1; the masked token's difference counts as 0 -> 1
        Assert.Equal([1.5f, 1f, 1f], Weights("token_truncate", null, 1.5), new FloatTolerance(1e-6f));
        Assert.Equal([2f, 1.2f, 1.2f], Weights("token_truncate", 1.2, 3.0), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Token_mask_zeroes_ratios_outside_the_bounds()
    {
        Assert.Equal([0f, 1f, 1f], Weights("token_mask", null, 1.5), new FloatTolerance(1e-6f));
        Assert.Equal([2f, 0f, 0f], Weights("token_mask", 1.2, null), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Sequence_modes_use_one_ratio_from_the_summed_differences_of_the_completion()
    {
        // sum over masked tokens: ln 2 + 0 = ln 2 -> 2 for the whole row
        Assert.Equal([2f], Weights("sequence_truncate", null, 3.0), new FloatTolerance(1e-6f));
        Assert.Equal([1.5f], Weights("sequence_truncate", null, 1.5), new FloatTolerance(1e-6f));
        Assert.Equal([0f], Weights("sequence_mask", null, 1.5), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Mismatch_metrics_are_the_mean_and_max_absolute_difference_and_the_k3_kl_over_completion_tokens()
    {
        var (t, s, m) = Row();
        using var w = ImportanceSampling.Weights(t, s, m, "token_truncate", null, 3.0);
        var mismatch = new SamplerMismatch();
        mismatch.Add(t, s, m, w);
        var metrics = mismatch.Metrics().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(Ln2 / 2, metrics["sampling/sampling_logp_difference/mean"], 6);
        Assert.Equal(Ln2, metrics["sampling/sampling_logp_difference/max"], 6);
        // k3 with x ~ sampler: exp(t - s) - (t - s) - 1 = 1 - ln 2 for token 0, 0 for token 1
        Assert.Equal((1 - Ln2) / 2, metrics["sampling/kl"], 6);
        Assert.Equal(1, metrics["sampling/importance_sampling_ratio/min"], 6);
        Assert.Equal(1.5, metrics["sampling/importance_sampling_ratio/mean"], 6);
        Assert.Equal(2, metrics["sampling/importance_sampling_ratio/max"], 6);
    }

    [Fact]
    public void Without_the_correction_only_the_mismatch_is_logged()
    {
        var (t, s, m) = Row();
        var mismatch = new SamplerMismatch();
        mismatch.Add(t, s, m, weights: null);
        Assert.DoesNotContain(mismatch.Metrics(), kv => kv.Key.StartsWith("sampling/importance_sampling_ratio"));
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float x) => 0;
    }
}
