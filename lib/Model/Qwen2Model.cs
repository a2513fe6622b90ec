// The Qwen2 decoder (transformers' modeling_qwen2 semantics, listed in tests/reference/README.md) as TorchSharp modules whose field names are
// Hugging Face's, so state_dict() names are checkpoint names (model.layers.0.self_attn.q_proj.weight ...).
using Grpo.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Grpo.Model;

/// <summary>As transformers' Qwen2RMSNorm: normalised in float32, then multiplied by the weight (no +1 offset).</summary>
public sealed class Qwen2RMSNorm : Module<Tensor, Tensor>
{
    public Parameter weight;
    readonly Scalar eps;

    public Qwen2RMSNorm(int size, double eps, ScalarType dtype, Device device) : base("Qwen2RMSNorm")
    {
        weight = new Parameter(ones(size, dtype, device));
        this.eps = HeldScalars.Of(eps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.to(ScalarType.Float32);
        var variance = h.pow(HeldScalars.Two).mean([-1L], keepdim: true);
        h = h * rsqrt(variance.Plus(eps));
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>Rotary tables (cos, sin) for positions 0..max-1, float32, rotate-half layout [f0..f(d/2-1), f0..f(d/2-1)].</summary>
public sealed class Qwen2Rotary : IDisposable
{
    Tensor cos, sin;
    readonly double theta;
    readonly int headDim;
    readonly Device device;

    public Qwen2Rotary(int headDim, double theta, int maxPositions, Device device)
    {
        this.headDim = headDim; this.theta = theta; this.device = device;
        (cos, sin) = Build(maxPositions);
    }

    (Tensor, Tensor) Build(int n)
    {
        using var scope = NewDisposeScope();
        using var scalars = HeldScalars.NewScope();
        // As transformers: inv_freq = 1 / theta^(arange(0, d, 2) / d), computed in float32.
        var exponent = arange(HeldScalars.Zero, scalars.Of(headDim), HeldScalars.Two, ScalarType.Int64, device)
            .to(ScalarType.Float32).div(scalars.Of(headDim));
        var invFreq = pow(full(exponent.shape, scalars.Of((float)theta), ScalarType.Float32, device), exponent).reciprocal();
        var t = arange(HeldScalars.Zero, scalars.Of(n), HeldScalars.One, ScalarType.Int64, device).to(ScalarType.Float32);
        var freqs = outer(t, invFreq);
        var emb = cat([freqs, freqs], -1);
        // Owned by this object (disposed in Dispose), never by a caller's dispose scope.
        return (emb.cos().DetachFromDisposeScope(), emb.sin().DetachFromDisposeScope());
    }

    /// <summary>cos, sin [B, 1, T, d] in dtype for position_ids [B, T] (no host sync: positions must be below the table size).</summary>
    public (Tensor Cos, Tensor Sin) At(Tensor positionIds, ScalarType dtype)
    {
        if (cos.device != positionIds.device)
        {
            var (c, s) = (cos, sin);
            (cos, sin) = (c.to(positionIds.device).DetachFromDisposeScope(), s.to(positionIds.device).DetachFromDisposeScope());
            c.Dispose(); s.Dispose();
        }
        var flat = positionIds.reshape(-1);
        var shape = new long[] { positionIds.shape[0], 1, positionIds.shape[1], headDim };
        return (cos.index_select(0, flat).reshape(shape).to(dtype), sin.index_select(0, flat).reshape(shape).to(dtype));
    }

    public void Dispose() { cos.Dispose(); sin.Dispose(); }
}

public sealed class Qwen2Attention : Module<Tensor, Tensor>
{
    // Projections are held as Module<Tensor,Tensor> so that LoRA (or any wrapper) can replace them.
    public Module<Tensor, Tensor> q_proj, k_proj, v_proj, o_proj;
    readonly PackedProjections qkv;
    readonly int heads, kvHeads, headDim;

    public Qwen2Attention(Qwen2Config c, ScalarType dtype, Device device) : base("Qwen2Attention")
    {
        heads = c.NumAttentionHeads; kvHeads = c.NumKeyValueHeads; headDim = c.HeadDim;
        qkv = new PackedProjections(c.HiddenSize, [heads * headDim, kvHeads * headDim, kvHeads * headDim], hasBias: true, dtype, device);
        (q_proj, k_proj, v_proj) = (qkv[0], qkv[1], qkv[2]);
        o_proj = Linear(heads * headDim, c.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Forward(x, rope, mask, cache, layer)");

    /// <summary>x [B,T,H]; cos/sin [B,1,T,d]; mask additive, [B,1,g*T,K] (already folded for GQA) or broadcastable
    /// to it; cache optional (a decoding cache: K = its filled slots after appending these T; or a training forward's
    /// record of a shared prompt).</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, IAttentionKeys? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var projections = qkv.Applies([q_proj, k_proj, v_proj]) ? qkv.Forward(x) : [q_proj.forward(x), k_proj.forward(x), v_proj.forward(x)];
        var q = projections[0].view(b, t, heads, headDim).transpose(1, 2);
        var k = projections[1].view(b, t, kvHeads, headDim).transpose(1, 2);
        var v = projections[2].view(b, t, kvHeads, headDim).transpose(1, 2);
        q = (q * cos).Plus(RotateHalf(q) * sin);
        k = (k * cos).Plus(RotateHalf(k) * sin);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        // GQA: KV head j serves query heads j*g .. j*g+g-1. Folding those g query heads into the query-length axis
        // gives the same result as repeat-interleaving K/V (transformers' repeat_kv) without copying the cache.
        int g = heads / kvHeads;
        var qf = q.reshape(b, kvHeads, g * t, headDim);
        var o = functional.scaled_dot_product_attention(qf, k, v, attn_mask: mask);
        o = o.reshape(b, heads, t, headDim).transpose(1, 2).reshape(b, t, heads * headDim);
        return o_proj.forward(o).MoveToOuterDisposeScope();
    }

    static Tensor RotateHalf(Tensor x)
    {
        var half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) qkv.Dispose();
        base.Dispose(disposing);
    }
}

public sealed class Qwen2MLP : Module<Tensor, Tensor>
{
    public Module<Tensor, Tensor> gate_proj, up_proj, down_proj;
    readonly PackedProjections gateUp;

    public Qwen2MLP(Qwen2Config c, ScalarType dtype, Device device) : base("Qwen2MLP")
    {
        gateUp = new PackedProjections(c.HiddenSize, [c.IntermediateSize, c.IntermediateSize], hasBias: false, dtype, device);
        (gate_proj, up_proj) = (gateUp[0], gateUp[1]);
        down_proj = Linear(c.IntermediateSize, c.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (gate, up) = gateUp.Applies([gate_proj, up_proj]) && gateUp.Forward(x) is [var g, var u] ? (g, u) : (gate_proj.forward(x), up_proj.forward(x));
        return down_proj.forward(functional.silu(gate) * up).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) gateUp.Dispose();
        base.Dispose(disposing);
    }
}

public sealed class Qwen2DecoderLayer : Module<Tensor, Tensor>
{
    public Qwen2Attention self_attn;
    public Qwen2MLP mlp;
    public Qwen2RMSNorm input_layernorm, post_attention_layernorm;

    public Qwen2DecoderLayer(Qwen2Config c, ScalarType dtype, Device device) : base("Qwen2DecoderLayer")
    {
        self_attn = new Qwen2Attention(c, dtype, device);
        mlp = new Qwen2MLP(c, dtype, device);
        input_layernorm = new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        post_attention_layernorm = new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Forward");

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, IAttentionKeys? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(self_attn.Forward(input_layernorm.forward(x), cos, sin, mask, cache, layer));
        return h.Plus(mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>The decoder stack (transformers' Qwen2Model): embed_tokens, layers, norm.</summary>
public sealed class Qwen2Model : Module<Tensor, Tensor>
{
    public Embedding embed_tokens;
    public ModuleList<Qwen2DecoderLayer> layers;
    public Qwen2RMSNorm norm;

    public Qwen2Model(Qwen2Config c, ScalarType dtype, Device device) : base("Qwen2Model")
    {
        embed_tokens = Embedding(c.VocabSize, c.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<Qwen2DecoderLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new Qwen2DecoderLayer(c, dtype, device)).ToArray());
        norm = new Qwen2RMSNorm(c.HiddenSize, c.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Qwen2ForCausalLM.forward");
}
