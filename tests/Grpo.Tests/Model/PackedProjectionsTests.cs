// q/k/v and gate/up run as one packed matmul when no gradient is needed: that must give the logits of the separate
// projections, follow in-place weight updates, and step aside for LoRA wrappers and replaced weights
// (reference model: tests/reference/qwen2-tiny).
using Grpo.Model;
using Grpo.Torch;
using Grpo.Training.Lora;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class PackedProjectionsTests
{
    static Qwen2ForCausalLM Load() => Qwen2ForCausalLM.FromPretrained(TestPaths.Reference("qwen2-tiny"));

    // The packed path runs under no_grad; with gradients on every projection runs on its own.
    static (Tensor Packed, Tensor Separate) Logits(Qwen2ForCausalLM model)
    {
        var ids = tensor(new long[] { 302, 302, 5, 17, 200, 33, 9, 120 }, [2, 4]);
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1 }, [2, 4]);
        var positions = Positions.FromAttentionMask(mask);
        Tensor packed;
        using (no_grad()) packed = model.forward(ids, mask, positions);
        using var grad = enable_grad();
        return (packed, model.forward(ids, mask, positions).detach());
    }

    static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void Packed_projections_give_the_logits_of_the_separate_ones_and_the_hf_parameter_names()
    {
        using var model = Load();
        var (packed, separate) = Logits(model);
        Assert.True(MaxAbsDiff(packed, separate) < 1e-5f);
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", model.state_dict().Keys);
        Assert.Contains("model.layers.1.mlp.up_proj.weight", model.state_dict().Keys);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("packed", StringComparison.OrdinalIgnoreCase) || k.Contains("qkv"));
    }

    [Fact]
    public void An_in_place_update_of_one_projection_reaches_the_packed_matmul()
    {
        using var model = Load();
        var (before, _) = Logits(model);
        using (no_grad())
        {
            var k = model.model.layers[0].self_attn.k_proj.parameters().First();
            k.add_(ones_like(k).mul(HeldScalars.Of(0.05)), alpha: HeldScalars.One);
            model.model.layers[1].mlp.up_proj.parameters().First().mul_(HeldScalars.Of(1.5));
        }
        var (packed, separate) = Logits(model);
        Assert.True(MaxAbsDiff(before, packed) > 1e-3f);
        Assert.True(MaxAbsDiff(packed, separate) < 1e-5f);
    }

    [Fact]
    public void Lora_wrapped_and_replaced_projections_are_not_bypassed()
    {
        using var model = Load();
        var lora = LoraAdapters.Apply(model, new LoraSettings(4, 8, 0.0, ["q_proj", "up_proj"]), seed: 3);
        using (no_grad())
            foreach (var (_, layer) in lora.Layers) layer.lora_B.copy_(randn(layer.lora_B.shape, generator: new torch.Generator(5)).mul(HeldScalars.Of(0.05)));
        var (packed, separate) = Logits(model);
        Assert.True(MaxAbsDiff(packed, separate) < 1e-5f);
        var (basePacked, _) = lora.WithAdaptersDisabled(() => Logits(model));
        Assert.True(MaxAbsDiff(packed, basePacked) > 1e-3f);

        // A new weight tensor (as Module.to would set) is used as it is, not the packed copy.
        using var plain = Load();
        var v = (TorchSharp.Modules.Linear)plain.model.layers[0].self_attn.v_proj;
        using (no_grad()) v.weight = new TorchSharp.Modules.Parameter(v.weight.mul(HeldScalars.Of(2.0)));
        var (p2, s2) = Logits(plain);
        Assert.True(MaxAbsDiff(p2, s2) < 1e-5f);
    }
}
