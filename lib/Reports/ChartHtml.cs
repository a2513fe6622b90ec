// Saves charts as self-contained HTML: plotly.js (bundled inside Plotly.NET) is embedded, no CDN needed. The chart's
// figure is written here rather than by Plotly.NET's HTML writer, which puts labels raw inside <script> (a label
// holding "</script>" would end the block and run whatever follows); HtmlEncoding.ScriptJson escapes it.
using System.Text.Json.Nodes;
using Plotly.NET;

namespace Grpo.Reports;

public static class ChartHtml
{
    /// <summary>A whole HTML document with plotly.js inlined (~3.5 MB).</summary>
    public static string ToStandaloneHtml(GenericChart chart) =>
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<script type=\"text/javascript\">" + HtmlEncoding.ScriptSource(PlotlyJs()) +
        "</script>\n</head><body>\n" + Fragment(chart) + "</body></html>\n";

    /// <summary>Writes <paramref name="chart"/> to <paramref name="path"/> (folders created) and returns the path.</summary>
    public static string Save(GenericChart chart, string path)
    {
        Grpo.Files.AtomicFile.WriteAllText(path, ToStandaloneHtml(chart));
        return path;
    }

    /// <summary>The div + script that draws the chart, for pages that load plotly.js once (see <see cref="PlotlyJs"/>).</summary>
    public static string Fragment(GenericChart chart)
    {
        // data, layout and config as Plotly.NET serializes them, re-encoded for a script block.
        var figure = JsonNode.Parse(GenericChart.toJson(chart));
        var id = "chart-" + Guid.NewGuid().ToString("N");
        return $"<div><div id=\"{id}\"></div><script type=\"text/javascript\">(function () {{\n" +
               $"  var figure = {HtmlEncoding.ScriptJson(figure)};\n" +
               $"  Plotly.newPlot('{id}', figure.data, figure.layout, figure.config);\n}})();</script></div>\n";
    }

    /// <summary>plotly.min.js as Plotly.NET ships it (embedded resource).</summary>
    public static string PlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        return new StreamReader(stream).ReadToEnd();
    }
}
