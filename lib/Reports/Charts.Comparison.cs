// Runs overlaid (RunComparison): accuracy and behaviour per checkpoint, one colour per run in every panel, the legend
// naming each run and the settings that tell it apart. The x axis is the step (the base model at 0), so runs that saved
// checkpoints at other steps still line up.
using Grpo.Evaluation;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace Grpo.Reports;

public static partial class Charts
{
    /// <summary>Panels for greedy accuracy and, when any run sampled, sampled mean accuracy and pass@k; one line per run.</summary>
    public static GenericChart AccuracyOverlay(IReadOnlyList<ComparedRun> runs)
    {
        if (runs.All(r => r.Evals.Count == 0)) return Empty("Accuracy per checkpoint, runs side by side", "No eval/*.json in these runs");
        var measures = new List<(string Title, Func<EvalResult, double?> Value)> { ("greedy accuracy", e => e.Accuracy) };
        if (runs.Any(r => r.Evals.Any(e => e.Sampled is not null)))
        {
            measures.Add(("sampled accuracy (mean of the k samples)", e => e.Sampled?.MeanAccuracy));
            measures.Add(("pass@k", e => e.Sampled?.PassAtK));
        }
        var panels = measures.Select((m, panel) => FixedRange(Chart.Combine(runs.Select((run, i) =>
        {
            var points = Ordered(run.Evals).Where(e => m.Value(e) is not null).ToList();
            return RunLine(points.Select(e => e.Step).ToArray(), points.Select(e => m.Value(e)!.Value).ToArray(), run, i, panel == 0);
        })), 0, 1)).ToList();
        var grid = Chart.Grid(panels, 1, panels.Count, SubPlotTitles: measures.Select(m => m.Title).ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Independent);
        return LegendBelow(Titled(grid, "Accuracy per checkpoint, runs side by side (x: step; the base model at 0)", null, null,
            Math.Max(700, 380 * panels.Count), 480));
    }

    /// <summary>One panel per behaviour measure (rows) and decoding (columns: greedy, sampled); one line per run.</summary>
    public static GenericChart BehaviourOverlay(IReadOnlyList<ComparedRun> runs)
    {
        var decodings = runs.SelectMany(r => r.Behaviour).Select(b => b.Decoding).Distinct().ToList();
        if (decodings.Count == 0) return Empty("Behaviour per checkpoint, runs side by side", "No eval file with behaviour metrics");
        var panels = new List<GenericChart>();
        var titles = new List<string>();
        foreach (var (label, value) in BehaviourLines)
            foreach (var decoding in decodings)
            {
                titles.Add($"{label}, {decoding}");
                panels.Add(FixedRange(Chart.Combine(runs.Select((run, i) =>
                {
                    var points = run.Behaviour.Where(b => b.Decoding == decoding && value(b.Summary) is not null).OrderBy(b => b.Step).ToList();
                    return RunLine(points.Select(b => b.Step).ToArray(), points.Select(b => value(b.Summary)!.Value).ToArray(), run, i, panels.Count == 0);
                })), 0, 100));
            }
        var grid = Chart.Grid(panels, BehaviourLines.Length, decodings.Count, SubPlotTitles: titles.ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Independent, YGap: 0.45);
        return LegendBelow(Titled(grid, "Behaviour per checkpoint, runs side by side (x: step; docs/behaviour-metrics.md)", null, null,
            Math.Max(700, 480 * decodings.Count), 260 * BehaviourLines.Length + 160));
    }

    /// <summary>The panel's y axis over the whole scale of its measure, so that flat lines do not fill the panel and
    /// panels compare at a glance.</summary>
    static GenericChart FixedRange(GenericChart panel, double min, double max)
    {
        double pad = (max - min) * 0.02;
        return Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<double, double, string>(panel,
            MinMax: new Tuple<double, double>(min - pad, max + pad));
    }

    /// <summary>A run's line in one panel: its colour everywhere, listed once in the legend, toggled in all panels at once.</summary>
    static GenericChart RunLine(int[] steps, double[] values, ComparedRun run, int index, bool inLegend) =>
        Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(Chart.Line<int, double, string>(steps, values, ShowMarkers: true,
            Name: run.Label, ShowLegend: inLegend, LineColor: Color.fromString(Palette[index % Palette.Length])), LegendGroup: run.Run.Root);

    /// <summary>The legend under the panels, one run per line: labels that name settings are long.</summary>
    static GenericChart LegendBelow(GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        layout.SetProperty("legend", new Dictionary<string, object> { ["x"] = 0, ["y"] = -0.1, ["yanchor"] = "top" });
        return GenericChart.setLayout(layout, chart);
    }
}
