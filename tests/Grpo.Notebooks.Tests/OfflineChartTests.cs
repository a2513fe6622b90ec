// Charts render without the internet: each executed notebook's nbconvert HTML export, opened in headless Chromium
// with the network blocked, draws every chart (an SVG in each plot div), also when the page has an AMD loader and
// when a chart output comes before the output that carries plotly.js. The CDN output of Plotly.NET.Interactive,
// recorded as a fixture, stays blank under the same check.
using Xunit;

namespace Grpo.Notebooks.Tests;

[Collection("notebooks")]
public sealed class OfflineChartTests(NotebookChain chain)
{
    public static TheoryData<string> Notebooks => new(NotebookChain.Names);

    static string Html(string executedPath) =>
        OfflineBrowser.ExportHtml(executedPath, Path.Combine(NotebookProcess.WorkDir, "html"));

    static ChartCheck Open(string htmlPath, int expected)
    {
        var (dom, console) = OfflineBrowser.OpenOffline(htmlPath);
        return OfflineBrowser.CheckCharts(dom, console, expected);
    }

    [SkippableTheory]
    [MemberData(nameof(Notebooks))]
    public void Every_chart_of_the_executed_notebook_draws_offline_in_its_HTML_export(string name)
    {
        Skip.If(OfflineBrowser.MissingTools is not null, OfflineBrowser.MissingTools);
        if (name != NotebookChain.Names[0]) Skip.If(chain.ModelDir is null, NotebookChain.MissingModelReason);
        var run = chain.Get(name);
        Assert.True(run.ExitCode == 0, $"{name}: {run.Describe()}");
        int charts = OfflineBrowser.ChartOutputs(run);
        Assert.True(charts > 0, $"{name} shows no chart");

        var (plain, amd) = OfflineBrowser.CheckExecutedNotebook(Path.Combine(NotebookProcess.WorkDir, name + ".executed.ipynb"),
            Path.Combine(NotebookProcess.WorkDir, "html"));
        Assert.True(plain.Expected == charts && plain.Drawn == charts, $"{name}: {plain.Describe()}");
        Assert.True(amd.Drawn == charts, $"{name} with an AMD loader on the page: {amd.Describe()}");
    }

    [SkippableFact]
    public void A_chart_shown_before_plotlyjs_and_a_chart_updated_in_place_both_draw_offline()
    {
        Skip.If(OfflineBrowser.MissingTools is not null, OfflineBrowser.MissingTools);
        var fixture = Path.Combine(NotebookProcess.WorkDir, "charts-before-plotlyjs.ipynb");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "charts-before-plotlyjs.ipynb"), fixture, overwrite: true);
        var run = NotebookProcess.Run(fixture);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Equal(2, OfflineBrowser.ChartOutputs(run));
        Assert.Contains(run.Data("text/html"), h => h.Contains("\"updated\""));

        var check = Open(Html(Path.Combine(NotebookProcess.WorkDir, "charts-before-plotlyjs.executed.ipynb")), 2);
        Assert.True(check.Drawn == 2, check.Describe());
    }

    [SkippableFact]
    public void The_check_finds_Plotly_NET_Interactive_CDN_output_blank_offline()
    {
        Skip.If(OfflineBrowser.MissingTools is not null, OfflineBrowser.MissingTools);
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "cdn-chart.executed.ipynb");
        var check = Open(Html(fixture), 1);
        Assert.Equal(0, check.Drawn);
    }
}
