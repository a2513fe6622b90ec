// Microsoft.Data.Analysis DataFrames of problems, eval records, accuracy, metrics, samples and aha hits, for the
// notebooks (the kernel extension shipped in the package renders them as HTML tables). Numbers are rounded for
// reading: shares as percentages with one decimal, other measures to a few significant digits.
using System.Globalization;
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
            new DoubleDataFrameColumn("score", r.Select(x => Significant(x.Score))),
            new DoubleDataFrameColumn("format_reward", r.Select(x => Significant(x.FormatReward))),
            new DoubleDataFrameColumn("gen_calculation", r.Select(x => Significant(x.GenCalculation))),
        };
        if (r.Any(x => x.SampledScores is not null))
            columns.Add(new DoubleDataFrameColumn("sampled %",
                r.Select(x => x.SampledScores is { Count: > 0 } s ? Percent(s.Average()) : null)));
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
                first.Select(x => byId.TryGetValue(x.TestId, out var s) ? Significant(s) : null)));
        }
        return new DataFrame(columns);
    }

    /// <summary>One row per eval file: greedy accuracy, format rate, sampled mean accuracy and pass@k, in percent.</summary>
    public static DataFrame Accuracy(IEnumerable<EvalResult> evals)
    {
        var list = evals.ToList();
        return new DataFrame(
            new StringDataFrameColumn("checkpoint", list.Select(e => e.Checkpoint)),
            new Int32DataFrameColumn("step", list.Select(e => e.Step)),
            new Int32DataFrameColumn("problems", list.Select(e => e.NumProblems)),
            new DoubleDataFrameColumn("greedy %", list.Select(e => Percent(e.Accuracy))),
            new DoubleDataFrameColumn("format %", list.Select(e => Percent(e.FormatRate))),
            new DoubleDataFrameColumn("sampled %", list.Select(e => Percent(e.Sampled?.MeanAccuracy))),
            new StringDataFrameColumn("pass@k %", list.Select(e => e.Sampled is { } s ? $"{Percent(s.PassAtK)?.ToString(CultureInfo.InvariantCulture)} (k={s.K})" : null)));
    }

    /// <summary>Step plus the chosen metrics (default: reward, accuracy, length, kl).</summary>
    public static DataFrame Metrics(IEnumerable<MetricsRow> rows, params string[] metrics)
    {
        var list = rows.OrderBy(r => r.Step).ToList();
        if (metrics.Length == 0)
            metrics = [MetricNames.Reward, MetricNames.RewardMean(CountdownRewards.EquationRewardName), MetricNames.MeanLength, MetricNames.Kl];
        var columns = new List<DataFrameColumn> { new Int32DataFrameColumn("step", list.Select(r => r.Step)) };
        foreach (var m in metrics) columns.Add(new DoubleDataFrameColumn(m, list.Select(r => Significant(r[m]))));
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
            new DoubleDataFrameColumn("reward", list.Select(s => Significant(s.Reward))),
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

    /// <summary>Hits per phrase, most frequent first: in the evaluations and in the training samples, each with how many
    /// of its hits were in correct completions.</summary>
    public static DataFrame AhaPhrases(IEnumerable<AhaHit> hits)
    {
        var groups = hits.Where(h => h.Kind == AhaExtractor.PhraseKind).GroupBy(h => h.Phrase).OrderByDescending(g => g.Count()).ToList();
        int Count(IEnumerable<AhaHit> g, bool eval, bool correctOnly = false) =>
            g.Count(h => AhaExtractor.IsEvalSource(h.Source) == eval && (!correctOnly || h.Correct));
        return new DataFrame(
            new StringDataFrameColumn("phrase", groups.Select(g => g.Key)),
            new Int32DataFrameColumn("hits in evaluations", groups.Select(g => Count(g, eval: true))),
            new Int32DataFrameColumn("in correct ones", groups.Select(g => Count(g, eval: true, correctOnly: true))),
            new Int32DataFrameColumn("hits in training samples", groups.Select(g => Count(g, eval: false))),
            new Int32DataFrameColumn("in correct samples", groups.Select(g => Count(g, eval: false, correctOnly: true))));
    }

    /// <summary>Hits per step, evaluations (a checkpoint's step) and training samples (the step that sampled them) apart:
    /// correct, wrong, total.</summary>
    public static DataFrame AhaCounts(IEnumerable<AhaHit> hits)
    {
        var groups = hits.GroupBy(h => (Eval: AhaExtractor.IsEvalSource(h.Source), h.Step)).OrderBy(g => g.Key.Eval ? 0 : 1).ThenBy(g => g.Key.Step).ToList();
        return new DataFrame(
            new StringDataFrameColumn("from", groups.Select(g => g.Key.Eval ? "evaluations" : "training samples")),
            new Int32DataFrameColumn("step", groups.Select(g => g.Key.Step)),
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

    /// <summary>A share as a percentage with one decimal (0.43333 -> 43.3).</summary>
    internal static double? Percent(double? share) => share is { } v ? Math.Round(100 * v, 1) : null;

    /// <summary>Four significant digits (1.2345678 -> 1.235, 0.000123456 -> 0.0001235), whole numbers as they are.</summary>
    internal static double? Significant(double? value)
    {
        if (value is not { } v || v == 0 || !double.IsFinite(v)) return value;
        int digits = Math.Clamp(3 - (int)Math.Floor(Math.Log10(Math.Abs(v))), 0, 15);
        return Math.Round(v, digits);
    }

    internal static string Nums(IReadOnlyList<int> nums) => "[" + string.Join(", ", nums) + "]";

    internal static string Cut(string text, int maxChars) =>
        text.Length <= maxChars ? text : text[..maxChars] + "…";
}
