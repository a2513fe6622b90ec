// Hand-computed checks of GRPO's arithmetic (values worked out on paper / with a calculator, noted inline).
using Grpo.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class GrpoMathTests
{
    const double Tol = 1e-6;

    static float[] Values(Tensor t) => t.to_type(ScalarType.Float32).data<float>().ToArray();

    [Fact]
    public void Group_advantages_divide_by_bessel_std_plus_1e_4()
    {
        // group [1,0,0,1]: mean .5, sample std sqrt(1/3) = 0.5773503; group [0,0,0,3]: mean .75, std 1.5
        var r = Advantages.Compute([1, 0, 0, 1, 0, 0, 0, 3], 4);
        double a1 = 0.5 / (0.5773503 + 1e-4);
        Assert.Equal(new[] { a1, -a1, -a1, a1 }, r.Advantages[..4], new Tol6());
        Assert.Equal(-0.75 / 1.5001, r.Advantages[4], 6);
        Assert.Equal(2.25 / 1.5001, r.Advantages[7], 6);
        Assert.Equal((0.5773503 + 1.5) / 2, r.MeanGroupStd, 6);
        Assert.Equal(0.0, r.FracZeroStd);
    }

    [Fact]
    public void Groups_whose_rewards_are_all_equal_get_zero_advantage()
    {
        var r = Advantages.Compute([2, 2, 2, 2, 1, 0, 1, 1], 4);
        Assert.All(r.Advantages[..4], a => Assert.Equal(0.0, a));
        Assert.Equal(0.5, r.FracZeroStd);
        Assert.False(r.GroupHasSignal[0]);
        Assert.True(r.GroupHasSignal[1]);
        // group [1,0,1,1]: mean .75, sample std = sqrt((3*.0625 + .5625)/3) = 0.5
        Assert.Equal(-0.75 / 0.5001, r.Advantages[5], 6);
    }

    [Fact]
    public void Batch_scaling_uses_the_std_of_all_rewards_and_none_only_centres()
    {
        // all rewards [1,0,0,1,2,2,2,2]: mean 1.25, squared deviations sum 5.5, sample std sqrt(5.5/7) = 0.8864053
        var batch = Advantages.Compute([1, 0, 0, 1, 2, 2, 2, 2], 4, "batch");
        Assert.Equal(0.5 / (0.8864053 + 1e-4), batch.Advantages[0], 6);
        Assert.Equal(0.0, batch.Advantages[5]);
        var none = Advantages.Compute([1, 0, 0, 1, 2, 2, 2, 2], 4, "none");
        Assert.Equal(new[] { 0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0 }, none.Advantages, new Tol6());
    }

    [Fact]
    public void Selective_log_softmax_matches_hand_values_with_temperature()
    {
        // logits [1,2,3]: logsumexp = 3 + ln(1 + e^-1 + e^-2) = 3.4076060
        using var logits = tensor(new float[] { 1, 2, 3, 1, 2, 3 }).reshape(1, 2, 3);
        using var ids = tensor(new long[] { 2, 0 }).reshape(1, 2);
        using var lp = GrpoLoss.SelectiveLogSoftmax(logits, ids);
        Assert.Equal(new[] { -0.4076060f, -2.4076060f }, Values(lp), new TolF(1e-6f));
        // temperature 2: logits [.5,1,1.5], logsumexp 2.1802697
        using var lp2 = GrpoLoss.SelectiveLogSoftmax(logits, ids, 2.0);
        Assert.Equal(new[] { -0.6802697f, -1.6802697f }, Values(lp2), new TolF(1e-6f));
    }

    [Fact]
    public void Log_probs_are_float32_even_for_bfloat16_logits()
    {
        using var logits = tensor(new float[] { 1, 2, 3 }).reshape(1, 1, 3).to_type(ScalarType.BFloat16);
        using var ids = tensor(new long[] { 2 }).reshape(1, 1);
        using var lp = GrpoLoss.SelectiveLogSoftmax(logits, ids);
        Assert.Equal(ScalarType.Float32, lp.dtype);
    }

    [Fact]
    public void Ratio_is_clipped_on_both_sides_only_where_the_advantage_points_that_way()
    {
        // eps 0.2, eps_high 0.28. ratios 1.5, 1.5, 0.5, 0.5, 1.1 with advantages +1, -1, -1, +1, +2:
        // -min(1.5, 1.28) = -1.28 | -min(-1.5, -1.28) = 1.5 | -min(-0.5, -0.8) = 0.8 | -min(.5, .8) = -.5 | -2.2
        var ratios = new[] { 1.5, 1.5, 0.5, 0.5, 1.1 };
        using var logp = tensor(ratios.Select(r => (float)Math.Log(r)).ToArray()).reshape(5, 1);
        using var old = zeros(5, 1);
        using var adv = tensor(new float[] { 1, -1, -1, 1, 2 });
        using var loss = GrpoLoss.ClippedSurrogate(logp, old, adv, 0.2, 0.28);
        Assert.Equal(new[] { -1.28f, 1.5f, 0.8f, -0.5f, -2.2f }, Values(loss), new TolF(1e-5f));

        var (low, high) = GrpoLoss.ClippedTokens(logp, old, adv, ones(5, 1), 0.2, 0.28);
        Assert.Equal(1f, low.item<float>());   // ratio .5 with A = -1
        Assert.Equal(1f, high.item<float>());  // ratio 1.5 with A = +1
        low.Dispose(); high.Dispose();
    }

    [Fact]
    public void Symmetric_clip_uses_epsilon_for_the_upper_bound()
    {
        using var logp = tensor(new[] { (float)Math.Log(1.5) }).reshape(1, 1);
        using var loss = GrpoLoss.ClippedSurrogate(logp, zeros(1, 1), tensor(new float[] { 1 }), 0.2, 0.2);
        Assert.Equal(-1.2f, loss.item<float>(), 5);
    }

    [Fact]
    public void K3_estimator_matches_hand_value_and_is_zero_at_equal_policies()
    {
        // logp ln .5, ref ln .25: d = ln .5; e^d - d - 1 = .5 + .6931472 - 1 = .1931472
        using var logp = tensor(new[] { (float)Math.Log(0.5), -1.3f });
        using var refp = tensor(new[] { (float)Math.Log(0.25), -1.3f });
        using var kl = GrpoLoss.KlK3(logp, refp);
        Assert.Equal(new[] { 0.1931472f, 0f }, Values(kl), new TolF(1e-6f));
    }

    // per-token loss [[1,2,3,4],[5,6,0,0]] with mask [[1,1,1,0],[1,1,0,0]]: masked sum 17 over 5 tokens
    static (Tensor, Tensor) LossAndMask() =>
        (tensor(new float[] { 1, 2, 3, 4, 5, 6, 0, 0 }).reshape(2, 4), tensor(new float[] { 1, 1, 1, 0, 1, 1, 0, 0 }).reshape(2, 4));

    [Theory]
    [InlineData("grpo", 1, 3.75)]      // (6/3 + 11/2) / 2
    [InlineData("grpo", 2, 1.875)]     // divided by 2 accumulation steps
    [InlineData("bnpo", 1, 3.4)]       // 17 / 5
    [InlineData("dr_grpo", 1, 0.85)]   // 17 / (2 * max_completion_length 10)
    [InlineData("dapo", 2, 1.7)]       // 17 / 10 tokens in the whole accumulated batch; no division by steps
    public void Each_loss_type_averages_as_trl(string lossType, int accumulation, double expected)
    {
        var (loss, mask) = LossAndMask();
        using var l = GrpoLoss.Aggregate(loss, mask, lossType, maxCompletionLength: 10, totalTokensInBatch: 10, accumulation);
        Assert.Equal(expected, l.item<float>(), 5);
        loss.Dispose(); mask.Dispose();
    }

    [Fact]
    public void Entropy_of_uniform_and_of_a_quarter_three_quarter_split()
    {
        // uniform over 4: ln 4 = 1.3862944; [.25,.75]: -(.25 ln .25 + .75 ln .75) = 0.5623351
        using var logits = tensor(new float[] { 0, 0, 0, 0, 0, (float)Math.Log(3), -1e9f, -1e9f }).reshape(1, 2, 4);
        using var h = GrpoLoss.Entropy(logits);
        Assert.Equal(new[] { 1.3862944f, 0.5623351f }, Values(h), new TolF(1e-5f));
    }

    [Fact]
    public void Completion_mask_covers_tokens_up_to_the_first_eos()
    {
        int[] eos = [301];
        Assert.Equal(new float[] { 1, 1, 1, 0, 0 }, GrpoLoss.CompletionMask([5, 7, 301, 302, 302], eos, 5, false));
        Assert.Equal(new float[] { 1, 1, 1, 0 }, GrpoLoss.CompletionMask([5, 7, 8], eos, 4, false));
        Assert.Equal(new float[] { 0, 0, 0, 0 }, GrpoLoss.CompletionMask([5, 7, 8], eos, 4, true));
        Assert.Equal(new float[] { 1, 1, 1, 0 }, GrpoLoss.CompletionMask([5, 7, 301], eos, 4, true));
    }

    [Fact]
    public void Masked_mean_ignores_masked_positions()
    {
        var (loss, mask) = LossAndMask();
        using var m = GrpoLoss.MaskedMean(loss, mask);
        Assert.Equal(3.4f, m.item<float>(), 5);
        loss.Dispose(); mask.Dispose();
    }

    sealed class Tol6 : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < Tol;
        public int GetHashCode(double x) => 0;
    }

    sealed class TolF(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) < tol;
        public int GetHashCode(float x) => 0;
    }
}
