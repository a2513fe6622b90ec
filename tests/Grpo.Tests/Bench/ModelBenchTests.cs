// The bench's bookkeeping: peak memory read from /proc/self/status whatever its padding (a tab alone once the number
// has 8 digits threw a FormatException after the timings were printed), and the model FLOPs it divides by.
using Grpo.Bench;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Bench;

public class ModelBenchTests
{
    [Theory]
    [InlineData("VmHWM:\t  123456 kB", 123456)]
    [InlineData("VmHWM:\t12345678 kB", 12345678)]      // 8 digits: no space between the tab and the number
    [InlineData("VmHWM:\t123456789 kB", 123456789)]
    [InlineData("VmHWM:     1024 kB", 1024)]
    public void Peak_memory_line_parses_with_any_padding(string line, long kib) =>
        Assert.Equal(kib, ModelBench.StatusKiB(line));

    [Fact]
    public void A_status_line_without_a_number_is_a_format_error_naming_the_line()
    {
        var e = Assert.Throws<FormatException>(() => ModelBench.StatusKiB("VmHWM:\tkB"));
        Assert.Contains("VmHWM", e.Message);
    }

    [Fact]
    public void This_process_peak_memory_is_read()
    {
        Assert.InRange(ModelBench.PeakRssGiB(), 0.01, 1024);
    }

    [Theory]
    [InlineData("qwen2-tiny")]        // separate lm_head
    [InlineData("qwen2-tiny-tied")]   // logits from the embedding
    public void Flops_per_token_are_two_per_matmul_weight_plus_four_hidden_per_attended_key_and_layer(string variant)
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference(variant));
        var c = model.Config;
        // Every 2-D weight is a matmul's (projections, lm_head), except the embedding, which is one only when tied.
        long matmulWeights = model.named_parameters().Where(p => p.parameter.dim() == 2 && p.name != "model.embed_tokens.weight")
            .Sum(p => p.parameter.numel()) + (c.TieWordEmbeddings ? (long)c.VocabSize * c.HiddenSize : 0);
        Assert.Equal(2.0 * matmulWeights, ModelBench.FlopsPerToken(c, 0));
        Assert.Equal(2.0 * matmulWeights + 4.0 * c.NumHiddenLayers * c.HiddenSize * 10, ModelBench.FlopsPerToken(c, 10));
    }
}
