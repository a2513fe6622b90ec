// Behaviour charts: the behaviour metrics per checkpoint (base first), greedy and sampled side by side, and notebook 05's
// re-thinking and recovery rates against their base rate.
using Grpo.Countdown;
using Grpo.Evaluation;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace Grpo.Reports;

public static partial class Charts
{
    /// <summary>The measures drawn per checkpoint, all on a 0-100 scale (shares as percentages, recoveries per 100).</summary>
    static readonly (string Label, Func<BehaviourSummary, double?> Value)[] BehaviourLines =
    [
        ("faithful steps %", s => 100 * s.FaithfulSteps),
        ("answer follows reasoning %", s => 100 * s.AnswerFollowsReasoning),
        ("reflection rate %", s => 100 * s.ReflectionRate),
        ("recoveries per 100 completions", s => s.RecoveriesPer100),
        ("first-try solves per 100 completions", s => s.FirstTrySolvesPer100),
    ];

    /// <summary>One panel per decoding (greedy, sampled), checkpoints in the order given (base first, as
    /// <see cref="BehaviourTable.Rows"/> orders them), one line per measure; a measure keeps its colour in both panels.</summary>
    public static GenericChart BehaviourPerCheckpoint(IReadOnlyList<BehaviourRow> rows)
    {
        var decodings = rows.GroupBy(r => r.Decoding).ToList();
        if (decodings.Count == 0) return Empty("Behaviour per checkpoint", "No eval file with behaviour metrics");
        var panels = decodings.Select((group, panel) => Chart.Combine(BehaviourLines.Select((m, i) =>
        {
            var points = group.Where(r => m.Value(r.Summary) is not null).ToList();
            return Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(Chart.Line<string, double, string>(
                    points.Select(r => r.Checkpoint).ToArray(), points.Select(r => m.Value(r.Summary)!.Value).ToArray(),
                    ShowMarkers: true, Name: m.Label, ShowLegend: panel == 0, LineColor: Color.fromString(Palette[i % Palette.Length])),
                LegendGroup: m.Label);
        }))).ToList();
        var titles = decodings.Select(g => $"{g.Key} ({g.First().Summary.Completions} completions at the first checkpoint)").ToArray();
        var grid = Chart.Grid(panels, 1, panels.Count, SubPlotTitles: titles, Pattern: StyleParam.LayoutGridPattern.Independent);
        return Titled(grid, "Behaviour per checkpoint (base first; docs/behaviour-metrics.md)", null, null, 1000, 460);
    }

    /// <summary>Re-thinking (share of completions with a marker) and recoveries per 100 completions for each series of
    /// <see cref="AhaBaseline.Rows"/> (or of its evaluation or training rows), against the step; a dotted line of the same
    /// colour marks each series' base rate. <paramref name="what"/> names the rows in the title.</summary>
    public static GenericChart AhaAgainstBase(IReadOnlyList<AhaBaselineRow> rows, string what = "")
    {
        string title = "Re-thinking and recoveries" + (what.Length > 0 ? " in " + what : "") + " against the base rate";
        if (rows.Count == 0) return Empty(title, "No completions to count");
        int minStep = rows.Min(r => r.Rate.LastStep), maxStep = rows.Max(r => r.Rate.LastStep);
        var series = rows.GroupBy(r => r.Series).ToList();
        GenericChart Panel(Func<AhaRate, double> value, bool legend) => Chart.Combine(series.SelectMany((g, i) =>
        {
            var color = Color.fromString(Palette[i % Palette.Length]);
            var points = g.ToList();
            double baseValue = value(points[0].Base);
            return new[]
            {
                Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(Chart.Line<int, double, string>(
                    points.Select(r => r.Rate.LastStep).ToArray(), points.Select(r => value(r.Rate)).ToArray(), ShowMarkers: true,
                    Name: g.Key, ShowLegend: legend, LineColor: color), LegendGroup: g.Key),
                Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(Chart.Line<int, double, string>(
                    [minStep, maxStep], [baseValue, baseValue], Name: g.Key + " (base rate)", ShowLegend: false, LineColor: color,
                    LineDash: StyleParam.DrawingStyle.Dot, LineWidth: 1), LegendGroup: g.Key),
            };
        }));
        var grid = Chart.Grid([Panel(r => 100 * r.ReflectionRate, true), Panel(r => r.RecoveriesPer100, false)], 2, 1,
            SubPlotTitles: new[] { "completions with a re-thinking marker (%)", "recoveries per 100 completions" },
            Pattern: StyleParam.LayoutGridPattern.Coupled);
        return Titled(grid, title + " (dotted: each series' base)", "step", null, 900, 620);
    }
}
