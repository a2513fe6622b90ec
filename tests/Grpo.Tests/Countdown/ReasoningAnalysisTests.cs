// One completion's reasoning: markers, attempts, the accepted attempt, recoveries and answer-follows-reasoning, on
// hand-written traces in the tiny model's style and in free text (expected values worked out by hand beside each).
using Grpo.Countdown;
using Grpo.Tiny;
using Xunit;

namespace Grpo.Tests.Countdown;

public class ReasoningAnalysisTests
{
    static readonly ReasoningMarkers Tiny = ReasoningMarkers.Default with { RejectMarkers = ["no"], AcceptMarkers = ["ok"] };
    static readonly CountdownProblem P41 = new([12, 5, 3], 41);   // 12*3+5 = 41

    [Fact]
    public void Tiny_trace_with_a_failed_attempt_and_a_correct_answer_is_a_recovery()
    {
        var a = ReasoningAnalysis.Analyze("12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", P41, Tiny);
        Assert.Equal([("no", MarkerRole.Reject), ("ok", MarkerRole.Accept)], a.Trace.Markers.Select(m => (m.Marker, m.Role)));
        Assert.Equal([2, 2], a.Trace.Attempts.Select(x => x.Steps.Count));
        Assert.Equal(1, a.Trace.RejectedAttempts);
        Assert.Same(a.Trace.Attempts[1], a.Trace.Accepted);
        Assert.Equal((4, 4), (a.Trace.Steps.Count, a.Trace.RightSteps));
        Assert.True(a.Trace.Reflects);
        Assert.True(a.Correct);
        Assert.True(a.AnswerFollowsReasoning);
        Assert.True(a.Recovered);
        Assert.Equal(16, a.Trace.LastRejection!.Index);   // "12+5=17 17*3=51 " is 16 characters
    }

    [Fact]
    public void Sloppy_tiny_trace_answers_its_failed_attempt_so_the_answer_does_not_follow_and_is_no_recovery()
    {
        // The reasoning accepts 12*3+5 (= 41) but answers the rejected (12+5)*3 = 51.
        var a = ReasoningAnalysis.Analyze("12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>(12+5)*3</answer>", P41, Tiny);
        Assert.True(a.Trace.Reflects);
        Assert.False(a.Correct);
        Assert.False(a.AnswerFollowsReasoning);
        Assert.False(a.Recovered);
    }

    [Fact]
    public void A_slip_in_a_step_is_unfaithful_while_the_answer_still_follows_the_accepted_expression()
    {
        // 36+5 is 41, not 42; the accepted attempt composes to 12*3+5 all the same, which is the answer.
        var a = ReasoningAnalysis.Analyze("12*3=36 36+5=42 ok</think>\n<answer>12*3+5</answer>", P41, Tiny);
        Assert.Equal((2, 1), (a.Trace.Steps.Count, a.Trace.RightSteps));
        Assert.True(a.AnswerFollowsReasoning);
        Assert.True(a.Correct);
        Assert.False(a.Trace.Reflects);
        Assert.False(a.Recovered);
    }

    [Fact]
    public void Chinese_free_text_with_等等_and_重新检查_rejects_the_first_attempt_and_recovers()
    {
        const string text = "我们用 44 + 19 = 63,63 + 35 = 98。等等,35 用对了吗?重新检查:44 + 19 + 35 = 98。</think>\n<answer>44 + 19 + 35</answer>";
        var a = ReasoningAnalysis.Analyze(text, new CountdownProblem([44, 19, 35], 98), ReasoningMarkers.Default);
        // Markers 等等, 重新, 检查 (two phrases side by side); only 等等 has steps before it, so one attempt is rejected.
        Assert.Equal(["等等", "重新", "检查"], a.Trace.Markers.Select(m => m.Marker));
        Assert.Equal([2, 1], a.Trace.Attempts.Select(x => x.Steps.Count));
        Assert.Equal(1, a.Trace.RejectedAttempts);
        Assert.True(a.AnswerFollowsReasoning);
        Assert.True(a.Recovered);
    }

    [Fact]
    public void A_phrase_before_any_step_is_reflection_but_rejects_no_attempt()
    {
        const string text = "Wait, let me think. 55 + 36 - 7 - 19 = 65</think>\n<answer>55 + 36 - 7 - 19</answer>";
        var a = ReasoningAnalysis.Analyze(text, new CountdownProblem([55, 36, 7, 19], 65), ReasoningMarkers.Default);
        Assert.True(a.Trace.Reflects);
        Assert.Single(a.Trace.Attempts);
        Assert.Equal(0, a.Trace.RejectedAttempts);
        Assert.True(a.Correct);
        Assert.False(a.Recovered);
        Assert.True(a.AnswerFollowsReasoning);
    }

    [Fact]
    public void A_verdict_word_counts_only_right_after_a_step()
    {
        // "no" in "there is no way" is prose; "No," right after 3+4=7 is a verdict (case-insensitive, punctuation between).
        var prose = ReasoningAnalysis.Trace("there is no way: 3+4=7 ok", Tiny);
        Assert.Equal([MarkerRole.Accept], prose.Markers.Select(m => m.Role));
        Assert.False(prose.Reflects);

        var verdict = ReasoningAnalysis.Trace("3+4=7. No, 3*4=12 ok", Tiny);
        Assert.Equal([MarkerRole.Reject, MarkerRole.Accept], verdict.Markers.Select(m => m.Role));
        Assert.Equal(1, verdict.RejectedAttempts);

        // Without the model's verdict words the same text has no marker at all.
        Assert.Empty(ReasoningAnalysis.Trace("3+4=7. No, 3*4=12 ok", ReasoningMarkers.Default).Markers);
    }

