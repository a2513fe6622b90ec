// One completion's reasoning, measured the way oat-zero, Dr. GRPO and Gandhi et al. look at it (docs/behaviour-metrics.md):
// arithmetic steps, re-thinking markers, attempts (runs of steps delimited by markers), the attempt the reasoning
// accepted, and whether the final answer is that attempt.
using System.Numerics;
using System.Text;

namespace Grpo.Countdown;

/// <summary>Rethink: a re-thinking phrase; Reject / Accept: a model's verdict word right after a step.</summary>
public enum MarkerRole { Rethink, Reject, Accept }

/// <summary>A marker found at <see cref="Index"/> of the reasoning; <see cref="Marker"/> is the configured spelling.</summary>
public sealed record MarkerHit(int Index, string Marker, MarkerRole Role)
{
    public bool Rejects => Role != MarkerRole.Accept;
    public int End => Index + Marker.Length;
}

/// <summary>A run of arithmetic steps and the marker that ends it (null: the reasoning ends after it).</summary>
public sealed record Attempt(IReadOnlyList<ArithmeticStep> Steps, MarkerHit? ClosedBy)
{
    public bool Rejected => ClosedBy?.Rejects == true;
}

/// <summary>What the reasoning of one completion holds, before any check against the problem.</summary>
/// <param name="Reasoning">The text read: the completion up to its first &lt;/think&gt; (else up to its first
/// &lt;answer&gt;, else all of it), so indices are indices into the completion.</param>
public sealed record ReasoningTrace(string Reasoning, IReadOnlyList<ArithmeticStep> Steps, IReadOnlyList<MarkerHit> Markers,
    IReadOnlyList<Attempt> Attempts)
{
    /// <summary>At least one re-thinking marker (phrase or reject verdict), with or without steps before it.</summary>
    public bool Reflects => Markers.Any(m => m.Rejects);
    public int RejectedAttempts => Attempts.Count(a => a.Rejected);
    public int RightSteps => Steps.Count(s => s.Right);
    /// <summary>The last attempt not rejected (closed by an accept verdict, or the final one); null when every
    /// attempt was rejected or there is none.</summary>
    public Attempt? Accepted => Attempts.LastOrDefault(a => !a.Rejected);
    /// <summary>The marker that rejected the last rejected attempt (where a recovery turns around).</summary>
    public MarkerHit? LastRejection => Attempts.LastOrDefault(a => a.Rejected)?.ClosedBy;
}

/// <param name="AnswerFollowsReasoning">Whether the &lt;answer&gt; is the accepted attempt; null without one.</param>
/// <param name="Correct">The equation reward is 1 (docs/countdown-rules.md).</param>
/// <param name="Characters">Length of the completion, end tokens removed.</param>
public sealed record CompletionAnalysis(ReasoningTrace Trace, bool? AnswerFollowsReasoning, bool Correct, int Characters)
{
    /// <summary>An attempt was rejected and the final answer is correct: the model turned around and got there.</summary>
    public bool Recovered => Correct && Trace.RejectedAttempts > 0;
}

public static class ReasoningAnalysis
{
    const string ThinkClose = "</think>", AnswerOpen = "<answer>";

    public static CompletionAnalysis Analyze(string completion, CountdownProblem problem, ReasoningMarkers markers)
    {
        var text = CountdownRewards.StripEndTokens(completion);
        var trace = Trace(text, markers);
        var equation = CountdownRewards.EquationReward(text, problem.Nums, problem.Target);
        bool? follows = trace.Accepted is { } accepted ? Follows(accepted, equation.Answer, problem.Nums) : null;
        return new CompletionAnalysis(trace, follows, equation.Reward >= 1, text.Length);
    }

    /// <summary>Steps, markers and attempts of a completion's reasoning (needs no problem).</summary>
    public static ReasoningTrace Trace(string completion, ReasoningMarkers markers)
    {
        var reasoning = Reasoning(completion);
        var steps = ArithmeticSteps.Find(reasoning);
        var hits = Markers(reasoning, steps, markers);
        return new ReasoningTrace(reasoning, steps, hits, Attempts(steps, hits));
    }

    static string Reasoning(string text)
    {
        int close = text.IndexOf(ThinkClose, StringComparison.Ordinal);
        if (close >= 0) return text[..close];
        int answer = text.IndexOf(AnswerOpen, StringComparison.Ordinal);
        return answer >= 0 ? text[..answer] : text;
    }

