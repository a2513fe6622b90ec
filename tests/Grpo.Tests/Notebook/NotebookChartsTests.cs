// The notebooks' chart outputs (NotebookCharts) and the empty-state charts and notes. That the outputs draw in a
// browser with no network is tested in Grpo.Notebooks.Tests (OfflineChartTests, headless Chromium).
using System.Text.RegularExpressions;
using Grpo.Evaluation;
using Grpo.Notebook;
using Grpo.Reports;
using Grpo.Training;
using Microsoft.Data.Analysis;
using Plotly.NET;
using Xunit;

namespace Grpo.Tests.Notebook;

public sealed class NotebookChartsTests
{
    [Fact]
    public void Plotly_script_output_carries_plotlyjs_once_with_no_network_source()
    {
        var html = NotebookCharts.PlotlyScript();
        Assert.Single(Regex.Matches(html, @"\* plotly\.js v\d"));
        Assert.Contains($"plotly.js {NotebookCharts.PlotlyVersion} for this notebook's charts", html);
        Assert.Matches(@"^\d+\.\d+\.\d+$", NotebookCharts.PlotlyVersion);
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
        // One script element: nothing inside plotly.js closes it early.
        Assert.Single(Regex.Matches(html, "</script", RegexOptions.IgnoreCase));
    }

    [Fact]
    public void Chart_output_draws_its_figure_with_the_pages_plotlyjs_and_loads_nothing()
    {
        var chart = Charts.TrainingCurves([new MetricsRow(1, new Dictionary<string, double> { ["reward"] = 0.5 }),
                                           new MetricsRow(2, new Dictionary<string, double> { ["reward"] = 0.75 })]);
        var html = NotebookCharts.Html(chart);
        var id = Regex.Match(html, "<div class=\"grpo-chart\" id=\"(grpo-chart-[0-9a-f]{32})\" style=\"width:1000px;height:330px\">").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains($"Plotly.newPlot('{id}', figure.data, figure.layout, figure.config)", html);
        Assert.Contains("\"x\":[1,2],\"y\":[0.5,0.75]", html);
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
        Assert.DoesNotContain("plotly.js v", html);   // plotly.js itself travels once, in PlotlyScript()
        Assert.NotEqual(id, Regex.Match(NotebookCharts.Html(chart), "id=\"(grpo-chart-[0-9a-f]{32})\"").Groups[1].Value);
    }

    [Fact]
    public void Text_that_would_close_the_script_is_escaped_in_the_figure()
    {
        var html = NotebookCharts.Html(Charts.MetricCurve([new MetricsRow(1, new Dictionary<string, double> { ["kl"] = 0.1 })], "kl", "</script><b>x"));
        Assert.Single(Regex.Matches(html, "</script", RegexOptions.IgnoreCase));
        Assert.Contains("<\\/script><b>x", html);
    }

    [Fact]
    public void A_chart_without_data_says_so_instead_of_drawing_empty_axes()
    {
        var json = GenericChart.toJson(Charts.AhaCountsPerStep([]));
        Assert.Contains("No aha phrase in the scanned completions", json);
        Assert.Contains("\"xaxis\":{\"visible\":false}", json);
        Assert.Contains("\"text\":\"Aha phrases per step\"", json);
        Assert.Contains("No completions to scan", GenericChart.toJson(Charts.AhaHitRate([])));
        // With hits, bars and no note.
        var hit = new AhaHit("completion_samples", 2, "wait", "x wait y", true, null);
        Assert.DoesNotContain("No aha phrase", GenericChart.toJson(Charts.AhaCountsPerStep([hit])));
    }

