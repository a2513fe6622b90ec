// Generator behaviour beyond the reference cases: KV cache equals full recomputation, sampling is seeded,
// log-probs are those of the chosen tokens, projections can be swapped.
using Grpo.Model;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static Grpo.Tests.Model.ReferenceCases;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class GenerationTests
{
    static readonly int[][] Prompts = [[5, 17, 42, 99, 3, 250, 7], [11, 12, 13], [200, 201, 202, 203, 204]];

    // Greedy by recomputing the whole left-padded batch every step (no cache), the way use_cache=False does.
    static long[][] GreedyByRecompute(Qwen2ForCausalLM m, int[][] prompts, int steps, int pad)
    {
        int p = prompts.Max(x => x.Length);
        var rows = prompts.Select(x => Enumerable.Repeat((long)pad, p - x.Length).Concat(x.Select(v => (long)v)).ToList()).ToArray();
        var mask = prompts.Select(x => Enumerable.Repeat(0L, p - x.Length).Concat(Enumerable.Repeat(1L, x.Length)).ToList()).ToArray();
        var outp = prompts.Select(_ => new List<long>()).ToArray();
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Count]);
            var mk = tensor(mask.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Count]);
            var logits = m.forward(ids, mk, Positions.FromAttentionMask(mk));
            var next = logits.select(1, -1).argmax(-1).data<long>().ToArray();
            for (int i = 0; i < rows.Length; i++) { rows[i].Add(next[i]); mask[i].Add(1); outp[i].Add(next[i]); }
        }
        return outp.Select(o => o.ToArray()).ToArray();
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Kv_cache_greedy_equals_full_recompute(string variant)
    {
        using var m = Qwen2ForCausalLM.FromPretrained(ModelDir(variant));
        var cached = Grpo.Model.Generator.Generate(m, Prompts, new GenerationOptions(24, Greedy: true), [9999], 302);
        var full = GreedyByRecompute(m, Prompts, 24, 302);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(full[i], cached[i].Ids.Select(x => (long)x));
            Assert.False(cached[i].Finished);
        }
    }

    [Fact]
    public void Bfloat16_kv_cache_greedy_equals_bfloat16_full_recompute_on_the_first_tokens()
    {
        using var m = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny-tied"), ScalarType.BFloat16);
        var cached = Grpo.Model.Generator.Generate(m, [Prompts[0]], new GenerationOptions(4, Greedy: true), [9999], 302);
        Assert.Equal(GreedyByRecompute(m, [Prompts[0]], 4, 302)[0], cached[0].Ids.Select(x => (long)x));
    }

    [Fact]
    public void Sampling_with_a_seed_is_reproducible_and_log_probs_are_those_of_the_chosen_tokens()
    {
        using var m = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny"));
        var o = new GenerationOptions(12, Temperature: 0.7f, TopP: 0.9f, TopK: 50, Seed: 1234, LogProbs: true);
        var a = Grpo.Model.Generator.Generate(m, Prompts, o, [301], 302);
        var b = Grpo.Model.Generator.Generate(m, Prompts, o, [301], 302);
        var c = Grpo.Model.Generator.Generate(m, Prompts, o with { Seed = 99 }, [301], 302);
        Assert.Equal(a.Select(x => x.Ids), b.Select(x => x.Ids));
        Assert.NotEqual(a.SelectMany(x => x.Ids), c.SelectMany(x => x.Ids));

        // Recompute log_softmax(logits / T) of each chosen token with a plain forward of prompt + completion.
        for (int i = 0; i < Prompts.Length; i++)
        {
            var seq = Prompts[i].Concat(a[i].Ids).Select(x => (long)x).ToArray();
            using var ids = tensor(seq, [1, seq.Length]);
            using var logits = m.forward(ids, ones_like(ids), arange(seq.Length).unsqueeze(0));
            using var lp = nn.functional.log_softmax(logits[0] / 0.7f, -1);
            for (int s = 0; s < a[i].Ids.Length; s++)
                Assert.Equal(lp[Prompts[i].Length - 1 + s, a[i].Ids[s]].item<float>(), a[i].LogProbs![s], 1e-4f);
        }
    }

    [Fact]
    public void Top_k_one_sampling_equals_greedy()
    {
        using var m = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny"));
        var greedy = Grpo.Model.Generator.Generate(m, Prompts, new GenerationOptions(10, Greedy: true), [301], 302);
        var topk1 = Grpo.Model.Generator.Generate(m, Prompts, new GenerationOptions(10, TopK: 1, Seed: 5), [301], 302);
        Assert.Equal(greedy.Select(x => x.Ids), topk1.Select(x => x.Ids));
    }

    sealed class Scaled(Linear inner, float factor) : nn.Module<Tensor, Tensor>("Scaled")
    {
        public Linear inner = inner;
        public override Tensor forward(Tensor x) => inner.forward(x) * factor;
    }

    [Fact]
    public void Projections_list_every_linear_by_hf_name_and_can_be_replaced()
    {
        using var m = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny"));
        var names = m.Projections().Select(p => p.Name).ToList();
        Assert.Equal(14, names.Count);
        Assert.Contains("model.layers.1.mlp.down_proj", names);
        Assert.Contains("model.layers.0.self_attn.q_proj", names);
        using var ids = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        using var before = m.forward(ids, ones_like(ids), arange(3).unsqueeze(0));

        var (name, linear) = m.Projections().First(p => p.Name == "model.layers.0.self_attn.o_proj");
        m.ReplaceProjection(name, new Scaled(linear, 1f));
        Assert.Equal(13, m.Projections().Count());
        Assert.Contains("model.layers.0.self_attn.o_proj.inner.weight", m.state_dict().Keys);
        using var same = m.forward(ids, ones_like(ids), arange(3).unsqueeze(0));
        Assert.True(before.allclose(same));

        m.ReplaceProjection(name, new Scaled(linear, 0f));
        using var changed = m.forward(ids, ones_like(ids), arange(3).unsqueeze(0));
        Assert.False(before.allclose(changed));
    }
}
