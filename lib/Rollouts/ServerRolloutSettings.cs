// Where the rollout servers are and how to talk to them (filled from GrpoConfig's vllm_* fields by the trainer's side).
namespace Grpo.Rollouts;

/// <param name="BaseUrls">One or more servers (http://host:port); a generation batch's prompts are spread across them.</param>
/// <param name="Api">"vllm": OpenAI /v1/completions and /v1/load_lora_adapter; "sglang": /generate, /load_lora_adapter
/// and /update_weights_from_disk. `grpo serve` answers both.</param>
/// <param name="Timeout">How long a server may take to come up at the start, and to answer one request.</param>
/// <param name="Retries">Further tries of a request that failed for a reason that may pass (no connection, a timeout,
/// a 5xx or 429 answer), with exponential backoff from <paramref name="Backoff"/>.</param>
/// <param name="WeightsDir">Where the policy is written for the servers to load (one step-N folder at a time).</param>
/// <param name="ServerWeightsDir">The same folder as the servers see it (a shared mount may have another path there).</param>
/// <param name="StopTokenIds">The ids that end a completion (the trainer's end tokens), sent with every request.</param>
/// <param name="VocabSize">Ids at or above it in an answer are malformed.</param>
public sealed record ServerRolloutSettings(IReadOnlyList<string> BaseUrls, string Api, TimeSpan Timeout, int Retries,
    string WeightsDir, string ServerWeightsDir, IReadOnlyList<int> StopTokenIds, int VocabSize)
{
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(0.5);

    public static IReadOnlyList<string> Apis { get; } = ["vllm", "sglang"];
}
