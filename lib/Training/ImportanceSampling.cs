// Off-policy correction for completions sampled by another engine (a vLLM/SGLang server: other kernels, bf16), as TRL's
// GRPOTrainer does it (trl/trainer/grpo_trainer.py, read 2026-07: the ratio at lines 2579-2622, applied to the
// per-token loss before the KL term at 3117-3118, logged at 2779-2812): ratio = exp(trainer log-prob - sampler
// log-prob) of the old policy, per token or summed per sequence, truncated (clamped) or masked (set to 0) outside
// [clip_min, clip_max]. Also the per-step mismatch a user reads to see when engine and trainer disagree: mean and max
// |delta log p| over completion tokens (TRL's sampling/sampling_logp_difference/*), the ratios' min/mean/max, and a
// KL(sampler || trainer) estimate (k3 on the sampled tokens; not in TRL).
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Training;

public static class ImportanceSampling
{
    public static IReadOnlyList<string> Modes { get; } = ["token_truncate", "token_mask", "sequence_truncate", "sequence_mask"];

    public static bool IsSequenceLevel(string mode) => mode.StartsWith("sequence", StringComparison.Ordinal);

    /// <summary>The importance weights: [B, T] for token modes, [B, 1] for sequence modes (broadcast over the tokens).
    /// trainerLogp: the old policy's log-probs; samplerLogp: the server's; mask: the completion mask (1 = in the loss).</summary>
    public static Tensor Weights(Tensor trainerLogp, Tensor samplerLogp, Tensor mask, string mode, double? min, double? max)
    {
        using var scope = NewDisposeScope();
        var diff = (trainerLogp - samplerLogp) * mask;
        if (IsSequenceLevel(mode)) diff = diff.sum(-1, keepdim: true);
        var ratio = diff.exp();
        if (mode.EndsWith("truncate", StringComparison.Ordinal))
            ratio = ratio.clamp(min is { } lo ? HeldScalars.Of(lo) : null, max is { } hi ? HeldScalars.Of(hi) : null);
        else
        {
            var outside = zeros_like(ratio, ScalarType.Bool);
            if (min is { } lo) outside = outside.logical_or(ratio.lt(HeldScalars.Of(lo)));
            if (max is { } hi) outside = outside.logical_or(ratio.gt(HeldScalars.Of(hi)));
            ratio = ratio.masked_fill(outside, HeldScalars.Zero);
        }
        return ratio.MoveToOuterDisposeScope();
    }
}

/// <summary>Sums over one optimizer step's micro-batches of how far the sampler's log-probs are from the trainer's.</summary>
public sealed class SamplerMismatch
{
    double absSum, absMax, klSum, tokens, ratioSum, ratioCount, ratioMin = double.PositiveInfinity, ratioMax = double.NegativeInfinity;
    bool anyRatio;

    /// <summary>Adds one micro-batch: trainer and sampler log-probs [B, T], the completion mask, and the importance
    /// weights when the correction is on ([B, T] counted over masked tokens, [B, 1] over sequences).</summary>
    public void Add(Tensor trainerLogp, Tensor samplerLogp, Tensor mask, Tensor? weights)
    {
        using var scope = NewDisposeScope();
        var m = mask.to_type(ScalarType.Float32);
        var delta = (trainerLogp - samplerLogp).abs() * m;
        tokens += m.sum().item<float>();
        absSum += delta.sum().item<float>();
        absMax = Math.Max(absMax, delta.max().item<float>());
        klSum += (GrpoLoss.KlK3(samplerLogp, trainerLogp) * m).sum().item<float>();
        if (weights is null) return;
        anyRatio = true;
        var counted = weights.shape[1] == 1 ? weights.reshape(-1) : weights.masked_select(m.gt(HeldScalars.Zero));
        if (counted.numel() == 0) return;
        ratioSum += counted.sum().item<float>();
        ratioCount += counted.numel();
        ratioMin = Math.Min(ratioMin, counted.min().item<float>());
        ratioMax = Math.Max(ratioMax, counted.max().item<float>());
    }

    /// <summary>TRL's sampling/* metric names, plus sampling/kl.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics()
    {
        var m = new List<KeyValuePair<string, double>>
        {
            new(MetricNames.SamplingLogpDifferenceMean, absSum / Math.Max(1, tokens)),
            new(MetricNames.SamplingLogpDifferenceMax, absMax),
            new(MetricNames.SamplingKl, klSum / Math.Max(1, tokens)),
        };
        if (anyRatio)
        {
            bool any = ratioCount > 0;
            m.Add(new(MetricNames.ImportanceSamplingRatioMin, any ? ratioMin : 0));
            m.Add(new(MetricNames.ImportanceSamplingRatioMean, any ? ratioSum / ratioCount : 0));
            m.Add(new(MetricNames.ImportanceSamplingRatioMax, any ? ratioMax : 0));
        }
        return m;
    }
}
