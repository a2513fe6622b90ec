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

    /// <summary>Aha-phrase hits per step, split into correct and wrong completions: one panel for the evaluations (the
    /// same held-out problems at each checkpoint, x = the checkpoint's step) and one for the training samples (x = the
    /// step that sampled them), each where it has hits.</summary>
    public static GenericChart AhaCountsPerStep(IEnumerable<AhaHit> hits)
    {
        var list = hits.ToList();
        if (list.Count == 0) return Empty("Aha phrases per step", "No aha phrase in the scanned completions");
        var panels = new List<(string Title, GenericChart Chart)>();
        foreach (var (title, ofPanel) in HitPanels(list))
        {
            var steps = ofPanel.Select(h => h.Step).Distinct().OrderBy(s => s).ToArray();
            GenericChart Bars(bool correct, string name, string color) => Chart.Column<int, string, string>(
                steps.Select(s => ofPanel.Count(h => h.Step == s && h.Correct == correct)).ToArray(),
                Keys: steps.Select(s => s.ToString()).ToArray(), Name: name, ShowLegend: panels.Count == 0,
                MarkerColor: Color.fromString(color));
            panels.Add((title, Chart.Combine([Bars(true, "in correct completions", Palette[2]), Bars(false, "in wrong completions", Palette[3])])));
        }
        return Titled(Chart.Grid(panels.Select(p => p.Chart), panels.Count, 1, SubPlotTitles: panels.Select(p => p.Title).ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Independent, YGap: 0.4), "Aha phrases per step", null, "hits", 800, 300 * panels.Count + 120);
    }

    /// <summary>Share of scanned completions with at least one aha phrase, against the step: one panel for the evaluations
    /// (greedy and sampled lines across checkpoints), one for the training samples (a line per sample file); texts per
    /// step vary, so rates compare where raw counts do not.</summary>
    public static GenericChart AhaHitRate(IEnumerable<AhaStepCount> counts)
    {
        var list = counts.ToList();
        if (list.Count == 0) return Empty("Completions with an aha phrase", "No completions to scan");
        var panels = new List<(string Title, GenericChart Chart)>();
        int color = 0;
        foreach (var (title, ofPanel) in new[] { (EvaluationsTitle, list.Where(c => AhaExtractor.IsEvalSource(c.Source)).ToList()),
                                                 (TrainingTitle, list.Where(c => !AhaExtractor.IsEvalSource(c.Source)).ToList()) })
        {
            if (ofPanel.Count == 0) continue;
            panels.Add((title, Chart.Combine(ofPanel.GroupBy(c => AhaBaseline.SeriesOf(c.Source)).Select(g =>
            {
                var points = g.OrderBy(c => c.Step).ToList();
                return Chart.Line<int, double, string>(points.Select(c => c.Step).ToArray(), points.Select(c => c.HitRate).ToArray(),
                    ShowMarkers: true, Name: g.Key, LineColor: Color.fromString(Palette[color++ % Palette.Length]));
            }))));
        }
        return Titled(Chart.Grid(panels.Select(p => p.Chart), panels.Count, 1, SubPlotTitles: panels.Select(p => p.Title).ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Independent, YGap: 0.4), "Completions with an aha phrase", null,
            "share of completions", 800, 300 * panels.Count + 120);
    }

    const string EvaluationsTitle = "evaluations: held-out problems, the base model (step 0) and each checkpoint";
    const string TrainingTitle = "training samples: completions sampled while training, by step";

    static IEnumerable<(string Title, List<AhaHit> Hits)> HitPanels(List<AhaHit> hits)
    {
        var eval = hits.Where(h => AhaExtractor.IsEvalSource(h.Source)).ToList();
        var training = hits.Where(h => !AhaExtractor.IsEvalSource(h.Source)).ToList();
        if (eval.Count > 0) yield return (EvaluationsTitle, eval);
        if (training.Count > 0) yield return (TrainingTitle, training);
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
