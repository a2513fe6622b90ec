// Notebook 05's conclusion on hand-made evals (the evaluator's record format): re-thinking and recoveries of the base
// model against the last checkpoint, problem by problem, called "rose" only past the sign test, and said in plain words.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Reports;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class AhaSummaryTests
{
    const string Straight = "3*5=15 15+7=22</think>\n<answer>3*5+7</answer>";
    const string Rethought = "3+5=8 wait 3*5=15 15+7=22</think>\n<answer>3*5+7</answer>";

    static EvalResult Eval(string checkpoint, int step, Func<int, string> generation, int problems = 8) => new(
        checkpoint, step, "m", problems, 1.0, 1.0, null,
        Enumerable.Range(0, problems).Select(i => new EvalRecord(i, 1, "p", [3, 5, 7], generation(i), 22, 22, 1)).ToList());

    [Fact]
    public void The_rules_the_summary_counts_with_are_the_extractors()
    {
        Assert.Equal((false, false), AhaExtractor.Classify(Straight, correct: true, ReasoningMarkers.Default));
        Assert.Equal((true, true), AhaExtractor.Classify(Rethought, correct: true, ReasoningMarkers.Default));
        Assert.Equal((true, false), AhaExtractor.Classify(Rethought, correct: false, ReasoningMarkers.Default));
        var found = AhaExtractor.Extract([new AhaDocument("eval/x", 1, Rethought, true, 0)], new AhaConfig(ReasoningMarkers.Default, 10));
        Assert.Equal((1, 1), (found.Counts[0].CompletionsWithHit, found.Counts[0].Recoveries));
    }

    [Fact]
    public void Re_thinking_on_every_problem_after_training_rose_and_the_conclusion_says_so()
    {
        var summary = AhaSummary.Of(Eval("base", 0, _ => Straight), Eval("checkpoint-40", 40, _ => Rethought), ReasoningMarkers.Default, []);
        Assert.Equal(["rose", "rose"], summary.Changes.Select(c => c.Verdict));
        Assert.Equal((0.0, 1.0, 8, 0), (summary.Changes[0].Base, summary.Changes[0].Final, summary.Changes[0].Improved, summary.Changes[0].Worsened));
        Assert.StartsWith("The base model and checkpoint-40 (after 40 GRPO steps) answered the same 8 held-out problems.", summary.Sentences[0]);
        Assert.Equal("Rose: greedy completions with a re-thinking marker, greedy recoveries.", summary.Sentences[1]);
        Assert.StartsWith("In plain words: greedy completions with a re-thinking marker and greedy recoveries rose above the base model's own rate", summary.Conclusion);
        Assert.Equal(summary.Conclusion, summary.Sentences[^1]);
    }

    [Fact]
    public void Re_thinking_the_base_model_already_did_is_no_aha_moment()
    {
        // Half the problems re-think before and after training, on different problems: nothing rose.
        var summary = AhaSummary.Of(Eval("base", 0, i => i % 2 == 0 ? Rethought : Straight),
            Eval("checkpoint-40", 40, i => i % 2 == 1 ? Rethought : Straight), ReasoningMarkers.Default, []);
        Assert.All(summary.Changes, c => Assert.Equal("unchanged", c.Verdict));
        Assert.StartsWith("In plain words: no aha moment in this run.", summary.Conclusion);
        Assert.Contains("stayed within noise: 50.0% to 50.0%", summary.Sentences[2]);
    }

    [Fact]
    public void Training_samples_are_described_first_block_against_last_and_the_html_leads_with_the_conclusion()
    {
        var counts = new[]
        {
            new AhaStepCount(AhaExtractor.SamplesSource, 1, 20, 2, 2, 1, new Dictionary<string, int>()),
            new AhaStepCount(AhaExtractor.SamplesSource, 30, 10, 5, 5, 2, new Dictionary<string, int>()),
            new AhaStepCount("eval/base", 0, 8, 0, 0, 0, new Dictionary<string, int>()),
        };
        var summary = AhaSummary.Of(Eval("base", 0, _ => Straight), Eval("checkpoint-40", 40, _ => Straight), ReasoningMarkers.Default,
            AhaBaseline.TrainingRows(counts, 20));
        Assert.Contains(summary.Sentences, s => s.StartsWith("While training, 10.0% of the sampled completions kept from step 1 had a re-thinking marker (20 completions) and 50.0% of those from step 30 (10)"));
        var html = ReportSections.AhaSummary(summary);
        Assert.StartsWith("<div class=\"summary\">\n<p><b>In short.</b> In plain words: no aha moment", html);
        Assert.Contains("No conclusion yet", ReportSections.AhaSummary(null));
    }
}
