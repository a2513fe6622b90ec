// What the generator's speed-ups must not change: a row's tokens do not depend on sharing its prompt's prefill,
// on finished rows leaving the batch, or on which other rows share its batch; and the inverse-CDF sampler draws
// tokens with the warped softmax probabilities (chi-square tests on many draws, fixed seeds).
using Grpo.Countdown;
using Grpo.Model;
using Xunit;
using static TorchSharp.torch;
using Generator = Grpo.Model.Generator;

namespace Grpo.Tests.Model;

public class SamplingStreamTests
{
    static string TinyModelDir => Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");

    // The embedded tiny model on Countdown prompts: completions end (eos) at different steps, as in GRPO.
    static (Qwen2ForCausalLM Model, List<int[]> Prompts, IReadOnlyList<int> Eos, int Pad) TinyCountdown(int problems, int copies)
    {
        var tokenizer = QwenTokenizer.FromFolder(TinyModelDir);
        var test = CountdownParquet.Read(Path.Combine(TestPaths.RepoRoot, "data", "countdown", "easy", "test.parquet"));
        var prompts = test.Take(problems).Select(p => tokenizer.Encode(PromptTemplate.Chinese.Render(p)).ToArray())
            .SelectMany(p => Enumerable.Repeat(p, copies)).ToList();
        return (Qwen2ForCausalLM.FromPretrained(TinyModelDir), prompts, tokenizer.EosTokenIds, tokenizer.PadTokenId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tokens_do_not_depend_on_prompt_sharing_or_on_dropping_finished_rows(bool greedy)
    {
        var (model, prompts, eos, pad) = TinyCountdown(problems: 4, copies: 6);
        using var _ = model;
        var options = new GenerationOptions(96, Greedy: greedy, Temperature: 1f, Seed: 7);
        var both = Generator.Generate(model, prompts, options, eos, pad);
        var plain = Generator.Generate(model, prompts, options with { SharePrompts = false, DropFinishedRows = false }, eos, pad);
        var shareOnly = Generator.Generate(model, prompts, options with { DropFinishedRows = false }, eos, pad);
        var dropOnly = Generator.Generate(model, prompts, options with { SharePrompts = false }, eos, pad);

        // The case must exercise both: rows end at different steps, more than a quarter before the last one.
        Assert.True(both.Count(s => s.Finished && s.Ids.Length < both.Max(x => x.Ids.Length)) > prompts.Count / 4);
        foreach (var other in new[] { plain, shareOnly, dropOnly })
        {
            Assert.Equal(plain.Select(s => s.Ids), other.Select(s => s.Ids));
            Assert.Equal(plain.Select(s => s.Finished), other.Select(s => s.Finished));
        }
        Assert.Equal(plain.Select(s => s.Ids), both.Select(s => s.Ids));
    }

    [Fact]
    public void A_sampled_row_depends_only_on_the_seed_and_its_stream()
    {
        var (model, prompts, eos, pad) = TinyCountdown(problems: 2, copies: 4);
        using var _ = model;
        var options = new GenerationOptions(48, Temperature: 1f, Seed: 11);
        var all = Generator.Generate(model, prompts, options, eos, pad);
        // Rows 5 and 6 alone, in another order, keep their streams: the same tokens.
        var alone = Generator.Generate(model, [prompts[6], prompts[5]], options, eos, pad, streams: [6, 5]);
        Assert.Equal(all[6].Ids, alone[0].Ids);
        Assert.Equal(all[5].Ids, alone[1].Ids);
        // Copies of one prompt differ (their streams differ), and another seed gives other samples.
        Assert.True(all.Take(4).Select(s => string.Join(",", s.Ids)).Distinct().Count() > 1);
        var reseeded = Generator.Generate(model, prompts, options with { Seed = 12 }, eos, pad);
        Assert.NotEqual(all.SelectMany(s => s.Ids), reseeded.SelectMany(s => s.Ids));
    }

    [Fact]
    public void Log_probs_are_computed_only_when_asked_for()
    {
        var (model, prompts, eos, pad) = TinyCountdown(problems: 1, copies: 2);
        using var _ = model;
        var without = Generator.Generate(model, prompts, new GenerationOptions(8, Seed: 1), eos, pad);
        var with = Generator.Generate(model, prompts, new GenerationOptions(8, Seed: 1, LogProbs: true), eos, pad);
        Assert.All(without, s => Assert.Null(s.LogProbs));
        Assert.Equal(without.Select(s => s.Ids), with.Select(s => s.Ids));
        Assert.All(with, s => Assert.Equal(s.Ids.Length, s.LogProbs!.Length));
        Assert.All(with.SelectMany(s => s.LogProbs!), lp => Assert.InRange(lp, float.MinValue, 0f));
    }

    // ---- the sampler itself: 20,000 rows with the same logits, one draw each ----

    static readonly float[] Logits = [2.0f, 1.0f, 0.5f, 0.0f, -1.0f, -3.0f];
    const int Draws = 20_000;

    static long[] Counts(GenerationOptions options, long seed = 5)
    {
        using var scope = NewDisposeScope();
        var logits = tensor(Logits).unsqueeze(0).expand(Draws, Logits.Length).contiguous();
        var uniforms = Enumerable.Range(0, Draws).Select(i => TokenSampler.Uniform(seed, i, 0)).ToArray();
        var picked = TokenSampler.Pick(logits, options, uniforms).data<long>().ToArray();
        var counts = new long[Logits.Length];
        foreach (var t in picked) counts[t]++;
        return counts;
    }

    // softmax(logits / T) over the kept tokens, 0 elsewhere.
    static double[] Expected(float temperature, params int[] kept)
    {
        var w = Logits.Select((l, i) => kept.Contains(i) ? Math.Exp(l / temperature) : 0).ToArray();
        return w.Select(x => x / w.Sum()).ToArray();
    }

    // Pearson's chi-square over the tokens with expected probability > 0; tokens expected at 0 must never appear.
    static void AssertDrawnWith(double[] expected, long[] counts)
    {
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] == 0) Assert.Equal(0, counts[i]);
        var kept = Enumerable.Range(0, expected.Length).Where(i => expected[i] > 0).ToList();
        double chi2 = kept.Sum(i => Math.Pow(counts[i] - Draws * expected[i], 2) / (Draws * expected[i]));
        // Upper 0.1% points of chi-square with k - 1 degrees of freedom (k kept tokens).
        double[] critical = [double.NaN, 10.83, 13.82, 16.27, 18.47, 20.52];
        Assert.True(chi2 < critical[kept.Count - 1], $"chi-square {chi2:F1} for counts [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void Sampler_draws_each_token_with_its_softmax_probability()
    {
        AssertDrawnWith(Expected(1f, 0, 1, 2, 3, 4, 5), Counts(new GenerationOptions(1)));
        AssertDrawnWith(Expected(0.5f, 0, 1, 2, 3, 4, 5), Counts(new GenerationOptions(1, Temperature: 0.5f)));
    }

    [Fact]
    public void Sampler_never_draws_a_token_that_top_k_or_top_p_removed()
    {
        AssertDrawnWith(Expected(1f, 0, 1, 2), Counts(new GenerationOptions(1, TopK: 3)));
        // Probabilities at T=1: 0.56, 0.21, 0.13, 0.08, 0.03, 0.004; top_p 0.8 keeps the first three (0.89 >= 0.8).
        AssertDrawnWith(Expected(1f, 0, 1, 2), Counts(new GenerationOptions(1, TopP: 0.8f)));
    }

    [Fact]
    public void A_wrong_distribution_fails_the_chi_square_check()
    {
        // The check has power: counts drawn at T=1 are rejected as draws at T=0.7.
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertDrawnWith(Expected(0.7f, 0, 1, 2, 3, 4, 5), Counts(new GenerationOptions(1))));
    }

    [Fact]
    public void Uniform_streams_are_uniform_along_streams_and_along_steps()
    {
        const int bins = 50, n = 100_000;
        foreach (var draw in new Func<int, float>[] { i => TokenSampler.Uniform(3, i, 0), i => TokenSampler.Uniform(3, 0, i), i => TokenSampler.Uniform(i, 1, 1) })
        {
            var counts = new int[bins];
            for (int i = 0; i < n; i++)
            {
                var u = draw(i);
                Assert.InRange(u, 0f, 0.99999995f);
                counts[(int)(u * bins)]++;
            }
            double expected = (double)n / bins;
            double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
            Assert.True(chi2 < 85.35, $"chi-square {chi2:F1} with 49 degrees of freedom (0.1% point 85.35)");
        }
    }
}
