// Where the texts of an aha count came from, and its label in aha.jsonl and aha_counts.json: a completion sample file
// ("completion_samples", "success_completion_samples") or one checkpoint's eval file, greedy ("eval/checkpoint-50") or
// sampled ("eval/checkpoint-50/sampled"). The label is built and read back here only.
namespace Grpo.Evaluation;

/// <param name="Name">The sample file's name, or "eval" for an eval file.</param>
/// <param name="Checkpoint">The eval file's checkpoint ("base", "checkpoint-N"); null for a sample file.</param>
/// <param name="Sampled">Whether the eval texts are the sampled generations rather than the greedy ones.</param>
public sealed record AhaSource(string Name, string? Checkpoint = null, bool Sampled = false)
{
    const string EvalName = "eval", SampledSuffix = "sampled";

    public static AhaSource Eval(string checkpoint, bool sampled = false) => new(EvalName, checkpoint, sampled);

    public bool IsEval => Checkpoint is not null;

    public string Label => Checkpoint is null ? Name : $"{EvalName}/{Checkpoint}{(Sampled ? "/" + SampledSuffix : "")}";

    /// <summary>The source a label names; a label of no known shape names a source of its own (no checkpoint).</summary>
    public static AhaSource Parse(string label)
    {
        var parts = label.Split('/');
        return parts switch
        {
            [EvalName, var checkpoint] when checkpoint.Length > 0 => Eval(checkpoint),
            [EvalName, var checkpoint, SampledSuffix] when checkpoint.Length > 0 => Eval(checkpoint, sampled: true),
            _ => new AhaSource(label),
        };
    }

    public override string ToString() => Label;
}
