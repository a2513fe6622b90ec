// "Same problem, base vs final": the held-out problems both evals answered, paired by test_id, and the fixed rule that
// picks the few shown side by side, so the examples are never chosen by eye.
using Grpo.Evaluation;

namespace Grpo.Reports;

/// <summary>One held-out problem as the base model and a later checkpoint answered it (greedy).</summary>
public sealed record ProblemPair(EvalRecord Base, EvalRecord Final)
{
    public bool BaseRight => Base.Score >= 1;
    public bool FinalRight => Final.Score >= 1;

    /// <summary><see cref="SameProblems.WrongToRight"/>, <see cref="SameProblems.RightToWrong"/> or <see cref="SameProblems.Unchanged"/>.</summary>
    public string Change => BaseRight == FinalRight ? SameProblems.Unchanged : FinalRight ? SameProblems.WrongToRight : SameProblems.RightToWrong;
}

public static class SameProblems
{
    public const string WrongToRight = "wrong → right", RightToWrong = "right → wrong", Unchanged = "unchanged";

    /// <summary>Problems shown per kind of change (wrong → right, right → wrong, unchanged).</summary>
    public const int DefaultPerKind = 2;

    /// <summary>Every problem present in both evals (same test_id), by ascending test_id. A test_id that a file repeats
    /// counts once, with its first record.</summary>
    public static IReadOnlyList<ProblemPair> Pair(EvalResult baseEval, EvalResult final)
    {
        var finals = final.Records.GroupBy(r => r.TestId).ToDictionary(g => g.Key, g => g.First());
        return baseEval.Records.GroupBy(r => r.TestId).Select(g => g.First())
            .Where(r => finals.ContainsKey(r.TestId)).OrderBy(r => r.TestId)
            .Select(r => new ProblemPair(r, finals[r.TestId])).ToList();
    }

    /// <summary>The fixed rule: the first <paramref name="perKind"/> pairs (by test_id) that went wrong → right, then
    /// the first that went right → wrong, then the first whose greedy score did not change. Given
    /// <paramref name="backtracks"/>, wrong → right pairs whose final generation backtracks (rejects an attempt before
    /// its answer) come first, so the table shows the behaviour RL is meant to grow when it happened.</summary>
    public static IReadOnlyList<ProblemPair> Pick(EvalResult baseEval, EvalResult final, int perKind = DefaultPerKind,
        Func<EvalRecord, bool>? backtracks = null)
    {
        if (perKind < 0) throw new ArgumentOutOfRangeException(nameof(perKind), perKind, "must be >= 0");
        var pairs = Pair(baseEval, final);
        IEnumerable<ProblemPair> OfKind(string kind)
        {
            var ofKind = pairs.Where(p => p.Change == kind);
            // OrderBy is stable: within each group the pairs keep their test_id order.
            return kind == WrongToRight && backtracks is not null ? ofKind.OrderBy(p => backtracks(p.Final) ? 0 : 1) : ofKind;
        }
        return new[] { WrongToRight, RightToWrong, Unchanged }.SelectMany(kind => OfKind(kind).Take(perKind)).ToList();
    }

    /// <summary>The rule in words, for the page that shows the picked pairs.</summary>
    public static string Rule(int perKind = DefaultPerKind, bool backtrackingFirst = false) =>
        $"Chosen by a fixed rule, not by eye: the first {perKind} held-out problems (lowest test_id) whose greedy answer went " +
        $"wrong → right" + (backtrackingFirst ? " (those where the final model rejects an attempt before answering first)" : "") +
        $", the first {perKind} that went right → wrong, and the first {perKind} whose greedy score did not change.";
}
