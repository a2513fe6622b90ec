// RunReport and the run-folder readers on a hand-made run folder (files written here in the formats RunLog and the evaluator write).
using Grpo.Notebook;
using Grpo.Reports;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class RunReportTests : IDisposable
{
    readonly string run = Path.Combine(Path.GetTempPath(), "grpo-report-" + Guid.NewGuid().ToString("N")[..8], "tiny-run");

    public RunReportTests()
    {
        Directory.CreateDirectory(Path.Combine(run, "eval"));
        Directory.CreateDirectory(Path.Combine(run, "completion_samples"));
        File.WriteAllText(Path.Combine(run, "eval", "base.json"), Eval("base", 0, accuracy: 0.25, sampledMean: 0.125, passAtK: 0.5));
        File.WriteAllText(Path.Combine(run, "eval", "checkpoint-50.json"), Eval("checkpoint-50", 50, accuracy: 0.5, sampledMean: 0.375, passAtK: 0.75));
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"),
            """
            {"step":1,"reward":0.5,"rewards/equation_reward/mean":0.1,"completions/mean_length":40.0,"kl":0.0}
            {"step":2,"reward":0.75,"rewards/equation_reward/mean":0.2,"completions/mean_length":38.5,"kl":0.01}

            """);
        File.WriteAllText(Path.Combine(run, "completion_samples", "completion_samples.txt"),
            "=== step 2 | nums [3, 5, 7] | target 22 | reward 2.00 | format 1 | equation 1\n" +
            "3*5=15 15+7=22 ok</think>\n<answer>3*5+7</answer>\n\n" +
            "=== step 2 | nums [1, 2, 9] | target 5 | reward 1.00 | format 1 | equation 0\n" +
            "9-2=7 wait 9-2-1=6</think>\n<answer>9-2-1</answer>\n\n");
        File.WriteAllText(Path.Combine(run, "aha.jsonl"),
            """{"source":"completion_samples","step":2,"phrase":"wait","context":"9-2=7 wait 9-2-1=6","correct":false,"test_id":null}""" + "\n" +
            """{"source":"eval/checkpoint-50","step":50,"phrase":"wait","context":"x wait y","correct":true,"test_id":1}""" + "\n");
        File.WriteAllText(Path.Combine(run, "config.json"), """{"learning_rate": 0.0002}""");
    }

    static string Eval(string checkpoint, int step, double accuracy, double sampledMean, double passAtK) =>
        $$"""
        {"checkpoint":"{{checkpoint}}","step":{{step}},"model_dir":"m","num_problems":4,"accuracy":{{accuracy}},"format_rate":1.0,
         "sampled":{"k":4,"temperature":1.0,"top_p":1.0,"mean_accuracy":{{sampledMean}},"pass_at_k":{{passAtK}}},
         "records":[{"test_id":0,"score":1,"prompt":"p","nums":[3,5,7],"generation":"<answer>3*5+7</answer>","gen_calculation":22.0,
                     "target":22,"format_reward":1,"sampled_scores":[1,0,0,0]},
                    {"test_id":1,"score":0,"prompt":"p","nums":[1,2,9],"generation":"bad","gen_calculation":null,
                     "target":5,"format_reward":0,"sampled_scores":[0,0,0,0]}]}
        """;

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(run)!, recursive: true);

    [Fact]
    public void Report_is_self_contained_and_shows_accuracy_curves_samples_and_aha()
    {
        var path = RunReport.Write(new RunFolder(run));
        Assert.Equal(Path.Combine(run, "report.html"), path);
        var html = File.ReadAllText(path);

        // plotly.js inlined exactly once, nothing loaded from the network.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, @"plotly\.js v\d").Cast<object>());
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
        // accuracy table rows: greedy and sampled for base and checkpoint (values from the files above).
        Assert.Contains("25.0%", html);
        Assert.Contains("50.0%", html);
        Assert.Contains("12.5%", html);
        Assert.Contains("37.5%", html);
        Assert.Contains("75.0% (k=4)", html);
        // four charts: accuracy per checkpoint, behaviour per checkpoint, training curves, aha per step.
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(html, @"Plotly\.newPlot\('chart-").Count);
        Assert.Contains("sampled (mean of 4", html);
        Assert.Contains("completion length", html);
        // sample completions HTML-encoded, aha context and config shown.
        Assert.Contains("3*5+7&lt;/answer&gt;", html);
        Assert.Contains("9-2=7 wait 9-2-1=6", html);
        Assert.Contains("learning_rate", html);
    }

    [Fact]
    public void Report_opens_with_the_summary_and_has_every_section_in_reading_order()
    {
        File.WriteAllText(Path.Combine(run, "aha_counts.json"),
            """[{"source":"eval/base","step":0,"completions":4,"completions_with_hit":1,"hits":1,"recoveries":1,"per_phrase":{}},""" +
            """{"source":"eval/checkpoint-50","step":50,"completions":4,"completions_with_hit":2,"hits":3,"recoveries":2,"per_phrase":{}}]""");
        var html = RunReport.Build(new RunFolder(run));
        string[] headings = ["Summary: base model against the last checkpoint", "Accuracy per checkpoint", "Behaviour per checkpoint",
            "Same problem, base vs final", "Training curves", "Sample completions", "Aha moments", "Config"];
        var positions = headings.Select(h => html.IndexOf($"<h2>{h}</h2>", StringComparison.Ordinal)).ToList();
        Assert.All(positions, p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
        // The summary: both evals hold problems 0 and 1 with the same greedy scores (1, 0); sampled 1/4 -> 1/4 and 0 -> 0.
        Assert.Contains("the base model and checkpoint-50 answered the same 2 held-out problems", html);
        Assert.Contains("Greedy accuracy stayed within noise: 50.0% to 50.0% (0.0 points; 0 problems went wrong → right, 0 right → wrong; sign test p = 1.00).", html);
        Assert.Contains("two-sided exact sign test", html);
        // Behaviour tables base first, for files without a behaviour object computed from their greedy texts.
        Assert.Contains("<th>greedy</th><th>base</th><th>checkpoint-50</th>", html);
        Assert.Contains("faithful steps %", html);
        // Same problem: both unchanged problems (the rule allows 2), each generation shown and encoded.
        Assert.Contains("whose greedy answer went wrong → right", html);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<td class=\"text\">unchanged").Count);
        Assert.Contains("<pre>&lt;answer&gt;3*5+7&lt;/answer&gt;</pre>", html);
        // Smoothed curves and the base-rate table.
        Assert.Contains("Training curves: EMA (smoothing 0.9) over the raw per-step values (faint)", html);
        Assert.Contains("reward (sum) (raw)", html);
        Assert.Contains("<td>50.0% (base 25.0%)</td><td>75.0 (base 25.0)</td><td>50.0 (base 25.0)</td>", html);
    }

    [Fact]
    public void Report_of_an_empty_run_folder_says_what_is_missing()
    {
        var empty = Path.Combine(Path.GetDirectoryName(run)!, "empty");
        Directory.CreateDirectory(empty);
        var html = File.ReadAllText(RunReport.Write(new RunFolder(empty)));
        Assert.Contains("No eval/*.json", html);
        Assert.Contains("No metrics.jsonl", html);
        Assert.Contains("No completion samples", html);
    }

    [Fact]
    public void Report_of_a_run_without_aha_hits_says_so_instead_of_an_empty_chart_and_tables()
    {
        File.WriteAllText(Path.Combine(run, "aha.jsonl"), "");
        var html = RunReport.Build(new RunFolder(run));
        Assert.Contains("No aha phrase in this run's completions (aha.jsonl has no hits)", html);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(html, @"Plotly\.newPlot\('chart-").Count);   // accuracy, behaviour, curves
        Assert.DoesNotContain("<th>phrase</th>", html);
        File.Delete(Path.Combine(run, "aha.jsonl"));
        Assert.Contains("No aha.jsonl in this run", RunReport.Build(new RunFolder(run)));
    }

    [Fact]
    public void Report_of_a_missing_folder_names_it()
    {
        var missing = Path.Combine(run, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => RunReport.Write(new RunFolder(missing)));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Metrics_reader_keeps_numeric_fields_by_TRL_name_and_names_a_bad_line()
    {
        var rows = RunFiles.ReadMetrics(new RunFolder(run).MetricsPath);
        Assert.Equal([1, 2], rows.Select(r => r.Step));
        Assert.Equal(38.5, rows[1]["completions/mean_length"]);
        Assert.Null(rows[0]["entropy"]);

        File.AppendAllText(new RunFolder(run).MetricsPath, "{\"reward\":1}\n");
        int badLine = File.ReadAllLines(new RunFolder(run).MetricsPath).Length;
        var e = Assert.Throws<FormatException>(() => RunFiles.ReadMetrics(new RunFolder(run).MetricsPath));
        Assert.Contains($"metrics.jsonl:{badLine}: expected a JSON object with an integer \"step\"", e.Message);
    }

    [Fact]
    public void Evals_are_read_base_first_then_by_step()
    {
        File.WriteAllText(Path.Combine(run, "eval", "checkpoint-100.json"), Eval("checkpoint-100", 100, 0.5, 0.5, 0.5));
        Assert.Equal(["base", "checkpoint-50", "checkpoint-100"], RunFiles.ReadEvals(new RunFolder(run)).Select(e => e.Checkpoint));
    }

    [Fact]
    public void Saved_chart_html_embeds_plotly_without_a_CDN()
    {
        var chart = Charts.AccuracyPerCheckpoint(RunFiles.ReadEvals(new RunFolder(run)));
        var path = ChartHtml.Save(chart, Path.Combine(run, "charts", "accuracy.html"));
        var html = File.ReadAllText(path);
        Assert.Matches(@"plotly\.js v\d", html);
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
        Assert.Contains("checkpoint-50", html);
    }

    [Fact]
    public void Eval_records_frame_has_one_row_per_problem_with_sampled_accuracy_in_percent()
    {
        var eval = RunFiles.ReadEvals(new RunFolder(run))[0];
        var frame = Frames.EvalRecords(eval);
        Assert.Equal(2, frame.Rows.Count);
        Assert.Equal(25.0, (double)frame["sampled %"][0]!);
        Assert.Equal("[3, 5, 7]", frame["nums"][0]);
    }

    [Fact]
    public void Tables_round_their_numbers_shares_to_percent_with_one_decimal_and_metrics_to_four_digits()
    {
        File.WriteAllText(Path.Combine(run, "eval", "checkpoint-60.json"), Eval("checkpoint-60", 60, accuracy: 1.0 / 3, sampledMean: 2.0 / 3, passAtK: 0.123456));
        var accuracy = Frames.Accuracy(RunFiles.ReadEvals(new RunFolder(run)));
        Assert.Equal(["checkpoint", "step", "problems", "greedy %", "format %", "sampled %", "pass@k %"], accuracy.Columns.Select(c => c.Name));
        Assert.Equal(33.3, (double)accuracy["greedy %"][2]!);
        Assert.Equal(66.7, (double)accuracy["sampled %"][2]!);
        Assert.Equal("12.3 (k=4)", accuracy["pass@k %"][2]);
        var metrics = Frames.Metrics([new MetricsRow(1, new Dictionary<string, double> { ["reward"] = 1.23456789, ["kl"] = 0.000123456, ["loss"] = 1234.5678 })],
            "reward", "kl", "loss");
        Assert.Equal([1.235, 0.0001235, 1235.0], new[] { "reward", "kl", "loss" }.Select(m => (double)metrics[m][0]!));
    }
}
