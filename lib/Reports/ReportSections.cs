// HTML fragments that report.html and notebook 04/05 share: the summary, the accuracy and behaviour tables, the
// same-problem table and the base-rate table. Every string from a run's files is encoded for where it lands.
using System.Globalization;
using System.Text;
using Grpo.Countdown;
using Grpo.Evaluation;

namespace Grpo.Reports;

public static class ReportSections
{
    /// <summary>The plain-language summary: what was compared, the headline, one line per measure, how to read it.</summary>
    public static string Summary(RunSummary? summary)
    {
        if (summary is null)
            return "<p>No summary yet: it compares the base model's eval (eval/base.json) with the last checkpoint's, and this " +
                   "run does not have both yet (the <code>eval</code> command writes them).</p>\n";
        var html = new StringBuilder("<div class=\"summary\">\n<p><b>In short.</b> ");
        html.Append(E(summary.Sentences[0]));
        int next = 1;
        if (summary.Changes.Count > 0) html.Append(" <b>").Append(E(summary.Sentences[next++])).Append("</b>");
        html.Append("</p>\n");
        if (next < summary.Sentences.Count)
        {
            html.Append("<ul>\n");
            foreach (var sentence in summary.Sentences.Skip(next)) html.Append("<li>").Append(E(sentence)).Append("</li>\n");
            html.Append("</ul>\n");
        }
        return html.Append("<p class=\"method\">").Append(E(RunSummary.Method)).Append("</p>\n</div>\n").ToString();
    }

    /// <summary>Greedy, format, sampled and pass@k per eval file, with the greedy flips against the base model (problems
    /// that went wrong → right and right → wrong): the paired counts that tell a real change from noise.</summary>
    public static string AccuracyTable(IReadOnlyList<EvalResult> evals)
    {
        var baseEval = evals.FirstOrDefault(e => e.Checkpoint == "base");
        var html = new StringBuilder("<table><tr><th>checkpoint</th><th>step</th><th>problems</th><th>greedy accuracy</th>" +
            "<th>vs base (greedy): wrong → right / right → wrong</th><th>format rate</th><th>sampled accuracy</th><th>pass@k</th></tr>\n");
        foreach (var e in evals)
        {
            string flips = "";
            if (baseEval is not null && e != baseEval)
            {
                var pairs = SameProblems.Pair(baseEval, e);
                flips = $"{pairs.Count(p => p.Change == SameProblems.WrongToRight)} / {pairs.Count(p => p.Change == SameProblems.RightToWrong)}";
            }
            html.Append("<tr><td class=\"text\">").Append(E(e.Checkpoint)).Append("</td><td>").Append(e.Step)
                .Append("</td><td>").Append(e.NumProblems).Append("</td><td>").Append(Pct(e.Accuracy))
                .Append("</td><td>").Append(flips).Append("</td><td>").Append(Pct(e.FormatRate))
                .Append("</td><td>").Append(e.Sampled is { } s ? Pct(s.MeanAccuracy) : "")
                .Append("</td><td>").Append(e.Sampled is { } p ? $"{Pct(p.PassAtK)} (k={p.K})" : "").Append("</td></tr>\n");
        }
        return html.Append("</table>\n").ToString();
    }

    /// <summary>One table per decoding (greedy, sampled): a row per <see cref="BehaviourTable.Measures"/> entry, a column
    /// per checkpoint in the order given (base first), so every trained value sits beside the base value.</summary>
    public static string BehaviourTables(IReadOnlyList<BehaviourRow> rows)
    {
        if (rows.Count == 0) return "<p>No behaviour metrics in these eval files.</p>\n";
        var html = new StringBuilder();
        foreach (var group in rows.GroupBy(r => r.Decoding))
        {
            var columns = group.ToList();
            html.Append("<table><tr><th>").Append(E(group.Key)).Append("</th>");
            foreach (var c in columns) html.Append("<th>").Append(E(c.Checkpoint)).Append("</th>");
            html.Append("</tr>\n");
            foreach (var m in BehaviourTable.Measures)
            {
                html.Append("<tr><td class=\"text\">").Append(E(m.Name.Trim())).Append("</td>");
                foreach (var c in columns) html.Append("<td>").Append(E(m.Show(c.Summary))).Append("</td>");
                html.Append("</tr>\n");
            }
            html.Append("</table>\n");
        }
        html.Append("<p>Definitions: docs/behaviour-metrics.md. Lengths in ").Append(E(rows[0].Summary.LengthUnit))
            .Append(". The base column is the model before any training: a behaviour already there is not emergent.</p>\n");
        return html.ToString();
    }

    /// <summary>The problems <see cref="SameProblems.Pick"/> chooses from the base model's eval and the last checkpoint's,
    /// both greedy generations side by side, with the rule that chose them (or a note when either eval is missing).
    /// With the run's <paramref name="markers"/>, wrong → right problems the final model solved by backtracking come first.</summary>
    public static string SameProblemTable(IReadOnlyList<EvalResult> evals, ReasoningMarkers? markers = null, int perKind = SameProblems.DefaultPerKind)
    {
        var (baseEval, final) = RunFiles.BaseAndLast(evals);
        if (baseEval is null || final is null)
            return "<p>Needs the base model's eval (eval/base.json) and at least one checkpoint's eval.</p>\n";
        Func<EvalRecord, bool>? backtracks = markers is null ? null : r => ReasoningAnalysis.Trace(r.Generation, markers).RejectedAttempts > 0;
        return SameProblemTable(SameProblems.Pick(baseEval, final, perKind, backtracks), final.Checkpoint, perKind, backtracks is not null);
    }

