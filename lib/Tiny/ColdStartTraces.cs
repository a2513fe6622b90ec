// Cold-start reasoning traces for the embedded tiny model: genuine failed attempts with their computed step values,
// then a solver solution, then the answer, e.g. "12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>".
// A set share of traces end sloppily, their answer copied from a failed attempt, the way an instruct model before RL
// sometimes writes a final answer its own reasoning does not support (GRPO's clearest win is fixing these).
using Grpo.Countdown;

namespace Grpo.Tiny;

/// <summary>One supervised example: the completion that follows the prompt's "&lt;think&gt;" (no end token).</summary>
public sealed record ColdStartTrace(CountdownProblem Problem, string Completion, int FailedAttempts, string Answer, bool Sloppy);

public static class ColdStartTraces
{
    /// <summary>Probabilities of 0, 1 and 2 failed attempts before the successful one (the recipe that trained a model GRPO improves; the tiny model's README.md).</summary>
    public static readonly double[] FailedAttemptOdds = [0.5, 0.3, 0.2];

    /// <summary>The words a trace writes after a failed attempt and after the solution.</summary>
    public const string RejectVerdict = "no", AcceptVerdict = "ok";

    /// <summary>How the behaviour analysis reads these traces (the model folder's reasoning_markers.json).</summary>
    public static ReasoningMarkers Markers { get; } =
        ReasoningMarkers.Default with { RejectMarkers = [RejectVerdict], AcceptMarkers = [AcceptVerdict] };

    /// <summary>One trace per problem, reproducible from the seed; a <paramref name="sloppyAnswerRate"/> share of them
    /// (drawn independently) answer with a failed attempt's expression instead of the solution they found.</summary>
    public static IReadOnlyList<ColdStartTrace> Make(IReadOnlyList<CountdownProblem> problems, int seed, double sloppyAnswerRate = 0)
    {
        if (sloppyAnswerRate is < 0 or > 1 || double.IsNaN(sloppyAnswerRate))
            throw new ArgumentOutOfRangeException(nameof(sloppyAnswerRate), sloppyAnswerRate, "must be a probability in [0, 1]");
        var rng = new Random(seed);
        return problems.Select(p => Make(p, rng, sloppyAnswerRate)).ToList();
    }

    /// <summary>
    /// A trace for one problem. Attempts are expressions over all the numbers whose every step is a positive integer
    /// (what a person would try); failed ones end on a value other than the target. Problems with no such
    /// solution (possible in the full distribution) fall back to any solution, fractions or negatives included.
    /// </summary>
    public static ColdStartTrace Make(CountdownProblem p, Random rng, double sloppyAnswerRate = 0)
    {
        var expressions = CountdownSolver.AllExpressions(p.Nums).ToList();
        var goal = Rational.FromInteger(p.Target);
        var solutions = expressions.Where(e => e.Value == goal).ToList();
        if (solutions.Count == 0) throw new ArgumentException($"Problem {p} has no solution; cold-start traces need solvable problems.", nameof(p));
        var clean = solutions.Where(PositiveIntegerSteps).ToList();
        var success = (clean.Count > 0 ? clean : solutions)[rng.Next(clean.Count > 0 ? clean.Count : solutions.Count)];

        int wanted = Draw(rng, FailedAttemptOdds);
        var failures = expressions.Where(e => e.Value != goal && PositiveIntegerSteps(e)).ToList();
        var parts = new List<string>();
        var used = new HashSet<string>();
        var tried = new List<CountdownSolver.Expr>();
        for (int i = 0; i < wanted && failures.Count > 0; i++)
        {
            int k = rng.Next(failures.Count);
            var attempt = failures[k];
            failures.RemoveAt(k);   // each failed attempt is a different expression
            string steps = Steps(attempt);
            if (used.Add(steps)) { parts.Add(steps + " " + RejectVerdict); tried.Add(attempt); }
        }
        int failed = parts.Count;
        parts.Add(Steps(success) + " " + AcceptVerdict);

        // A sloppy ending copies the last failed attempt, or, with none written, some other expression that misses.
        bool sloppy = rng.NextDouble() < sloppyAnswerRate && (tried.Count > 0 || failures.Count > 0);
        var answered = !sloppy ? success : tried.Count > 0 ? tried[^1] : failures[rng.Next(failures.Count)];
        string answer = answered.ToString()!;
        return new ColdStartTrace(p, string.Join(" ", parts) + "</think>\n<answer>" + answer + "</answer>", failed, answer, sloppy);
    }

    /// <summary>The computation of an expression one binary step at a time, innermost first: "12*3=36 36+5=41".</summary>
    public static string Steps(CountdownSolver.Expr e)
    {
        var steps = new List<string>();
        Walk(e, steps);
        return string.Join(" ", steps);
    }

    // Post-order: children first, each step refers to its children by value.
    private static string Walk(CountdownSolver.Expr e, List<string> steps)
    {
        if (e is not CountdownSolver.Node n) return e.ToString()!;
        string left = Walk(n.Left, steps), right = Walk(n.Right, steps);
        string value = n.Value.ToString();
        steps.Add($"{left}{n.Op}{right}={value}");
        return value;
    }

    /// <summary>True when every intermediate value (and the result) is a positive integer.</summary>
    public static bool PositiveIntegerSteps(CountdownSolver.Expr e) => e switch
    {
        CountdownSolver.Node n => n.Value.IsInteger && n.Value.Num.Sign > 0 && PositiveIntegerSteps(n.Left) && PositiveIntegerSteps(n.Right),
        _ => true,
    };

    private static int Draw(Random rng, double[] odds)
    {
        double u = rng.NextDouble();
        for (int i = 0; i < odds.Length; i++)
            if ((u -= odds[i]) < 0) return i;
        return odds.Length - 1;
    }
}
