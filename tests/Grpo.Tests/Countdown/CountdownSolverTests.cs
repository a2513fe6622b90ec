// The solver lists every distinct solution, each using every number once and hitting the target exactly.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class CountdownSolverTests
{
    [Fact]
    public void Two_numbers_list_both_orders_of_a_commutative_solution() =>
        Assert.Equal(["2*3", "3*2"], CountdownSolver.Solve([2, 3], 6).Order().ToArray());

    [Fact]
    public void Equal_numbers_do_not_produce_duplicate_solutions() =>
        Assert.Equal(["1+1"], CountdownSolver.Solve([1, 1], 2));

    [Fact]
    public void Prompt_example_is_among_the_solutions() =>
        Assert.Contains("(1+2)/3", CountdownSolver.Solve([1, 2, 3], 1));

    [Fact]
    public void Solution_that_needs_a_fraction_is_found() =>
        // 24 from 1, 3, 4, 6 only via 6/(1-3/4).
        Assert.Equal(["6/(1-3/4)"], CountdownSolver.Solve([1, 3, 4, 6], 24));

    [Fact]
    public void Unsolvable_problem_has_no_solution()
    {
        Assert.Empty(CountdownSolver.Solve([1, 1, 1], 100));
        Assert.False(CountdownSolver.IsSolvable([1, 1, 1], 100));
    }

    [Fact]
    public void Parentheses_are_kept_where_they_change_the_value()
    {
        var solutions = CountdownSolver.Solve([10, 4, 3], 3);   // 10-(4+3)
        Assert.Contains("10-(4+3)", solutions);
        Assert.DoesNotContain("10-4+3", solutions);
        Assert.Contains("10-4-3", CountdownSolver.Solve([10, 4, 3], 3));
    }

    [Fact]
    public void Every_solution_uses_each_number_once_and_equals_the_target()
    {
        int[] nums = [44, 19, 35, 7];
        var solutions = CountdownSolver.Solve(nums, 91);
        Assert.NotEmpty(solutions);
        foreach (var s in solutions)
        {
            var parsed = EquationParser.Evaluate(s);
            Assert.True(parsed.Ok, s);
            Assert.Equal(Rational.FromInteger(91), parsed.Value);
            Assert.Equal(nums.Order().Select(n => new System.Numerics.BigInteger(n)), parsed.Numbers.Order());
        }
        Assert.Equal(solutions.Count, solutions.Distinct().Count());
    }

    [Fact]
    public void Four_numbers_enumerate_every_order_tree_and_operator()
    {
        // 4! orders x 5 trees x 4^3 operators = 7680 expressions when no division by zero can occur.
        Assert.Equal(7680, CountdownSolver.AllExpressions([11, 13, 17, 19]).Count());
    }

    [Theory]
    [InlineData(2, 3, 5)]
    [InlineData(7, 7, 1)]
    [InlineData(99, 45, 13)]
    public void Reachable_integers_match_an_independent_pairwise_search(int a, int b, int c)
    {
        // Oracle: combine any two of the three with + - * / (both orders), then the result with the third.
        static IEnumerable<double> Pair(double x, double y) =>
            new[] { x + y, x - y, y - x, x * y }.Concat(y != 0 ? [x / y] : []).Concat(x != 0 ? [y / x] : []);
        double[] n = [a, b, c];
        var expected = new SortedSet<int>();
        foreach (var (i, j, k) in new[] { (0, 1, 2), (0, 2, 1), (1, 2, 0) })
            foreach (var first in Pair(n[i], n[j]))
                foreach (var v in Pair(first, n[k]))
                    if (Math.Abs(v - Math.Round(v)) < 1e-9 && Math.Round(v) is >= 1 and <= 100) expected.Add((int)Math.Round(v));
        Assert.Equal(expected.ToArray(), CountdownSolver.ReachableIntegers([a, b, c], 1, 100).ToArray());
    }
}

public class RationalTests
{
    [Theory]
    [InlineData(7, 3)]
    [InlineData(1, 3)]
    [InlineData(-2, 3)]
    [InlineData(1, 10)]
    [InlineData(123456789, 1000)]
    [InlineData(1, 200000)]
    [InlineData(99, 7)]
    public void Conversion_to_double_rounds_like_ieee_division(int num, int den) =>
        // Both operands are exact doubles, so IEEE division is the correctly rounded reference.
        Assert.Equal((double)num / den, new Rational(num, den).ToDouble());

    [Fact]
    public void Conversion_of_huge_values_saturates_to_infinity() =>
        Assert.Equal(double.PositiveInfinity, Rational.FromInteger(System.Numerics.BigInteger.Pow(10, 400)).ToDouble());

    [Fact]
    public void Conversion_of_large_exact_integers_is_exact() =>
        Assert.Equal(1e40, Rational.FromInteger(System.Numerics.BigInteger.Pow(10, 40)).ToDouble());
}

public class SolverFastPathTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Fast_reachability_agrees_with_the_exact_expression_trees(int seed)
    {
        // Compared with the BigInteger enumeration that Solve uses (every order, tree and operator).
        foreach (var p in ProblemGenerator.Generate(15, seed, ProblemDistribution.Full).Append(new CountdownProblem([9999, 7, 10000, 3], 1)))
        {
            var exact = CountdownSolver.AllExpressions(p.Nums).Where(e => e.Value.IsInteger && e.Value.Num >= -200 && e.Value.Num <= 200)
                .Select(e => (int)e.Value.Num).Distinct().Order().ToArray();
            Assert.Equal(exact, CountdownSolver.ReachableIntegers(p.Nums, -200, 200).ToArray());
        }
    }
}
