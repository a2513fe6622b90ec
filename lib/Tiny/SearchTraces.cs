// Cold-start search traces for the embedded tiny model (3 numbers): a search over first steps with backtracking, from
// one of several strategies, e.g. "18+5=23 23+4=27 no 18-5=13 13*4=52 no 18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>".
// Each attempt combines two numbers, then the result with the third by the operation that lands nearest the target;
// "no" rejects it and the search moves to the next first step, never repeating one, until an attempt hits the target.
// Mixed strategies with backtracking rather than one fixed procedure follow Stream of Search (arXiv 2404.03683): RL
// then has orders to choose between, and a rejected attempt is always followed by a new one.
using Grpo.Countdown;

namespace Grpo.Tiny;

public static class SearchTraces
{
    /// <summary>The orders a trace may visit first steps in: pairs in the prompt's order with + - * / (systematic),
    /// the same order entered at a random first step and wrapped around (cyclic), nearest first-step value to the
    /// target first (nearest), or shuffled (random).</summary>
    public static readonly string[] Strategies = ["systematic", "cyclic", "nearest", "random"];

    /// <summary>One trace per problem, reproducible from the seed; the strategy is drawn uniformly per problem from
    /// <paramref name="strategies"/> (default: all of them).</summary>
    public static IReadOnlyList<ColdStartTrace> Make(IReadOnlyList<CountdownProblem> problems, int seed, IReadOnlyList<string>? strategies = null)
    {
        strategies ??= Strategies;
        var rng = new Random(seed);
        return problems.Select(p => Make(p, strategies[rng.Next(strategies.Count)], rng)).ToList();
    }

    /// <summary>The trace of one problem under one strategy; throws when no attempt reaches the target (every
    /// problem of the easy distribution has a solution whose steps are positive integers, so one always does).</summary>
    public static ColdStartTrace Make(CountdownProblem p, string strategy, Random rng)
    {
        var attempts = Attempts(p, strategy, rng);
        int hit = attempts.FindIndex(a => a.Value == p.Target);
        if (hit < 0) throw new ArgumentException($"Problem {p} has no solution with positive whole steps; search traces need one.", nameof(p));
        var parts = attempts.Take(hit + 1).Select(a => $"{a.Steps} {(a.Value == p.Target ? ColdStartTraces.AcceptVerdict : ColdStartTraces.RejectVerdict)}");
        string answer = attempts[hit].Expression.ToString()!;
        return new ColdStartTrace(p, string.Join(" ", parts) + "</think>\n<answer>" + answer + "</answer>", hit, answer, Sloppy: false);
    }

    /// <summary>One attempt: "a op b = v" then "v op c = w" (each step larger number first), its value w and its expression.</summary>
    public sealed record Attempt(string Steps, int Value, CountdownSolver.Expr Expression, int FirstValue);

    /// <summary>Every distinct attempt of a problem, in the strategy's order.</summary>
    public static List<Attempt> Attempts(CountdownProblem p, string strategy, Random rng)
    {
        if (p.Nums.Count != 3) throw new ArgumentException($"Search traces are written for 3 numbers, got {p.Nums.Count}.", nameof(p));
        var attempts = new List<Attempt>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
                foreach (char op in Operators)
                {
                    if (Step(new CountdownSolver.Leaf(p.Nums[i]), new CountdownSolver.Leaf(p.Nums[j]), op) is not { } first) continue;
                    var third = new CountdownSolver.Leaf(p.Nums[3 - i - j]);
                    // The second step: the operation whose result lands nearest the target (the first in + - * / on a tie).
                    var second = Operators.Select(o => Step(first.Expr, third, o)).OfType<StepResult>()
                        .MinBy(s => Math.Abs((long)s.Value - p.Target));
                    if (second is null) continue;
                    var attempt = new Attempt(first.Text + " " + second.Text, second.Value, second.Expr, first.Value);
                    if (seen.Add(attempt.Steps)) attempts.Add(attempt);
                }
        return strategy switch
        {
            "systematic" => attempts,
            "cyclic" => Rotate(attempts, rng.Next(attempts.Count)),
            "nearest" => attempts.OrderBy(a => Math.Abs((long)a.FirstValue - p.Target)).ToList(),   // stable: ties keep the systematic order
            "random" => attempts.OrderBy(_ => rng.Next()).ToList(),
            _ => throw new ArgumentException($"Unknown search strategy '{strategy}'; known: {string.Join(", ", Strategies)}", nameof(strategy)),
        };
    }

    static readonly char[] Operators = ['+', '-', '*', '/'];

    static List<Attempt> Rotate(List<Attempt> attempts, int start) => [.. attempts.Skip(start), .. attempts.Take(start)];

    sealed record StepResult(string Text, int Value, CountdownSolver.Expr Expr);

    /// <summary>x op y with the larger value on the left, when the result is a positive whole number: "18*5=90".
    /// Operands are positive whole numbers (the prompt's, or a first step's result).</summary>
    static StepResult? Step(CountdownSolver.Expr x, CountdownSolver.Expr y, char op)
    {
        var (a, b) = Whole(x) >= Whole(y) ? (x, y) : (y, x);
        long l = Whole(a), r = Whole(b);
        long? value = op switch
        {
            '+' => l + r,
            '-' => l > r ? l - r : null,
            '*' => l * r,
            _ => l % r == 0 ? l / r : null,
        };
        if (value is not { } v || v > int.MaxValue) return null;
        return new StepResult($"{l}{op}{r}={v}", (int)v, new CountdownSolver.Node(op, a, b));
    }

    static long Whole(CountdownSolver.Expr e) => (long)e.Value.Num;
}
