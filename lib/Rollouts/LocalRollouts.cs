// The default rollout source: the project's own generator on the policy model itself, in the trainer's process. The
// policy is the model being trained, so there are no weights to move and no sampler log-probs to correct for.
using Grpo.Model;

namespace Grpo.Rollouts;

public sealed class LocalRollouts(Qwen2ForCausalLM model, IReadOnlyList<int> eosIds, int padId) : IRolloutSource
{
    public IReadOnlyList<RolloutSample> Sample(RolloutRequest request)
    {
        model.eval();
        var rows = request.Prompts.SelectMany(p => Enumerable.Repeat(p, request.NumGenerations)).ToList();
        var options = new GenerationOptions(request.MaxNewTokens, Greedy: false, Temperature: request.Temperature,
            TopP: request.TopP, TopK: request.TopK, Seed: request.Seed);
        return Generator.Generate(model, rows, options, eosIds, padId)
            .Select(g => new RolloutSample(g.PromptIds, g.Ids, g.Finished, null)).ToList();
    }

    public void UsePolicy(PolicyWeights weights) { }

    /// <summary>The model belongs to the trainer.</summary>
    public void Dispose() { }
}
