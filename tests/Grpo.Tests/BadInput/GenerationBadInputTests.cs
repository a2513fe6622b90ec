// Generation and evaluation settings that used to fail late inside libtorch (or after minutes of work) are refused
// before the first token, naming the setting; eval lowers a completion limit the model cannot hold, and says so.
using Grpo.Evaluation;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class GenerationBadInputTests : IDisposable
{
    readonly Qwen2ForCausalLM model = new(RandomModelFolder.Config);   // vocab 320, 64 positions

    public void Dispose() => model.Dispose();

    BadInputException Refused(int[] prompt, GenerationOptions options, int pad = 302) =>
        Assert.Throws<BadInputException>(() => Generator.Generate(model, [prompt], options, [301], pad));

    [Fact]
    public void Prompt_id_past_the_vocabulary_is_refused() =>
        Assert.Contains("token id 99999 is outside the model's vocabulary [0, 320)", Refused([1, 99999], new(4, Greedy: true)).Message);

    [Fact]
    public void Negative_prompt_id_is_refused() =>
        Assert.Contains("token id -1", Refused([-1], new(4, Greedy: true)).Message);

    [Fact]
    public void Pad_id_past_the_vocabulary_is_refused() =>
        Assert.Contains("pad token id 151643", Refused([1, 2], new(4, Greedy: true), pad: 151643).Message);

    [Fact]
    public void Prompt_plus_new_tokens_past_max_position_embeddings_is_refused_before_generating()
    {
        var e = Refused([1, 2, 3, 4], new(61, Greedy: true));
        Assert.Contains("max_new_tokens 61", e.Message);
        Assert.Contains("max_position_embeddings 64", e.Message);
        Assert.Contains("60 or less", e.Message);
    }

    [Fact]
    public void Prompt_plus_new_tokens_that_fill_exactly_max_position_embeddings_generate() =>
        Assert.Equal(60, Generator.Generate(model, [[1, 2, 3, 4]], new(60, Greedy: true), [9999], 302)[0].Ids.Length);

    [Theory]
    [InlineData(float.NaN, 1f, 0, "temperature")]
    [InlineData(0f, 1f, 0, "temperature")]
    [InlineData(float.PositiveInfinity, 1f, 0, "temperature")]
    [InlineData(1f, 0f, 0, "top_p")]
    [InlineData(1f, 1.5f, 0, "top_p")]
    [InlineData(1f, float.NaN, 0, "top_p")]
    [InlineData(1f, 1f, -1, "top_k")]
    public void Sampling_setting_out_of_range_is_refused(float temperature, float topP, int topK, string setting) =>
        Assert.StartsWith(setting, Refused([1, 2], new(4, Temperature: temperature, TopP: topP, TopK: topK, Seed: 1)).Message);

    [Fact]
    public void Eval_lowers_max_new_tokens_to_what_the_model_can_hold()
    {
        var fitted = Evaluator.FitToModel(EvalConfig.Default, longestPrompt: 91, maxPositions: 512, "m");
        Assert.Equal(1024, EvalConfig.Default.MaxNewTokens);
        Assert.Equal(421, fitted.MaxNewTokens);
        Assert.Same(EvalConfig.Default, Evaluator.FitToModel(EvalConfig.Default, 91, 32768, "m"));
    }

    [Fact]
    public void Eval_refuses_prompts_that_fill_every_position()
    {
        var e = Assert.Throws<BadInputException>(() => Evaluator.FitToModel(EvalConfig.Default, longestPrompt: 512, maxPositions: 512, "models/m"));
        Assert.Contains("models/m", e.Message);
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