    /// <summary>The given pairs, both greedy generations side by side, with the rule that picked them.</summary>
    public static string SameProblemTable(IReadOnlyList<ProblemPair> pairs, string finalName, int perKind = SameProblems.DefaultPerKind,
        bool backtrackingFirst = false)
    {
        var html = new StringBuilder("<p>").Append(E(SameProblems.Rule(perKind, backtrackingFirst))).Append("</p>\n");
        if (pairs.Count == 0) return html.Append("<p>No problem appears in both eval files.</p>\n").ToString();
        html.Append("<table><tr><th>test_id</th><th>numbers → target</th><th>change (greedy)</th><th>base model</th><th>")
            .Append(E(finalName)).Append("</th></tr>\n");
        foreach (var p in pairs)
        {
            html.Append("<tr><td>").Append(p.Base.TestId).Append("</td><td class=\"text\">")
                .Append(E($"[{string.Join(", ", p.Base.Nums)}] → {p.Base.Target}")).Append("</td><td class=\"text\">").Append(E(p.Change));
            if (SampledShare(p.Base) is { } b && SampledShare(p.Final) is { } f)
                html.Append("<br>sampled: ").Append(E($"{Pct(b)} → {Pct(f)}"));
            html.Append("</td>");
            foreach (var r in new[] { p.Base, p.Final })
                html.Append("<td class=\"text\"><b>").Append(r.Score >= 1 ? "right" : "wrong").Append("</b><pre>")
                    .Append(E(r.Generation)).Append("</pre></td>");
            html.Append("</tr>\n");
        }
        return html.Append("</table>\n").ToString();
    }

    /// <summary>One row per compared run: its name, the settings that differ between the runs, and what it holds to
    /// compare (checkpoints evaluated, the last one's greedy and sampled accuracy).</summary>
    public static string RunsTable(IReadOnlyList<ComparedRun> runs)
    {
        var html = new StringBuilder("<table><tr><th>run</th><th>settings that differ between these runs (config.json)</th>" +
            "<th>evaluated</th><th>last checkpoint: greedy</th><th>sampled</th></tr>\n");
        foreach (var run in runs)
        {
            var last = run.Evals.Where(e => e.Checkpoint != "base").MaxBy(e => e.Step);
            html.Append("<tr><td class=\"text\">").Append(E(run.Name)).Append("</td><td class=\"text\">")
                .Append(E(run.Differences.Count == 0 ? "none" : string.Join(", ", run.Differences)))
                .Append("</td><td class=\"text\">").Append(E(run.Evals.Count == 0 ? "nothing yet" : string.Join(", ", run.Evals.Select(e => e.Checkpoint))))
                .Append("</td><td>").Append(last is null ? "" : E($"{Pct(last.Accuracy)} ({last.Checkpoint})"))
                .Append("</td><td>").Append(last?.Sampled is { } s ? Pct(s.MeanAccuracy) : "").Append("</td></tr>\n");
        }
        return html.Append("</table>\n").ToString();
    }

    /// <summary>The aha conclusion (notebook 05, report.html): what was compared, the headline, one line per measure, the
    /// training samples, and the conclusion in plain words, with how to read it.</summary>
    public static string AhaSummary(AhaSummary? summary)
    {
        if (summary is null)
            return "<p>No conclusion yet: it compares the base model's eval (eval/base.json) with the last checkpoint's, and this " +
                   "run does not have both yet (notebook 04 or the <code>eval</code> command writes them).</p>\n";
        var html = new StringBuilder("<div class=\"summary\">\n<p><b>In short.</b> ").Append(E(summary.Conclusion)).Append("</p>\n<ul>\n");
        foreach (var sentence in summary.Sentences.Where(s => s != summary.Conclusion)) html.Append("<li>").Append(E(sentence)).Append("</li>\n");
        return html.Append("</ul>\n<p class=\"method\">").Append(E(RunSummary.Method.Split(" Behaviour numbers")[0]))
            .Append("</p>\n</div>\n").ToString();
    }

    /// <summary>Re-thinking markers, marker hits and recoveries of every series beside its base rate (AhaBaseline).</summary>
    public static string AhaBaselineTable(IReadOnlyList<AhaBaselineRow> rows)
    {
        if (rows.Count == 0) return "<p>No completions counted (aha_counts.json is missing or empty).</p>\n";
        var html = new StringBuilder("<table><tr><th>series</th><th>point</th><th>completions</th><th>with a re-thinking marker</th>" +
            "<th>marker hits / 100</th><th>recoveries / 100</th></tr>\n");
        foreach (var r in rows)
        {
            string Cell(Func<AhaRate, string> show) => r.IsBase ? show(r.Rate) + " (base)" : $"{show(r.Rate)} (base {show(r.Base)})";
            html.Append("<tr><td class=\"text\">").Append(E(r.Series)).Append("</td><td class=\"text\">").Append(E(r.Rate.Label))
                .Append("</td><td>").Append(r.Rate.Completions).Append("</td><td>").Append(E(Cell(a => Pct(a.ReflectionRate))))
                .Append("</td><td>").Append(E(Cell(a => N(a.HitsPer100)))).Append("</td><td>").Append(E(Cell(a => N(a.RecoveriesPer100))))
                .Append("</td></tr>\n");
        }
        return html.Append("</table>\n").ToString();
    }

    static double? SampledShare(EvalRecord r) => r.SampledScores is { Count: > 0 } s ? s.Average() : null;
    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    static string N(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
    static string E(string s) => HtmlEncoding.Text(s);
}
