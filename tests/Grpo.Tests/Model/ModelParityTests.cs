// Qwen2ForCausalLM against Hugging Face transformers' own outputs (tests/reference/*/cases.json), both variants
// (untied, tied without lm_head.weight), F32 and BF16 weight files.
using Grpo.Model;
using TorchSharp;
using Xunit;
using static Grpo.Tests.Model.ReferenceCases;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class ModelParityTests
{
    const float LogitTol = 1e-4f;

    static Qwen2ForCausalLM Load(string variant, string weights = "model.safetensors")
    {
        if (weights == "model.safetensors") return Qwen2ForCausalLM.FromPretrained(ModelDir(variant));
        // A folder whose model.safetensors is the BF16 file.
        var dir = Path.Combine(Path.GetTempPath(), $"grpo-bf16-{variant}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(ModelDir(variant), "config.json"), Path.Combine(dir, "config.json"), true);
        File.Copy(Path.Combine(ModelDir(variant), weights), Path.Combine(dir, "model.safetensors"), true);
        return Qwen2ForCausalLM.FromPretrained(dir);
    }

    static void AssertClose(float[] expected, float[] actual, float tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst <= tol, $"{what}: max abs diff {worst} at {at} (expected {expected[Math.Max(at, 0)]}, got {actual[Math.Max(at, 0)]})");
    }

    static Tensor T(long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Unpadded_forward_matches_transformers_logits(string variant)
    {
        using var model = Load(variant);
        var c = Cases(variant)["forward_unpadded"]!;
        using var ids = T(Ints(c["input_ids"]!));
        using var mask = T(Ints(c["attention_mask"]!));
        using var logits = model.forward(ids, mask, Positions.FromAttentionMask(mask));
        AssertClose(Flat(c["logits"]!), logits.data<float>().ToArray(), LogitTol, variant);
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Bf16_weight_file_is_read_and_widened(string variant)
    {
        using var model = Load(variant, "model.bf16.safetensors");
        var c = Cases(variant)["forward_bf16_weights"]!;
        using var ids = T(Ints(c["input_ids"]!));
        using var logits = model.forward(ids, ones_like(ids), Positions.FromAttentionMask(ones_like(ids)));
        AssertClose(Flat(c["logits"]!), logits.data<float>().ToArray(), LogitTol, variant);
    }

    [Theory]
    [InlineData("qwen2-tiny", "forward_left_padded", true)]
    [InlineData("qwen2-tiny-tied", "forward_left_padded", true)]
    [InlineData("qwen2-tiny", "forward_left_padded_default_positions", false)]
    [InlineData("qwen2-tiny-tied", "forward_left_padded_default_positions", false)]
    public void Left_padded_forward_matches_at_valid_positions(string variant, string caseName, bool generatePositions)
    {
        using var model = Load(variant);
        var c = Cases(variant)[caseName]!;
        using var ids = T(Ints(c["input_ids"]!));
        using var mask = T(Ints(c["attention_mask"]!));
        using var pos = generatePositions ? Positions.FromAttentionMask(mask) : arange(ids.shape[1]).unsqueeze(0).expand(ids.shape[0], -1);
        if (generatePositions)
            Assert.Equal(Ints(c["position_ids"]!).SelectMany(r => r), pos.data<long>().ToArray());
        using var logits = model.forward(ids, mask, pos);
        var valid = Ints(c["valid_positions"]!);
        var expected = c["logits_at_valid_positions"]!.AsArray();
        for (int row = 0; row < valid.Length; row++)
            for (int k = 0; k < valid[row].Length; k++)
                AssertClose(Flat(expected[row]![k]!), logits[row, valid[row][k]].data<float>().ToArray(), LogitTol, $"{variant} row {row} pos {valid[row][k]}");
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Padded_row_equals_the_same_row_unpadded(string variant)
    {
        using var model = Load(variant);
        var c = Cases(variant)["forward_left_padded"]!;
        var rows = Ints(c["input_ids"]!);
        var mask = Ints(c["attention_mask"]!);
        using var maskT = T(mask);
        using var padded = model.forward(T(rows), maskT, Positions.FromAttentionMask(maskT));
        var real = rows[1].Where((_, j) => mask[1][j] == 1).ToArray();
        using var alone = model.forward(T([real]), ones(1, real.Length, ScalarType.Int64), arange(real.Length).unsqueeze(0));
        int pads = rows[1].Length - real.Length;
        AssertClose(alone[0].data<float>().ToArray(), padded[1].narrow(0, pads, real.Length).contiguous().data<float>().ToArray(), 1e-5f, variant);
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Completion_log_probs_match_at_both_temperatures(string variant)
    {
        using var model = Load(variant);
        var c = Cases(variant)["completion_logprobs"]!;
        var ids = IntRow(c["input_ids"]!);
        int promptLength = c["prompt_length"]!.GetValue<int>();
        using var input = T([ids]);
        using var logits = model.forward(input, ones_like(input), arange(ids.Length).unsqueeze(0));
        foreach (var (temp, key) in new[] { (1.0f, "temperature_1.0"), (0.7f, "temperature_0.7") })
        {
            using var lp = nn.functional.log_softmax(logits[0].narrow(0, 0, ids.Length - 1) / temp, -1);
            using var targets = tensor(ids.Skip(1).ToArray());
            var all = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).data<float>().ToArray();
            AssertClose(Floats(c[key]!["completion_logprobs"]!), all.Skip(promptLength - 1).ToArray(), 1e-4f, $"{variant} T={temp}");
            if (key == "temperature_1.0")
                AssertClose(Floats(c[key]!["all_next_token_logprobs"]!), all, 1e-4f, $"{variant} all");
        }
    }

    [Theory]
    [InlineData("qwen2-tiny", "lm_loss")]
    [InlineData("qwen2-tiny-tied", "lm_loss")]
    [InlineData("qwen2-tiny", "lm_loss_prompt_masked")]
    [InlineData("qwen2-tiny-tied", "lm_loss_prompt_masked")]
    public void Language_model_loss_matches(string variant, string caseName)
    {
        using var model = Load(variant);
        var c = Cases(variant)[caseName]!;
        var ids = IntRow(c["input_ids"]!);
        var labels = c["labels"] is null ? ids : IntRow(c["labels"]!);
        using var input = T([ids]);
        using var logits = model.forward(input, ones_like(input), arange(ids.Length).unsqueeze(0));
        using var loss = nn.functional.cross_entropy(logits[0].narrow(0, 0, ids.Length - 1), tensor(labels.Skip(1).ToArray()), ignore_index: -100);
        Assert.Equal(c["loss"]!.GetValue<float>(), loss.item<float>(), 1e-5f);
    }

    [Theory]
    [InlineData("qwen2-tiny", "greedy_generate")]
    [InlineData("qwen2-tiny-tied", "greedy_generate")]
    [InlineData("qwen2-tiny", "greedy_generate_early_eos")]
    [InlineData("qwen2-tiny-tied", "greedy_generate_early_eos")]
    public void Greedy_generation_ids_match_exactly(string variant, string caseName)
    {
        using var model = Load(variant);
        var c = Cases(variant)[caseName]!;
        var rows = Ints(c["input_ids"]!);
        var mask = Ints(c["attention_mask"]!);
        var prompts = rows.Select((r, i) => r.Where((_, j) => mask[i][j] == 1).Select(x => (int)x).ToArray()).ToList();
        var eos = c["eos_token_id"] is System.Text.Json.Nodes.JsonArray a ? a.Select(x => x!.GetValue<int>()).ToList() : [c["eos_token_id"]!.GetValue<int>()];
        int pad = c["pad_token_id"]!.GetValue<int>();
        var result = Grpo.Model.Generator.Generate(model, prompts, new GenerationOptions(c["max_new_tokens"]!.GetValue<int>(), Greedy: true, LogProbs: true), eos, pad);
        var expected = Ints(c["new_tokens"]!);
        for (int i = 0; i < rows.Length; i++)
        {
            // Reference rows are padded with pad after their eos; ours stop at the eos.
            var ours = result[i].Ids.Select(x => (long)x).Concat(Enumerable.Repeat((long)pad, expected[i].Length - result[i].Ids.Length)).ToArray();
            Assert.Equal(expected[i], ours);
            Assert.Equal(eos.Contains(result[i].Ids[^1]), result[i].Finished);
        }
        if (c["step_logits"] is System.Text.Json.Nodes.JsonArray steps)
        {
            // Log-probs of the chosen tokens = log_softmax of the reference step logits.
            for (int s = 0; s < steps.Count; s++)
                for (int i = 0; i < rows.Length; i++)
                {
                    using var l = tensor(Flat(steps[s]![i]!));
                    var expectedLp = nn.functional.log_softmax(l, -1)[expected[i][s]].item<float>();
                    Assert.Equal(expectedLp, result[i].LogProbs![s], 1e-4f);
                }
        }
    }
}
