// A completion request as a server sees it once either wire format (vLLM's /v1/completions, SGLang's /generate) has been
// read, and the rows it answers with: what `grpo serve` generates from, independent of the format.
namespace Grpo.Rollouts;

/// <summary>How every row of a call is sampled. TopK 0 = no limit; StopTokenIds end a row besides the model's own end
/// tokens (unless IgnoreEos); Stop strings end it once its text contains one.</summary>
public sealed record SamplingCall(int MaxTokens, bool Greedy, float Temperature, float TopP, int TopK,
    IReadOnlyList<int> StopTokenIds, IReadOnlyList<string> Stop, bool IgnoreEos, bool SkipSpecialTokens);

/// <summary>One row to generate: its prompt as ids or text, and its seed (null: the call's rows share a fresh random
/// seed and draw streams 0, 1, ...; a seed s draws stream RolloutSeeds.Decode(s)).</summary>
public sealed record CallRow(int[]? PromptIds, string? PromptText, long? Seed);

/// <summary>Model: the served model or adapter name (null: the base model); Rows: every completion to generate,
/// prompt-major; LogProbs: answer each token's log-prob.</summary>
public sealed record CompletionCall(string? Model, IReadOnlyList<CallRow> Rows, SamplingCall Sampling, bool LogProbs);

/// <summary>One generated row. FinishReason "stop" (an end token or stop string) or "length"; StopReason the stop
/// token id (int) or stop string that ended it, null for the model's own end token or the length limit.</summary>
public sealed record RowResult(int[] PromptIds, int[] Ids, float[] LogProbs, string FinishReason, object? StopReason, string Text,
    string[] TokenTexts);
