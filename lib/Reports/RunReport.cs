// Writes runs/<name>/report.html from the run folder's files: a plain-language summary (base against the last checkpoint),
// accuracy and behaviour per checkpoint, the same problems answered before and after, smoothed training curves, sample
// completions and aha moments against their base rate; with other runs to compare, their accuracy and behaviour overlaid
// on this run's. Self-contained: plotly.js is inlined once, no CDN.
using System.Text;
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Reports;

public static class RunReport
{
    /// <summary>Builds the report from whatever the run folder holds (sections without data say so) and writes it
    /// to runs/&lt;name&gt;/report.html. <paramref name="compareWith"/>: other run folders whose accuracy and behaviour
    /// per checkpoint are overlaid on this run's. Returns the path.</summary>
    public static string Write(RunFolder run, int maxSamples = 12, IReadOnlyList<RunFolder>? compareWith = null)
    {
        if (!Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"Run folder not found: {run.Root}");
        if (maxSamples < 0) throw new BadInputException($"report: the number of samples shown must be >= 0, got {maxSamples}");
        Grpo.Files.AtomicFile.WriteAllText(run.ReportPath, Build(run, maxSamples, compareWith));
        return run.ReportPath;
    }

    public static string Build(RunFolder run, int maxSamples = 12, IReadOnlyList<RunFolder>? compareWith = null)
    {
        var compared = compareWith is { Count: > 0 } ? RunComparison.Of([run, .. compareWith]) : null;
        string name = Path.GetFileName(Path.GetFullPath(run.Root).TrimEnd('/', '\\'));
        var evals = RunFiles.ReadEvals(run);
        var metrics = RunFiles.ReadMetricsIfAny(run);
        var samples = RunFiles.ReadSamples(run);
        var successes = RunFiles.ReadSamples(run, successOnly: true);
        var aha = RunFiles.ReadAha(run);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>GRPO run ").Append(E(name)).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}")
            .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}")
            .Append("td.text{text-align:left}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em;margin:0}")
            .Append(".summary{background:#f3f7fb;border-left:4px solid #1f77b4;padding:.2em 1em}.method{color:#555;font-size:smaller}</style>\n")
            .Append("<script type=\"text/javascript\">").Append(HtmlEncoding.ScriptSource(ChartHtml.PlotlyJs()))
            .Append("</script>\n</head><body>\n<h1>GRPO run ").Append(E(name)).Append("</h1>\n")
            .Append("<p>Written ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm")).Append(" UTC from ").Append(E(Path.GetFullPath(run.Root))).Append("</p>\n");

        html.Append("<h2>Summary: base model against the last checkpoint</h2>\n").Append(ReportSections.Summary(RunSummary.ForRun(run, evals)));

        if (compared is not null)
            html.Append("<h2>Runs side by side</h2>\n<p>This run first, then the runs it is compared with; each legend names the ")
                .Append("settings (config.json) that differ between them. Every run is evaluated on its own eval/*.json: compare ")
                .Append("runs evaluated on the same test set and number of problems.</p>\n")
                .Append(ReportSections.RunsTable(compared))
                .Append(ChartHtml.Fragment(Charts.AccuracyOverlay(compared)))
                .Append(ChartHtml.Fragment(Charts.BehaviourOverlay(compared)));

        html.Append("<h2>Accuracy per checkpoint</h2>\n");
        if (evals.Count == 0) html.Append("<p>No eval/*.json in this run.</p>\n");
        else html.Append(ChartHtml.Fragment(Charts.AccuracyPerCheckpoint(evals))).Append(ReportSections.AccuracyTable(evals));

        html.Append("<h2>Behaviour per checkpoint</h2>\n");
        if (evals.Count == 0) html.Append("<p>No eval/*.json in this run.</p>\n");
        else
        {
            var behaviour = BehaviourTable.StoredRows(evals, RunFiles.Markers(run));
            if (behaviour.Count > 0) html.Append(ChartHtml.Fragment(Charts.BehaviourPerCheckpoint(behaviour)));
            html.Append(ReportSections.BehaviourTables(behaviour));
        }

        html.Append("<h2>Same problem, base vs final</h2>\n").Append(ReportSections.SameProblemTable(evals, RunFiles.Markers(run)));

        html.Append("<h2>Training curves</h2>\n");
        if (metrics.Count == 0) html.Append("<p>No metrics.jsonl in this run.</p>\n");
        else html.Append(ChartHtml.Fragment(Charts.TrainingCurves(metrics)));

        html.Append("<h2>Sample completions</h2>\n");
        var shown = Pick(samples, successes, maxSamples);
        if (shown.Count == 0) html.Append("<p>No completion samples in this run.</p>\n");
        else
        {
            html.Append("<table><tr><th>step</th><th>nums</th><th>target</th><th>reward</th><th>correct</th><th>completion</th></tr>\n");
            foreach (var s in shown)
                html.Append("<tr><td>").Append(s.Step).Append("</td><td class=\"text\">").Append(E("[" + string.Join(", ", s.Nums) + "]"))
                    .Append("</td><td>").Append(s.Target).Append("</td><td>").Append(RunFiles.Format(s.Reward))
                    .Append("</td><td>").Append(s.Equation == 1 ? "yes" : "no").Append("</td><td class=\"text\"><pre>")
                    .Append(E(s.Completion)).Append("</pre></td></tr>\n");
            html.Append("</table>\n");
        }

        html.Append("<h2>Aha moments</h2>\n");
        if (File.Exists(run.AhaCountsPath))
        {
            var counts = AhaExtractor.ReadCounts(run.AhaCountsPath);
            html.Append(ReportSections.AhaSummary(AhaSummary.ForRun(run, counts, RunFiles.SaveSteps(run))))
                .Append("<p>Re-thinking markers and recoveries against the base rate. Evaluations: the same held-out problems, ")
                .Append("the base model's eval first.</p>\n")
                .Append(ReportSections.AhaBaselineTable(AhaBaseline.EvaluationRows(counts)))
                .Append("<p>Training samples: the completions kept while training, against the first step that has them ")
                .Append("(normally step 1, generated before any update).</p>\n")
                .Append(ReportSections.AhaBaselineTable(AhaBaseline.TrainingRows(counts, RunFiles.SaveSteps(run))));
        }
        if (aha.Count == 0)
            html.Append(File.Exists(run.AhaPath)
                ? "<p>No aha phrase in this run's completions (aha.jsonl has no hits): no chart or tables to show.</p>\n"
                : "<p>No aha.jsonl in this run (the <code>aha</code> command writes it).</p>\n");
        else
        {
            html.Append(ChartHtml.Fragment(Charts.AhaCountsPerStep(aha)));
            html.Append("<table><tr><th>phrase (or recovery)</th><th>hits</th><th>in correct</th><th>in wrong</th></tr>\n");
            foreach (var g in aha.GroupBy(h => h.Kind == AhaExtractor.PhraseKind ? h.Phrase : "(" + h.Kind + ")").OrderByDescending(g => g.Count()))
                html.Append("<tr><td class=\"text\">").Append(E(g.Key)).Append("</td><td>").Append(g.Count())
                    .Append("</td><td>").Append(g.Count(h => h.Correct)).Append("</td><td>").Append(g.Count(h => !h.Correct)).Append("</td></tr>\n");
            html.Append("</table>\n<table><tr><th>source</th><th>step</th><th>correct</th><th>context</th></tr>\n");
            foreach (var h in aha.Take(maxSamples))
                html.Append("<tr><td class=\"text\">").Append(E(h.Source)).Append("</td><td>").Append(h.Step).Append("</td><td>")
                    .Append(h.Correct ? "yes" : "no").Append("</td><td class=\"text\"><pre>").Append(E(h.Context)).Append("</pre></td></tr>\n");
            html.Append("</table>\n");
        }

        if (File.Exists(run.ConfigPath))
            html.Append("<h2>Config</h2>\n<pre>").Append(E(File.ReadAllText(run.ConfigPath))).Append("</pre>\n");
        return html.Append("</body></html>\n").ToString();
    }

    /// <summary>The latest samples plus the latest successes (deduplicated), newest first.</summary>
    static List<CompletionSample> Pick(IReadOnlyList<CompletionSample> samples, IReadOnlyList<CompletionSample> successes, int max) =>
        samples.OrderByDescending(s => s.Step).Take((max + 1) / 2)
            .Concat(successes.OrderByDescending(s => s.Step).Take(max / 2))
            .DistinctBy(s => (s.Step, s.Completion)).OrderByDescending(s => s.Step).ToList();

    static string E(string s) => HtmlEncoding.Text(s);
}
