// Runs side by side (notebook 04, `report --run A --run B`) on hand-made run folders (eval files in the evaluator's
// format): each run is labelled with the config.json fields that differ between the runs, and the overlays draw one
// line per run in every panel.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpo.Reports;
using Grpo.Training;
using Plotly.NET;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class RunComparisonTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-compare-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string Run(string name, string? config, params (string Checkpoint, int Step, double Greedy, double Sampled)[] evals)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(Path.Combine(dir, "eval"));
        if (config is not null) File.WriteAllText(Path.Combine(dir, "config.json"), config);
        foreach (var e in evals)
            File.WriteAllText(Path.Combine(dir, "eval", e.Checkpoint + ".json"), $$"""
                {"checkpoint":"{{e.Checkpoint}}","step":{{e.Step}},"model_dir":"m","num_problems":2,"accuracy":{{e.Greedy}},"format_rate":1.0,
                 "sampled":{"k":2,"temperature":1.0,"top_p":1.0,"mean_accuracy":{{e.Sampled}},"pass_at_k":0.5},
                 "records":[{"test_id":0,"score":1,"prompt":"p","nums":[3,5,7],"generation":"3*5=15 15+7=22</think>\n<answer>3*5+7</answer>",
                             "gen_calculation":22.0,"target":22,"format_reward":1,"sampled_scores":[1,0],
                             "sampled_generations":["<answer>3*5+7</answer>","no"]},
                            {"test_id":1,"score":0,"prompt":"p","nums":[1,2,9],"generation":"bad","gen_calculation":null,
                             "target":5,"format_reward":0,"sampled_scores":[0,0],"sampled_generations":["x","y"]}]}
                """);
        return dir;
    }

    const string ConfigA = """{"output_dir": "runs/a", "learning_rate": 0.0001, "beta": 0.04, "seed": 42, "task": {"prompt_template": "chinese"}}""";
    const string ConfigB = """{"output_dir": "runs/b", "learning_rate": 0.0003, "beta": 0.04, "seed": 42, "task": {"prompt_template": "english"}}""";

    (RunFolder A, RunFolder B) TwoRuns() => (
        new(Run("lr1e-4", ConfigA, ("base", 0, 0.5, 0.25), ("checkpoint-2", 2, 0.5, 0.5), ("checkpoint-4", 4, 1.0, 0.5))),
        new(Run("lr3e-4", ConfigB, ("base", 0, 0.5, 0.25), ("checkpoint-4", 4, 0.0, 0.25))));

    [Fact]
    public void Each_run_is_labelled_with_the_settings_that_differ_and_nothing_else()
    {
        var (a, b) = TwoRuns();
        var runs = RunComparison.Of([a, b]);
        Assert.Equal(["lr1e-4", "lr3e-4"], runs.Select(r => r.Name));
        // output_dir differs by nature and the shared fields are left out; nested fields read as parent.field.
        Assert.Equal(["learning_rate 0.0001", "task.prompt_template chinese"], runs[0].Differences);
        Assert.Equal("lr3e-4 (learning_rate 0.0003, task.prompt_template english)", runs[1].Label);
        Assert.Equal(["base", "checkpoint-2", "checkpoint-4"], runs[0].Evals.Select(e => e.Checkpoint));
        Assert.Contains(runs[0].Behaviour, r => r.Decoding == "sampled");
    }

    [Fact]
    public void A_run_without_config_says_so_and_a_folder_given_twice_or_missing_is_an_error()
    {
        var (a, _) = TwoRuns();
        var bare = new RunFolder(Run("bare", null, ("base", 0, 0.5, 0.25)));
        Assert.Equal("bare (no config.json)", RunComparison.Of([a, bare])[1].Label);
        Assert.Contains("given twice", Assert.Throws<BadInputException>(() => RunComparison.Of([a, new RunFolder(a.Root + "/")])).Message);
        Assert.Contains("Run folder not found", Assert.Throws<BadInputException>(() => RunComparison.Of([a, new RunFolder(Path.Combine(root, "nope"))])).Message);
    }

    [Fact]
    public void The_accuracy_overlay_draws_each_run_in_every_panel_in_one_colour_listed_once()
    {
        var (a, b) = TwoRuns();
        var runs = RunComparison.Of([a, b]);
        var traces = JsonNode.Parse(GenericChart.toJson(Charts.AccuracyOverlay(runs)))!["data"]!.AsArray().Select(t => t!).ToList();
        Assert.Equal(2 * 3, traces.Count);                      // greedy, sampled, pass@k for each run
        var ofB = traces.Where(t => (string?)t["name"] == runs[1].Label).ToList();
        Assert.Equal(3, ofB.Count);
        Assert.Single(ofB.Select(t => (string?)t["line"]!["color"]).Distinct());
        Assert.Single(ofB, t => (bool?)t["showlegend"] != false);
        Assert.NotEqual((string?)ofB[0]["line"]!["color"], (string?)traces.First(t => (string?)t["name"] == runs[0].Label)["line"]!["color"]);
        // x is the step, so the runs line up although one saved checkpoint-2 and the other did not.
        Assert.Equal([0, 4], ofB[0]["x"]!.AsArray().Select(x => (int)x!));
        Assert.Equal([0.5, 0.0], ofB[0]["y"]!.AsArray().Select(y => (double)y!));

        // Every panel spans its measure's whole scale (0-1), so flat lines do not fill it and panels compare at a glance.
        var layout = JsonNode.Parse(GenericChart.toJson(Charts.AccuracyOverlay(runs)))!["layout"]!;
        foreach (var axis in new[] { "yaxis", "yaxis2", "yaxis3" })
            Assert.Equal([-0.02, 1.02], layout[axis]!["range"]!.AsArray().Select(v => (double)v!));

        var behaviour = JsonNode.Parse(GenericChart.toJson(Charts.BehaviourOverlay(runs)))!;
        Assert.Equal(5 * 2 * 2, behaviour["data"]!.AsArray().Count);   // 5 measures x greedy/sampled x 2 runs
        Assert.Equal([-2.0, 102.0], behaviour["layout"]!["yaxis10"]!["range"]!.AsArray().Select(v => (double)v!));
    }

    [Fact]
    public void The_report_of_a_run_compared_with_another_overlays_both_and_names_what_differs()
    {
        var (a, b) = TwoRuns();
        var single = RunReport.Build(a);
        var html = RunReport.Build(a, compareWith: [b]);
        Assert.DoesNotContain("Runs side by side", single);
        Assert.Contains("<h2>Runs side by side</h2>", html);
        Assert.Contains("learning_rate 0.0003, task.prompt_template english", html);
        Assert.Contains("100.0% (checkpoint-4)", html);          // the runs table: each run's last checkpoint
        int Charts(string page) => System.Text.RegularExpressions.Regex.Matches(page, @"Plotly\.newPlot\('chart-").Count;
        Assert.Equal(Charts(single) + 2, Charts(html));
    }

    [Fact]
    public void The_report_command_takes_several_runs_and_writes_the_first_ones_report()
    {
        var (a, b) = TwoRuns();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "grpo.dll"), "report", "--run", a.Root, "--run", b.Root }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.True(process.ExitCode == 0, stdout + stderr.Result);
        Assert.Contains("compared: lr3e-4 (learning_rate 0.0003, task.prompt_template english)", stdout);
        Assert.Contains("<h2>Runs side by side</h2>", File.ReadAllText(a.ReportPath));
        Assert.False(File.Exists(b.ReportPath));
    }
}
