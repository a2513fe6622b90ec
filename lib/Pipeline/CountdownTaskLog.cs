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
        // Not HashCode.Combine: it is randomised per process, and a resumed run must pick the same samples.
        var rng = new Random(unchecked(seed * 1_000_003 + batch.Step * 7919 + 0x5a3b1e));
        var all = new List<CompletionSample>();
        var successes = new List<CompletionSample>();
        foreach (var c in batch.Completions)
        {
            // Scored here by the task's own rules, whichever reward functions the run trains with.
            var p = Problem(c);
            int format = (int)CountdownRewards.FormatReward(c.Text), correct = (int)CountdownRewards.EquationReward(c.Text, p.Nums, p.Target).Reward;
            var entry = new CompletionSample(batch.Step, p.Nums, p.Target, c.Reward, format, correct, c.Text);
            if (rng.NextDouble() < sampleFraction) all.Add(entry);
            if (correct == 1) successes.Add(entry);
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

    static CountdownProblem Problem(ScoredCompletion c) => c.Prompt.Example as CountdownProblem
        ?? throw new InvalidOperationException("a Countdown run's prompts carry their Countdown problem");
}
