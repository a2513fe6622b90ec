// "Same problem, base vs final": pairing by test_id and the fixed rule that picks the problems shown.
using Grpo.Countdown;
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

    [Fact]
    public void Given_a_backtracking_test_wrong_to_right_pairs_that_backtrack_come_first_in_test_id_order()
    {
        // wrong → right: 1, 4, 7; the final generations of 4 and 7 backtrack; other kinds are untouched.
        bool[] b = [true, false, false, true, false, true, true, false], f = [true, true, false, false, true, false, true, true];
        var baseEval = Eval("base", Enumerable.Range(0, 8).Select(i => (i, b[i])).ToArray());
        var final = Eval("final", Enumerable.Range(0, 8).Select(i => (i, f[i])).ToArray());
        bool Backtracks(EvalRecord r) => r.Generation is "final 4" or "final 7";
        Assert.Equal([4, 3, 0], SameProblems.Pick(baseEval, final, perKind: 1, Backtracks).Select(p => p.Base.TestId));
        Assert.Equal([4, 7, 3, 5, 0, 2], SameProblems.Pick(baseEval, final, perKind: 2, Backtracks).Select(p => p.Base.TestId));
        Assert.Equal([4, 7, 1], SameProblems.Pick(baseEval, final, perKind: 3, Backtracks).Take(3).Select(p => p.Base.TestId));
        Assert.Contains("rejects an attempt before answering", SameProblems.Rule(2, backtrackingFirst: true));
        Assert.DoesNotContain("rejects an attempt", SameProblems.Rule(2));
    }

    [Fact]
    public void The_report_table_finds_backtracking_with_the_models_verdict_words()
    {
        var markers = new ReasoningMarkers(["wait"], ["no"], ["ok"]);
        EvalResult Of(string name, params (int Id, bool Right, string Generation)[] rs) => new(name, 0, "m", rs.Length, 0, 0, null,
            rs.Select(r => new EvalRecord(r.Id, r.Right ? 1 : 0, "p", [1, 2, 3], r.Generation, null, 6, 1)).ToList());
        var baseEval = Of("base", (0, false, "1+2=3 3*3=9 ok</think>"), (1, false, "1+2=3 3*3=9 ok</think>"));
        var final = Of("checkpoint-50", (0, true, "2*3=6 6*1=6 ok</think>"), (1, true, "1+2=3 3*3=9 no 2*3=6 6*1=6 ok</think>"));
        var html = ReportSections.SameProblemTable([baseEval, final], markers, perKind: 1);
        Assert.Contains("rejects an attempt before answering", html);
        Assert.Contains("<td>1</td>", html);
        Assert.DoesNotContain("<td>0</td>", html);
    }
}
