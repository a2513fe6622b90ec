// Exhaustive Countdown solver: every expression over all the numbers (every order, every binary tree, + - * /),
// evaluated exactly. Used to prove generated problems solvable and to write cold-start reasoning traces.
using System.Numerics;

namespace Grpo.Countdown;

public static class CountdownSolver
{
    /// <summary>Every distinct solution (minimal parentheses, no spaces, e.g. "12*3+5"), in a fixed order.</summary>
    public static IReadOnlyList<string> Solve(IReadOnlyList<int> nums, int target)
    {
        var solutions = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var goal = Rational.FromInteger(target);
        foreach (var tree in AllExpressions(nums))
            if (tree.Value.Equals(goal))
            {
                string text = tree.ToString()!;
                if (seen.Add(text)) solutions.Add(text);
            }
        return solutions;
    }

    /// <summary>True when at least one expression over all the numbers equals target.</summary>
    public static bool IsSolvable(IReadOnlyList<int> nums, int target)
    {
        if (FitsInLong(nums)) return ReachableIntegers(nums, target, target).Count > 0;
        var goal = Rational.FromInteger(target);
        return AllExpressions(nums).Any(t => t.Value.Equals(goal));
    }

    /// <summary>Every integer in [min, max] that some expression over all the numbers reaches, ascending.</summary>
    public static IReadOnlyList<int> ReachableIntegers(IReadOnlyList<int> nums, int min, int max)
    {
        var found = new SortedSet<int>();
        if (FitsInLong(nums))
        {
            // Fast path (what the generator runs per draw): values only, unreduced long fractions.
            var values = nums.Select(n => (Num: (long)n, Den: 1L)).ToList();
            Combine(values, (n, d) => { if (n % d == 0 && n / d >= min && n / d <= max) found.Add((int)(n / d)); });
            return found.ToList();
        }
        foreach (var tree in AllExpressions(nums))
            if (tree.Value.IsInteger && tree.Value.Num >= min && tree.Value.Num <= max) found.Add((int)tree.Value.Num);
        return found.ToList();
    }

    // For k leaves of magnitude <= M, every unreduced numerator and denominator stays below 2^(k-1) * M^k
    // (each step multiplies the two sides' products, sums at most double), so 4 numbers of magnitude <= 10^4
    // stay below 8e16 < long.MaxValue: no overflow is possible.
    private static bool FitsInLong(IReadOnlyList<int> nums) =>
        nums.Count is >= 1 and <= 4 && nums.All(n => n is >= -10_000 and <= 10_000);

    // Every value of every expression over all the values: combine any two (both orders for - and /) and recurse.
    private static void Combine(List<(long Num, long Den)> values, Action<long, long> found)
    {
        if (values.Count == 1) { found(values[0].Num, values[0].Den); return; }
        for (int i = 0; i < values.Count; i++)
            for (int j = i + 1; j < values.Count; j++)
            {
                var (a, b) = (values[i], values[j]);
                var rest = new List<(long, long)>(values.Count - 1);
                for (int k = 0; k < values.Count; k++) if (k != i && k != j) rest.Add(values[k]);
                rest.Add(default);
                void Try(long n, long d)
                {
                    if (d == 0) return;
                    if (d < 0) { n = -n; d = -d; }
                    rest[^1] = (n, d);
                    Combine(rest, found);
                }
                Try(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
                Try(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
                Try(b.Num * a.Den - a.Num * b.Den, a.Den * b.Den);
                Try(a.Num * b.Num, a.Den * b.Den);
                Try(a.Num * b.Den, a.Den * b.Num);
                Try(b.Num * a.Den, b.Den * a.Num);
            }
    }

    /// <summary>
    /// Every expression tree using each number exactly once, duplicates of equal numbers collapsed.
    /// For n numbers: n! orders x Catalan(n-1) trees x 4^(n-1) operators (4 numbers: 7,680), minus those
    /// that divide by zero.
    /// </summary>
    public static IEnumerable<Expr> AllExpressions(IReadOnlyList<int> nums)
    {
        if (nums.Count == 0) throw new ArgumentException("At least one number is needed.", nameof(nums));
        if (nums.Count > 6) throw new ArgumentException($"At most 6 numbers are supported, got {nums.Count}.", nameof(nums));
        foreach (var order in DistinctPermutations(nums.OrderBy(n => n).ToArray()))
        {
            var leaves = order.Select(n => (Expr)new Leaf(n)).ToArray();
            foreach (var tree in Trees(leaves, 0, leaves.Length, new Dictionary<(int, int), List<Expr>>()))
                yield return tree;
        }
    }

    // All trees over leaves[start..end) in that left-to-right order, memoised per span.
    private static List<Expr> Trees(Expr[] leaves, int start, int end, Dictionary<(int, int), List<Expr>> memo)
    {
        if (memo.TryGetValue((start, end), out var cached)) return cached;
        var result = new List<Expr>();
        if (end - start == 1) result.Add(leaves[start]);
        for (int split = start + 1; split < end; split++)
            foreach (var left in Trees(leaves, start, split, memo))
                foreach (var right in Trees(leaves, split, end, memo))
                    foreach (char op in Operators)
                    {
                        if (op == '/' && right.Value.IsZero) continue;
                        result.Add(new Node(op, left, right));
                    }
        memo[(start, end)] = result;
        return result;
    }

    private static readonly char[] Operators = ['+', '-', '*', '/'];

    // Lexicographic next-permutation over a sorted array: each distinct order exactly once.
    private static IEnumerable<int[]> DistinctPermutations(int[] sorted)
    {
        var a = (int[])sorted.Clone();
        while (true)
        {
            yield return (int[])a.Clone();
            int i = a.Length - 2;
            while (i >= 0 && a[i] >= a[i + 1]) i--;
            if (i < 0) yield break;
            int j = a.Length - 1;
            while (a[j] <= a[i]) j--;
            (a[i], a[j]) = (a[j], a[i]);
            Array.Reverse(a, i + 1, a.Length - i - 1);
        }
    }

    /// <summary>An expression tree with its exact value; ToString prints it with minimal parentheses.</summary>
    public abstract class Expr
    {
        public abstract Rational Value { get; }
        internal abstract int Precedence { get; }
    }

    public sealed class Leaf(int number) : Expr
    {
        public int Number { get; } = number;
        public override Rational Value { get; } = Rational.FromInteger(number);
        internal override int Precedence => 3;
        public override string ToString() => Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public sealed class Node(char op, Expr left, Expr right) : Expr
    {
        public char Op { get; } = op;
        public Expr Left { get; } = left;
        public Expr Right { get; } = right;
        public override Rational Value { get; } = op switch
        {
            '+' => left.Value + right.Value,
            '-' => left.Value - right.Value,
            '*' => left.Value * right.Value,
            _ => left.Value / right.Value,
        };
        internal override int Precedence => Op is '+' or '-' ? 1 : 2;

        public override string ToString()
        {
            string l = Left.Precedence < Precedence ? $"({Left})" : Left.ToString()!;
            // a-(b+c) and a/(b*c) need their parentheses; a+(b-c) and a*(b/c) do not (exact arithmetic).
            bool rightParens = Right.Precedence < Precedence || (Right.Precedence == Precedence && Op is '-' or '/');
            string r = rightParens ? $"({Right})" : Right.ToString()!;
            return l + Op + r;
        }
    }
}
