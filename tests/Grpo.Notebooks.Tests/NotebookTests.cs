// Every notebook in notebooks/ runs top to bottom in its own process and shows its tables and charts; the files it
// promises (Parquet, eval JSON, checkpoints, report.html, aha.jsonl, chart HTML) appear in the scratch run folder.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Grpo.Notebooks.Tests;

[CollectionDefinition("notebooks")]
public sealed class NotebooksCollection : ICollectionFixture<NotebookChain>;

[Collection("notebooks")]
public sealed class NotebookTests(NotebookChain chain)
{
    NotebookRun Run(string name, bool expectTable = true)
    {
        if (name != "01-data-prep") Skip.If(chain.ModelDir is null, NotebookChain.MissingModelReason);
        var run = chain.Get(name);
        Assert.True(run.ExitCode == 0, $"{name}: {run.Describe()}");
        if (expectTable) Assert.Contains(run.Data("text/html"), h => h.Contains("<table"));
        Assert.Contains(run.Data("text/html"), h => h.Contains("Plotly.newPlot("));
        // plotly.js travels once, in its own output, and no output loads a script from elsewhere (offline_charts).
        Assert.Single(run.Data("text/html"), h => h.Contains("plotly.js v"));
        Assert.DoesNotContain(run.Data("text/html"), h => Regex.IsMatch(h, @"<script[^>]*\ssrc="));
        Assert.DoesNotContain(run.Data("text/html").Where(h => !h.Contains("* plotly.js v")),
            h => h.Contains("cdn.plot.ly") || h.Contains("require"));
        return run;
    }

    static void AssertSelfContainedChart(string path)
    {
        Assert.True(File.Exists(path), $"missing chart {path}");
        var html = File.ReadAllText(path);
        Assert.Matches(@"plotly\.js v\d", html);
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
    }

