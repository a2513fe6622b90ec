// Picks each row's next token from its logits: greedy (argmax), or sampled as transformers' logits warpers do
// (temperature, top-k, top-p) by inverse CDF with one uniform number per row. The uniform comes from a counter-based
// stream keyed by (seed, stream, step), so what a row draws depends on nothing else in the batch: sharing a prefill,
// dropping finished rows or splitting rows over batches cannot change a sample.
using Grpo.Torch;
using static TorchSharp.torch;

namespace Grpo.Model;

public static class TokenSampler
{
    /// <summary>Next token ids [R] for logits [R,V]. uniforms: one per row in [0,1) (ignored when greedy).</summary>
    public static Tensor Pick(Tensor logits, GenerationOptions o, float[] uniforms)
    {
        if (o.Greedy) return logits.argmax(-1);
        using var u = tensor(uniforms, [uniforms.Length], device: logits.device);
        return Pick(logits, o, u);
    }

    /// <summary>The same with the uniforms [R] already on the logits' device (the generator uploads a whole
    /// generation's uniforms once, so a step copies nothing to the device).</summary>
    public static Tensor Pick(Tensor logits, GenerationOptions o, Tensor uniforms)
    {
        if (o.Greedy) return logits.argmax(-1);
        using var scope = NewDisposeScope();
        var probs = Filtered(Scores(logits, o), o).softmax(-1);
        // Inverse CDF: the first token whose cumulative probability reaches (1 - u) of the total. 1 - u is in (0, 1],
        // so the target is above 0 (a token of probability 0 before the first kept one is never reached) and at most
        // the total (no index past the end when the product rounds up).
        var cdf = probs.cumsum(-1);
        var oneMinusU = uniforms.neg().add_(HeldScalars.One, HeldScalars.One).unsqueeze(1);   // 1 - u, exact in float32
        var target = cdf.narrow(-1, cdf.shape[^1] - 1, 1).mul(oneMinusU);
        return searchsorted(cdf, target).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>log softmax(logits / T) of the chosen tokens [R], float32: the policy's log-probs, before any top-k/top-p
    /// filtering (as the GRPO loss computes them).</summary>
    public static Tensor LogProbs(Tensor logits, Tensor chosen, GenerationOptions o)
    {
        using var scope = NewDisposeScope();
        var scores = Scores(logits, o);
        return scores.gather(-1, chosen.unsqueeze(-1)).squeeze(-1).sub(scores.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    // Float32 as transformers (logits.float()), divided by the temperature (greedy: none).
    static Tensor Scores(Tensor logits, GenerationOptions o)
    {
        var scores = logits.to(ScalarType.Float32);
        return o.Greedy || o.Temperature == 1f ? scores : scores.div(HeldScalars.Of(o.Temperature));
    }

    // As transformers' logits warpers, in this order: top-k, then top-p (on temperature-scaled scores).
    static Tensor Filtered(Tensor scores, GenerationOptions o)
    {
        var minusInfinity = HeldScalars.Of(float.NegativeInfinity);
        var s = scores;
        if (o.TopK > 0 && o.TopK < s.shape[^1])
        {
            var kth = s.topk(o.TopK, -1).values.narrow(-1, o.TopK - 1, 1);
            s = s.masked_fill(s.lt(kth), minusInfinity);
        }
        if (o.TopP < 1f)
        {
            // TopPLogitsWarper: sort ascending, drop tokens whose cumulative probability <= 1 - top_p, keep the top one.
            var (sorted, idx) = s.sort(-1, descending: false);
            var cum = sorted.softmax(-1).cumsum(-1);
            var remove = cum.le(HeldScalars.Of(1 - o.TopP));
            remove.select(-1, remove.shape[^1] - 1).fill_(HeldScalars.Zero);   // false
            var removeOrig = remove.scatter(-1, idx, remove);
            s = s.masked_fill(removeOrig, minusInfinity);
        }
        return s;
    }

    /// <summary>The uniform in [0,1) that stream <paramref name="stream"/> of <paramref name="seed"/> draws at
    /// <paramref name="step"/>: SplitMix64's mixer applied to the three numbers in turn, 24 bits (exact in a float).</summary>
    public static float Uniform(long seed, long stream, int step)
    {
        ulong h = Mix((ulong)seed);
        h = Mix(h ^ (ulong)stream);
        h = Mix(h ^ (ulong)step);
        return (h >> 40) * (1f / (1 << 24));
    }

    // SplitMix64 (Steele, Lea, Flood 2014): add the golden-ratio increment, then the variant-13 finaliser.
    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
