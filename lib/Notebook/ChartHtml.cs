// Saves charts as self-contained HTML: plotly.js (bundled inside Plotly.NET) is embedded, no CDN needed.
using Microsoft.FSharp.Core;
using Plotly.NET;

namespace Grpo.Notebook;

public static class ChartHtml
{
    static readonly DisplayOptions Embedded = DisplayOptions.init(null, null, null, null, null, null,
        FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.Full));

    /// <summary>A whole HTML document with plotly.js inlined (~3.5 MB).</summary>
    public static string ToStandaloneHtml(GenericChart chart) =>
        GenericChart.toEmbeddedHTML(GenericChart.addDisplayOptions(Embedded, chart));

    /// <summary>Writes <paramref name="chart"/> to <paramref name="path"/> (folders created) and returns the path.</summary>
    public static string Save(GenericChart chart, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, ToStandaloneHtml(chart));
        return path;
    }

    /// <summary>The div + script that draws the chart, for pages that load plotly.js once (see <see cref="PlotlyJs"/>).</summary>
    public static string Fragment(GenericChart chart) =>
        GenericChart.toChartHTML(GenericChart.addDisplayOptions(Embedded, chart));

    /// <summary>plotly.min.js as Plotly.NET ships it (embedded resource).</summary>
    public static string PlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        return new StreamReader(stream).ReadToEnd();
    }
}
