// Generator and split: seeded and reproducible, inside the distribution's ranges, always solvable.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class ProblemGeneratorTests
{
    public static TheoryData<string> Distributions => new() { "full", "easy" };

    [Theory, MemberData(nameof(Distributions))]
    public void Same_seed_gives_the_same_problems(string name)
    {
        var d = ProblemDistribution.ByName(name);
        Assert.Equal(ProblemGenerator.Generate(200, 42, d), ProblemGenerator.Generate(200, 42, d));
    }

    [Theory, MemberData(nameof(Distributions))]
    public void Different_seeds_give_different_problems(string name)
    {
        var d = ProblemDistribution.ByName(name);
        Assert.NotEqual(ProblemGenerator.Generate(50, 1, d), ProblemGenerator.Generate(50, 2, d));
    }

    [Theory, MemberData(nameof(Distributions))]
    public void Every_generated_problem_is_solvable(string name)
    {
        foreach (var p in ProblemGenerator.Generate(300, 3, ProblemDistribution.ByName(name)))
            Assert.True(CountdownSolver.IsSolvable(p.Nums, p.Target), p.ToString());
    }

    [Fact]
    public void Full_distribution_has_3_and_4_numbers_of_1_to_99_and_targets_of_1_to_100()
    {
        var problems = ProblemGenerator.Generate(1000, 5, ProblemDistribution.Full);
        Assert.All(problems, p => Assert.InRange(p.Nums.Count, 3, 4));
        Assert.All(problems, p => Assert.All(p.Nums, n => Assert.InRange(n, 1, 99)));
        Assert.All(problems, p => Assert.InRange(p.Target, 1, 100));
        Assert.InRange(problems.Count(p => p.Nums.Count == 3), 400, 600);
        Assert.True(problems.Select(p => p.Target).Distinct().Count() > 90, "targets should spread over 1..100");
    }

    [Fact]
    public void Easy_targets_come_from_an_expression_with_positive_integer_steps()
    {
        foreach (var p in ProblemGenerator.Generate(300, 9, ProblemDistribution.Easy))
        {
            Assert.Equal(3, p.Nums.Count);
            Assert.All(p.Nums, n => Assert.InRange(n, 1, 20));
            Assert.InRange(p.Target, 1, 100);
            Assert.True(CountdownSolver.AllExpressions(p.Nums).Any(e => e.Value == Rational.FromInteger(p.Target) && AllStepsPositiveIntegers(e)),
                p.ToString());
        }
    }

    private static bool AllStepsPositiveIntegers(CountdownSolver.Expr e) => e switch
    {
        CountdownSolver.Node n => n.Value.IsInteger && n.Value.Num.Sign > 0 && AllStepsPositiveIntegers(n.Left) && AllStepsPositiveIntegers(n.Right),
        _ => true,
    };

    [Fact]
    public void Unknown_distribution_name_is_rejected_with_the_known_names()
    {
        var e = Assert.Throws<BadInputException>(() => ProblemDistribution.ByName("hard"));
        Assert.Contains("full", e.Message);
        Assert.Contains("easy", e.Message);
    }

    [Fact]
    public void Unsatisfiable_distribution_fails_instead_of_looping()
    {
        var impossible = ProblemDistribution.Easy with { MinNumber = 1, MaxNumber = 1, MinTarget = 90, MaxTarget = 100 };
        Assert.Throws<InvalidOperationException>(() => ProblemGenerator.Generate(1, 0, impossible));
    }

    [Fact]
    public void Split_keeps_no_copy_of_a_test_problem_in_train()
    {
        var one = new CountdownProblem([3, 5, 7], 22);
        var all = Enumerable.Repeat(one, 10).Concat(ProblemGenerator.Generate(40, 3, ProblemDistribution.Easy)).ToList();
        var (train, test) = DatasetSplit.Split(all, 20, 5);
        Assert.Equal(20, test.Count);
        Assert.Contains(one, test);   // so the duplicates of it are what train must drop
        var held = test.Select(CountdownData.Key).ToHashSet();
        Assert.DoesNotContain(train, p => held.Contains(CountdownData.Key(p)));
    }

    [Fact]
    public void Split_is_deterministic_disjoint_and_complete()
    {
        var all = ProblemGenerator.Generate(100, 1, ProblemDistribution.Easy).Select((p, i) => p with { Target = i + 1 }).ToList();
        var (train, test) = DatasetSplit.Split(all, 20, 11);
        var (train2, test2) = DatasetSplit.Split(all, 20, 11);
        Assert.Equal(20, test.Count);
        Assert.Equal(80, train.Count);
        Assert.Equal(test, test2);
        Assert.Equal(train, train2);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(all.OrderBy(p => p.Target), train.Concat(test).OrderBy(p => p.Target));
        Assert.NotEqual(test, DatasetSplit.Split(all, 20, 12).Test);
    }

    [Fact]
    public void Split_rejects_a_test_size_larger_than_the_data() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(ProblemGenerator.Generate(5, 1, ProblemDistribution.Easy), 6, 0));
}
