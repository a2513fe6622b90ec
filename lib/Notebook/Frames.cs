// Microsoft.Data.Analysis DataFrames of problems, eval records, accuracy, metrics, samples and aha hits, for the
// notebooks (the kernel extension shipped in the package renders them as HTML tables).
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Reports;
using Grpo.Training;
using Microsoft.Data.Analysis;

namespace Grpo.Notebook;

public static class Frames
{
    /// <summary>One row per problem: how many numbers, the numbers, the target.</summary>
    public static DataFrame Problems(IEnumerable<(IReadOnlyList<int> Nums, int Target)> problems)
    {
        var list = problems.ToList();
        return new DataFrame(
            new Int32DataFrameColumn("count", list.Select(p => p.Nums.Count)),
            new StringDataFrameColumn("nums", list.Select(p => Nums(p.Nums))),
            new Int32DataFrameColumn("target", list.Select(p => p.Target)));
    }

    public static DataFrame Problems(IEnumerable<CountdownProblem> problems) =>
        Problems(problems.Select(p => (p.Nums, p.Target)));

    /// <summary>One row per test problem of an eval file; generations are cut to <paramref name="maxChars"/>.</summary>
    public static DataFrame EvalRecords(EvalResult eval, int maxChars = 160)
    {
        var r = eval.Records;
        var columns = new List<DataFrameColumn>
        {
            new Int32DataFrameColumn("test_id", r.Select(x => x.TestId)),
            new StringDataFrameColumn("nums", r.Select(x => Nums(x.Nums))),
            new Int32DataFrameColumn("target", r.Select(x => x.Target)),
            new DoubleDataFrameColumn("score", r.Select(x => x.Score)),
            new DoubleDataFrameColumn("format_reward", r.Select(x => x.FormatReward)),
            new DoubleDataFrameColumn("gen_calculation", r.Select(x => x.GenCalculation)),
        };
        if (r.Any(x => x.SampledScores is not null))
            columns.Add(new DoubleDataFrameColumn("sampled_accuracy",
                r.Select(x => x.SampledScores is { Count: > 0 } s ? s.Average() : (double?)null)));
        columns.Add(new StringDataFrameColumn("generation", r.Select(x => Cut(x.Generation, maxChars))));
        return new DataFrame(columns);
    }

    /// <summary>Per-problem comparison of several evals (e.g. base and every checkpoint): one score column each.</summary>
    public static DataFrame ScoresByCheckpoint(IEnumerable<EvalResult> evals)
    {
        var list = evals.ToList();
        if (list.Count == 0) return new DataFrame();
        var first = list[0].Records;
        var columns = new List<DataFrameColumn>
        {
            new Int32DataFrameColumn("test_id", first.Select(x => x.TestId)),
            new StringDataFrameColumn("nums", first.Select(x => Nums(x.Nums))),
            new Int32DataFrameColumn("target", first.Select(x => x.Target)),
        };
        foreach (var e in list)
        {
            var byId = e.Records.ToDictionary(x => x.TestId, x => x.Score);
            columns.Add(new DoubleDataFrameColumn(e.Checkpoint,
                first.Select(x => byId.TryGetValue(x.TestId, out var s) ? s : (double?)null)));
        }
        return new DataFrame(columns);
    }

    /// <summary>One row per eval file: greedy accuracy, format rate, sampled mean accuracy and pass@k.</summary>
    public static DataFrame Accuracy(IEnumerable<EvalResult> evals)
    {
        var list = evals.ToList();
        return new DataFrame(
            new StringDataFrameColumn("checkpoint", list.Select(e => e.Checkpoint)),
            new Int32DataFrameColumn("step", list.Select(e => e.Step)),
            new Int32DataFrameColumn("problems", list.Select(e => e.NumProblems)),
            new DoubleDataFrameColumn("greedy_accuracy", list.Select(e => e.Accuracy)),
            new DoubleDataFrameColumn("format_rate", list.Select(e => e.FormatRate)),
            new DoubleDataFrameColumn("sampled_accuracy", list.Select(e => e.Sampled?.MeanAccuracy)),
            new DoubleDataFrameColumn("pass_at_k", list.Select(e => e.Sampled?.PassAtK)));
    }

    /// <summary>Step plus the chosen metrics (default: reward, accuracy, length, kl).</summary>
    public static DataFrame Metrics(IEnumerable<MetricsRow> rows, params string[] metrics)
    {
        var list = rows.OrderBy(r => r.Step).ToList();
        if (metrics.Length == 0)
            metrics = [MetricNames.Reward, MetricNames.RewardMean(CountdownRewards.EquationRewardName), MetricNames.MeanLength, MetricNames.Kl];
        var columns = new List<DataFrameColumn> { new Int32DataFrameColumn("step", list.Select(r => r.Step)) };
        foreach (var m in metrics) columns.Add(new DoubleDataFrameColumn(m, list.Select(r => r[m])));
        return new DataFrame(columns);
    }

