// One supervised example: prompt ids (no loss) followed by completion ids (loss), the end id included.
namespace Grpo.Training.Sft;

public sealed record SftExample(int[] PromptIds, int[] CompletionIds);

/// <summary>Progress of the supervised trainer, reported every LogEvery steps.</summary>
public sealed record SftProgress(int Step, int MaxSteps, double Loss, double LearningRate, double TokensPerSecond, double ElapsedSeconds);
