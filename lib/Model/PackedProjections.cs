// Projections of the same input (q/k/v, gate/up) computed as one matmul when nothing needs their gradients. Each stays
// a Linear under its Hugging Face name (state_dict, safetensors, LoRA's ReplaceProjection); their weights are row
// views of one packed tensor, so a weight load or an optimizer step writes the packed copy too.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Grpo.Model;

// Not a Module: its owner's RegisterComponents must not see the packed tensors (state_dict keeps only HF names).
sealed class PackedProjections : IDisposable
{
    readonly Linear[] parts;
    readonly Parameter[] weights;
    readonly Tensor weight;
    readonly Tensor? bias;
    readonly long[] sizes;

    /// <summary>Linears x -> [outFeatures[i]] whose weights (and biases) share one packed tensor.</summary>
    public PackedProjections(long inFeatures, long[] outFeatures, bool hasBias, ScalarType dtype, Device device)
    {
        sizes = outFeatures;
        weight = empty([outFeatures.Sum(), inFeatures], dtype, device).DetachFromDisposeScope();
        bias = hasBias ? empty([outFeatures.Sum()], dtype, device).DetachFromDisposeScope() : null;
        parts = new Linear[outFeatures.Length];
        weights = new Parameter[outFeatures.Length];
        long offset = 0;
        using var _ = no_grad();
        for (int i = 0; i < parts.Length; i++)
        {
            // A plain Linear (its usual initialisation), then moved onto its rows of the packed tensor.
            var linear = Linear(inFeatures, outFeatures[i], hasBias, device, dtype);
            var w = weight.narrow(0, offset, outFeatures[i]);
            w.copy_(linear.weight);
            linear.weight = weights[i] = new Parameter(w);
            if (bias is not null)
            {
                var b = bias.narrow(0, offset, outFeatures[i]);
                b.copy_(linear.bias!);
                linear.bias = new Parameter(b);
            }
            parts[i] = linear;
            offset += outFeatures[i];
        }
    }

    public Linear this[int i] => parts[i];

    /// <summary>True when the packed matmul equals the current projections: no gradient is needed, and each projection
    /// is still its plain Linear on the packed weights (not wrapped by LoRA, not replaced by a weight copy).</summary>
    public bool Applies(Module<Tensor, Tensor>[] current)
    {
        for (int i = 0; i < parts.Length; i++)
            if (!ReferenceEquals(current[i], parts[i]) || !ReferenceEquals(parts[i].weight, weights[i])) return false;
        return !is_grad_enabled();
    }

    /// <summary>Every projection of x [.., in], split along the last dimension (views of one output).</summary>
    public Tensor[] Forward(Tensor x) => functional.linear(x, weight, bias).split(sizes, -1);

    public void Dispose()
    {
        weight.Dispose();
        bias?.Dispose();
    }
}
