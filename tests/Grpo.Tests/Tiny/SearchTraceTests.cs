// Search traces: a search over first steps with backtracking, from several strategies; every step a right positive
// whole-number computation, no attempt repeated, the last attempt the first that reaches the target.
using System.Text.RegularExpressions;
using Grpo.Countdown;
using Grpo.Tiny;
using Xunit;

namespace Grpo.Tests.Tiny;

public class SearchTraceTests
{
    static readonly Regex Step = new(@"^(\d+)([+\-*/])(\d+)=(\d+)$");

    static IEnumerable<(ColdStartTrace Trace, string Strategy)> Traces(int count, int seed)
    {
        var rng = new Random(seed);
        foreach (var p in ProblemGenerator.Generate(count, seed, ProblemDistribution.Easy))
            foreach (var strategy in SearchTraces.Strategies)
                yield return (SearchTraces.Make(p, strategy, rng), strategy);
    }

    static string[] AttemptsOf(ColdStartTrace t) =>
        Regex.Split(t.Completion[..t.Completion.IndexOf("</think>", StringComparison.Ordinal)], @"(?<= no| ok) ");

    [Fact]
    public void A_systematic_trace_tries_pairs_in_the_prompts_order_and_answers_with_the_attempt_that_hit()
    {
        var trace = SearchTraces.Make(new CountdownProblem([2, 5, 12], 15), "systematic", new Random(0));
        Assert.Equal("5+2=7 12+7=19 no 5-2=3 12+3=15 ok</think>\n<answer>12+5-2</answer>", trace.Completion);
        Assert.Equal(1, trace.FailedAttempts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_trace_scores_one_on_both_rewards_and_on_the_verified_reward(int seed)
    {
        foreach (var (t, _) in Traces(300, seed))
        {
            Assert.Equal(1.0, CountdownRewards.FormatReward(t.Completion + "<|im_end|>"));
            Assert.Equal(1.0, CountdownRewards.EquationReward(t.Completion, t.Problem.Nums, t.Problem.Target).Reward);
            Assert.Equal(1.0, CountdownRewards.VerifiedEquationReward(t.Completion, t.Problem.Nums, t.Problem.Target));
        }
    }

    [Fact]
    public void Steps_are_right_larger_first_and_only_the_last_attempt_reaches_the_target()
    {
        foreach (var (t, _) in Traces(300, 3))
        {
            var attempts = AttemptsOf(t);
            Assert.Equal(t.FailedAttempts + 1, attempts.Length);
            Assert.Equal(attempts.Length, attempts.Distinct().Count());   // never a repeated attempt
            for (int i = 0; i < attempts.Length; i++)
            {
                bool last = i == attempts.Length - 1;
                Assert.EndsWith(last ? " ok" : " no", attempts[i]);
                var steps = attempts[i][..^3].Split(' ');
                Assert.Equal(2, steps.Length);
                long value = 0;
                foreach (var s in steps)
                {
                    var m = Step.Match(s);
                    Assert.True(m.Success, s);
                    long a = long.Parse(m.Groups[1].Value), b = long.Parse(m.Groups[3].Value);
                    value = long.Parse(m.Groups[4].Value);
                    Assert.True(a >= b, s);
                    Assert.Equal(m.Groups[2].Value switch { "+" => a + b, "-" => a - b, "*" => a * b, _ => a / b }, value);
                    Assert.True(value > 0 && (m.Groups[2].Value != "/" || a % b == 0), s);
                }
                Assert.Equal(last, value == t.Problem.Target);
            }
        }
    }

    [Fact]
    public void The_second_step_is_the_operation_nearest_the_target()
    {
        // 24 and 16 towards 1: 24-16=8 is nearest (24/16 is not whole, 40 and 384 are further).
        var attempts = SearchTraces.Attempts(new CountdownProblem([20, 4, 16], 1), "systematic", new Random(0));
        Assert.Equal("20+4=24 24-16=8", attempts[0].Steps);
    }

    [Fact]
    public void Nearest_orders_first_steps_by_distance_to_the_target_and_random_is_a_permutation_of_the_same_attempts()
    {
        var p = new CountdownProblem([6, 13, 5], 71);
        var systematic = SearchTraces.Attempts(p, "systematic", new Random(0));
        var nearest = SearchTraces.Attempts(p, "nearest", new Random(0));
        var random = SearchTraces.Attempts(p, "random", new Random(0));
        Assert.Equal(nearest.Select(a => Math.Abs(a.FirstValue - 71)).Order(), nearest.Select(a => Math.Abs(a.FirstValue - 71)));
        Assert.Equal(systematic.Select(a => a.Steps).Order(), nearest.Select(a => a.Steps).Order());
        Assert.Equal(systematic.Select(a => a.Steps).Order(), random.Select(a => a.Steps).Order());
        Assert.NotEqual(systematic.Select(a => a.Steps), random.Select(a => a.Steps));
    }

    [Fact]
    public void Cyclic_enters_the_systematic_order_at_a_random_attempt_and_wraps_around()
    {
        var p = new CountdownProblem([6, 13, 5], 71);
        var systematic = SearchTraces.Attempts(p, "systematic", new Random(0)).Select(a => a.Steps).ToList();
        var starts = new HashSet<string>();
        var rng = new Random(3);
        for (int i = 0; i < 40; i++)
        {
            var cyclic = SearchTraces.Attempts(p, "cyclic", rng).Select(a => a.Steps).ToList();
            int start = systematic.IndexOf(cyclic[0]);
            Assert.Equal(systematic.Skip(start).Concat(systematic.Take(start)), cyclic);
            starts.Add(cyclic[0]);
        }
        Assert.True(starts.Count > systematic.Count / 2, $"{starts.Count} distinct starts of {systematic.Count}");
    }

    [Fact]
    public void Equal_numbers_give_no_duplicate_attempts()
    {
        var attempts = SearchTraces.Attempts(new CountdownProblem([17, 1, 17], 1), "systematic", new Random(0));
        Assert.Equal(attempts.Count, attempts.Select(a => a.Steps).Distinct().Count());
    }

    [Fact]
    public void Strategies_are_mixed_about_evenly_and_the_traces_repeat_for_a_seed()
    {
        var problems = ProblemGenerator.Generate(600, 9, ProblemDistribution.Easy);
        var a = SearchTraces.Make(problems, 5, ["systematic", "nearest", "random"]);
        Assert.Equal(a.Select(t => t.Completion), SearchTraces.Make(problems, 5, ["systematic", "nearest", "random"]).Select(t => t.Completion));
        // Systematic traces open with the prompt's first pair added; a third of them plus chance matches.
        int systematicOpenings = a.Count(t => t.Completion.StartsWith($"{Math.Max(t.Problem.Nums[0], t.Problem.Nums[1])}+{Math.Min(t.Problem.Nums[0], t.Problem.Nums[1])}=", StringComparison.Ordinal));
        Assert.InRange(systematicOpenings, 600 / 3, 600 * 2 / 3);
    }

    [Fact]
    public void Four_numbers_are_refused() =>
        Assert.Throws<ArgumentException>(() => SearchTraces.Make(new CountdownProblem([1, 2, 3, 4], 10), "systematic", new Random(0)));
}
