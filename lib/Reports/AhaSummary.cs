// The plain-language conclusion of notebook 05 and of report.html's aha section: did re-thinking and recoveries rise
// above what the base model already did? Each held-out problem is compared with itself, base model against the last
// checkpoint (the same sign test as RunSummary); the training samples are described, not tested.
using System.Globalization;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Reports;

/// <param name="Sentences">Plain-text sentences: what was compared, the headline, one per measure, the training samples
/// (when any), and the conclusion last.</param>
public sealed record AhaSummary(IReadOnlyList<string> Sentences, IReadOnlyList<PairedChange> Changes, string Conclusion)
{
    /// <summary>The summary of a run folder's evals (eval/base.json against the last checkpoint) and, when given, its
    /// training-sample counts; null when the run has no base eval or no checkpoint eval yet.</summary>
    public static AhaSummary? ForRun(RunFolder run, IReadOnlyList<AhaStepCount>? counts = null, int blockSteps = 50)
    {
        var (baseEval, final) = RunFiles.BaseAndLast(RunFiles.ReadEvals(run));
        if (baseEval is null || final is null) return null;
        return Of(baseEval, final, RunFiles.Markers(run), counts is null ? [] : AhaBaseline.TrainingRows(counts, blockSteps));
    }

    public static AhaSummary Of(EvalResult baseEval, EvalResult final, ReasoningMarkers markers, IReadOnlyList<AhaBaselineRow> training)
    {
        var pairs = SameProblems.Pair(baseEval, final);
        var sentences = new List<string>
        {
            $"The base model and {final.Checkpoint} (after {final.Step} GRPO steps) answered the same {pairs.Count} held-out " +
            $"{(pairs.Count == 1 ? "problem" : "problems")}. A re-thinking marker is a word like \"wait\" or the model's own " +
            "verdict that rejects a step; a recovery is a completion that rejected an attempt and then answered correctly.",
        };
        var changes = new List<PairedChange>();
        if (pairs.Count > 0)
        {
            (double Rethinks, double Recovers) Greedy(EvalRecord r)
            {
                var (rethinks, recovers) = AhaExtractor.Classify(r.Generation, r.Score >= 1, markers);
                return (rethinks ? 1 : 0, recovers ? 1 : 0);
            }
            changes.Add(Compare("Greedy completions with a re-thinking marker", pairs, r => Greedy(r).Rethinks, "gained one", "lost it"));
            changes.Add(Compare("Greedy recoveries", pairs, r => Greedy(r).Recovers, "gained one", "lost it"));
            if (pairs.All(p => Sampled(p.Base) is not null && Sampled(p.Final) is not null))
            {
                (double Rethinks, double Recovers) Shares(EvalRecord r)
                {
                    var marks = Sampled(r)!.Select(s => AhaExtractor.Classify(s.Text, s.Correct, markers)).ToList();
                    return (marks.Average(m => m.Rethinks ? 1.0 : 0), marks.Average(m => m.Recovers ? 1.0 : 0));
                }
                changes.Add(Compare("Sampled completions with a re-thinking marker", pairs, r => Shares(r).Rethinks, "had more", "fewer"));
                changes.Add(Compare("Sampled recoveries", pairs, r => Shares(r).Recovers, "had more", "fewer"));
            }
            sentences.Add(Headline(changes));
            sentences.AddRange(changes.Select(c => c.Sentence()));
        }
        if (TrainingSentence(training) is { } t) sentences.Add(t);
        var conclusion = Conclude(changes);
        sentences.Add(conclusion);
        return new AhaSummary(sentences, changes, conclusion);
    }

    /// <summary>The sampled completions of a record with their correctness, or null when it stores none.</summary>
    static List<(string Text, bool Correct)>? Sampled(EvalRecord r) =>
        r.SampledGenerations is { Count: > 0 } texts && r.SampledScores is { } scores && scores.Count == texts.Count
            ? texts.Select((t, i) => (t, scores[i] >= 1)).ToList() : null;

    static PairedChange Compare(string measure, IReadOnlyList<ProblemPair> pairs, Func<EvalRecord, double> value, string up, string down)
    {
        var before = pairs.Select(p => value(p.Base)).ToList();
        var after = pairs.Select(p => value(p.Final)).ToList();
        return new PairedChange(measure, pairs.Count, before.Average(), after.Average(),
            before.Zip(after).Count(x => x.Second > x.First), before.Zip(after).Count(x => x.Second < x.First), up, down);
    }

    static string Headline(IReadOnlyList<PairedChange> changes)
    {
        string Names(string verdict) => string.Join(", ", changes.Where(c => c.Verdict == verdict).Select(c => char.ToLowerInvariant(c.Measure[0]) + c.Measure[1..]));
        return string.Join(" ", new[] { ("Rose", Names("rose")), ("Fell", Names("fell")), ("Within noise", Names("unchanged")) }
            .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}: {p.Item2}."));
    }

    /// <summary>The training samples' first point against their last (descriptive: the sample files keep ~10% of a step).</summary>
    static string? TrainingSentence(IReadOnlyList<AhaBaselineRow> training)
    {
        var series = training.Where(r => r.Series == AhaBaseline.TrainingSamples).ToList();
        if (series.Count < 2) return null;
        var (first, last) = (series[0].Rate, series[^1].Rate);
        return $"While training, {Pct(first.ReflectionRate)} of the sampled completions kept from {first.Label} had a re-thinking " +
               $"marker ({first.Completions} completions) and {Pct(last.ReflectionRate)} of those from {last.Label} " +
               $"({last.Completions}); recoveries per 100 went from {N(first.RecoveriesPer100)} to {N(last.RecoveriesPer100)} " +
               "(described, not tested: the sample files keep about a tenth of each step's completions).";
    }

    static string Conclude(IReadOnlyList<PairedChange> changes)
    {
        if (changes.Count == 0) return "No conclusion: the two evaluations share no problem.";
        var rose = changes.Where(c => c.Verdict == "rose").Select(c => Lower(c.Measure)).ToList();
        if (rose.Count > 0)
            return $"In plain words: {string.Join(" and ", rose)} rose above the base model's own rate, beyond noise; that is " +
                   "the kind of change an aha moment would show. Read the hits in context above before calling it one.";
        var fell = changes.Where(c => c.Verdict == "fell").Select(c => Lower(c.Measure)).ToList();
        return "In plain words: no aha moment in this run. Re-thinking and recoveries did not rise above what the base model " +
               "already did" + (fell.Count > 0 ? $"; {string.Join(" and ", fell)} fell" : "") +
               ". Any re-thinking seen above was there before training.";
    }

    static string Lower(string s) => char.ToLowerInvariant(s[0]) + s[1..];
    static string Pct(double share) => (100 * share).ToString("F1", CultureInfo.InvariantCulture) + "%";
    static string N(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
}
