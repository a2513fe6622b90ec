// What a Countdown run keeps of every scored generation batch: completion samples (a seeded share of the completions,
// and every correct one) in completion_samples/, and the batch's behaviour/* metrics (BehaviourSummary.ForStep,
// docs/behaviour-metrics.md) beside the trainer's in metrics.jsonl.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Pipeline;

/// <param name="sampleFraction">Share of completions written to completion_samples.txt (completion_sample_fraction).</param>
/// <param name="markers">How the behaviour metrics read a completion: the base model's reasoning markers.</param>
public sealed class CountdownTaskLog(RunFolder run, int seed, double sampleFraction, ReasoningMarkers markers) : ITaskLog
{
    public void Write(ScoredBatch batch)
    {
        int format = Index(batch, CountdownRewardFunctions.Format), equation = Index(batch, CountdownRewardFunctions.Equation);
        // Not HashCode.Combine: it is randomised per process, and a resumed run must pick the same samples.
        var rng = new Random(unchecked(seed * 1_000_003 + batch.Step * 7919 + 0x5a3b1e));
        var all = new List<CompletionSample>();
        var successes = new List<CompletionSample>();
        foreach (var c in batch.Completions)
        {
            var p = c.Prompt.Example as CountdownProblem;
            var entry = new CompletionSample(batch.Step, p?.Nums ?? [], p?.Target ?? 0, c.Reward,
                format >= 0 ? (int)c.PerFunction[format] : 0, equation >= 0 ? (int)c.PerFunction[equation] : 0, c.Text);
            if (rng.NextDouble() < sampleFraction) all.Add(entry);
            if (equation >= 0 && c.PerFunction[equation] >= 1) successes.Add(entry);
        }
        CompletionSamplesFile.Append(run.CompletionSamplesPath, all);
        CompletionSamplesFile.Append(run.SuccessSamplesPath, successes);
    }

    public IReadOnlyList<KeyValuePair<string, double>> Metrics(ScoredBatch batch) =>
        BehaviourSummary.ForStep(batch.Completions.Select(c => new StepCompletion(c.Group, Problem(c), c.Text, c.Tokens)), markers);

    public void TruncateAfter(int step)
    {
        CompletionSamplesFile.TruncateAfter(run.CompletionSamplesPath, step);
        CompletionSamplesFile.TruncateAfter(run.SuccessSamplesPath, step);
    }

    static int Index(ScoredBatch batch, RewardFunction f) => batch.RewardNames.ToList().IndexOf(f.Name);

    static CountdownProblem Problem(ScoredCompletion c) => c.Prompt.Example as CountdownProblem
        ?? throw new InvalidOperationException("a Countdown run's prompts carry their Countdown problem");
}