    [Fact]
    public void Notebooks_are_committed_with_outputs_cleared_and_the_csharp_kernel_metadata()
    {
        foreach (var name in NotebookChain.Names)
        {
            var nb = JsonNode.Parse(File.ReadAllText(NotebookChain.NotebookPath(name)))!;
            Assert.Equal(".net-csharp", (string?)nb["metadata"]!["kernelspec"]!["name"]);
            Assert.Equal("C#", (string?)nb["metadata"]!["language_info"]!["name"]);
            Assert.Equal("csharp", (string?)nb["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]);
            var code = nb["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
            Assert.All(code, c => Assert.Empty(c!["outputs"]!.AsArray()));
            Assert.All(code, c => Assert.Null(c!["execution_count"]));
            Assert.Single(code, c => c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true);
        }
    }

    [Fact]
    public void Data_prep_writes_the_split_and_shows_the_problems_and_charts()
    {
        var run = Run("01-data-prep");
        Assert.Contains("300 problems (generated", run.Data("text/plain").Concat(run.Data("text/html")).Aggregate("", string.Concat));
        Assert.True(File.Exists(Path.Combine(chain.DataDir, "train.parquet")));
        Assert.True(File.Exists(Path.Combine(chain.DataDir, "test.parquet")));
        AssertSelfContainedChart(Path.Combine(chain.Root, "charts", "number-counts.html"));
        AssertSelfContainedChart(Path.Combine(chain.Root, "charts", "targets.html"));
    }

    [SkippableFact]
    public void Base_model_eval_writes_eval_base_json()
    {
        Run("02-base-model-eval");
        var eval = JsonNode.Parse(File.ReadAllText(Path.Combine(chain.RunDir, "eval", "base.json")))!;
        Assert.Equal(8, (int)eval["num_problems"]!);
        Assert.Equal(2, (int)eval["sampled"]!["k"]!);
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "base-accuracy.html"));
    }

    [SkippableFact]
    public void Training_writes_checkpoints_and_updates_its_chart_in_place()
    {
        var run = Run("03-grpo-training");
        Assert.True(Directory.Exists(Path.Combine(chain.RunDir, "checkpoints", "checkpoint-2")));
        Assert.True(Directory.Exists(Path.Combine(chain.RunDir, "checkpoints", "checkpoint-4")));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(chain.RunDir, "metrics.jsonl")).Count(l => l.Trim().Length > 0));
        Assert.Contains($"starting {chain.RunDir} at step 0 of 4", run.Streams());   // says what the (re)run does
        // The training cell shows one chart, updated in place to all four steps (not one output per update).
        var trainCell = run.Executed!["cells"]!.AsArray().Single(c => string.Concat(c!["source"]!.AsArray().Select(l => (string?)l)).Contains("LiveTraining.Run("));
        var charts = trainCell!["outputs"]!.AsArray().Select(o => (string?)o!["data"]?["text/html"]).OfType<string>()
            .Where(h => h.Contains("Plotly.newPlot(")).ToList();
        Assert.Single(charts);
        Assert.Contains("\"x\":[1,2,3,4]", charts[0]);
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "training-curves.html"));
    }

    [SkippableFact]
    public void Rerunning_training_says_the_run_is_finished_and_a_changed_hyperparameter_stops_naming_it()
    {
        Run("03-grpo-training");
        var metrics = File.ReadAllText(Path.Combine(chain.RunDir, "metrics.jsonl"));
        var again = chain.Rerun("03-grpo-training", new Dictionary<string, string>(), "03-rerun");
        Assert.True(again.ExitCode == 0, again.Describe());
        Assert.Contains($"{chain.RunDir} is finished (step 4 of 4, checkpoint-4): nothing to train: the chart shows the saved run", again.Streams());
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(chain.RunDir, "metrics.jsonl")));

        var changed = chain.Rerun("03-grpo-training", new Dictionary<string, string> { ["learningRate"] = "3e-4" }, "03-rerun-changed");
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("holds a run trained with other settings (learning_rate 0.0001 there, 0.0003 here)", changed.Errors);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(chain.RunDir, "metrics.jsonl")));
    }

    [SkippableFact]
    public void Checkpoint_eval_evaluates_every_checkpoint_and_writes_the_report()
    {
        var run = Run("04-checkpoint-eval");
        foreach (var name in new[] { "base", "checkpoint-2", "checkpoint-4" })
            Assert.True(File.Exists(Path.Combine(chain.RunDir, "eval", name + ".json")), $"missing eval/{name}.json");
        Assert.True(File.Exists(Path.Combine(chain.RunDir, "report.html")));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "accuracy-per-checkpoint.html"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "behaviour-per-checkpoint.html"));
        // The summary, the behaviour tables and the same-problem table, as report.html shows them.
        var html = run.Data("text/html").ToList();
        Assert.Contains(html, h => h.Contains("the base model and checkpoint-4 answered the same 8 held-out problems"));
        Assert.Contains(html, h => h.Contains("<th>greedy</th><th>base</th><th>checkpoint-2</th><th>checkpoint-4</th>"));
        Assert.Contains(html, h => h.Contains("Chosen by a fixed rule, not by eye"));

        // The compared run (the same run with another learning_rate in config.json): evaluated too, drawn over this run,
        // each named by the setting that differs, in the notebook and in report.html.
        foreach (var name in new[] { "base", "checkpoint-2", "checkpoint-4" })
            Assert.True(File.Exists(Path.Combine(chain.ComparedRunDir, "eval", name + ".json")), $"compared run: missing eval/{name}.json");
        Assert.Contains(html, h => h.Contains("learning_rate 0.0001") && h.Contains("learning_rate 0.0003"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "runs-accuracy.html"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "runs-behaviour.html"));
        Assert.Contains("run-lr3e-4 (learning_rate 0.0003)", File.ReadAllText(Path.Combine(chain.RunDir, "charts", "runs-accuracy.html")));
        Assert.Contains("<h2>Runs side by side</h2>", File.ReadAllText(Path.Combine(chain.RunDir, "report.html")));
    }

    [SkippableFact]
    public void Aha_notebook_writes_aha_jsonl_and_its_charts()
    {
        var run = Run("05-aha-moments", expectTable: false);
        var aha = Path.Combine(chain.RunDir, "aha.jsonl");
        Assert.True(File.Exists(aha));
        var text = string.Concat(run.Data("text/plain"));
        // Every series beside its base rate (the chain's evals scan completions even when none re-thinks).
        Assert.Contains(run.Data("text/html"), h => h.Contains("<th>with a re-thinking marker</th>") && h.Contains("(base)"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "aha-against-base.html"));
        // Evaluations and training samples each get their base-rate table and chart.
        Assert.Contains(run.Data("text/html"), h => h.Contains("<th>with a re-thinking marker</th>") && h.Contains("eval, greedy") && !h.Contains("training samples"));
        Assert.Contains(run.Data("text/html"), h => h.Contains("<th>with a re-thinking marker</th>") && h.Contains("training samples") && !h.Contains("eval, greedy"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "aha-training-against-base.html"));
        // It ends with the conclusion in plain words, after the sign-tested comparison of base and last checkpoint.
        var last = run.Executed!["cells"]!.AsArray().Last(c => (string?)c!["cell_type"] == "code")!["outputs"]!.AsArray();
        Assert.Contains(last, o => ((string?)o!["data"]?["text/html"])?.Contains("In plain words") == true);
        Assert.Contains(last, o => ((string?)o!["data"]?["text/html"])?.Contains("Greedy completions with a re-thinking marker") == true);
        // With hits: two base-rate tables and three tables of hits. Without (a model this small may write no aha
        // phrase): each place says so.
        if (File.ReadAllLines(aha).Any(l => l.Trim().Length > 0))
            Assert.Equal(5, run.Data("text/html").Count(h => h.Contains("<table")));
        else
        {
            Assert.Contains("No aha phrase in", text);
            Assert.Contains("No hits to show.", text);
            Assert.Contains("No phrase found.", text);
            Assert.Contains(run.Data("text/html"), h => h.Contains("No aha phrase in the scanned completions"));
        }
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "aha-per-step.html"));
        AssertSelfContainedChart(Path.Combine(chain.RunDir, "charts", "aha-hit-rate.html"));
    }
}
