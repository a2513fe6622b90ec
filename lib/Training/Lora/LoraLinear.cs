// LoRA (Hu et al. 2021, as PEFT implements it): y = base(x) + (dropout(x) A^T B^T) * alpha/r around a frozen Linear.
// A is kaiming-uniform and B zero, so a fresh adapter computes exactly the base layer.
using Grpo.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Grpo.Training.Lora;

public sealed class LoraLinear : Module<Tensor, Tensor>
{
    public Linear base_layer;
    public Parameter lora_A;   // [r, in]  (PEFT's lora_A.weight)
    public Parameter lora_B;   // [out, r] (PEFT's lora_B.weight)
    readonly double dropout;
    readonly Scalar keepScale;              // 1 / (1 - dropout)
    readonly torch.Generator? dropoutStream;
    readonly Scalar scaling;

    public int Rank { get; }
    public double Scaling { get; }

    /// <summary>When false the layer is the base layer alone: the reference policy without a second model copy.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Adapters are kept in float32 (master weights) whatever the base dtype; they are cast per forward.
    /// generator: draws lora_A's initial values; dropoutStream: dropout masks (null: the default generator).</summary>
    public LoraLinear(Linear baseLayer, int rank, double alpha, double dropout, torch.Generator? generator = null,
        torch.Generator? dropoutStream = null)
        : base("LoraLinear")
    {
        if (rank <= 0) throw new ArgumentException($"LoRA rank must be > 0 (got {rank})");
        base_layer = baseLayer;
        foreach (var p in base_layer.parameters()) p.requires_grad = false;
        var w = baseLayer.weight!;
        long outFeatures = w.shape[0], inFeatures = w.shape[1];
        Rank = rank;
        Scaling = alpha / rank;
        scaling = HeldScalars.Of(Scaling);
        // kaiming_uniform_(a=sqrt(5)) as PEFT: bound = gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)) = 1/sqrt(fan_in)
        double bound = 1.0 / Math.Sqrt(inFeatures);
        using (no_grad())
        {
            var a = rand([rank, inFeatures], ScalarType.Float32, CPU, generator: generator)
                .mul(HeldScalars.Of(2 * bound)).sub(HeldScalars.Of(bound));
            lora_A = new Parameter(a.to(w.device), requires_grad: true);
            lora_B = new Parameter(zeros([outFeatures, rank], ScalarType.Float32, w.device), requires_grad: true);
        }
        this.dropout = dropout;
        keepScale = HeldScalars.Of(1 / (1 - dropout));
        this.dropoutStream = dropoutStream;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = base_layer.forward(x);
        if (!Enabled) return y;
        using var scope = NewDisposeScope();
        var h = training && dropout > 0 ? Dropout(x) : x;
        var delta = functional.linear(functional.linear(h, lora_A.to(x.dtype)), lora_B.to(x.dtype)).mul(scaling);
        return y.add_(delta, alpha: HeldScalars.One).MoveToOuterDisposeScope();
    }

    // As torch's dropout on CPU (x * bernoulli(1 - p) / (1 - p) drawn into empty_like(x)), so the same seed gives the
    // same masks, but from a generator the adapters own: gradient checkpointing replays it (ActivationCheckpoint).
    Tensor Dropout(Tensor x)
    {
        using var scope = NewDisposeScope();
        var keep = empty_like(x).bernoulli_(1 - dropout, dropoutStream).mul_(keepScale);
        return (x * keep).MoveToOuterDisposeScope();
    }

    /// <summary>W + (alpha/r) B A in float32, cast to the base dtype: the weight of the equivalent plain Linear.</summary>
    public Tensor MergedWeight()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var w = base_layer.weight!;
        // (B A) alpha/r + W in place, in float32: the same bits as W + (B A) alpha/r (addition commutes), without a
        // float32 copy of W beside it (a 7B gate_proj's is 270 MB).
        var merged = lora_B.matmul(lora_A).mul_(scaling).add_(w, HeldScalars.One);
        return merged.to(w.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>A new plain Linear whose output equals this layer's (adapters enabled, no dropout).</summary>
    public Linear ToMergedLinear()
    {
        var w = base_layer.weight!;
        var merged = Linear(w.shape[1], w.shape[0], hasBias: base_layer.bias is not null, device: w.device, dtype: w.dtype);
        using var _ = no_grad();
        using var mw = MergedWeight();
        merged.weight!.copy_(mw);
        if (base_layer.bias is not null) merged.bias!.copy_(base_layer.bias);
        foreach (var p in merged.parameters()) p.requires_grad = false;
        return merged;
    }
}
