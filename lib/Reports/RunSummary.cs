// The plain-language summary at the top of report.html and notebook 04: the base model against the run's last
// checkpoint on the same held-out problems (what rose, what fell, by how much, on how many problems, with the seed),
// from the eval files and the run's config. A change is called "rose" or "fell" only when a paired sign test says it
// is bigger than noise.
using System.Globalization;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Reports;

/// <summary>One accuracy-like measure on the problems both evals answered: its mean before and after, and how many
/// problems got better or worse (the sign test's counts). <paramref name="UpWords"/> / <paramref name="DownWords"/>
/// say what a change is for this measure ("went wrong → right").</summary>
public sealed record PairedChange(string Measure, int Problems, double Base, double Final, int Improved, int Worsened,
    string UpWords = "improved", string DownWords = "got worse")
{
    public double Delta => Final - Base;

    /// <summary>Two-sided exact sign test over the problems whose value changed.</summary>
    public double PValue => SignTest.TwoSided(Improved, Worsened);

    /// <summary>"rose" or "fell" when p &lt; <see cref="RunSummary.Alpha"/> and the mean moved the same way as the
    /// majority of changed problems; otherwise "unchanged" (within noise).</summary>
    public string Verdict => PValue < RunSummary.Alpha && Delta != 0 && Math.Sign(Improved - Worsened) == Math.Sign(Delta)
        ? (Delta > 0 ? "rose" : "fell") : "unchanged";

    /// <summary>"Greedy accuracy rose from 45.2% to 49.0% (+3.8 points; 30 problems went wrong → right, 11 right →
    /// wrong; sign test p = 0.004)."</summary>
    public string Sentence()
    {
        var counts = $"({RunSummary.Points(Delta)}; {Improved} {(Improved == 1 ? "problem" : "problems")} {UpWords}, {Worsened} {DownWords}; sign test {RunSummary.P(PValue)})";
        return Verdict == "unchanged"
            ? $"{Measure} stayed within noise: {RunSummary.Pct(Base)} to {RunSummary.Pct(Final)} {counts}."
            : $"{Measure} {Verdict} from {RunSummary.Pct(Base)} to {RunSummary.Pct(Final)} {counts}.";
    }
}

/// <param name="Sentences">The summary, one plain-text sentence each (the first says what was compared).</param>
/// <param name="Changes">The tested measures, sampled accuracy first when the evals sampled.</param>
/// <param name="Behaviour">The behaviour sentence (descriptive, not tested), or null when the evals have none.</param>
public sealed record RunSummary(IReadOnlyList<string> Sentences, IReadOnlyList<PairedChange> Changes, string? Behaviour)
{
    /// <summary>Significance level of the sign test behind "rose" and "fell".</summary>
    public const double Alpha = 0.05;

    /// <summary>How to read the summary, for the page that shows it.</summary>
    public const string Method =
        "How to read this: each problem is compared with itself, base against final. \"Rose\" or \"fell\" means a two-sided " +
        "exact sign test over the problems whose score changed (unchanged problems left out) gives p < 0.05; anything less " +
        "is reported as within noise. Sampled accuracy compares each problem's share of right samples; pass@k counts a " +
        "problem solved when at least one of its k samples is right. Behaviour numbers are descriptive (not tested); a " +
        "behaviour the base model already shows was not learned in training.";

    /// <summary>The summary of a run folder: eval/base.json against the eval of the last checkpoint, with the seed,
    /// steps and model of config.json. <paramref name="evals"/>: the run's eval files when the caller has read them
    /// already. Null when the run has no base eval or no checkpoint eval yet.</summary>
    public static RunSummary? ForRun(RunFolder run, IReadOnlyList<EvalResult>? evals = null)
    {
        evals ??= RunFiles.ReadEvals(run);
        var (baseEval, final) = RunFiles.BaseAndLast(evals);
        if (baseEval is null || final is null) return null;
        var (config, problem) = RunFiles.TryConfig(run);
        return Of(baseEval, final, config, RunFiles.Markers(run), problem);
    }

    /// <summary>The summary of <paramref name="final"/> against <paramref name="baseEval"/> on the problems both answered.
    /// <paramref name="config"/> gives seed, planned steps and model (null: unknown, <paramref name="configProblem"/>
    /// says why); <paramref name="markers"/> read eval files that store no behaviour.</summary>
    public static RunSummary Of(EvalResult baseEval, EvalResult final, GrpoConfig? config, ReasoningMarkers markers, string? configProblem = null)
    {
        var pairs = SameProblems.Pair(baseEval, final);
        var sentences = new List<string> { Intro(final, config, configProblem, pairs.Count) };
        if (pairs.Count == 0)
        {
            sentences.Add($"{final.Checkpoint} and the base model answered no problem in common (no shared test_id), so nothing can be compared.");
            return new RunSummary(sentences, [], null);
        }

        var changes = new List<PairedChange>();
        bool sampled = pairs.All(p => p.Base.SampledScores is { Count: > 0 } && p.Final.SampledScores is { Count: > 0 });
        if (sampled && baseEval.Sampled is { } s)
            changes.Add(Compare($"Sampled accuracy (mean of {s.K} samples at T={s.Temperature.ToString("0.##", CultureInfo.InvariantCulture)})",
                pairs, r => r.SampledScores!.Average(), "improved", "got worse"));
        changes.Add(Compare("Greedy accuracy", pairs, r => r.Score >= 1 ? 1 : 0, "went wrong → right", "right → wrong"));
        if (sampled && baseEval.Sampled?.K is int k && final.Sampled?.K == k)
            changes.Add(Compare($"pass@{k}", pairs, r => r.SampledScores!.Any(x => x >= 1) ? 1 : 0, "went unsolved → solved", "solved → unsolved"));
        changes.Add(Compare("Format (greedy)", pairs, r => r.FormatReward >= 1 ? 1 : 0, "gained the format", "lost it"));

        sentences.Add(Headline(changes));
        sentences.AddRange(changes.Select(c => c.Sentence()));
        var behaviour = BehaviourSentence(BehaviourTable.Stored(baseEval, markers), BehaviourTable.Stored(final, markers), final.Checkpoint);
        if (behaviour is not null) sentences.Add(behaviour);
        return new RunSummary(sentences, changes, behaviour);
    }

