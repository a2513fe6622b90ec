// Log-probs of chosen tokens (and the softmax entropy) under the LM head without full-vocabulary logits for every
// position at once: the head and the float32, temperature-scaled log-softmax run over chunks of positions, each chunk
// freed before the next, and backward recomputes a chunk's logits from the hidden states (TRL's answer to the logits'
// memory is the same idea: Liger's chunked lm_head + loss). At Qwen2.5's vocabulary (151,936) full float32 logits of
// 8 x 1,300 positions are 6 GB; a chunk of 512 positions is 311 MB.
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

public static class ChunkedLogProbs
{
    /// <summary>Positions per chunk unless a config says otherwise: 311 MB of float32 logits at Qwen2.5's vocabulary.</summary>
    public const int DefaultChunkSize = 512;

    /// <summary>
    /// log_softmax(hidden W^T / temperature)[ids] in float32, and optionally the entropy of that softmax (float32, no
    /// gradient: a metric), for hidden [.., H] in the model's dtype, weight [V, H] (the LM head) and ids [..] -> [..].
    /// chunkSize positions have their logits at a time; gradients reach hidden and weight (when they require them)
    /// through a backward that keeps no logits. chunkSize 0: the unchunked path, whose autograd keeps every
    /// position's logits for backward (what the trainers did before chunking; kept for comparison).
    /// </summary>
    public static (Tensor LogProbs, Tensor? Entropy) Compute(Tensor hidden, Tensor weight, Tensor ids, double temperature,
        int chunkSize, bool withEntropy = false)
    {
        using var scope = NewDisposeScope();
        var shape = ids.shape;
        var h = hidden.reshape(-1, hidden.shape[^1]);
        var flatIds = ids.reshape(-1);
        Tensor logp;
        Tensor? entropy;
        if (chunkSize == 0) (logp, entropy) = Unchunked(h, weight, flatIds, temperature, withEntropy);
        else if (is_grad_enabled() && (h.requires_grad || weight.requires_grad))
        {
            var outputs = Recomputing.apply(h, weight, flatIds, temperature, chunkSize, withEntropy);
            logp = outputs[0];
            entropy = withEntropy ? outputs[1].detach() : null;
        }
        else (logp, _, entropy, _) = Forward(h, weight, flatIds, temperature, chunkSize, withEntropy);
        logp = logp.reshape(shape).MoveToOuterDisposeScope();
        entropy = entropy?.reshape(shape).MoveToOuterDisposeScope();
        return (logp, entropy);
    }

    // As TRL's selective_log_softmax over full logits: logit - logsumexp, in float32 after the temperature.
    static (Tensor LogProbs, Tensor? Entropy) Unchunked(Tensor h, Tensor w, Tensor ids, double temperature, bool withEntropy)
    {
        var z = nn.functional.linear(h, w).to(ScalarType.Float32).div(HeldScalars.Of(temperature));
        var logp = z.gather(1, ids.unsqueeze(1)).squeeze(1) - z.logsumexp(-1);
        if (!withEntropy) return (logp, null);
        var logSoftmax = z.detach().log_softmax(-1);
        return (logp, -(logSoftmax.exp() * logSoftmax).sum(-1));
    }

    /// <summary>The chunk loop: per chunk the logits, their logsumexp, the chosen token's log-prob, the entropy, and
    /// when asked d logp / d hidden = ((onehot(id) - p) / temperature) W, which does not depend on the loss.</summary>
    static (Tensor LogProbs, Tensor LogSumExp, Tensor? Entropy, Tensor? HiddenGrad) Forward(Tensor h, Tensor w, Tensor ids,
        double temperature, int chunk, bool withEntropy, bool withHiddenGrad = false)
    {
        long n = h.shape[0];
        var logp = empty(n, ScalarType.Float32, h.device);
        var lse = empty(n, ScalarType.Float32, h.device);
        var entropy = withEntropy ? empty(n, ScalarType.Float32, h.device) : null;
        var hiddenGrad = withHiddenGrad ? empty_like(h) : null;
        for (long s = 0; s < n; s += chunk)
        {
            using var scope = NewDisposeScope();
            long len = Math.Min(chunk, n - s);
            var chunkIds = ids.narrow(0, s, len).unsqueeze(1);
            var z = ScaledLogits(h.narrow(0, s, len), w, temperature);
            var l = z.logsumexp(-1);
            lse.narrow(0, s, len).copy_(l);
            logp.narrow(0, s, len).copy_(z.gather(1, chunkIds).squeeze(1).sub_(l));
            if (entropy is null && hiddenGrad is null) continue;
            var logSoftmax = z.sub_(l.unsqueeze(1));
            var p = logSoftmax.exp();
            entropy?.narrow(0, s, len).copy_(p.mul(logSoftmax).sum(-1).neg_());
            if (hiddenGrad is not null)
            {
                var dz = p.neg_().scatter_add_(1, chunkIds, ones([len, 1], ScalarType.Float32, h.device));
                if (temperature != 1.0) dz.div_(HeldScalars.Of(temperature));
                hiddenGrad.narrow(0, s, len).copy_(dz.to(w.dtype).matmul(w));
            }
        }
        return (logp, lse, entropy, hiddenGrad);
    }

