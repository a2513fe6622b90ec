// Re-thinking markers and recoveries against the base rate (notebook 05, report.html): each series of completions (greedy
// eval, sampled eval, training samples) at every checkpoint or block of steps, beside the rate of its first point: the
// base model's eval, or the first step the sample file holds (step 1, sampled before any update, unless it happened
// to sample none). A behaviour the base already shows is not
// emergent, so the base rate sits in every row.
namespace Grpo.Evaluation;

/// <summary>Counts of one series pooled over one point: an eval file (FirstStep = LastStep = its step) or a block of
/// training steps.</summary>
public sealed record AhaRate(string Label, int FirstStep, int LastStep, int Completions, int WithMarker, int Hits, int Recoveries)
{
    /// <summary>Share of completions with at least one re-thinking marker (the reflection rate).</summary>
    public double ReflectionRate => Completions == 0 ? 0 : (double)WithMarker / Completions;
    public double HitsPer100 => Completions == 0 ? 0 : 100.0 * Hits / Completions;
    public double RecoveriesPer100 => Completions == 0 ? 0 : 100.0 * Recoveries / Completions;
}

/// <summary>One point of a series beside the series' base (the first row of each series is the base itself).</summary>
public sealed record AhaBaselineRow(string Series, AhaRate Rate, AhaRate Base)
{
    public bool IsBase => Rate == Base;
}

public static class AhaBaseline
{
    public const string EvalGreedy = "eval, greedy", EvalSampled = "eval, sampled",
        TrainingSamples = "training samples", TrainingSuccesses = "training samples that solved their problem";

    /// <summary>The rows of every series, base first. Eval sources (eval/&lt;checkpoint&gt;, eval/&lt;checkpoint&gt;/sampled)
    /// give one row per checkpoint, base = the lowest step (eval/base, step 0). Training samples hold ~10% of a step's
    /// completions, too few for a rate per step: after the first step (the base) they are pooled in blocks of
    /// <paramref name="blockSteps"/> steps (steps 2-50, 51-100 … for 50, the pipeline's checkpoint interval).</summary>
    public static IReadOnlyList<AhaBaselineRow> Rows(IEnumerable<AhaStepCount> counts, int blockSteps)
    {
        if (blockSteps < 1) throw new ArgumentOutOfRangeException(nameof(blockSteps), blockSteps, "must be >= 1");
        var rows = new List<AhaBaselineRow>();
        foreach (var series in counts.GroupBy(c => SeriesOf(c.Source)).OrderBy(g => Order(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = series.OrderBy(c => c.Step).ToList();
            var rates = series.Key is TrainingSamples or TrainingSuccesses ? Blocks(points, blockSteps)
                : points.Select(c => Pool(LabelOf(c.Source), [c])).ToList();
            rows.AddRange(rates.Select(r => new AhaBaselineRow(series.Key, r, rates[0])));
        }
        return rows;
    }

    /// <summary>The first step alone (the base rate), then blocks that end at multiples of <paramref name="blockSteps"/>.</summary>
    static List<AhaRate> Blocks(List<AhaStepCount> points, int blockSteps)
    {
        var first = points[0];
        var rates = new List<AhaRate> { Pool($"step {first.Step}", [first]) };
        foreach (var block in points.Skip(1).GroupBy(c => (c.Step - 1) / blockSteps))
        {
            var list = block.ToList();
            int a = list[0].Step, b = list[^1].Step;
            rates.Add(Pool(a == b ? $"step {a}" : $"steps {a}-{b}", list));
        }
        return rates;
    }

    /// <summary>The rows of the evaluations (greedy and sampled; the base model and each checkpoint on the same
    /// held-out problems).</summary>
    public static IReadOnlyList<AhaBaselineRow> EvaluationRows(IEnumerable<AhaStepCount> counts) =>
        Rows(counts.Where(c => AhaExtractor.IsEvalSource(c.Source)), 1);

    /// <summary>The rows of the training samples (what the model wrote while training), pooled in blocks of steps.</summary>
    public static IReadOnlyList<AhaBaselineRow> TrainingRows(IEnumerable<AhaStepCount> counts, int blockSteps) =>
        Rows(counts.Where(c => !AhaExtractor.IsEvalSource(c.Source)), blockSteps);

    static AhaRate Pool(string label, IReadOnlyList<AhaStepCount> c) => new(label, c[0].Step, c[^1].Step,
        c.Sum(x => x.Completions), c.Sum(x => x.CompletionsWithHit), c.Sum(x => x.Hits), c.Sum(x => x.Recoveries));

    /// <summary>The series a source label belongs to: eval, greedy / eval, sampled / training samples / … that solved it.</summary>
    public static string SeriesOf(string label) => AhaSource.Parse(label) switch
    {
        { IsEval: true, Sampled: var sampled } => sampled ? EvalSampled : EvalGreedy,
        { Name: AhaExtractor.SamplesSource } => TrainingSamples,
        { Name: AhaExtractor.SuccessSource } => TrainingSuccesses,
        var other => other.Name,
    };

    /// <summary>eval/checkpoint-50/sampled -> checkpoint-50; any other source names itself.</summary>
    static string LabelOf(string label) => AhaSource.Parse(label) is { Checkpoint: { } checkpoint } ? checkpoint : label;

    static int Order(string series) => series switch { EvalGreedy => 0, EvalSampled => 1, TrainingSamples => 2, TrainingSuccesses => 3, _ => 4 };
}
