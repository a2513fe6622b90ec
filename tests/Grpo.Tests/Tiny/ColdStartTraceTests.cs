// Cold-start traces: well-formatted completions whose steps are real computations; correct unless deliberately sloppy.
using System.Text.RegularExpressions;
using Grpo.Countdown;
using Grpo.Tiny;
using Xunit;

namespace Grpo.Tests.Tiny;

public class ColdStartTraceTests
{
    private static readonly Regex Step = new(@"^(\d+)([+\-*/])(\d+)=(\d+)$");

    [Fact]
    public void Example_trace_has_the_documented_shape()
    {
        var trace = ColdStartTraces.Make([new CountdownProblem([12, 5, 3], 41)], 0)[0];
        Assert.Matches(@"^(\d+[+\-*/]\d+=\d+ \d+[+\-*/]\d+=\d+ no )*\d+[+\-*/]\d+=\d+ \d+[+\-*/]\d+=\d+ ok</think>\n<answer>[0-9+\-*/()]+</answer>$", trace.Completion);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_trace_scores_format_one_and_equation_one(int seed)
    {
        var problems = ProblemGenerator.Generate(400, seed, ProblemDistribution.Easy);
        foreach (var t in ColdStartTraces.Make(problems, seed))
        {
            Assert.Equal(1.0, CountdownRewards.FormatReward(t.Completion));
            Assert.Equal(1.0, CountdownRewards.EquationReward(t.Completion, t.Problem.Nums, t.Problem.Target).Reward);
            Assert.Equal(1.0, CountdownRewards.EquationReward(t.Completion + "<|im_end|>", t.Problem.Nums, t.Problem.Target).Reward);
        }
    }

    [Fact]
    public void Steps_are_correct_positive_integer_computations_and_attempts_end_as_labelled()
    {
        var problems = ProblemGenerator.Generate(300, 4, ProblemDistribution.Easy);
        foreach (var t in ColdStartTraces.Make(problems, 4))
        {
            string thinking = t.Completion[..t.Completion.IndexOf("</think>", StringComparison.Ordinal)];
            var attempts = Regex.Split(thinking, @"(?<= no| ok) ").ToArray();
            Assert.Equal(t.FailedAttempts + 1, attempts.Length);
            foreach (var (attempt, index) in attempts.Select((a, i) => (a, i)))
            {
                bool last = index == attempts.Length - 1;
                Assert.EndsWith(last ? " ok" : " no", attempt);
                var steps = attempt[..^3].Split(' ');
                Assert.Equal(t.Problem.Nums.Count - 1, steps.Length);
                long result = 0;
                foreach (var s in steps)
                {
                    var m = Step.Match(s);
                    Assert.True(m.Success, $"step '{s}' in '{t.Completion}'");
                    long a = long.Parse(m.Groups[1].Value), b = long.Parse(m.Groups[3].Value);
                    result = long.Parse(m.Groups[4].Value);
                    long expected = m.Groups[2].Value switch { "+" => a + b, "-" => a - b, "*" => a * b, _ => a / b };
                    Assert.Equal(expected, result);
                    if (m.Groups[2].Value == "/") Assert.Equal(0, a % b);
                    Assert.True(result > 0, s);
                }
                Assert.Equal(last, result == t.Problem.Target);
            }
        }
    }

    [Fact]
    public void Failed_attempt_counts_follow_the_odds()
    {
        var traces = ColdStartTraces.Make(ProblemGenerator.Generate(2000, 5, ProblemDistribution.Easy), 5);
        double Share(int n) => traces.Count(t => t.FailedAttempts == n) / (double)traces.Count;
        Assert.InRange(Share(0), 0.45, 0.55);
        Assert.InRange(Share(1), 0.25, 0.35);
        Assert.InRange(Share(2), 0.15, 0.25);
    }

    [Fact]
    public void Same_seed_gives_the_same_traces_and_another_seed_different_ones()
    {
        var problems = ProblemGenerator.Generate(100, 6, ProblemDistribution.Easy);
        var a = ColdStartTraces.Make(problems, 1).Select(t => t.Completion);
        Assert.Equal(a, ColdStartTraces.Make(problems, 1).Select(t => t.Completion));
        Assert.NotEqual(a, ColdStartTraces.Make(problems, 2).Select(t => t.Completion));
    }

    [Fact]
    public void Full_distribution_problems_get_correct_traces_too()
    {
        foreach (var t in ColdStartTraces.Make(ProblemGenerator.Generate(100, 7, ProblemDistribution.Full), 7))
            Assert.Equal(1.0, CountdownRewards.EquationReward(t.Completion, t.Problem.Nums, t.Problem.Target).Reward);
    }

    [Fact]
    public void Sloppy_endings_come_at_the_set_rate_and_answer_with_a_failed_attempt()
    {
        var traces = ColdStartTraces.Make(ProblemGenerator.Generate(2000, 8, ProblemDistribution.Easy), 8, sloppyAnswerRate: 0.3);
        Assert.InRange(traces.Count(t => t.Sloppy) / (double)traces.Count, 0.26, 0.34);
        foreach (var t in traces)
        {
            var (nums, target) = (t.Problem.Nums, t.Problem.Target);
            Assert.Equal(1.0, CountdownRewards.FormatReward(t.Completion));
            Assert.Equal(t.Sloppy ? 0.0 : 1.0, CountdownRewards.EquationReward(t.Completion, nums, target).Reward);
            // The reasoning itself still ends on the solution: only the answer is sloppy.
            Assert.EndsWith($"={target} ok", t.Completion[..t.Completion.IndexOf("</think>", StringComparison.Ordinal)]);
            if (!t.Sloppy) continue;
            var evaluated = EquationParser.Evaluate(t.Answer);
            Assert.True(evaluated.Ok, t.Answer);
            var value = evaluated.Value!.Value;
            Assert.NotEqual(Rational.FromInteger(target), value);
            Assert.Equal(nums.Select(n => (System.Numerics.BigInteger)n).Order(), evaluated.Numbers.Order());
            if (t.FailedAttempts > 0)   // copied from the last failed attempt written: its final step's value
                Assert.Contains($"={value} no", t.Completion);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Sloppy_rate_outside_zero_to_one_is_rejected(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ColdStartTraces.Make([new CountdownProblem([12, 5, 3], 41)], 0, rate));

    [Fact]
    public void Unsolvable_problem_is_rejected() =>
        Assert.Throws<ArgumentException>(() => ColdStartTraces.Make([new CountdownProblem([1, 1, 1], 100)], 0));
}
