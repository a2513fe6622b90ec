// TRL's sync_ref_model (SyncRefModelCallback, after TR-DPO): every ref_model_sync_steps the reference moves towards the
// policy, ref = alpha * policy + (1 - alpha) * ref, so the KL term anchors to a recent policy rather than the base.
using Grpo.Model;
using Grpo.Torch;
using static TorchSharp.torch;

namespace Grpo.Training;

static class ReferenceModelSync
{
    /// <summary>Mixes <paramref name="policy"/>'s weights into <paramref name="reference"/>'s in place (ref_model_mixup_alpha).</summary>
    public static void MixTowards(Qwen2ForCausalLM reference, Qwen2ForCausalLM policy, double alpha, RunLog log)
    {
        using var _ = no_grad();
        using var scalars = HeldScalars.NewScope();
        var (kept, mixed) = (scalars.Of(1 - alpha), scalars.Of(alpha));
        var policyWeights = policy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, r) in reference.named_parameters())
            r.mul_(kept).add_(policyWeights[name], mixed);
        log.Info($"reference model synced to the policy (alpha {alpha})");
    }
}
