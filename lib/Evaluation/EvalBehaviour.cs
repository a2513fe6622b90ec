// The "behaviour" object of eval/<checkpoint>.json: behaviour metrics (docs/behaviour-metrics.md) of the greedy and of
// the sampled completions, with the markers they were read with.
using System.Text.Json.Serialization;
using Grpo.Countdown;

namespace Grpo.Evaluation;

/// <param name="Greedy">Over the greedy generation of every record; null when the eval did not decode greedily.</param>
/// <param name="Sampled">Over all k samples of every record (problem-level rates group a record's samples); null
/// without sampled generations.</param>
public sealed record EvalBehaviour(
    [property: JsonPropertyName("markers")] ReasoningMarkers Markers,
    [property: JsonPropertyName("greedy")] BehaviourSummary? Greedy,
    [property: JsonPropertyName("sampled")] BehaviourSummary? Sampled)
{
    /// <summary>Analyses the records' texts. <paramref name="tokenCount"/> (the model's tokenizer) makes lengths
    /// tokens; without it they are characters.</summary>
    public static EvalBehaviour Compute(IReadOnlyList<EvalRecord> records, bool greedy, ReasoningMarkers markers,
        Func<string, int>? tokenCount = null)
    {
        BehaviourSummary Summarize(IEnumerable<(EvalRecord Record, string Text)> texts) => BehaviourSummary.Of(texts
            .Select(x => new AnalysedCompletion(x.Record.TestId,
                ReasoningAnalysis.Analyze(x.Text, new CountdownProblem(x.Record.Nums, x.Record.Target), markers), tokenCount?.Invoke(x.Text)))
            .ToList());
        bool sampled = records.Count > 0 && records.All(r => r.SampledGenerations is not null);
        return new EvalBehaviour(markers,
            greedy ? Summarize(records.Select(r => (r, r.Generation))) : null,
            sampled ? Summarize(records.SelectMany(r => r.SampledGenerations!.Select(t => (r, t)))) : null);
    }
}
