// Evaluating a run loads every checkpoint into one model object and builds its tokenizer once: the reused model must
// compute exactly what a freshly loaded one does, and a different shape must get a model of its own.
using Grpo.Model;
using Grpo.Torch;
using Grpo.Tests.BadInput;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public sealed class ReusableModelTests : IDisposable
{
    readonly RandomModelFolder first = new(), second = new();

    public ReusableModelTests()
    {
        // The second folder: the same config and tokenizer, other weights.
        using var other = new Qwen2ForCausalLM(RandomModelFolder.Config);
        other.InitWeights(seed: 2);
        other.SavePretrained(second.Dir);
    }

    public void Dispose() { first.Dispose(); second.Dispose(); }

    static Tensor Logits(Qwen2ForCausalLM model)
    {
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 17, 200, 33 }, [1, 4]);
        return model.forward(ids, ones_like(ids), arange(HeldScalars.Zero, HeldScalars.Of(4L), HeldScalars.One).unsqueeze(0));
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Fact]
    public void Each_folder_loads_into_the_same_model_with_the_logits_of_a_fresh_load()
    {
        using var models = new ReusableModel();
        var a = models.Load(first.Dir, ScalarType.Float32, CPU);
        using var aLogits = Logits(a);
        var b = models.Load(second.Dir, ScalarType.Float32, CPU);
        Assert.Same(a, b);
        using var fresh = Qwen2ForCausalLM.FromPretrained(second.Dir);
        Assert.True(Same(Logits(b), Logits(fresh)));
        Assert.False(Same(Logits(b), aLogits));
        Assert.True(Same(Logits(models.Load(first.Dir, ScalarType.Float32, CPU)), aLogits));
    }

    [Fact]
    public void Another_shape_or_dtype_gets_a_new_model()
    {
        using var models = new ReusableModel();
        var a = models.Load(first.Dir, ScalarType.Float32, CPU);
        var bf16 = models.Load(first.Dir, ScalarType.BFloat16, CPU);
        Assert.NotSame(a, bf16);
        Assert.Equal(ScalarType.BFloat16, bf16.Dtype);

        using var wider = new Qwen2ForCausalLM(RandomModelFolder.Config with { IntermediateSize = 96 });
        wider.SavePretrained(second.Dir);
        var c = models.Load(second.Dir, ScalarType.BFloat16, CPU);
        Assert.NotSame(bf16, c);
        Assert.Equal(96, c.Config.IntermediateSize);
    }

    [Fact]
    public void Folders_with_the_same_tokenizer_files_share_one_tokenizer_and_a_changed_file_gets_its_own()
    {
        Assert.Same(QwenTokenizer.FromFolder(first.Dir), QwenTokenizer.FromFolder(second.Dir));
        var config = Path.Combine(second.Dir, "generation_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("301", "302"));
        Assert.NotSame(QwenTokenizer.FromFolder(first.Dir), QwenTokenizer.FromFolder(second.Dir));
    }
}
