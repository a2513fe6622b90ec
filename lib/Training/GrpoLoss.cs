// The GRPO objective as TRL's GRPOTrainer computes it, one small function per term: per-token log-probs, the
// clipped surrogate, the k3 KL estimator, each loss_type's averaging, and the logged entropy / clip_ratio.
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Training;

public static class GrpoLoss
{
    /// <summary>log_softmax(logits / temperature)[ids] in float32 without materialising the full log-softmax
    /// (TRL's selective_log_softmax). logits [B,T,V], ids [B,T] -> [B,T].</summary>
    public static Tensor SelectiveLogSoftmax(Tensor logits, Tensor ids, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        var scaled = logits.to_type(ScalarType.Float32).div(HeldScalars.Of(temperature));
        var chosen = scaled.gather(-1, ids.unsqueeze(-1)).squeeze(-1);
        return (chosen - scaled.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Entropy of softmax(logits / temperature) per position, float32. [B,T,V] -> [B,T].</summary>
    public static Tensor Entropy(Tensor logits, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        var scaled = logits.to_type(ScalarType.Float32).div(HeldScalars.Of(temperature));
        var logp = scaled.log_softmax(-1);
        return (-(logp.exp() * logp).sum(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>k3 estimator of KL(policy || reference) per token: exp(ref - logp) - (ref - logp) - 1 (always >= 0).</summary>
    public static Tensor KlK3(Tensor logp, Tensor refLogp)
    {
        using var scope = NewDisposeScope();
        var d = refLogp - logp;
        return (d.exp() - d).sub(HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Per-token clipped surrogate loss -min(r*A, clip(r, 1-eps, 1+eps_high)*A) with r = exp(logp - logp_old);
    /// advantages [B] broadcast over tokens.</summary>
    public static Tensor ClippedSurrogate(Tensor logp, Tensor oldLogp, Tensor advantages, double epsilon, double epsilonHigh)
    {
        using var scope = NewDisposeScope();
        var ratio = (logp - oldLogp).exp();
        var clipped = ratio.clamp(HeldScalars.Of(1 - epsilon), HeldScalars.Of(1 + epsilonHigh));
        var a = advantages.unsqueeze(1);
        return (-minimum(ratio * a, clipped * a)).MoveToOuterDisposeScope();
    }

    /// <summary>A micro-batch's part of the step loss, so that the sum over the micro-batches is TRL's loss of the
    /// whole batch: grpo and dr_grpo weight by the micro-batch's share of sequences (<paramref name="rows"/> of
    /// <paramref name="totalRows"/>), bnpo averages micro-batch token means, dapo divides by the tokens of the whole batch.</summary>
    public static Tensor MicroBatchShare(Tensor perTokenLoss, Tensor mask, int rows, string lossType, int maxCompletionLength,
        int totalRows, int microBatchCount, double totalTokensInBatch)
    {
        using var scalars = HeldScalars.NewScope();
        return lossType switch
        {
            "grpo" or "dr_grpo" => Aggregate(perTokenLoss, mask, lossType, maxCompletionLength, totalTokensInBatch)
                                   .mul(scalars.Of((double)rows / totalRows)),
            "bnpo" => Aggregate(perTokenLoss, mask, "bnpo", maxCompletionLength, totalTokensInBatch, microBatchCount),
            "dapo" => Aggregate(perTokenLoss, mask, "dapo", maxCompletionLength, totalTokensInBatch),
            _ => throw new BadInputException($"loss_type must be grpo, dr_grpo, bnpo or dapo (got '{lossType}')"),
        };
    }

    /// <summary>
    /// Reduces a per-token loss [B,T] under the completion mask as TRL's loss_type does:
    /// grpo = token mean per sequence, then mean over sequences; bnpo = token mean over this micro-batch;
    /// dr_grpo = sum / (B * max_completion_length); dapo = sum / (tokens of the whole accumulated batch).
    /// grpo, bnpo and dr_grpo are divided by the accumulation steps (what the Trainer does to a per-micro-batch mean);
    /// dapo's normaliser already spans all micro-batches.
    /// </summary>
    public static Tensor Aggregate(Tensor perTokenLoss, Tensor mask, string lossType, int maxCompletionLength,
        double totalTokensInBatch, int gradientAccumulationSteps = 1)
    {
        using var scope = NewDisposeScope();
        using var scalars = HeldScalars.NewScope();
        var m = mask.to_type(perTokenLoss.dtype);
        var masked = perTokenLoss * m;
        var one = HeldScalars.Of(1.0);
        var accumulation = HeldScalars.Of(gradientAccumulationSteps);
        Tensor loss = lossType switch
        {
            "grpo" => (masked.sum(1) / m.sum(1).clamp_min(one)).mean().div(accumulation),
            "bnpo" => (masked.sum() / m.sum().clamp_min(one)).div(accumulation),
            "dr_grpo" => masked.sum().div(scalars.Of((double)perTokenLoss.shape[0] * maxCompletionLength)).div(accumulation),
            "dapo" => masked.sum().div(scalars.Of(Math.Max(1.0, totalTokensInBatch))),
            _ => throw new ArgumentException($"loss_type must be grpo, dr_grpo, bnpo or dapo (got '{lossType}')"),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Mean of x over positions where mask is 1 (0 when the mask is empty).</summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to_type(x.dtype);
        return ((x * m).sum() / m.sum().clamp_min(HeldScalars.Of(1.0))).MoveToOuterDisposeScope();
    }

    /// <summary>Numbers of masked tokens where clipping is active: (low, high) as TRL's clip_ratio/low_mean and
    /// clip_ratio/high_mean count them (ratio below 1-eps with A &lt; 0, above 1+eps_high with A &gt; 0).</summary>
    public static (Tensor Low, Tensor High) ClippedTokens(Tensor logp, Tensor oldLogp, Tensor advantages, Tensor mask,
        double epsilon, double epsilonHigh)
    {
        using var scope = NewDisposeScope();
        var ratio = (logp - oldLogp).exp();
        var a = advantages.unsqueeze(1);
        var m = mask.to_type(ScalarType.Float32);
        var low = (ratio.lt(HeldScalars.Of(1 - epsilon)) & a.lt(HeldScalars.Zero)).to_type(ScalarType.Float32) * m;
        var high = (ratio.gt(HeldScalars.Of(1 + epsilonHigh)) & a.gt(HeldScalars.Zero)).to_type(ScalarType.Float32) * m;
        return (low.sum().MoveToOuterDisposeScope(), high.sum().MoveToOuterDisposeScope());
    }

    /// <summary>Completion mask for one completion: 1 up to and including the first eos id, 0 after it (TRL).
    /// With mask_truncated_completions a completion that never reached eos is masked entirely.</summary>
    public static float[] CompletionMask(IReadOnlyList<int> completionIds, IReadOnlyCollection<int> eosIds, int length,
        bool maskTruncated)
    {
        var mask = new float[length];
        bool finished = false;
        for (int t = 0; t < Math.Min(length, completionIds.Count); t++)
        {
            mask[t] = 1f;
            if (eosIds.Contains(completionIds[t])) { finished = true; break; }
        }
        if (maskTruncated && !finished) Array.Clear(mask);
        return mask;
    }
}
