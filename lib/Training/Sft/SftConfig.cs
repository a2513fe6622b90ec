// Settings of the supervised cold start (cross-entropy on completion tokens only); defaults in one place.
namespace Grpo.Training.Sft;

public sealed record SftConfig
{
    public int BatchSize { get; init; } = 64;
    public int MaxSteps { get; init; } = 2000;
    /// <summary>Stop early once this much wall time has passed (0 = no limit); the schedule still assumes MaxSteps.</summary>
    public double MaxMinutes { get; init; } = 0;
    public double LearningRate { get; init; } = 2e-3;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.01;
    public double MaxGradNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 1234;
    public int LogEvery { get; init; } = 25;
    /// <summary>Recompute each decoder layer in backward instead of keeping its activations (TRL's name).</summary>
    public bool GradientCheckpointing { get; init; }
    /// <summary>Labelled positions whose full-vocabulary logits exist at once (0: unchunked, see ChunkedLogProbs).</summary>
    public int LogitsChunkSize { get; init; } = Grpo.Model.ChunkedLogProbs.DefaultChunkSize;
}
