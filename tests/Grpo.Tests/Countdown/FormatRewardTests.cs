// Format reward rules of docs/countdown-rules.md: <think>…</think>\n<answer>…</answer>, nothing nested, nothing after.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class FormatRewardTests
{
    // Completions are the text after the prompt's trailing "<think>", as the model generates them.
    [Theory]
    [InlineData("12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>")]
    [InlineData(" thinking\nover lines </think>\n<answer> (1 + 2) / 3 </answer>")]
    [InlineData("</think>\n<answer></answer>")]
    [InlineData("a < b and <answer> inside the thinking is fine</think>\n<answer>1</answer>")]
    public void Well_formed_completion_scores_one(string completion) =>
        Assert.Equal(1.0, CountdownRewards.FormatReward(completion));

    [Theory]
    [InlineData("x</think>\n<answer>1</answer><|im_end|>")]
    [InlineData("x</think>\n<answer>1</answer><|endoftext|>")]
    [InlineData("x</think>\n<answer>1</answer><|im_end|><|endoftext|>")]
    public void End_token_at_the_very_end_is_ignored(string completion) =>
        Assert.Equal(1.0, CountdownRewards.FormatReward(completion));

    [Fact]
    public void Missing_think_close_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.FormatReward("thinking <answer>1</answer>"));

    [Fact]
    public void Nested_think_open_tag_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.FormatReward("a <think> b</think>\n<answer>1</answer>"));

    [Fact]
    public void Completion_that_repeats_the_think_open_tag_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.FormatReward("<think>a</think>\n<answer>1</answer>"));

    [Fact]
    public void Second_think_close_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.FormatReward("a</think> b</think>\n<answer>1</answer>"));

    [Theory]
    [InlineData("a</think><answer>1</answer>")]
    [InlineData("a</think> \n<answer>1</answer>")]
    [InlineData("a</think>\n\n<answer>1</answer>")]
    [InlineData("a</think>\nanswer: <answer>1</answer>")]
    public void Anything_but_one_newline_between_think_and_answer_scores_zero(string completion) =>
        Assert.Equal(0.0, CountdownRewards.FormatReward(completion));

    [Theory]
    [InlineData("a</think>\n<answer>1</answer> done")]
    [InlineData("a</think>\n<answer>1</answer>\n")]
    [InlineData("a</think>\n<answer>1</answer><|im_end|>more")]
    [InlineData("a</think>\n<answer>1")]
    [InlineData("a</think>\n<answer>")]
    public void Text_after_the_answer_or_an_unclosed_answer_scores_zero(string completion) =>
        Assert.Equal(0.0, CountdownRewards.FormatReward(completion));

    [Theory]
    [InlineData("")]
    [InlineData("just text")]
    [InlineData("<|im_end|>")]
    public void Completion_without_tags_scores_zero(string completion) =>
        Assert.Equal(0.0, CountdownRewards.FormatReward(completion));
}
