// Behaviour metrics of eval files side by side (base first), recomputed from the texts the files store, so a run's
// numbers can be read again with other markers without generating anything.
using Grpo.Countdown;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <summary>One line of the table: a checkpoint's greedy or sampled completions.</summary>
public sealed record BehaviourRow(string Checkpoint, int Step, string Decoding, BehaviourSummary Summary);

public static class BehaviourTable
{
    /// <summary>The eval/*.json files of a run, base (step 0) first, then by step.</summary>
    public static IReadOnlyList<EvalResult> RunEvals(string runDir, string evalDir = RunFolder.DefaultEvalDir)
    {
        var dir = new RunFolder(runDir).EvalDir(evalDir);
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
}
