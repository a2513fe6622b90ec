// Plotly.NET chart builders for the notebooks and report.html: accuracy per checkpoint, data histograms, aha counts
// (training curves: Charts.Training.cs; behaviour and base rates: Charts.Behaviour.cs). Each returns a GenericChart;
// notebooks display it, ChartHtml saves it.
using Grpo.Countdown;
using Grpo.Evaluation;
using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace Grpo.Reports;

public static partial class Charts
{
    /// <summary>Greedy accuracy and sampled mean accuracy (and pass@k when present) per checkpoint; the base model is
    /// the first point, so the gain over the base reads left to right.</summary>
    public static GenericChart AccuracyPerCheckpoint(IEnumerable<EvalResult> evals)
    {
        var list = Ordered(evals);
        var labels = list.Select(e => e.Checkpoint).ToArray();
        var charts = new List<GenericChart>
        {
            Chart.Line<string, double, string>(labels, list.Select(e => e.Accuracy).ToArray(), ShowMarkers: true, Name: "greedy"),
        };
        var sampled = list.Where(e => e.Sampled is not null).ToList();
        if (sampled.Count > 0)
        {
            charts.Add(Chart.Line<string, double, string>(sampled.Select(e => e.Checkpoint).ToArray(),
                sampled.Select(e => e.Sampled!.MeanAccuracy).ToArray(), ShowMarkers: true,
                Name: $"sampled (mean of {sampled[0].Sampled!.K}, T={RunFiles.Format(sampled[0].Sampled!.Temperature)})"));
            charts.Add(Chart.Line<string, double, string>(sampled.Select(e => e.Checkpoint).ToArray(),
                sampled.Select(e => e.Sampled!.PassAtK).ToArray(), ShowMarkers: true, Name: $"pass@{sampled[0].Sampled!.K}"));
        }
        return Titled(Chart.Combine(charts), "Accuracy per checkpoint", "checkpoint", "accuracy", yRange: (0, 1));
    }

    /// <summary>One metric against the step (e.g. "kl", "entropy", "completions/clipped_ratio").</summary>
    public static GenericChart MetricCurve(IEnumerable<MetricsRow> metrics, string metric, string? label = null)
    {
        var points = metrics.Where(r => r.Values.ContainsKey(metric)).OrderBy(r => r.Step).ToList();
        return Titled(Chart.Line<int, double, string>(points.Select(r => r.Step).ToArray(),
            points.Select(r => r.Values[metric]).ToArray(), Name: label ?? metric), label ?? metric, "step", label ?? metric);
    }

    /// <summary>How many problems have 3, 4, … numbers.</summary>
    public static GenericChart NumberCountHistogram(IEnumerable<IReadOnlyList<int>> nums)
    {
        var counts = nums.GroupBy(n => n.Count).OrderBy(g => g.Key).ToList();
        return Titled(Chart.Column<int, string, string>(counts.Select(g => g.Count()).ToArray(),
            Keys: counts.Select(g => $"{g.Key} numbers").ToArray(), Name: "problems"), "How many numbers", null, "problems");
    }

    public static GenericChart NumberCountHistogram(IEnumerable<CountdownProblem> problems) =>
        NumberCountHistogram(problems.Select(p => p.Nums));

    public static GenericChart TargetHistogram(IEnumerable<CountdownProblem> problems) => TargetHistogram(problems.Select(p => p.Target));

    /// <summary>Distribution of the targets.</summary>
    public static GenericChart TargetHistogram(IEnumerable<int> targets) =>
        Titled(Chart.Histogram<int, int, string>(X: targets.ToArray(), Name: "targets"), "Targets", "target", "problems");

    /// <summary>Aha-phrase hits per step, split into correct and wrong completions.</summary>
    public static GenericChart AhaCountsPerStep(IEnumerable<AhaHit> hits)
    {
        var list = hits.ToList();
        if (list.Count == 0) return Empty("Aha phrases per step", "No aha phrase in the scanned completions");
        var steps = list.Select(h => h.Step).Distinct().OrderBy(s => s).ToArray();
        GenericChart Bars(bool correct, string name) => Chart.Column<int, string, string>(
            steps.Select(s => list.Count(h => h.Step == s && h.Correct == correct)).ToArray(),
            Keys: steps.Select(s => s.ToString()).ToArray(), Name: name);
        return Titled(Chart.Combine([Bars(true, "correct"), Bars(false, "wrong")]), "Aha phrases per step", "step", "hits");
    }

    /// <summary>Share of scanned completions with at least one aha phrase, per step, one line per source
    /// (texts per step vary, so rates compare where raw counts do not).</summary>
    public static GenericChart AhaHitRate(IEnumerable<AhaStepCount> counts)
    {
        var charts = counts.GroupBy(c => c.Source).Select(g =>
        {
            var points = g.OrderBy(c => c.Step).ToList();
            return Chart.Line<int, double, string>(points.Select(c => c.Step).ToArray(), points.Select(c => c.HitRate).ToArray(),
                ShowMarkers: true, Name: g.Key);
        }).ToList();
        return charts.Count == 0
            ? Empty("Completions with an aha phrase", "No completions to scan")
            : Titled(Chart.Combine(charts), "Completions with an aha phrase", "step", "share of completions");
    }

    /// <summary>A chart with nothing to plot: its title and a sentence saying so, no axes (Plotly draws empty axes
    /// from -1 to 6, which reads like data).</summary>
    public static GenericChart Empty(string title, string message)
    {
        var layout = new Layout();
        var hidden = new Dictionary<string, object> { ["visible"] = false };
        layout.SetProperty("xaxis", hidden);
        layout.SetProperty("yaxis", hidden);
        layout.SetProperty("annotations", new[]
        {
            new Dictionary<string, object>
            {
                ["text"] = message, ["showarrow"] = false, ["xref"] = "paper", ["yref"] = "paper", ["x"] = 0.5, ["y"] = 0.5,
                ["font"] = new Dictionary<string, object> { ["size"] = 16 },
            },
        });
        var chart = GenericChart.addLayout(layout, Chart.Line<int, int, string>([], [], Name: title));
        return Titled(chart, title, null, null, height: 240);
    }

    static List<EvalResult> Ordered(IEnumerable<EvalResult> evals) =>
        evals.OrderBy(e => e.Checkpoint == "base" ? 0 : 1).ThenBy(e => e.Step).ToList();

    static GenericChart Titled(GenericChart chart, string title, string? x, string? y, int width = 800, int height = 420,
                               (double Min, double Max)? yRange = null)
    {
        chart = Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
        chart = chart.WithSize(width, height);
        if (x is not null) chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: x);
        if (y is not null && yRange is { } r)
            chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: y,
                MinMax: new Tuple<double, double>(r.Min - 0.02, r.Max + 0.02));
        else if (y is not null) chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: y);
        return chart;
    }
}