    /// <summary>Phrases anywhere; verdict words only right after a step's stated value (white space and punctuation
    /// between). Where two markers overlap, the earlier (then the longer) one is kept.</summary>
    public static IReadOnlyList<MarkerHit> Markers(string reasoning, IReadOnlyList<ArithmeticStep> steps, ReasoningMarkers markers)
    {
        var hits = PhraseFinder.Find(reasoning, markers.Phrases).Select(h => new MarkerHit(h.Index, h.Phrase, MarkerRole.Rethink)).ToList();
        var verdicts = markers.RejectMarkers.Select(m => (Marker: m, Role: MarkerRole.Reject))
            .Concat(markers.AcceptMarkers.Select(m => (Marker: m, Role: MarkerRole.Accept)))
            .OrderByDescending(v => v.Marker.Length).ToList();
        foreach (var step in steps)
        {
            int at = step.End;
            while (at < reasoning.Length && (char.IsWhiteSpace(reasoning[at]) || IsPunctuation(reasoning[at]))) at++;
            foreach (var (marker, role) in verdicts)
                if (PhraseFinder.MatchesAt(reasoning, at, marker.ToLowerInvariant())) { hits.Add(new MarkerHit(at, marker, role)); break; }
        }
        var kept = new List<MarkerHit>();
        foreach (var h in hits.OrderBy(h => h.Index).ThenByDescending(h => h.Marker.Length))
            if (kept.Count == 0 || h.Index >= kept[^1].End) kept.Add(h);
        return kept;
    }

    static bool IsPunctuation(char c) => c is ',' or '.' or ';' or ':' or '!' or '?' or '，' or '。' or '；' or '：' or '！' or '？' or '、';

    /// <summary>Steps grouped by the markers between them; runs without a step are not attempts.</summary>
    static IReadOnlyList<Attempt> Attempts(IReadOnlyList<ArithmeticStep> steps, IReadOnlyList<MarkerHit> markers)
    {
        var attempts = new List<Attempt>();
        int next = 0;
        foreach (var marker in markers.Append(null))
        {
            var run = new List<ArithmeticStep>();
            while (next < steps.Count && (marker is null || steps[next].Start < marker.Index)) run.Add(steps[next++]);
            if (run.Count > 0) attempts.Add(new Attempt(run, marker));
        }
        return attempts;
    }

    /// <summary>The answer follows the accepted attempt when it has the same exact value and uses the same numbers as
    /// the attempt's expression (its steps composed: "12*3=36 36+5=41" is 12*3+5). When that expression does not trace
    /// back to the problem's numbers, the attempt only states a value, and the answer must have that value.</summary>
    static bool Follows(Attempt accepted, string? answer, IReadOnlyList<int> nums)
    {
        if (answer is null) return false;
        var given = EquationParser.Evaluate(ArithmeticSteps.Normalize(answer));
        if (!given.Ok || given.Value is not { } value) return false;
        var composed = EquationParser.Evaluate(Compose(accepted.Steps));
        if (composed.Ok && composed.Value is { } attemptValue && IsSubMultiset(composed.Numbers, nums))
            return value == attemptValue && Sorted(composed.Numbers).SequenceEqual(Sorted(given.Numbers));
        return value == accepted.Steps[^1].Stated;
    }

    /// <summary>The last step's expression with every number that an earlier step of the attempt stated (latest first,
    /// each result used once) replaced by that step's own composed expression.</summary>
    public static string Compose(IReadOnlyList<ArithmeticStep> steps)
    {
        var results = new List<(Rational Value, string Expression, bool Used)>();
        foreach (var step in steps)
        {
            var sb = new StringBuilder();
            var e = step.Expression;
            for (int i = 0; i < e.Length;)
            {
                if (!char.IsAsciiDigit(e[i])) { sb.Append(e[i++]); continue; }
                int start = i;
                while (i < e.Length && char.IsAsciiDigit(e[i])) i++;
                var literal = Rational.FromInteger(BigInteger.Parse(e.AsSpan(start, i - start)));
                int j = results.FindLastIndex(r => !r.Used && r.Value == literal);
                if (j < 0) { sb.Append(e, start, i - start); continue; }
                sb.Append('(').Append(results[j].Expression).Append(')');
                results[j] = results[j] with { Used = true };
            }
            results.Add((step.Stated, sb.ToString(), false));
        }
        return results[^1].Expression;
    }

    static bool IsSubMultiset(IReadOnlyList<BigInteger> used, IReadOnlyList<int> nums)
    {
        var left = nums.GroupBy(n => new BigInteger(n)).ToDictionary(g => g.Key, g => g.Count());
        foreach (var n in used)
            if (!left.TryGetValue(n, out int c) || c == 0) return false;
            else left[n] = c - 1;
        return true;
    }

    static IEnumerable<BigInteger> Sorted(IEnumerable<BigInteger> numbers) => numbers.OrderBy(n => n);
}