    [Fact]
    public void When_every_attempt_is_rejected_there_is_no_accepted_attempt_to_follow()
    {
        var a = ReasoningAnalysis.Analyze("12+5=17 17*3=51 no</think>\n<answer>(12+5)*3</answer>", P41, Tiny);
        Assert.Null(a.Trace.Accepted);
        Assert.Null(a.AnswerFollowsReasoning);
    }

    [Fact]
    public void An_attempt_left_open_at_the_end_of_the_reasoning_counts_as_accepted()
    {
        var a = ReasoningAnalysis.Analyze("12+5=17 no 12*3=36 36+5=41</think>\n<answer>5+3*12</answer>", P41, Tiny);
        Assert.Equal(2, a.Trace.Attempts.Count);
        Assert.Same(a.Trace.Attempts[1], a.Trace.Accepted);
        Assert.True(a.AnswerFollowsReasoning);   // 5+3*12 has the value 41 and the numbers 12, 3, 5 of 12*3+5
    }

    [Fact]
    public void An_answer_with_the_accepted_value_but_other_numbers_does_not_follow()
    {
        // 12*3+5 = 41 and 40+1 = 41, but the numbers differ.
        var a = ReasoningAnalysis.Analyze("12*3=36 36+5=41 ok</think>\n<answer>40+1</answer>", P41, Tiny);
        Assert.False(a.AnswerFollowsReasoning);
    }

    [Fact]
    public void When_the_attempt_only_states_a_value_the_answer_needs_only_that_value()
    {
        // 40+1 does not use the problem's numbers, so the reasoning only reached the value 41; 12*3+5 is 41.
        var follows = ReasoningAnalysis.Analyze("40+1=41 ok</think>\n<answer>12*3+5</answer>", P41, Tiny);
        Assert.True(follows.AnswerFollowsReasoning);
        var other = ReasoningAnalysis.Analyze("40+1=41 ok</think>\n<answer>12*3-5</answer>", P41, Tiny);
        Assert.False(other.AnswerFollowsReasoning);   // 12*3-5 = 31
    }

    [Fact]
    public void A_missing_or_unparsable_answer_does_not_follow()
    {
        Assert.False(ReasoningAnalysis.Analyze("12*3=36 36+5=41 ok</think>", P41, Tiny).AnswerFollowsReasoning);
        Assert.False(ReasoningAnalysis.Analyze("12*3=36 36+5=41 ok</think>\n<answer>12*3+5=41</answer>", P41, Tiny).AnswerFollowsReasoning);
    }

    [Fact]
    public void Composing_an_attempt_replaces_each_earlier_result_once()
    {
        string Compose(string text) => ReasoningAnalysis.Compose(ArithmeticSteps.Find(text));
        Assert.Equal("(12*3)+5", Compose("12*3=36 36+5=41"));
        Assert.Equal("((44 + 19) + 35) * 2", Compose("44 + 19 = 63 + 35 = 98 * 2 = 196"));
        // nums [2, 4, 6]: the first 6 is the result of 2+4, the second the problem's own 6.
        Assert.Equal("(2+4)+6", Compose("2+4=6 6+6=12"));
    }

    [Fact]
    public void Only_the_reasoning_is_read_not_the_answer_or_text_after_it()
    {
        var t = ReasoningAnalysis.Trace("3+4=7 ok</think>\n<answer>3+4</answer> wait 1+1=2", ReasoningMarkers.Default);
        Assert.Single(t.Steps);
        Assert.Empty(t.Markers);
        Assert.Equal("3+4=7 ok", t.Reasoning);
        // Without </think> the reasoning ends at the first <answer>; without either it is the whole text.
        Assert.Equal("3+4=7 wait ", ReasoningAnalysis.Trace("3+4=7 wait <answer>3+4</answer>", ReasoningMarkers.Default).Reasoning);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Cold_start_traces_read_as_they_were_written(int seed)
    {
        // The tiny model's training traces: every step is computed exactly, FailedAttempts attempts end in "no", the
        // solution in "ok", and a sloppy trace answers a failed attempt instead of the solution it found.
        var markers = ReasoningMarkers.ForModel(Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny"));
        var traces = ColdStartTraces.Make(ProblemGenerator.Generate(300, seed, ProblemDistribution.Easy), seed, sloppyAnswerRate: 0.3);
        Assert.Contains(traces, t => t.Sloppy);
        Assert.Contains(traces, t => t.FailedAttempts == 2);
        foreach (var t in traces)
        {
            var a = ReasoningAnalysis.Analyze(t.Completion + "<|im_end|>", t.Problem, markers);
            Assert.Equal(a.Trace.Steps.Count, a.Trace.RightSteps);
            Assert.Equal(t.FailedAttempts + 1, a.Trace.Attempts.Count);
            Assert.Equal(t.FailedAttempts, a.Trace.RejectedAttempts);
            Assert.Equal(t.FailedAttempts > 0, a.Trace.Reflects);
            Assert.Equal(!t.Sloppy, a.Correct);
            Assert.Equal(!t.Sloppy, a.AnswerFollowsReasoning);
            Assert.Equal(!t.Sloppy && t.FailedAttempts > 0, a.Recovered);
        }
    }
}