    [Fact]
    public void Aha_charts_keep_evaluations_and_training_samples_in_panels_of_their_own()
    {
        AhaHit[] hits =
        [
            new("completion_samples", 20, "wait", "x", true, null), new("completion_samples", 20, "wait", "x", false, null),
            new("eval/checkpoint-20", 20, "wait", "x", true, 3), new("eval/base/sampled", 0, "wait", "x", false, 4),
        ];
        var figure = System.Text.Json.Nodes.JsonNode.Parse(GenericChart.toJson(Charts.AhaCountsPerStep(hits)))!;
        var bars = figure["data"]!.AsArray();
        Assert.Equal(4, bars.Count);                       // correct and wrong, in each of the two panels
        Assert.Equal(2, bars.Select(b => (string?)b!["yaxis"] ?? "y").Distinct().Count());
        // Step 20 of the training samples: one correct and one wrong hit, not mixed with checkpoint-20's eval hit.
        var trainingPanel = bars.Where(b => ((string?)b!["yaxis"] ?? "y") == ((string?)bars[^1]!["yaxis"] ?? "y")).ToList();
        Assert.Equal([1, 1], trainingPanel.Select(b => (int)b!["y"]![0]!));
        var json = figure.ToJsonString();
        Assert.Contains("evaluations: held-out problems", json);
        Assert.Contains("training samples: completions sampled while training", json);

        AhaStepCount Count(string source, int step, int with) => new(source, step, 10, with, with, 0, new Dictionary<string, int>());
        var rate = System.Text.Json.Nodes.JsonNode.Parse(GenericChart.toJson(Charts.AhaHitRate(
            [Count("eval/base", 0, 1), Count("eval/checkpoint-20", 20, 3), Count("completion_samples", 1, 2), Count("completion_samples", 20, 4)])))!;
        // One line for the greedy evals across checkpoints (not one per eval file), one for the training samples.
        Assert.Equal([AhaBaseline.EvalGreedy, AhaBaseline.TrainingSamples], rate["data"]!.AsArray().Select(t => (string?)t!["name"]));
        Assert.Equal([0, 20], rate["data"]![0]!["x"]!.AsArray().Select(x => (int)x!));
    }

    [Fact]
    public void Empty_tables_become_a_note_and_the_aha_summary_says_when_there_are_no_hits()
    {
        Assert.Equal("No hits to show.", Frames.OrNote(Frames.AhaHits([]), "No hits to show."));
        var hit = new AhaHit("completion_samples", 2, "wait", "x wait y", true, null);
        Assert.IsType<DataFrame>(Frames.OrNote(Frames.AhaHits([hit]), "No hits to show."));

        var counts = new AhaStepCount("completion_samples", 2, 40, 0, 0, 0, new Dictionary<string, int>());
        Assert.Equal("No aha phrase in 40 scanned completions", new AhaResult([], [counts]).Summary());
        Assert.StartsWith("No completions to scan", new AhaResult([], []).Summary());
        Assert.Equal("1 hits in 1 of 40 scanned completions",
            new AhaResult([hit], [counts with { CompletionsWithHit = 1, Hits = 1 }]).Summary());
    }

    [Fact]
    public void Live_view_of_a_resumed_run_continues_its_history_and_estimates_time_from_this_sessions_steps()
    {
        var charts = new List<GenericChart>();
        var status = new List<string>();
        var history = Enumerable.Range(1, 50).Select(s => new MetricsRow(s, new Dictionary<string, double> { ["reward"] = 0.1 }));
        var clock = new ManualClock();
        var view = new LiveTraining(charts.Add, status.Add, history: history, time: clock);
        Assert.Contains("\"x\":[1,2,3", GenericChart.toJson(view.Chart()));
        clock.Advance(TimeSpan.FromSeconds(2));
        view.Report(new GrpoProgress(51, 100, [new("reward", 0.5)], null));
        Assert.Equal(Enumerable.Range(1, 51), view.Rows.Select(r => r.Step));
        // One step took 2 s this session and 49 remain: 98 s, not the ~0 s that 51 steps "done" would suggest.
        Assert.Contains("elapsed 00:02  about 01:38 left", status[^1]);
        clock.Advance(TimeSpan.FromSeconds(98));
        view.Report(new GrpoProgress(100, 100, [new("reward", 0.5)], null));
        Assert.Contains("elapsed 01:40  done", status[^1]);
    }

    /// <summary>A clock that moves only when told to.</summary>
    sealed class ManualClock : TimeProvider
    {
        long ticks;
        public void Advance(TimeSpan by) => ticks += by.Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => ticks;
    }
}
