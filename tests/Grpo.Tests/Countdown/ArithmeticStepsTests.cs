// Arithmetic steps in free text: which "a op b = c" a completion writes, and whether each one is right (exactly).
// Traces are hand-written in the two styles the project meets: the tiny model's "12+5=17 17*3=51 no" and free text
// like Qwen2.5's "44 + 19 = 63"; every expected value is worked out by hand in the comment beside it.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class ArithmeticStepsTests
{
    static IReadOnlyList<(string Step, bool Right)> Steps(string text) =>
        ArithmeticSteps.Find(text).Select(s => (s.ToString(), s.Right)).ToList();

    [Fact]
    public void Tiny_model_trace_gives_one_step_per_equation_in_order()
    {
        Assert.Equal([("12+5 = 17", true), ("17*3 = 51", true), ("12*3 = 36", true), ("36+5 = 41", true)],
            Steps("12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>"));
    }

    [Fact]
    public void A_step_is_right_only_when_its_exact_value_equals_the_stated_one()
    {
        // 12 + 5 = 17, not 18; 7 * 6 = 42.
        Assert.Equal([("12+5 = 18", false), ("7*6 = 42", true)], Steps("12+5=18 7*6=42"));
        // 10 / 4 is 5/2: right as 2.5 and as 5/2, wrong as 2 (no rounding).
        Assert.Equal([("10 / 4 = 2.5", true)], Steps("10 / 4 = 2.5"));
        Assert.Equal([("10 / 4 = 5/2", true)], Steps("10 / 4 = 5/2"));
        Assert.Equal([("10 / 4 = 2", false)], Steps("10 / 4 = 2"));
        Assert.Equal([("5 - 8 = -3", true)], Steps("5 - 8 = -3"));
    }

    [Fact]
    public void Free_text_steps_are_found_between_words_and_punctuation()
    {
        Assert.Equal([("44 + 19 = 63", true), ("63 + 35 = 98", true)], Steps("Let me try 44 + 19 = 63, then 63 + 35 = 98."));
        Assert.Equal([("44 + 19 = 63", true), ("98 - 63 = 35", true)], Steps("我们先算 44 + 19 = 63,再算 98 - 63 = 35。"));
        Assert.Equal([("44 + 19 = 63", true), ("63 + 35 = 98", true)], Steps("44 + 19 = 63,63 + 35 = 98"));
    }

    [Fact]
    public void Model_operator_spellings_are_read_as_the_parser_spells_them()
    {
        // (44 + 19) x 2 = 126; 9 - 4 = 5 with a Unicode minus; 36 / 4 = 9.
        Assert.Equal([("(44 + 19) * 2 = 126", true), ("9 - 4 = 5", true), ("36 / 4 = 9", true)],
            Steps("(44 + 19) × 2 = 126; 9 − 4 = 5; 36 ÷ 4 = 9"));
    }

    [Fact]
    public void A_chain_continues_from_the_value_stated_before_it()
    {
        // "44 + 19 = 63 + 35 = 98" is two steps: 44 + 19 = 63 and 63 + 35 = 98.
        Assert.Equal([("44 + 19 = 63", true), ("63 + 35 = 98", true)], Steps("44 + 19 = 63 + 35 = 98"));
        Assert.Equal([("44 + 19 = 63", true), ("63 - 35 = 29", false)], Steps("44 + 19 = 63 - 35 = 29"));
    }

    [Fact]
    public void Words_and_numbers_that_do_not_belong_to_the_step_are_left_out()
    {
        Assert.Equal([("44+19 = 63", true)], Steps("Step 2: 44+19=63"));
        Assert.Equal([("44+19 = 63", true)], Steps("Step 2 44+19=63"));
        Assert.Equal([("44 + 19 = 63", true)], Steps("Try (44 + 19 = 63)"));
    }

    [Theory]
    [InlineData("x = 5")]
    [InlineData("a >= b and 3 == 3")]
    [InlineData("the answer = 63")]
    [InlineData("63 = 63")]
    [InlineData("(5) = 5")]
    [InlineData("= 63")]
    [InlineData("3 + 4 = seven")]
    [InlineData("3.5 * 2 = 7")]   // a decimal left side is no step (the parser has no decimals), not a wrong "5 * 2 = 7"
    public void Text_without_a_two_number_expression_before_a_number_is_not_a_step(string text) =>
        Assert.Empty(ArithmeticSteps.Find(text));

    [Fact]
    public void Steps_do_not_share_numbers()
    {
        // After "3+4=7" the 7 is used up: "7 7*2=14" has the step 7*2 = 14, and no "4=7 7*2" style overlap.
        var steps = ArithmeticSteps.Find("3+4=7 7*2=14");
        Assert.Equal(["3+4 = 7", "7*2 = 14"], steps.Select(s => s.ToString()));
        Assert.True(steps[1].Start >= steps[0].End);
    }

    [Fact]
    public void Huge_or_deep_expressions_do_not_throw()
    {
        Assert.Empty(ArithmeticSteps.Find(new string('(', 5000) + "1+1" + new string(')', 5000) + "=2"));
        var big = new string('9', 301);
        Assert.Empty(ArithmeticSteps.Find($"{big}+1={big}"));
        Assert.Empty(ArithmeticSteps.Find($"1+1={big}"));
    }
}
