// Training curves: one panel per TrainingPanels entry, each metric drawn twice in one colour, the raw per-step values
// faint behind their EMA (TensorBoard-style, Ema.cs), so the trend shows without hiding the noise. Each panel has its
// own legend beside it, and no two metrics share a colour.
using Microsoft.FSharp.Core;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace Grpo.Reports;

public static partial class Charts
{
    /// <summary>Plotly's default colours (D3 category 10), then darker and lighter hues of D3's category 20b/c that differ
    /// from them: a series keeps its colour for raw and smoothed values, and the training curves' 13 metrics get one each.</summary>
    static readonly string[] Palette =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
        "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#6b6ecf", "#b5cf6b", "#e7969c",
    ];

    /// <summary>Space between stacked panels, as a share of one panel's height: room for each panel's title.</summary>
    const double PanelGap = 0.3;

    /// <summary>Opacity of the raw values behind the smoothed line.</summary>
    const double RawOpacity = 0.3;

    /// <summary>The panels of <see cref="TrainingPanels.For"/> stacked on a shared step axis; each metric raw (faint)
    /// and smoothed with <see cref="Ema.Smooth"/>.</summary>
    public static GenericChart TrainingCurves(IEnumerable<MetricsRow> metrics, double smoothing = Ema.DefaultSmoothing)
    {
        var rows = metrics.OrderBy(r => r.Step).ToList();
        var panels = TrainingPanels.For(rows);
        if (panels.Count == 0) return Empty("Training curves", "No training step logged yet");
        int color = 0;
        // More metrics than colours happens only with many custom reward functions; then colours repeat across panels.
        var charts = panels.Select((p, i) => Chart.Combine(p.Series.SelectMany(s =>
            RawAndSmoothed(rows, s, Palette[color++ % Palette.Length], smoothing).Select(c => InLegend(c, LegendId(i)))))).ToList();
        var grid = Chart.Grid(charts, panels.Count, 1, SubPlotTitles: panels.Select(p => p.Title).ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Coupled, YGap: PanelGap);
        var layout = GenericChart.getLayout(grid);
        for (int i = 0; i < panels.Count; i++) layout.SetProperty(LegendId(i), PanelLegend(i, panels.Count));
        grid = GenericChart.setLayout(layout, grid);
        var title = $"Training curves: EMA (smoothing {smoothing.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}) over the raw per-step values (faint)";
        return Titled(grid, title, "step", null, 1000, 230 * panels.Count + 100);
    }

    /// <summary>Plotly.js names a figure's legends legend, legend2, legend3 …; a trace names the one it is listed in.</summary>
    static string LegendId(int panel) => panel == 0 ? "legend" : $"legend{panel + 1}";

    static GenericChart InLegend(GenericChart chart, string legendId) =>
        GenericChart.mapTrace(FuncConvert.FromFunc<Trace, Trace>(t => { t.SetProperty("legend", legendId); return t; }), chart);

    /// <summary>The legend of panel <paramref name="panel"/> of <paramref name="panels"/> stacked ones: right of the plot,
    /// its top level with the panel's top (a panel is 1 / (n + (n-1) gap) of the height, a gap <see cref="PanelGap"/> of that).</summary>
    static Dictionary<string, object> PanelLegend(int panel, int panels)
    {
        double cell = 1.0 / (panels + (panels - 1) * PanelGap);
        return new Dictionary<string, object>
        {
            ["x"] = 1.02, ["xanchor"] = "left", ["y"] = 1 - panel * cell * (1 + PanelGap), ["yanchor"] = "top",
            ["bgcolor"] = "rgba(255,255,255,0)",
        };
    }

    static IEnumerable<GenericChart> RawAndSmoothed(List<MetricsRow> rows, CurveSeries series, string color, double smoothing)
    {
        var points = rows.Where(r => r.Values.ContainsKey(series.Metric)).ToList();
        var x = points.Select(r => r.Step).ToArray();
        var y = points.Select(r => r.Values[series.Metric]).ToArray();
        var c = Color.fromString(color);
        // Raw first, so it is drawn behind; one legend entry (the smoothed line) toggles both.
        yield return Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(
            Chart.Line<int, double, string>(x, y, Name: series.Label + " (raw)", ShowLegend: false, Opacity: RawOpacity, LineColor: c, LineWidth: 1),
            LegendGroup: series.Metric);
        // A single point draws no line: show it as a marker.
        yield return Plotly.NET.CSharp.GenericChartExtensions.WithTraceInfo(
            Chart.Line<int, double, string>(x, Ema.Smooth(y, smoothing), ShowMarkers: x.Length == 1, Name: series.Label, LineColor: c, LineWidth: 2),
            LegendGroup: series.Metric);
    }
}