    static string Intro(EvalResult final, GrpoConfig? config, string? configProblem, int problems)
    {
        string steps = config is { } c && c.MaxSteps != final.Step ? $"{final.Step} of {c.MaxSteps} planned GRPO steps" : $"{final.Step} GRPO steps";
        string facts = config is { } cfg ? $"seed {cfg.Seed}, model {cfg.ModelNameOrPath}"
            : $"seed and model unknown: {configProblem ?? "no config given"}";
        return $"Over {steps} ({facts}), the base model and {final.Checkpoint} answered the same {problems} held-out " +
               $"{(problems == 1 ? "problem" : "problems")}.";
    }

    /// <summary>"Rose: sampled accuracy. Fell: pass@8. Within noise: greedy accuracy, format (greedy)."</summary>
    static string Headline(IReadOnlyList<PairedChange> changes)
    {
        string Names(string verdict) => string.Join(", ", changes.Where(c => c.Verdict == verdict).Select(c => LowerFirst(c.Measure.Split(" (")[0])));
        var parts = new[] { ("Rose", Names("rose")), ("Fell", Names("fell")), ("Within noise", Names("unchanged")) }
            .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}: {p.Item2}.");
        return string.Join(" ", parts);
    }

    static PairedChange Compare(string measure, IReadOnlyList<ProblemPair> pairs, Func<EvalRecord, double> value, string up, string down)
    {
        var before = pairs.Select(p => value(p.Base)).ToList();
        var after = pairs.Select(p => value(p.Final)).ToList();
        int improved = before.Zip(after).Count(x => x.Second > x.First), worsened = before.Zip(after).Count(x => x.Second < x.First);
        return new PairedChange(measure, pairs.Count, before.Average(), after.Average(), improved, worsened, up, down);
    }

    /// <summary>Faithful steps, recoveries, reflection, answer-follows-reasoning and lengths, base → final, of the
    /// sampled completions when both evals have them (more text, the decoding training uses), else of the greedy ones.</summary>
    static string? BehaviourSentence(EvalBehaviour baseBehaviour, EvalBehaviour finalBehaviour, string finalName)
    {
        var (decoding, b, f) = baseBehaviour.Sampled is { } bs && finalBehaviour.Sampled is { } fs ? ("sampled", bs, fs)
            : baseBehaviour.Greedy is { } bg && finalBehaviour.Greedy is { } fg ? ("greedy", bg, fg)
            : (null, null!, null!);
        if (decoding is null) return null;
        string Pair(Func<BehaviourSummary, double?> value, Func<double, string> show) =>
            $"{(value(b) is { } x ? show(x) : "n/a")} → {(value(f) is { } y ? show(y) : "n/a")}";
        string N(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        string unit = f.LengthUnit;
        return $"Behaviour of the {decoding} completions ({b.Completions} for the base model, {f.Completions} for {finalName}): " +
               $"faithful arithmetic steps {Pair(s => s.FaithfulSteps, Pct)}; " +
               $"recoveries per 100 completions {Pair(s => s.RecoveriesPer100, N)}; " +
               $"reflection rate {Pair(s => s.ReflectionRate, Pct)}; " +
               $"answer follows the reasoning {Pair(s => s.AnswerFollowsReasoning, Pct)}; " +
               $"length of correct completions {Pair(s => s.LengthCorrect, N)} {unit}, of wrong ones {Pair(s => s.LengthWrong, N)} {unit}.";
    }

    static string LowerFirst(string s) => s.StartsWith("pass@", StringComparison.Ordinal) || s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..];

    internal static string Pct(double share) => (100 * share).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>"+11.6 points", "-1.6 points", "0.0 points".</summary>
    internal static string Points(double delta)
    {
        var text = Math.Abs(100 * delta).ToString("F1", CultureInfo.InvariantCulture);
        return (text == "0.0" ? "" : delta > 0 ? "+" : "-") + text + " points";
    }

    internal static string P(double p) =>
        p < 0.001 ? "p < 0.001" : "p = " + p.ToString(p < 0.1 ? "F3" : "F2", CultureInfo.InvariantCulture);
}
