// The run summary on hand-made eval results: every expected sentence below is worked out by hand in the comments
// (means, flips and the exact sign test), not produced by the code under test.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Reports;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class RunSummaryTests
{
    // Ten problems (test_id 0-9), two samples each.
    //   greedy: base right on 0-3 (40%); final right on 0, 1, 4-9 (80%): 6 went wrong → right (4-9), 2 right → wrong (2, 3).
    //           sign test: n = 8, k = 2: P(X <= 2) = (1 + 8 + 28) / 256, two-sided 74/256 = 0.289 -> within noise.
    //   sampled: base [1,0] on 0-1, [0,0] elsewhere: mean (0.5 + 0.5) / 10 = 10%; final [1,0] everywhere: 50%.
    //           8 problems improved (2-9), none got worse: p = 2 / 2^8 = 0.0078 -> rose.
    //   pass@2: base solves 0-1 (20%), final all (100%): 8 unsolved → solved, 0 back: p = 0.0078 -> rose.
    //   format: base 1 everywhere (100%); final 0 on 0-5 (40%): 0 gained, 6 lost: p = 2 / 2^6 = 0.031 -> fell.
    static EvalResult Base() => Eval("base", 0, right: id => id < 4, sampled: id => id < 2 ? [1, 0] : [0, 0], format: _ => true);
    static EvalResult Final() => Eval("checkpoint-200", 200, right: id => id is < 2 or >= 4, sampled: _ => [1, 0], format: id => id >= 6);

    static EvalResult Eval(string name, int step, Func<int, bool> right, Func<int, double[]> sampled, Func<int, bool> format)
    {
        var records = Enumerable.Range(0, 10).Select(id => new EvalRecord(id, right(id) ? 1 : 0, "p", [1, 2, 3], $"gen {name} {id}",
            null, 6, format(id) ? 1 : 0, sampled(id), sampled(id).Select(_ => "s").ToArray())).ToList();
        return new EvalResult(name, step, "m", 10, records.Average(r => r.Score), records.Average(r => r.FormatReward),
            new SampledSummary(2, 1.0, 1.0, records.SelectMany(r => r.SampledScores!).Average(), 0), records)
        {
            Behaviour = new EvalBehaviour(ReasoningMarkers.Default, null, name == "base" ? BaseBehaviour : FinalBehaviour),
        };
    }

    static readonly BehaviourSummary BaseBehaviour = Behaviour(reflection: 0.1, recoveriesPer100: 5, faithful: 0.921, follows: 0.5, correctLength: 40, wrongLength: 70);
    static readonly BehaviourSummary FinalBehaviour = Behaviour(reflection: 0.25, recoveriesPer100: 15, faithful: 0.903, follows: null, correctLength: 45.5, wrongLength: 80);

    static BehaviourSummary Behaviour(double reflection, double recoveriesPer100, double faithful, double? follows, double correctLength, double wrongLength) =>
        new(20, 10, 5, reflection, null, null, null, 1, 0, (int)(recoveriesPer100 / 5), recoveriesPer100, 40, faithful, 0, follows,
            "tokens", correctLength, wrongLength);

    static readonly GrpoConfig Config = new() { Seed = 7, MaxSteps = 200, ModelNameOrPath = "models/m" };

    [Fact]
    public void Summary_says_what_was_compared_what_rose_what_fell_and_what_stayed_within_noise()
    {
        var summary = RunSummary.Of(Base(), Final(), Config, ReasoningMarkers.Default);
        Assert.Equal(
        [
            "Over 200 GRPO steps (seed 7, model models/m), the base model and checkpoint-200 answered the same 10 held-out problems.",
            "Rose: sampled accuracy, pass@2. Fell: format. Within noise: greedy accuracy.",
            "Sampled accuracy (mean of 2 samples at T=1) rose from 10.0% to 50.0% (+40.0 points; 8 problems improved, 0 got worse; sign test p = 0.008).",
            "Greedy accuracy stayed within noise: 40.0% to 80.0% (+40.0 points; 6 problems went wrong → right, 2 right → wrong; sign test p = 0.29).",
            "pass@2 rose from 20.0% to 100.0% (+80.0 points; 8 problems went unsolved → solved, 0 solved → unsolved; sign test p = 0.008).",
            "Format (greedy) fell from 100.0% to 40.0% (-60.0 points; 0 problems gained the format, 6 lost it; sign test p = 0.031).",
            "Behaviour of the sampled completions (20 for the base model, 20 for checkpoint-200): faithful arithmetic steps 92.1% → 90.3%; " +
            "recoveries per 100 completions 5.0 → 15.0; reflection rate 10.0% → 25.0%; answer follows the reasoning 50.0% → n/a; " +
            "length of correct completions 40.0 → 45.5 tokens, of wrong ones 70.0 → 80.0 tokens.",
        ], summary.Sentences);
        Assert.Equal(["rose", "unchanged", "rose", "fell"], summary.Changes.Select(c => c.Verdict));
    }

    [Fact]
    public void Problems_are_paired_by_test_id_and_only_shared_ones_count()
    {
        // The final eval lost problems 8 and 9: 8 pairs left; greedy base 4/8 = 50%, final right on 0, 1, 4-7 = 75%;
        // 4 went wrong → right, 2 right → wrong.
        var final = Final() with { Records = Final().Records.Where(r => r.TestId < 8).Reverse().ToList() };
        var greedy = RunSummary.Of(Base(), final, Config, ReasoningMarkers.Default).Changes.Single(c => c.Measure == "Greedy accuracy");
        Assert.Equal((8, 0.5, 0.75, 4, 2), (greedy.Problems, greedy.Base, greedy.Final, greedy.Improved, greedy.Worsened));
    }

    [Fact]
    public void A_shorter_run_and_a_missing_config_are_said_plainly()
    {
        var partial = RunSummary.Of(Base(), Final() with { Checkpoint = "checkpoint-150", Step = 150 }, Config, ReasoningMarkers.Default);
        Assert.StartsWith("Over 150 of 200 planned GRPO steps (seed 7, model models/m), the base model and checkpoint-150", partial.Sentences[0]);
        var unknown = RunSummary.Of(Base(), Final(), null, ReasoningMarkers.Default, "the run has no config.json");
        Assert.StartsWith("Over 200 GRPO steps (seed and model unknown: the run has no config.json)", unknown.Sentences[0]);
    }

    [Fact]
    public void Evals_without_a_shared_problem_compare_nothing()
    {
        var other = Final() with { Records = Final().Records.Select(r => r with { TestId = r.TestId + 100 }).ToList() };
        var summary = RunSummary.Of(Base(), other, Config, ReasoningMarkers.Default);
        Assert.Empty(summary.Changes);
        Assert.Equal("checkpoint-200 and the base model answered no problem in common (no shared test_id), so nothing can be compared.",
            summary.Sentences[1]);
    }

    [Fact]
    public void A_run_folder_summary_compares_base_with_the_last_checkpoint_and_needs_both()
    {
        var run = Directory.CreateTempSubdirectory("summary-run-").FullName;
        try
        {
            var folder = new RunFolder(run);
            Base().Save(folder.EvalPath("base"));
            Assert.Null(RunSummary.ForRun(new RunFolder(run)));
            Final().Save(folder.EvalPath("checkpoint-200"));
            (Final() with { Checkpoint = "checkpoint-100", Step = 100 }).Save(folder.EvalPath("checkpoint-100"));
            Config.Save(folder.ConfigPath);
            Assert.Contains("the base model and checkpoint-200 answered", RunSummary.ForRun(new RunFolder(run))!.Sentences[0]);
            File.WriteAllText(folder.ConfigPath, "{\"no_such_field\": 1}");
            Assert.Contains("seed and model unknown:", RunSummary.ForRun(new RunFolder(run))!.Sentences[0]);
            Assert.Contains("no_such_field", RunSummary.ForRun(new RunFolder(run))!.Sentences[0]);
        }
        finally { Directory.Delete(run, true); }
    }

    [Fact]
    public void Sign_test_p_values_match_the_binomial_by_hand()
    {
        Assert.Equal(74.0 / 256, SignTest.TwoSided(6, 2), 12);   // 2 (1 + 8 + 28) / 2^8
        Assert.Equal(74.0 / 256, SignTest.TwoSided(2, 6), 12);   // two-sided: symmetric
        Assert.Equal(2.0 / 1024, SignTest.TwoSided(10, 0), 12);
        Assert.Equal(1.0, SignTest.TwoSided(0, 0));               // nothing changed
        Assert.Equal(1.0, SignTest.TwoSided(5, 5));               // 2 P(X <= 5), capped at 1
        // Thousands of problems neither overflow nor underflow to nonsense.
        Assert.InRange(SignTest.TwoSided(3000, 3000), 0.98, 1.0);
        Assert.InRange(SignTest.TwoSided(2000, 1000), 0.0, 1e-60);
    }

    [Fact]
    public void Ema_matches_a_hand_computation_and_passes_undefined_values_through()
    {
        // w = 0.5: s1 = 0.5 -> 0.5 / 0.5 = 1; s2 = 0.25 + 1.5 = 1.75 -> 1.75 / 0.75 = 7/3; s3 = 0.875 + 1 = 1.875 -> 1.875 / 0.875 = 15/7.
        var smoothed = Ema.Smooth([1, 3, 2], 0.5);
        Assert.Equal([1, 7.0 / 3, 15.0 / 7], smoothed, (a, b) => Math.Abs(a - b) < 1e-12);
        // A NaN step (a behaviour metric with nothing to average) neither enters the average nor counts for the debiasing.
        var gap = Ema.Smooth([1, double.NaN, 3], 0.5);
        Assert.True(double.IsNaN(gap[1]));
        Assert.Equal(7.0 / 3, gap[2], 12);
        Assert.Equal([2.0, 2.0, 2.0], Ema.Smooth([2, 2, 2]));      // a constant stays exactly constant
        Assert.Equal([4.0, 1.0], Ema.Smooth([4, 1], 0));          // no smoothing: the raw values
        Assert.Throws<ArgumentOutOfRangeException>(() => Ema.Smooth([1], 1));
    }
}
