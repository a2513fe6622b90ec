// The reward levers beyond the reference's two: the process-verified equation reward and DAPO's soft overlong punishment.
using Grpo.Countdown;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Countdown;

public class ShapedRewardTests
{
    [Fact]
    public void Verified_equation_reward_pays_a_right_answer_reached_by_right_steps() =>
        Assert.Equal(1.0, CountdownRewards.VerifiedEquationReward("18+5=23 23+4=27 no 18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>", [18, 5, 4], 94));

    [Fact]
    public void Verified_equation_reward_pays_nothing_when_a_written_step_is_wrong()
    {
        // The answer is right, but the rejected attempt claims 18+5=24.
        const string completion = "18+5=24 24+4=28 no 18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>";
        Assert.Equal(1.0, CountdownRewards.EquationReward(completion, [18, 5, 4], 94).Reward);
        Assert.Equal(0.0, CountdownRewards.VerifiedEquationReward(completion, [18, 5, 4], 94));
    }

    [Fact]
    public void Verified_equation_reward_pays_nothing_for_a_wrong_answer() =>
        Assert.Equal(0.0, CountdownRewards.VerifiedEquationReward("18*5=90 90-4=86 ok</think>\n<answer>18*5-4</answer>", [18, 5, 4], 94));

    [Fact]
    public void Verified_equation_reward_pays_a_right_answer_with_no_steps_written() =>
        Assert.Equal(1.0, CountdownRewards.VerifiedEquationReward("</think>\n<answer>18*5+4</answer>", [18, 5, 4], 94));

    [Theory]
    [InlineData(100, 0.0)]     // well inside the budget
    [InlineData(160, 0.0)]     // exactly max - cache
    [InlineData(176, -0.5)]    // halfway into the buffer
    [InlineData(192, -1.0)]    // the whole budget used
    [InlineData(193, -1.0)]    // beyond (cannot happen in a run, defined anyway)
    public void Soft_overlong_punishment_falls_linearly_over_the_last_cache_tokens(int length, double expected) =>
        Assert.Equal(expected, StandardRewards.Punishment(length, 192, 32), 12);

    [Fact]
    public void Soft_overlong_punishment_counts_the_completion_ids()
    {
        var f = StandardRewards.SoftOverlongPunishment(8, 4);
        double Score(int n) => f.Score(new RewardInput(new TrainingPrompt([1], null), "", Enumerable.Repeat(3, n).ToArray()));
        Assert.Equal([0.0, 0.0, -0.25, -0.75, -1.0], new[] { 3, 4, 5, 7, 8 }.Select(Score));
        Assert.Equal("soft_overlong_punishment", f.Name);
    }

    [Fact]
    public void Soft_overlong_punishment_refuses_a_cache_outside_the_budget()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StandardRewards.SoftOverlongPunishment(8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => StandardRewards.SoftOverlongPunishment(8, 9));
    }
}

public class AcceptCheckRewardTests
{
    static readonly ReasoningMarkers Verdicts = ReasoningMarkers.Default with { RejectMarkers = ["no"], AcceptMarkers = ["ok"] };
    static double Check(string completion, int target) => CountdownRewards.AcceptCheckReward(completion, target, Verdicts);

    [Fact]
    public void Accepting_an_attempt_that_reaches_the_target_by_right_steps_costs_nothing() =>
        Assert.Equal(0.0, Check("18+5=23 23+4=27 no 18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>", 94));

    [Fact]
    public void Accepting_an_attempt_whose_result_is_not_the_target_costs_one() =>
        Assert.Equal(-1.0, Check("12+4=16 16-15=1 no 12-4=8 15-8=7 ok</think>\n<answer>15-(12-4)</answer>", 5));

    [Fact]
    public void Accepting_an_attempt_with_a_wrong_step_costs_one() =>
        Assert.Equal(-1.0, Check("17-14=1 4+1=7 ok</think>\n<answer>4+17-14</answer>", 7));

    [Fact]
    public void A_slip_in_a_rejected_attempt_costs_nothing() =>
        Assert.Equal(0.0, Check("18+5=24 24+4=28 no 18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>", 94));

    [Fact]
    public void Reasoning_that_accepts_nothing_costs_nothing()
    {
        Assert.Equal(0.0, Check("18+5=23 23+4=27 no 18-5=13 13*4=52 no", 94));   // cut off between attempts
        Assert.Equal(0.0, Check("18+5=23 23+4=27 no 18-5=13", 94));               // cut off inside one
        Assert.Equal(0.0, Check("</think>\n<answer>18*5+4</answer>", 94));
    }
}
