// Equation reward rules of docs/countdown-rules.md: last <answer>, allowed characters, each number once, exact value.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class EquationRewardTests
{
    private static string Completion(string answer) => "reasoning</think>\n<answer>" + answer + "</answer>";

    [Fact]
    public void Prompt_example_scores_one_and_reports_its_value_and_answer()
    {
        var r = CountdownRewards.EquationReward(Completion(" (1 + 2) / 3 "), [1, 2, 3], 1);
        Assert.Equal(new EquationResult(1, 1.0, "(1 + 2) / 3"), r);
    }

    [Fact]
    public void Numbers_may_appear_in_any_order() =>
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion("35 + 44 + 19"), [44, 19, 35], 98).Reward);

    [Fact]
    public void Wrong_value_scores_zero_but_reports_the_value()
    {
        var r = CountdownRewards.EquationReward(Completion("44 + 19 - 35"), [44, 19, 35], 98);
        Assert.Equal(0.0, r.Reward);
        Assert.Equal(28.0, r.Value);
        Assert.Equal("44 + 19 - 35", r.Answer);
    }

    [Fact]
    public void Equation_with_a_number_used_twice_scores_zero()
    {
        var r = CountdownRewards.EquationReward(Completion("2*2+3"), [2, 3, 5], 7);
        Assert.Equal(0.0, r.Reward);
        Assert.Equal(7.0, r.Value);
    }

    [Fact]
    public void Equation_with_a_number_missing_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.EquationReward(Completion("4+3"), [4, 3, 1], 7).Reward);

    [Fact]
    public void Equation_with_an_extra_number_scores_zero() =>
        Assert.Equal(0.0, CountdownRewards.EquationReward(Completion("4+3*1-0"), [4, 3, 1], 7).Reward);

    [Fact]
    public void Repeated_number_in_the_problem_must_be_used_as_often_as_given()
    {
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion("5*5-5"), [5, 5, 5], 20).Reward);
        Assert.Equal(0.0, CountdownRewards.EquationReward(Completion("5*5-5+5"), [5, 5, 5], 30).Reward);
    }

    [Fact]
    public void Last_answer_block_is_the_one_scored()
    {
        Assert.Equal(1.0, CountdownRewards.EquationReward("<answer>1+2+4</answer> no</think>\n<answer>1+2*4</answer>", [1, 2, 4], 9).Reward);
        Assert.Equal(0.0, CountdownRewards.EquationReward("<answer>1+2*4</answer> no</think>\n<answer>1+2+4</answer>", [1, 2, 4], 9).Reward);
    }

    [Fact]
    public void Answer_spanning_lines_with_white_space_is_read_and_trimmed()
    {
        var r = CountdownRewards.EquationReward(Completion("\n\t1 +\n 2 + 3 \n"), [1, 2, 3], 6);
        Assert.Equal(1.0, r.Reward);
        Assert.Equal("1 +\n 2 + 3", r.Answer);
    }

    [Fact]
    public void Unary_minus_is_allowed() =>
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion("-(3 - 5) * 2"), [3, 5, 2], 4).Reward);

    [Fact]
    public void Fractional_intermediate_values_are_exact() =>
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion("6/(1-3/4)"), [1, 3, 4, 6], 24).Reward);

    [Fact]
    public void Value_within_1e_5_of_the_target_is_correct()
    {
        // 1 + 1/200000 = 1.000005: off by 5e-6 < 1e-5.
        var r = CountdownRewards.EquationReward(Completion("1 + 1/200000"), [1, 1, 200000], 1);
        Assert.Equal(1.0, r.Reward);
        Assert.Equal(1.000005, r.Value!.Value, 12);
    }

    [Fact]
    public void Value_1e_5_or_more_away_from_the_target_is_wrong()
    {
        Assert.Equal(0.0, CountdownRewards.EquationReward(Completion("1 + 1/50000"), [1, 1, 50000], 1).Reward);
        Assert.Equal(0.0, CountdownRewards.EquationReward(Completion("1 + 1/100000"), [1, 1, 100000], 1).Reward);
    }

    [Fact]
    public void Division_by_zero_scores_zero_with_no_value()
    {
        var r = CountdownRewards.EquationReward(Completion("5/(3-3)"), [5, 3, 3], 1);
        Assert.Equal(new EquationResult(0, null, "5/(3-3)"), r);
    }

    [Theory]
    [InlineData("1+2+3=6", 6)]        // '=' (the known trap of docs/countdown-rules.md)
    [InlineData("2**3*1", 8)]          // Python power
    [InlineData("8//3*1", 2)]          // Python floor division
    [InlineData("1.5*2*1", 3)]         // decimals
    [InlineData("1e1+2+3", 15)]        // exponent notation
    [InlineData("+1+2+3", 6)]          // unary plus is not in the grammar
    [InlineData("1+2+3 x", 6)]         // any other character
    [InlineData("(1+2+3", 6)]          // unbalanced
    [InlineData("1+2+3)", 6)]
    [InlineData("1 2 + 3", 6)]         // two numbers without an operator
    [InlineData("", 6)]
    [InlineData("1×2×3", 6)]
    public void Disallowed_or_malformed_equation_scores_zero_with_no_value(string answer, int target)
    {
        var r = CountdownRewards.EquationReward(Completion(answer), [1, 2, 3], target);
        Assert.Equal(0.0, r.Reward);
        Assert.Null(r.Value);
    }

    [Theory]
    [InlineData("__import__('os').system('ls')")]
    [InlineData("exec(\"1+2+3\")")]
    [InlineData("eval('1+2+3')")]
    [InlineData("(lambda: 6)()")]
    [InlineData("[1,2,3].__len__()*2")]
    public void Code_injection_strings_score_zero(string answer)
    {
        var r = CountdownRewards.EquationReward(Completion(answer), [1, 2, 3], 6);
        Assert.Equal(0.0, r.Reward);
        Assert.Null(r.Value);
    }

    [Fact]
    public void No_answer_block_scores_zero_with_no_answer() =>
        Assert.Equal(new EquationResult(0, null, null), CountdownRewards.EquationReward("1+2+3 = 6</think>\n", [1, 2, 3], 6));

    [Fact]
    public void End_token_after_the_answer_is_ignored() =>
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion("1+2+3") + "<|im_end|>", [1, 2, 3], 6).Reward);

    [Fact]
    public void Equation_is_scored_even_when_the_format_is_wrong() =>
        // As the reference verifier: the two rewards are independent.
        Assert.Equal(1.0, CountdownRewards.EquationReward("no think close <answer>1+2+3</answer> trailing", [1, 2, 3], 6).Reward);

    [Fact]
    public void Wrong_fraction_reports_its_value_as_a_double()
    {
        var r = CountdownRewards.EquationReward(Completion("1/3+2"), [1, 3, 2], 2);
        Assert.Equal(0.0, r.Reward);
        Assert.Equal(7.0 / 3.0, r.Value!.Value, 12);
    }

    [Fact]
    public void Huge_number_scores_zero_without_crashing()
    {
        var r = CountdownRewards.EquationReward(Completion(new string('9', 100_000) + "+1+2"), [1, 2, 3], 6);
        Assert.Equal(0.0, r.Reward);
        Assert.Null(r.Value);
    }

    [Fact]
    public void Large_but_computable_wrong_value_is_reported() =>
        Assert.Equal(1e40, CountdownRewards.EquationReward(Completion("10000000000000000000000000000000000000000*1"), [1, 2], 3).Value!.Value, 1e25);

    [Fact]
    public void Thousands_of_nested_parentheses_score_zero_without_crashing()
    {
        var deep = new string('(', 5000) + "1+2+3" + new string(')', 5000);
        var r = CountdownRewards.EquationReward(Completion(deep), [1, 2, 3], 6);
        Assert.Equal(0.0, r.Reward);
        Assert.Null(r.Value);
    }

    [Fact]
    public void Moderate_nesting_is_evaluated() =>
        Assert.Equal(1.0, CountdownRewards.EquationReward(Completion(new string('(', 50) + "1+2+3" + new string(')', 50)), [1, 2, 3], 6).Reward);
}
