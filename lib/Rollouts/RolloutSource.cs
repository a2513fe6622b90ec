// What the GRPO trainer asks of whatever samples its completions: G completions per prompt as token ids (never text
// to re-tokenize: training must see exactly what was sampled), whether each ended on an end token, and, when the
// sampler reports them, the log-prob it gave each token. The local TorchSharp generator is one source
// (LocalRollouts); an OpenAI-compatible inference server (vLLM, SGLang, `grpo serve`) is another (ServerRollouts).
namespace Grpo.Rollouts;

/// <summary>One generation batch: the prompts (already cut to max_prompt_length) and how to sample
/// <paramref name="NumGenerations"/> completions of each. Seed: the batch's sampling seed (row i of the batch, prompt-major,
/// draws random stream i of it; TokenSampler).</summary>
public sealed record RolloutRequest(IReadOnlyList<int[]> Prompts, int NumGenerations, int MaxNewTokens, float Temperature,
    float TopP, int TopK, long Seed);

/// <summary>One completion. Ids: the sampled tokens, the end token included when one was produced; Finished: it ended on
/// an end token (not at the length limit); LogProbs[i]: the sampler's log-prob of Ids[i] (null when the source does not
/// report them).</summary>
public sealed record RolloutSample(int[] PromptIds, int[] Ids, bool Finished, float[]? LogProbs);

/// <summary>The policy as it stands after optimizer step <paramref name="Step"/>, for a source that samples elsewhere:
/// Write fills a folder with either a PEFT adapter (<paramref name="IsAdapter"/>) or a full Hugging Face model folder.</summary>
public sealed record PolicyWeights(int Step, bool IsAdapter, Action<string> Write);

public interface IRolloutSource : IDisposable
{
    /// <summary>NumGenerations completions of every prompt, prompt-major: rows g*G .. g*G+G-1 belong to prompt g.</summary>
    IReadOnlyList<RolloutSample> Sample(RolloutRequest request);

    /// <summary>Samples from these weights from now on. The trainer calls it before a generation whenever the policy
    /// changed since the last call (and once before the first), so a server never samples from stale weights.</summary>
    void UsePolicy(PolicyWeights weights);
}