    /// <summary>Completion samples (from completion_samples.txt), text cut to <paramref name="maxChars"/>.</summary>
    public static DataFrame Samples(IEnumerable<CompletionSample> samples, int maxChars = 200)
    {
        var list = samples.ToList();
        return new DataFrame(
            new Int32DataFrameColumn("step", list.Select(s => s.Step)),
            new StringDataFrameColumn("nums", list.Select(s => Nums(s.Nums))),
            new Int32DataFrameColumn("target", list.Select(s => s.Target)),
            new DoubleDataFrameColumn("reward", list.Select(s => s.Reward)),
            new Int32DataFrameColumn("equation", list.Select(s => s.Equation)),
            new StringDataFrameColumn("completion", list.Select(s => Cut(s.Completion, maxChars))));
    }

    /// <summary>The frame, or <paramref name="note"/> when it has no rows (an empty table reads like a display fault).</summary>
    public static object OrNote(DataFrame frame, string note) => frame.Rows.Count > 0 ? frame : note;

    /// <summary>Aha hits with their context.</summary>
    public static DataFrame AhaHits(IEnumerable<AhaHit> hits)
    {
        var list = hits.ToList();
        return new DataFrame(
            new StringDataFrameColumn("source", list.Select(h => h.Source)),
            new Int32DataFrameColumn("step", list.Select(h => h.Step)),
            new StringDataFrameColumn("kind", list.Select(h => h.Kind)),
            new StringDataFrameColumn("phrase", list.Select(h => h.Phrase)),
            new BooleanDataFrameColumn("correct", list.Select(h => h.Correct)),
            new Int32DataFrameColumn("test_id", list.Select(h => h.TestId)),
            new StringDataFrameColumn("context", list.Select(h => h.Context)));
    }

    /// <summary>Hits per phrase: in correct and in wrong completions, most frequent first.</summary>
    public static DataFrame AhaPhrases(IEnumerable<AhaHit> hits)
    {
        var groups = hits.Where(h => h.Kind == AhaExtractor.PhraseKind).GroupBy(h => h.Phrase).OrderByDescending(g => g.Count()).ToList();
        return new DataFrame(
            new StringDataFrameColumn("phrase", groups.Select(g => g.Key)),
            new Int32DataFrameColumn("hits", groups.Select(g => g.Count())),
            new Int32DataFrameColumn("in_correct", groups.Select(g => g.Count(h => h.Correct))),
            new Int32DataFrameColumn("in_wrong", groups.Select(g => g.Count(h => !h.Correct))));
    }

    /// <summary>Hits per step: correct, wrong, total.</summary>
    public static DataFrame AhaCounts(IEnumerable<AhaHit> hits)
    {
        var groups = hits.GroupBy(h => h.Step).OrderBy(g => g.Key).ToList();
        return new DataFrame(
            new Int32DataFrameColumn("step", groups.Select(g => g.Key)),
            new Int32DataFrameColumn("correct", groups.Select(g => g.Count(h => h.Correct))),
            new Int32DataFrameColumn("wrong", groups.Select(g => g.Count(h => !h.Correct))),
            new Int32DataFrameColumn("total", groups.Select(g => g.Count())));
    }

    /// <summary>The first <paramref name="count"/> wrong greedy answers in full: numbers, target, what the
    /// generated equation computes to, and the whole generation.</summary>
    public static string Failures(EvalResult eval, int count = 3) =>
        string.Join("\n\n", eval.Records.Where(r => r.Score < 1).Take(count).Select(r =>
            $"--- test {r.TestId}: nums {Nums(r.Nums)}, target {r.Target}, computed {(r.GenCalculation?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing")}, format {r.FormatReward}\n{r.Generation}"));

    /// <summary>The first n rows (all when fewer; DataFrame.Head throws past the end).</summary>
    public static DataFrame Head(DataFrame frame, int n) => frame.Head((int)Math.Min(n, frame.Rows.Count));

    /// <summary>The last n rows (all when fewer).</summary>
    public static DataFrame Tail(DataFrame frame, int n) => frame.Tail((int)Math.Min(n, frame.Rows.Count));

    internal static string Nums(IReadOnlyList<int> nums) => "[" + string.Join(", ", nums) + "]";

    internal static string Cut(string text, int maxChars) =>
        text.Length <= maxChars ? text : text[..maxChars] + "…";
}
