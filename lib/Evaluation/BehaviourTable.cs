// Behaviour metrics of eval files side by side (base first), recomputed from the texts the files store, so a run's
// numbers can be read again with other markers without generating anything.
using Grpo.Countdown;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <summary>One line of the table: a checkpoint's greedy or sampled completions.</summary>
public sealed record BehaviourRow(string Checkpoint, int Step, string Decoding, BehaviourSummary Summary);

/// <summary>A row of the printed tables (behaviour command, report.html, notebook 04): its name and how a summary shows
/// it. <paramref name="Format"/> is "%" (a share, shown as a percentage) or a .NET number format ("F1", "F0").</summary>
public sealed record BehaviourMeasure(string Name, Func<BehaviourSummary, double?> Value, string Format)
{
    public string Show(BehaviourSummary summary) => Value(summary) is not { } v ? "-"
        : Format == "%" ? (100 * v).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
        : v.ToString(Format, System.Globalization.CultureInfo.InvariantCulture);
}

public static class BehaviourTable
{
    /// <summary>The measures every behaviour table shows, in this order (docs/behaviour-metrics.md defines them).</summary>
    public static readonly IReadOnlyList<BehaviourMeasure> Measures =
    [
        new("completions", s => s.Completions, "F0"),
        new("correct %", s => s.Completions == 0 ? null : (double)s.Correct / s.Completions, "%"),
        new("reflection %", s => s.ReflectionRate, "%"),
        new("  among correct %", s => s.ReflectionRateCorrect, "%"),
        new("  among wrong %", s => s.ReflectionRateWrong, "%"),
        new("  problems %", s => s.ReflectionRateProblems, "%"),
        new("attempts / completion", s => s.AttemptsPerCompletion, "F2"),
        new("recoveries / 100", s => s.RecoveriesPer100, "F1"),
        new("faithful steps %", s => s.FaithfulSteps, "%"),
        new("answer follows %", s => s.AnswerFollowsReasoning, "%"),
        new("length correct", s => s.LengthCorrect, "F1"),
        new("length wrong", s => s.LengthWrong, "F1"),
    ];

    /// <summary>The eval/*.json files of a run, base (step 0) first, then by step.</summary>
    public static IReadOnlyList<EvalResult> RunEvals(RunFolder run, string evalDir = RunFolder.DefaultEvalDir)
    {
        var dir = run.EvalDir(evalDir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"No eval folder in the run: {dir} (run `eval --run` first).");
        return Directory.GetFiles(dir, "*.json").Select(EvalResult.Load)
            .OrderBy(e => e.Step).ThenBy(e => e.Checkpoint == "base" ? 0 : 1).ThenBy(e => e.Checkpoint, StringComparer.Ordinal).ToList();
    }

    /// <summary>Greedy rows, then sampled rows, each in the order given, so every trained value sits below the base
    /// value of the same decoding. A file without a behaviour object counts as greedy (older files always were).</summary>
    public static IReadOnlyList<BehaviourRow> Rows(IReadOnlyList<EvalResult> evals, ReasoningMarkers markers, Func<string, int>? tokenCount = null)
    {
        var computed = evals.Select(e => (Eval: e, Behaviour: EvalBehaviour.Compute(e.Records, e.Behaviour?.Greedy is not null || e.Behaviour is null,
            markers, tokenCount))).ToList();
        return computed.Where(x => x.Behaviour.Greedy is not null).Select(x => new BehaviourRow(x.Eval.Checkpoint, x.Eval.Step, "greedy", x.Behaviour.Greedy!))
            .Concat(computed.Where(x => x.Behaviour.Sampled is not null).Select(x => new BehaviourRow(x.Eval.Checkpoint, x.Eval.Step, "sampled", x.Behaviour.Sampled!)))
            .ToList();
    }

    /// <summary>The behaviour an eval file stores (measured when it was written, lengths in tokens), or, for a file
    /// written before behaviour was measured, its greedy texts read now with <paramref name="markers"/> (lengths in
    /// characters).</summary>
    public static EvalBehaviour Stored(EvalResult eval, ReasoningMarkers markers) =>
        eval.Behaviour ?? EvalBehaviour.Compute(eval.Records, greedy: true, markers);

    /// <summary>Like <see cref="Rows"/> (greedy rows, then sampled, each in the order given), from <see cref="Stored"/>.</summary>
    public static IReadOnlyList<BehaviourRow> StoredRows(IReadOnlyList<EvalResult> evals, ReasoningMarkers markers)
    {
        var stored = evals.Select(e => (Eval: e, Behaviour: Stored(e, markers))).ToList();
        return stored.Where(x => x.Behaviour.Greedy is not null).Select(x => new BehaviourRow(x.Eval.Checkpoint, x.Eval.Step, "greedy", x.Behaviour.Greedy!))
            .Concat(stored.Where(x => x.Behaviour.Sampled is not null).Select(x => new BehaviourRow(x.Eval.Checkpoint, x.Eval.Step, "sampled", x.Behaviour.Sampled!)))
            .ToList();
    }
}
