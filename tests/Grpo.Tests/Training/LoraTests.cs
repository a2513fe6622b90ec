// LoRA: a fresh adapter equals the base, switching it off gives the base back, and the merged export equals the
// adapter forward, also after a round trip through a Hugging Face folder (reference model: tests/reference/qwen2-tiny).
using Grpo.Model;
using Grpo.Training.Lora;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class LoraTests
{
    static string TinyDir => TestPaths.Reference("qwen2-tiny");
    static readonly LoraSettings Settings = new(4, 8, 0.0, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);

    static (Tensor Ids, Tensor Mask, Tensor Pos) Batch()
    {
        // two rows, the second left-padded by 3 (pad 302), ids from the ordinary range 0..299
        var ids = tensor(new long[] { 5, 17, 200, 33, 9, 120, 77, 302, 302, 302, 41, 250, 8, 64 }, [2, 7]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1 }, [2, 7]);
        return (ids, mask, Positions.FromAttentionMask(mask));
    }

    static float MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    static void RandomiseB(LoraAdapters lora, int seed)
    {
        var g = new torch.Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, layer) in lora.Layers) layer.lora_B.copy_(randn(layer.lora_B.shape, generator: g) * 0.05);
    }

    [Fact]
    public void Zero_initialised_adapter_equals_the_base_layer()
    {
        using var linear = nn.Linear(16, 8, hasBias: true);
        using var lora = new LoraLinear(linear, 4, 8, 0.0, new torch.Generator(1));
        using var x = randn(3, 16);
        using var expected = linear.forward(x);
        using var actual = lora.forward(x);
        Assert.Equal(0f, MaxAbsDiff(expected, actual));
        Assert.True(lora.lora_A.abs().sum().item<float>() > 0);   // A is random, B zero
        Assert.False(linear.weight!.requires_grad);              // the base is frozen
    }

    [Fact]
    public void Merged_linear_equals_the_adapter_forward()
    {
        using var linear = nn.Linear(16, 8, hasBias: true);
        using var lora = new LoraLinear(linear, 4, 8, 0.0, new torch.Generator(1));
        using (no_grad()) lora.lora_B.copy_(randn(8, 4));
        using var x = randn(3, 16);
        using var withAdapter = lora.forward(x);
        using var merged = lora.ToMergedLinear();
        using var y = merged.forward(x);
        Assert.True(MaxAbsDiff(withAdapter, y) < 1e-5f);
        using var baseY = linear.forward(x);
        Assert.True(MaxAbsDiff(withAdapter, baseY) > 1e-2f);       // the adapter really changes the output
    }

    [Fact]
    public void Adapted_qwen2_starts_equal_to_the_base_and_disabling_restores_the_base()
    {
        var (ids, mask, pos) = Batch();
        using var model = Qwen2ForCausalLM.FromPretrained(TinyDir);
        using var baseLogits = model.forward(ids, mask, pos);
        var lora = LoraAdapters.Apply(model, Settings, seed: 3);
        Assert.Equal(2 * 7, lora.Layers.Count);
        using var zeroInit = model.forward(ids, mask, pos);
        Assert.Equal(0f, MaxAbsDiff(baseLogits, zeroInit));

        RandomiseB(lora, 5);
        using var adapted = model.forward(ids, mask, pos);
        Assert.True(MaxAbsDiff(baseLogits, adapted) > 1e-2f);
        using var reference = lora.WithAdaptersDisabled(() => model.forward(ids, mask, pos));
        Assert.Equal(0f, MaxAbsDiff(baseLogits, reference));
        Assert.True(lora.Enabled);
        // only the adapters train
        Assert.All(model.named_parameters().Where(p => p.parameter.requires_grad), p => Assert.Contains("lora_", p.name));
    }

    [Fact]
    public void Merged_export_loads_as_a_plain_qwen2_with_the_adapter_logits()
    {
        var (ids, mask, pos) = Batch();
        var dir = Directory.CreateTempSubdirectory("lora-merged").FullName;
        try
        {
            using var model = Qwen2ForCausalLM.FromPretrained(TinyDir);
            var lora = LoraAdapters.Apply(model, Settings, seed: 3);
            RandomiseB(lora, 7);
            using var adapted = model.forward(ids, mask, pos);
            lora.SaveMerged(dir);
            using var reloaded = Qwen2ForCausalLM.FromPretrained(dir);
            using var fromExport = reloaded.forward(ids, mask, pos);
            Assert.True(MaxAbsDiff(adapted, fromExport) < 1e-4f, $"max diff {MaxAbsDiff(adapted, fromExport)}");
            // the model itself still carries its adapters after the export
            using var again = model.forward(ids, mask, pos);
            Assert.Equal(0f, MaxAbsDiff(adapted, again));
            Assert.DoesNotContain(SafeTensors.ReadHeader(Path.Combine(dir, "model.safetensors"), out _), e => e.Name.Contains("lora"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Merged_export_writes_each_projection_as_w_plus_scaled_b_a_rounded_once_in_bf16()
    {
        var dir = Directory.CreateTempSubdirectory("lora-merged-bf16").FullName;
        try
        {
            using var model = Qwen2ForCausalLM.FromPretrained(TinyDir, ScalarType.BFloat16);
            var lora = LoraAdapters.Apply(model, Settings, seed: 3);
            RandomiseB(lora, 7);
            lora.SaveMerged(dir);
            var written = new Dictionary<string, Tensor>();
            SafeTensors.ReadTensors(Path.Combine(dir, "model.safetensors"), (e, t) => written[e.Name] = t.clone().DetachFromDisposeScope());
            Assert.Equal(model.state_dict().Count - 2 * lora.Layers.Count, written.Count);   // lora_A/lora_B folded in
            foreach (var (name, layer) in lora.Layers)
            {
                // PEFT's merge: W + (alpha/r) B A in float32, then one rounding to the model's dtype.
                using var expected = layer.base_layer.weight!.to(ScalarType.Float32)
                    .add(layer.lora_B.matmul(layer.lora_A).mul(layer.Scaling)).to(ScalarType.BFloat16).to(ScalarType.Float32);
                Assert.True(expected.equal(written[$"{name}.weight"]).all().item<bool>(), name);
                if (layer.base_layer.bias is { } bias) Assert.True(bias.to(ScalarType.Float32).equal(written[$"{name}.bias"]).all().item<bool>(), name);
            }
            foreach (var t in written.Values) t.Dispose();
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Saved_adapter_loads_back_into_a_fresh_adapted_model()
    {
        var (ids, mask, pos) = Batch();
        var dir = Directory.CreateTempSubdirectory("lora-adapter").FullName;
        try
        {
            using var model = Qwen2ForCausalLM.FromPretrained(TinyDir);
            var lora = LoraAdapters.Apply(model, Settings, seed: 3);
            RandomiseB(lora, 9);
            using var expected = model.forward(ids, mask, pos);
            lora.Save(dir, TinyDir);
            Assert.True(File.Exists(Path.Combine(dir, LoraAdapters.AdapterConfigFile)));

            using var fresh = Qwen2ForCausalLM.FromPretrained(TinyDir);
            var lora2 = LoraAdapters.Apply(fresh, Settings, seed: 11);
            lora2.Load(dir);
            using var actual = fresh.forward(ids, mask, pos);
            Assert.Equal(0f, MaxAbsDiff(expected, actual));
        }
        finally { Directory.Delete(dir, true); }
    }
}
