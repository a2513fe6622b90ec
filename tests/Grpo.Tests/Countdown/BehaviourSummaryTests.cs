// Behaviour metrics over many completions and the per-step metric key/values, on five hand-written tiny-model
// completions whose every expected value is counted by hand in the comments.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class BehaviourSummaryTests
{
    static readonly ReasoningMarkers Tiny = ReasoningMarkers.Default with { RejectMarkers = ["no"], AcceptMarkers = ["ok"] };
    static readonly CountdownProblem P0 = new([12, 5, 3], 41);   // 12*3+5
    static readonly CountdownProblem P1 = new([3, 4, 5], 35);    // (3+4)*5

    // (problem id, problem, text, tokens)               correct reflects attempts rejected steps right follows
    static readonly (int Id, CountdownProblem P, string Text, int Tokens)[] Five =
    [
        (0, P0, "12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", 40),   // yes yes 2 1 4 4 yes (recovery)
        (0, P0, "12+5=17 17*3=51 ok</think>\n<answer>(12+5)*3</answer>", 30),                    // no  no  1 0 2 2 yes
        (1, P1, "3+4=7 7*5=35 ok</think>\n<answer>(3+4)*5</answer>", 20),                        // yes no  1 0 2 2 yes
        (1, P1, "3*4=12 12+5=18 ok</think>\n<answer>3*4+5</answer>", 25),                        // no  no  1 0 2 1 yes (12+5 is 17)
        (1, P1, "3*4=12 12+5=17 no 3+4=7 7*5=35 ok</think>\n<answer>3*4+5</answer>", 50),        // no  yes 2 1 4 4 no (sloppy)
    ];

    static BehaviourSummary Summary(bool withTokens) => BehaviourSummary.Of(
        Five.Select(c => new AnalysedCompletion(c.Id, ReasoningAnalysis.Analyze(c.Text, c.P, Tiny), withTokens ? c.Tokens : null)).ToList());

    [Fact]
    public void Counts_and_rates_match_the_hand_count()
    {
        var s = Summary(withTokens: true);
        Assert.Equal((5, 2, 2), (s.Completions, s.Problems, s.Correct));
        Assert.Equal(2.0 / 5, s.ReflectionRate);            // completions 1 and 5
        Assert.Equal(1.0 / 2, s.ReflectionRateCorrect);     // of the correct 1 and 3, completion 1
        Assert.Equal(1.0 / 3, s.ReflectionRateWrong);       // of the wrong 2, 4 and 5, completion 5
        Assert.Equal(1.0, s.ReflectionRateProblems);        // problem 0 through completion 1, problem 1 through completion 5
        Assert.Equal(7.0 / 5, s.AttemptsPerCompletion);     // 2 + 1 + 1 + 1 + 2
        Assert.Equal(2.0 / 5, s.RejectedAttemptsPerCompletion);
        Assert.Equal(1, s.Recoveries);                      // only completion 1 rejects an attempt and answers correctly
        Assert.Equal(20.0, s.RecoveriesPer100);
        Assert.Equal(20.0, s.FirstTrySolvesPer100);         // completion 3: correct, nothing rejected
        Assert.Equal(14, s.ArithmeticSteps);                // 4 + 2 + 2 + 2 + 4
        Assert.Equal(13.0 / 14, s.FaithfulSteps);           // all but 12+5=18
        Assert.Equal(5, s.WithAcceptedAttempt);
        Assert.Equal(4.0 / 5, s.AnswerFollowsReasoning);    // all but the sloppy completion 5
        Assert.Equal("tokens", s.LengthUnit);
        Assert.Equal((40 + 20) / 2.0, s.LengthCorrect);
        Assert.Equal((30 + 25 + 50) / 3.0, s.LengthWrong);
    }

    [Fact]
    public void Without_every_token_count_lengths_are_characters_of_the_completion_without_end_tokens()
    {
        const string correct = "3+4=7 7*5=35 ok</think>\n<answer>(3+4)*5</answer>";
        const string wrong = "3+4=7 ok</think>\n<answer>3+4+5</answer>";
        var s = BehaviourSummary.Of(
        [
            new AnalysedCompletion(0, ReasoningAnalysis.Analyze(correct + "<|im_end|>", P1, Tiny), 11),
            new AnalysedCompletion(0, ReasoningAnalysis.Analyze(wrong, P1, Tiny)),
        ]);
        Assert.Equal("characters", s.LengthUnit);
        Assert.Equal(correct.Length, s.LengthCorrect);
        Assert.Equal(wrong.Length, s.LengthWrong);
    }

    [Fact]
    public void What_cannot_be_averaged_is_null_not_zero()
    {
        var s = BehaviourSummary.Of([new AnalysedCompletion(0, ReasoningAnalysis.Analyze("no steps</think>\n<answer>3+4</answer>", P1, Tiny))]);
        Assert.Null(s.ReflectionRateCorrect);   // no correct completion
        Assert.Null(s.LengthCorrect);
        Assert.Null(s.FaithfulSteps);           // no arithmetic step
        Assert.Null(s.AnswerFollowsReasoning);  // no accepted attempt
        Assert.Equal(0.0, s.ReflectionRate);
        Assert.Equal(0.0, s.RecoveriesPer100);

        var empty = BehaviourSummary.Of([]);
        Assert.Equal(0, empty.Completions);
        Assert.Null(empty.ReflectionRate);
        Assert.Null(empty.RecoveriesPer100);
        Assert.Null(empty.FirstTrySolvesPer100);
    }

    [Fact]
    public void A_step_gives_behaviour_metrics_keyed_for_metrics_jsonl()
    {
        var metrics = BehaviourSummary.ForStep(Five.Select(c => new StepCompletion(c.Id, c.P, c.Text, c.Tokens)), Tiny)
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(
        [
            "behaviour/reflection_rate", "behaviour/reflection_rate_correct", "behaviour/reflection_rate_wrong",
            "behaviour/reflection_rate_problems", "behaviour/attempts_per_completion", "behaviour/recoveries_per_100",
            "behaviour/first_try_solves_per_100", "behaviour/faithful_steps", "behaviour/answer_follows_reasoning", "behaviour/length_correct", "behaviour/length_wrong",
        ], metrics.Keys);
        Assert.Equal(0.4, metrics["behaviour/reflection_rate"], 12);
        Assert.Equal(20.0, metrics["behaviour/recoveries_per_100"], 12);
        Assert.Equal(20.0, metrics["behaviour/first_try_solves_per_100"], 12);
        Assert.Equal(13.0 / 14, metrics["behaviour/faithful_steps"], 12);
        Assert.Equal(0.8, metrics["behaviour/answer_follows_reasoning"], 12);
        Assert.Equal(30.0, metrics["behaviour/length_correct"], 12);
        Assert.Equal(35.0, metrics["behaviour/length_wrong"], 12);
    }

    [Fact]
    public void A_step_without_wrong_completions_reports_NaN_for_their_rates_and_keeps_every_key()
    {
        var metrics = BehaviourSummary.ForStep([new StepCompletion(0, P1, "3+4=7 7*5=35 ok</think>\n<answer>(3+4)*5</answer>", 9)], Tiny);
        Assert.Equal(11, metrics.Count);
        Assert.True(double.IsNaN(metrics.Single(kv => kv.Key == "behaviour/reflection_rate_wrong").Value));
        Assert.True(double.IsNaN(metrics.Single(kv => kv.Key == "behaviour/length_wrong").Value));
        Assert.Equal(9.0, metrics.Single(kv => kv.Key == "behaviour/length_correct").Value);
    }
}
