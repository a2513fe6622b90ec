// Behaviour metrics over many completions (docs/behaviour-metrics.md): reflection rate, attempts, recoveries, faithful
// steps, answer-follows-reasoning and length of correct vs wrong completions. Stored per checkpoint in eval/<ckpt>.json
// and, through ForStep, logged per training step as behaviour/* in metrics.jsonl.
using System.Text.Json.Serialization;

namespace Grpo.Countdown;

/// <summary>One analysed completion: which problem it answers (its k samples share the id) and, when the caller has
/// them, its token count.</summary>
public sealed record AnalysedCompletion(int ProblemId, CompletionAnalysis Analysis, int? Tokens = null);

/// <summary>A completion of a training step as a task-side hook sees it: the prompt's index in the step (the G
/// completions of a prompt share it), the problem, the generated text and its token count.</summary>
public sealed record StepCompletion(int PromptIndex, CountdownProblem Problem, string Completion, int? Tokens = null);

/// <summary>Rates are shares in [0, 1]; a value without anything to average over (no wrong completion, no step) is
/// null. Lengths are in <see cref="LengthUnit"/>: "tokens" when every completion came with its token count, else
/// "characters".</summary>
public sealed record BehaviourSummary(
    [property: JsonPropertyName("completions")] int Completions,
    [property: JsonPropertyName("problems")] int Problems,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("reflection_rate")] double? ReflectionRate,
    [property: JsonPropertyName("reflection_rate_correct")] double? ReflectionRateCorrect,
    [property: JsonPropertyName("reflection_rate_wrong")] double? ReflectionRateWrong,
    [property: JsonPropertyName("reflection_rate_problems")] double? ReflectionRateProblems,
    [property: JsonPropertyName("attempts_per_completion")] double? AttemptsPerCompletion,
    [property: JsonPropertyName("rejected_attempts_per_completion")] double? RejectedAttemptsPerCompletion,
    [property: JsonPropertyName("recoveries")] int Recoveries,
    [property: JsonPropertyName("recoveries_per_100")] double? RecoveriesPer100,
    [property: JsonPropertyName("arithmetic_steps")] int ArithmeticSteps,
    [property: JsonPropertyName("faithful_steps")] double? FaithfulSteps,
    [property: JsonPropertyName("with_accepted_attempt")] int WithAcceptedAttempt,
    [property: JsonPropertyName("answer_follows_reasoning")] double? AnswerFollowsReasoning,
    [property: JsonPropertyName("length_unit")] string LengthUnit,
    [property: JsonPropertyName("length_correct")] double? LengthCorrect,
    [property: JsonPropertyName("length_wrong")] double? LengthWrong)
{
    public const string MetricPrefix = "behaviour/";

    /// <summary>100 x correct completions that reject no attempt / completions: solved by the first attempt tried.
    /// Beside recoveries it tells a search that got better at where to start from one that got better at turning back.</summary>
    [JsonIgnore]
    public double? FirstTrySolvesPer100 => Completions == 0 ? null : 100.0 * (Correct - Recoveries) / Completions;

    public static BehaviourSummary Of(IReadOnlyList<AnalysedCompletion> items)
    {
        var a = items.Select(i => i.Analysis).ToList();
        var correct = items.Where(i => i.Analysis.Correct).ToList();
        var wrong = items.Where(i => !i.Analysis.Correct).ToList();
        var problems = items.GroupBy(i => i.ProblemId).ToList();
        bool tokens = items.Count > 0 && items.All(i => i.Tokens is not null);
        double Length(AnalysedCompletion i) => tokens ? i.Tokens!.Value : i.Analysis.Characters;
        int steps = a.Sum(x => x.Trace.Steps.Count);
        var accepted = a.Where(x => x.AnswerFollowsReasoning is not null).ToList();
        int recoveries = a.Count(x => x.Recovered);
        return new BehaviourSummary(
            items.Count, problems.Count, correct.Count,
            Share(a, x => x.Trace.Reflects), Share(correct.Select(i => i.Analysis), x => x.Trace.Reflects),
            Share(wrong.Select(i => i.Analysis), x => x.Trace.Reflects), Share(problems, g => g.Any(i => i.Analysis.Trace.Reflects)),
            Mean(a, x => x.Trace.Attempts.Count), Mean(a, x => x.Trace.RejectedAttempts),
            recoveries, items.Count == 0 ? null : 100.0 * recoveries / items.Count,
            steps, steps == 0 ? null : (double)a.Sum(x => x.Trace.RightSteps) / steps,
            accepted.Count, Share(accepted, x => x.AnswerFollowsReasoning == true),
            tokens ? "tokens" : "characters", Mean(correct, Length), Mean(wrong, Length));
    }

    /// <summary>The per-step metrics of a GRPO step (behaviour/reflection_rate …; NaN where undefined, which
    /// metrics.jsonl writes as null). Correctness is the equation reward, recomputed from problem and text.</summary>
    public static IReadOnlyList<KeyValuePair<string, double>> ForStep(IEnumerable<StepCompletion> completions, ReasoningMarkers markers) =>
        Of(completions.Select(c => new AnalysedCompletion(c.PromptIndex, ReasoningAnalysis.Analyze(c.Completion, c.Problem, markers), c.Tokens))
            .ToList()).ToMetrics();

    /// <summary>The rates and means as metric key/values with the behaviour/ prefix (counts left out: they depend on
    /// the batch size).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ToMetrics() =>
    [
        Metric("reflection_rate", ReflectionRate),
        Metric("reflection_rate_correct", ReflectionRateCorrect),
        Metric("reflection_rate_wrong", ReflectionRateWrong),
        Metric("reflection_rate_problems", ReflectionRateProblems),
        Metric("attempts_per_completion", AttemptsPerCompletion),
        Metric("recoveries_per_100", RecoveriesPer100),
        Metric("first_try_solves_per_100", FirstTrySolvesPer100),
        Metric("faithful_steps", FaithfulSteps),
        Metric("answer_follows_reasoning", AnswerFollowsReasoning),
        Metric("length_correct", LengthCorrect),
        Metric("length_wrong", LengthWrong),
    ];

    static KeyValuePair<string, double> Metric(string name, double? value) => new(MetricPrefix + name, value ?? double.NaN);

    static double? Share<T>(IEnumerable<T> items, Func<T, bool> test)
    {
        int n = 0, hit = 0;
        foreach (var x in items) { n++; if (test(x)) hit++; }
        return n == 0 ? null : (double)hit / n;
    }

    static double? Mean<T>(IReadOnlyCollection<T> items, Func<T, double> value) => items.Count == 0 ? null : items.Average(value);
}
