// "Same problem, base vs final": pairing by test_id and the fixed rule that picks the problems shown.
using Grpo.Evaluation;
using Grpo.Reports;
using Xunit;

namespace Grpo.Tests.Reports;

public sealed class SameProblemsTests
{
    static EvalResult Eval(string name, params (int Id, bool Right)[] records) =>
        new(name, 0, "m", records.Length, 0, 0, null,
            records.Select(r => new EvalRecord(r.Id, r.Right ? 1 : 0, "p", [1, 2, 3], $"{name} {r.Id}", null, 6, 1)).ToList());

    [Fact]
    public void Pairs_are_the_shared_test_ids_in_ascending_order()
    {
        var pairs = SameProblems.Pair(Eval("base", (5, true), (1, false), (3, true), (1, true)), Eval("final", (3, false), (1, true), (9, true)));
        // 5 and 9 are in one file only; the repeated id 1 counts once, with its first record (wrong).
        Assert.Equal([1, 3], pairs.Select(p => p.Base.TestId));
        Assert.Equal([SameProblems.WrongToRight, SameProblems.RightToWrong], pairs.Select(p => p.Change));
        Assert.Equal(["base 1", "base 3"], pairs.Select(p => p.Base.Generation));
        Assert.Equal(["final 1", "final 3"], pairs.Select(p => p.Final.Generation));
    }

    [Fact]
    public void The_rule_takes_the_first_k_of_each_change_by_test_id_whatever_the_file_order()
    {
        // ids:        0  1  2  3  4  5  6  7
        // base right: y  n  n  y  n  y  y  n
        // final right:y  y  n  n  y  n  y  y
        // wrong → right: 1, 4, 7; right → wrong: 3, 5; unchanged: 0, 2, 6.
        bool[] b = [true, false, false, true, false, true, true, false], f = [true, true, false, false, true, false, true, true];
        var baseEval = Eval("base", Enumerable.Range(0, 8).Reverse().Select(i => (i, b[i])).ToArray());
        var final = Eval("final", Enumerable.Range(0, 8).Select(i => (i, f[i])).ToArray());
        Assert.Equal([1, 4, 3, 5, 0, 2], SameProblems.Pick(baseEval, final, perKind: 2).Select(p => p.Base.TestId));
        Assert.Equal([1, 3, 0], SameProblems.Pick(baseEval, final, perKind: 1).Select(p => p.Base.TestId));
        Assert.Equal([1, 4, 7, 3, 5, 0, 2, 6], SameProblems.Pick(baseEval, final, perKind: 5).Select(p => p.Base.TestId));
        Assert.Contains("the first 2 held-out problems (lowest test_id)", SameProblems.Rule(2));
    }
}
