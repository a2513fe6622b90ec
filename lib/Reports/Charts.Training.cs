// Training curves: one panel per TrainingPanels entry, each metric drawn twice in one colour, the raw per-step values
// faint behind their EMA (TensorBoard-style, Ema.cs), so the trend shows without hiding the noise.
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;

namespace Grpo.Reports;

public static partial class Charts
{
    /// <summary>Plotly's default colours (D3 category 10): a series keeps its colour for raw and smoothed values.</summary>
    static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

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
        var charts = panels.Select(p => Chart.Combine(p.Series.SelectMany(s => RawAndSmoothed(rows, s, Palette[color++ % Palette.Length], smoothing)))).ToList();
        var grid = Chart.Grid(charts, panels.Count, 1, SubPlotTitles: panels.Select(p => p.Title).ToArray(),
            Pattern: StyleParam.LayoutGridPattern.Coupled);
        var title = $"Training curves: EMA (smoothing {smoothing.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}) over the raw per-step values (faint)";
        return Titled(grid, title, "step", null, 900, 230 * panels.Count + 100);
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