    /// <summary>Logits of one chunk in float32, divided by the temperature (as TRL scales them before the log-softmax).</summary>
    static Tensor ScaledLogits(Tensor h, Tensor w, double temperature)
    {
        // to(Float32) of a float32 matmul result is the same fresh tensor, so the in-place division is safe.
        var z = nn.functional.linear(h, w).to(ScalarType.Float32);
        return temperature == 1.0 ? z : z.div_(HeldScalars.Of(temperature));
    }

    /// <summary>
    /// The autograd function. With a frozen LM head (LoRA) forward also computes d logp / d hidden per position
    /// ([N, H], small) and backward only scales it by the incoming gradient: nothing is recomputed. With a trained head,
    /// forward keeps hidden, weight, ids and the per-position logsumexp (not the logits), and backward recomputes each
    /// chunk's softmax p for d logp / d z = (onehot(id) - p) / temperature and both matmuls.
    /// </summary>
    sealed class Recomputing : autograd.MultiTensorFunction<Recomputing>
    {
        public override string Name => "ChunkedLogProbs";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (h, w, ids) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
            var (temperature, chunk, withEntropy) = ((double)vars[3], (int)vars[4], (bool)vars[5]);
            bool frozenHead = !w.requires_grad;
            var (logp, lse, entropy, hiddenGrad) = Forward(h, w, ids, temperature, chunk, withEntropy, withHiddenGrad: frozenHead);
            ctx.save_for_backward(frozenHead ? [hiddenGrad!] : [h, w, ids, lse]);
            ctx.set_materialize_grads(false);   // see ActivationCheckpoint: TorchSharp's zero-filled stand-ins can be freed by then
            ctx.save_data("temperature", temperature);
            ctx.save_data("chunk", chunk);
            ctx.save_data("frozen_head", frozenHead);
            ctx.save_data("hidden_grad", h.requires_grad);
            return entropy is null ? [logp] : [logp, entropy];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            if (gradOutputs[0].IsInvalid) return [null!, null!, null!, null!, null!, null!];   // the log-probs were not used
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var g = gradOutputs[0].to(ScalarType.Float32);
            // One entry per forward argument: hidden, weight, ids, temperature, chunk, withEntropy.
            if ((bool)ctx.get_data("frozen_head"))
            {
                var hiddenGrad = saved[0];
                return [hiddenGrad.to(ScalarType.Float32).mul_(g.unsqueeze(1)).to(hiddenGrad.dtype).MoveToOuterDisposeScope(), null!, null!, null!, null!, null!];
            }
            var (h, w, ids, lse) = (saved[0], saved[1], saved[2], saved[3]);
            var temperature = (double)ctx.get_data("temperature");
            var chunk = (int)ctx.get_data("chunk");
            // d loss / d z where z = logits / temperature, then / temperature once more for d loss / d logits.
            if (temperature != 1.0) g = g.div(HeldScalars.Of(temperature));
            long n = h.shape[0];
            var dh = (bool)ctx.get_data("hidden_grad") ? empty_like(h) : null;
            // Accumulated over chunks in float32 (one bf16 rounding at the end, as a single matmul would round once).
            var dw = zeros(w.shape, ScalarType.Float32, w.device);
            for (long s = 0; s < n; s += chunk)
            {
                using var chunkScope = NewDisposeScope();
                long len = Math.Min(chunk, n - s);
                var hc = h.narrow(0, s, len);
                var gc = g.narrow(0, s, len).unsqueeze(1);
                var p = ScaledLogits(hc, w, temperature).sub_(lse.narrow(0, s, len).unsqueeze(1)).exp_();
                var dz = p.mul_(gc.neg()).scatter_add_(1, ids.narrow(0, s, len).unsqueeze(1), gc);
                var dLogits = dz.to(w.dtype);
                dh?.narrow(0, s, len).copy_(dLogits.matmul(w));
                dw.add_(dLogits.t().matmul(hc).to(ScalarType.Float32), HeldScalars.One);
            }
            var dwOut = dw.to(w.dtype).MoveToOuterDisposeScope();
            dh?.MoveToOuterDisposeScope();
            // A null entry is TorchSharp's "no gradient for this input".
            return [dh!, dwOut, null!, null!, null!, null!];
        }
    }
}
