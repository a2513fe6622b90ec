// Chart outputs for notebook front ends (Jupyter, VS Code, nbconvert's HTML export) that need no network:
// PlotlyScript() is shown once per notebook and carries plotly.js; every chart output (Html) draws with it.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grpo.Reports;
using Plotly.NET;

namespace Grpo.Notebook;

public static class NotebookCharts
{
    // Charts whose output rendered before the PlotlyScript output wait here (a page renders outputs in order, but a
    // chart re-run or scrolled into view first must still draw once plotly.js arrives).
    const string Waiting = "window.grpoPlotlyWaiting";

    static readonly Lazy<string> Script = new(BuildPlotlyScript);

    /// <summary>plotly.js as Plotly.NET ships it, e.g. "2.28.0".</summary>
    public static string PlotlyVersion => Regex.Match(ChartHtml.PlotlyJs(), @"plotly\.js v(\S+)").Groups[1].Value;

    /// <summary>
    /// The HTML output that brings plotly.js to the page (inlined, ~3.6 MB: once per notebook, not per chart, and
    /// not in the live chart's updates), then draws the charts that were waiting for it. A page that already has
    /// plotly.js (a second run of the cell) keeps its copy.
    /// </summary>
    public static string PlotlyScript() => Script.Value;

    /// <summary>The chart as a div and a script that draws it with the page's plotly.js (see <see cref="PlotlyScript"/>).
    /// Register it as the notebook's HTML formatter for <see cref="GenericChart"/>.</summary>
    public static string Html(GenericChart chart)
    {
        string figure = GenericChart.toJson(chart);
        var layout = JsonNode.Parse(figure)?["layout"];
        string size = (layout?["width"], layout?["height"]) is ({ } w, { } h) ? $" style=\"width:{w}px;height:{h}px\"" : "";
        string id = "grpo-chart-" + Guid.NewGuid().ToString("N");
        // "</" cannot occur in JSON outside strings, and "<\/" reads back as "</" inside one.
        return $$"""
            <div class="grpo-chart" id="{{id}}"{{size}}></div>
            <script type="text/javascript">
            (function () {
              var figure = {{figure.Replace("</", "<\\/")}};
              var draw = function () { Plotly.newPlot('{{id}}', figure.data, figure.layout, figure.config); };
              if (window.Plotly) draw(); else ({{Waiting}} = {{Waiting}} || []).push(draw);
            })();
            </script>
            """;
    }

    /// <summary>Saves the chart as a self-contained HTML file (ChartHtml.Save) and returns it for the cell to show.</summary>
    public static GenericChart ShowSaved(GenericChart chart, string path)
    {
        ChartHtml.Save(chart, path);
        return chart;
    }

    static string BuildPlotlyScript() =>
        $$"""
        <div class="grpo-plotlyjs" style="font-size:smaller;color:gray">plotly.js {{PlotlyVersion}} for this notebook's charts (inlined: they draw without a network)</div>
        <script type="text/javascript">
        (function () {
          if (!window.Plotly) {
            // Hidden from plotly.js's loader check: with an AMD loader on the page (require.js in classic Jupyter and
            // nbconvert exports) it would register as an anonymous module and leave window.Plotly unset.
            var define, module, exports;
        {{ChartHtml.PlotlyJs().Replace("</script", "<\\/script")}}
          }
          var waiting = {{Waiting}} || [];
          {{Waiting}} = [];
          waiting.forEach(function (draw) { draw(); });
        })();
        </script>
        """;
}
