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
