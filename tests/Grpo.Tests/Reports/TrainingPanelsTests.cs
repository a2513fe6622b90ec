// Which training-curve panels a run gets from the metric names it logged, and that each curve is drawn raw and smoothed.
using System.Text.Json.Nodes;
using Grpo.Reports;
using Plotly.NET;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class TrainingPanelsTests
{
    static MetricsRow Row(int step, params (string Name, double Value)[] values) => new(step, values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void Panels_follow_the_logged_metrics_with_each_reward_function_and_kl_only_when_it_moved()
    {
        var rows = new[]
        {
            Row(1, ("reward", 1), ("rewards/format_reward/mean", 0.7), ("rewards/equation_reward/mean", 0.3), ("kl", 0), ("entropy", 0.3),
                ("frac_reward_zero_std", 0.1), ("behaviour/recoveries_per_100", 2)),
            Row(2, ("reward", 1.2), ("kl", 0), ("behaviour/length_wrong", 70)),
        };
        var panels = TrainingPanels.For(rows);
        Assert.Equal(["reward", "frac_reward_zero_std", "entropy", "completion length", "recoveries and first-try solves per 100 completions"],
            panels.Select(p => p.Title.Split(':')[0].Split(" (")[0]));
        Assert.Equal(["reward (sum)", "format_reward", "equation_reward"], panels[0].Series.Select(s => s.Label));
        Assert.Equal(["behaviour/length_wrong"], panels[3].Series.Select(s => s.Metric));   // only what was logged

        var withKl = TrainingPanels.For([.. rows, Row(3, ("kl", 0.002))]);
        Assert.Contains(withKl, p => p.Title.StartsWith("kl:", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_curve_is_drawn_raw_and_faint_then_smoothed_in_the_same_colour()
    {
        var chart = Charts.TrainingCurves([Row(1, ("reward", 1)), Row(2, ("reward", 3)), Row(3, ("reward", 2))], smoothing: 0.5);
        var traces = JsonNode.Parse(GenericChart.toJson(chart))!["data"]!.AsArray();
        Assert.Equal(2, traces.Count);
        var (raw, smooth) = (traces[0]!, traces[1]!);
        Assert.Equal([1.0, 3.0, 2.0], raw["y"]!.AsArray().Select(v => (double)v!));
        Assert.Equal([1, 7.0 / 3, 15.0 / 7], smooth["y"]!.AsArray().Select(v => (double)v!), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(0.3, (double)raw["opacity"]!);
        Assert.False((bool)raw["showlegend"]!);
        Assert.Equal((string?)raw["line"]!["color"], (string?)smooth["line"]!["color"]);
    }

    [Fact]
    public void Each_panel_has_its_own_legend_beside_it_and_no_two_metrics_share_a_colour()
    {
        string[] metrics =
        [
            "reward", "rewards/format_reward/mean", "rewards/equation_reward/mean", "frac_reward_zero_std", "kl", "entropy",
            "completions/mean_length", "behaviour/length_correct", "behaviour/length_wrong", "behaviour/reflection_rate",
            "behaviour/faithful_steps", "behaviour/answer_follows_reasoning", "behaviour/recoveries_per_100",
        ];
        var rows = Enumerable.Range(1, 3).Select(step => Row(step, metrics.Select((m, i) => (m, (double)(i + step))).ToArray())).ToList();
        var figure = JsonNode.Parse(GenericChart.toJson(Charts.TrainingCurves(rows)))!;
        var traces = figure["data"]!.AsArray().Select(t => t!).ToList();
        int panels = TrainingPanels.For(rows).Count;
        Assert.Equal(7, panels);

        // The traces of one panel (one y axis) list in one legend, each panel in another, and the layout places each.
        var legendOfPanel = traces.GroupBy(t => (string?)t["yaxis"] ?? "y")
            .ToDictionary(g => g.Key, g => g.Select(t => (string?)t["legend"]).Distinct().Single());
        Assert.Equal(panels, legendOfPanel.Count);
        Assert.Equal(panels, legendOfPanel.Values.Distinct().Count());
        var tops = legendOfPanel.Values.Select(id => (double)figure["layout"]![id!]!["y"]!).ToList();
        Assert.Equal(panels, tops.Distinct().Count());

        // One legend entry per metric, each in a colour no other metric has.
        var shown = traces.Where(t => (bool?)t["showlegend"] != false).ToList();
        Assert.Equal(metrics.Length, shown.Count);
        Assert.Equal(metrics.Length, shown.Select(t => (string?)t["line"]!["color"]).Distinct().Count());
    }
}
