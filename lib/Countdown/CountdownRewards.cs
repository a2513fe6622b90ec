// The two Countdown rewards of docs/countdown-rules.md: format (think/answer layout) and equation (exact, each number once).
// Both take the completion as generated after the prompt's trailing "<think>", so "<think>" is put back first.
using System.Numerics;

namespace Grpo.Countdown;

/// <summary>Equation reward (1 or 0), the computed value (gen_calculation; null when not computable) and the answer text.</summary>
public sealed record EquationResult(double Reward, double? Value, string? Answer);

public static class CountdownRewards
{
    /// <summary>The names reward_funcs (and metrics.jsonl's rewards/&lt;name&gt;/mean) give the two rewards.</summary>
    public const string FormatRewardName = "format_reward", EquationRewardName = "equation_reward";
    /// <summary>Levers beyond the reference's two (docs/countdown-rules.md, "Reward levers"): the format reward paid only
    /// to completions that end with an end token, the process-verified equation reward, and DAPO's soft overlong
    /// punishment (a task-free function, lib/Training's StandardRewards).</summary>
    public const string TerminatedFormatRewardName = "terminated_format_reward", VerifiedEquationRewardName = "verified_equation_reward",
        SoftOverlongPunishmentName = "soft_overlong_punishment", AcceptCheckRewardName = "accept_check_reward";
    /// <summary>The reference tutorial's rewards, the default.</summary>
    public static IReadOnlyList<string> DefaultRewardNames { get; } = [FormatRewardName, EquationRewardName];
    /// <summary>Every reward function reward_funcs may name.</summary>
    public static IReadOnlyList<string> RewardNames { get; } =
        [FormatRewardName, EquationRewardName, TerminatedFormatRewardName, VerifiedEquationRewardName, SoftOverlongPunishmentName,
         AcceptCheckRewardName];

    /// <summary>End-of-sequence tokens a decoder may leave at the very end of a completion; ignored by both rewards.</summary>
    public static readonly string[] EndTokens = ["<|im_end|>", "<|endoftext|>"];

    private const string ThinkOpen = "<think>", ThinkClose = "</think>";
    private const string AnswerOpen = "<answer>", AnswerClose = "</answer>";

    /// <summary>
    /// 1 when "&lt;think&gt;" + completion is exactly &lt;think&gt;…&lt;/think&gt;\n&lt;answer&gt;…&lt;/answer&gt; with no
    /// think tag inside the thinking and nothing after the last &lt;/answer&gt; (end tokens aside), else 0.
    /// Same language as the reference tutorials' regex ^&lt;think&gt;([^&lt;]*(?:&lt;(?!/?think&gt;)[^&lt;]*)*)&lt;/think&gt;\n&lt;answer&gt;([\s\S]*?)&lt;/answer&gt;$,
    /// except that their '$' also lets one trailing newline through and this does not.
    /// </summary>
    public static double FormatReward(string completion)
    {
        string text = ThinkOpen + StripEndTokens(completion);
        int close = text.IndexOf(ThinkClose, ThinkOpen.Length, StringComparison.Ordinal);
        if (close < 0) return 0;
        if (text.IndexOf(ThinkOpen, ThinkOpen.Length, close - ThinkOpen.Length, StringComparison.Ordinal) >= 0) return 0;
        int answerStart = close + ThinkClose.Length;
        if (!text.AsSpan(answerStart).StartsWith("\n" + AnswerOpen, StringComparison.Ordinal)) return 0;
        int contentStart = answerStart + 1 + AnswerOpen.Length;
        return text.Length - contentStart >= AnswerClose.Length && text.EndsWith(AnswerClose, StringComparison.Ordinal) ? 1 : 0;
    }

    /// <summary>
    /// 1 when the last &lt;answer&gt; block holds an equation of only digits, + - * / ( ), unary minus and white space,
    /// uses exactly the given numbers (each once, none missing, none extra) and equals target within 1e-5 (exactly
    /// evaluated). Value is reported whenever the equation can be computed, right or wrong.
    /// </summary>
    public static EquationResult EquationReward(string completion, IReadOnlyList<int> nums, int target)
    {
        string? answer = LastAnswer(ThinkOpen + StripEndTokens(completion));
        if (answer is null) return new EquationResult(0, null, null);
        if (!OnlyAllowedCharacters(answer)) return new EquationResult(0, null, answer);

        var parsed = EquationParser.Evaluate(answer);
        if (!parsed.Ok || parsed.Value is not { } value) return new EquationResult(0, null, answer);

        double asDouble = value.ToDouble();
        double? reported = double.IsFinite(asDouble) ? asDouble : null;
        bool sameNumbers = SameMultiset(parsed.Numbers, nums);
        // |value - target| < 1e-5, decided exactly on the rational rather than on the rounded double.
        bool correct = sameNumbers && value.IsWithin(target, 100_000);
        return new EquationResult(correct ? 1 : 0, reported, answer);
    }

    /// <summary>A process-verified equation reward: the equation reward, paid only when every arithmetic step the
    /// reasoning writes is right ("12*3=36", checked exactly; ArithmeticSteps), so a right answer reached through a
    /// wrong step earns nothing (the process-verified reward of arXiv 2512.07783).</summary>
    public static double VerifiedEquationReward(string completion, IReadOnlyList<int> nums, int target)
    {
        if (EquationReward(completion, nums, target).Reward < 1) return 0;
        var reasoning = ReasoningAnalysis.Trace(StripEndTokens(completion), ReasoningMarkers.Default);
        return reasoning.Steps.All(s => s.Right) ? 1 : 0;
    }

    /// <summary>A process check of the reasoning's verdict: -1 when the attempt the reasoning accepts (ReasoningAnalysis:
    /// the last one not rejected) does not check out, i.e. one of its steps is wrong or its result is not the target;
    /// 0 otherwise, also with no accepted attempt or reasoning that never closes (cut off mid-search). Accepting an unchecked attempt is how a search gives up ("answer
    /// anything"); this makes it cost more than searching on, while a slip in a rejected attempt costs nothing.</summary>
    public static double AcceptCheckReward(string completion, int target, ReasoningMarkers markers)
    {
        var text = StripEndTokens(completion);
        if (!text.Contains(ThinkClose, StringComparison.Ordinal)) return 0;
        var accepted = ReasoningAnalysis.Trace(text, markers).Accepted;
        if (accepted is null) return 0;
        bool checksOut = accepted.Steps.All(s => s.Right) && accepted.Steps[^1].Stated == Rational.FromInteger(target);
        return checksOut ? 0 : -1;
    }

    /// <summary>Removes end tokens (repeated, in any order) from the very end of a completion.</summary>
    public static string StripEndTokens(string completion)
    {
        // Moves an end index instead of cutting a new string per token: linear for any number of end tokens.
        var rest = completion.AsSpan();
        bool removed = true;
        while (removed)
        {
            removed = false;
            foreach (var token in EndTokens)
                if (rest.EndsWith(token, StringComparison.Ordinal))
                {
                    rest = rest[..^token.Length];
                    removed = true;
                }
        }
        return rest.Length == completion.Length ? completion : rest.ToString();
    }

    /// <summary>Text of the last &lt;answer&gt;…&lt;/answer&gt; block, trimmed; null when there is none. The blocks are
    /// those the regex &lt;answer&gt;(.*?)&lt;/answer&gt; finds scanning left to right, found in one linear pass: the regex
    /// engine retries from every further "&lt;answer&gt;" when no "&lt;/answer&gt;" follows, quadratic in the length of a
    /// completion that repeats "&lt;answer&gt;".</summary>
    public static string? LastAnswer(string text)
    {
        string? last = null;
        int pos = 0;
        while (true)
        {
            int open = text.IndexOf(AnswerOpen, pos, StringComparison.Ordinal);
            if (open < 0) break;
            int contentStart = open + AnswerOpen.Length;
            int close = text.IndexOf(AnswerClose, contentStart, StringComparison.Ordinal);
            if (close < 0) break;   // no later "<answer>" can have a closing tag either
            last = text[contentStart..close];
            pos = close + AnswerClose.Length;
        }
        return last?.Trim();
    }

    private static bool OnlyAllowedCharacters(string equation)
    {
        foreach (char c in equation)
            if (c is not ((>= '0' and <= '9') or '+' or '-' or '*' or '/' or '(' or ')' or ' ' or '\t' or '\n' or '\r' or '\f' or '\v'))
                return false;
        return true;
    }

    private static bool SameMultiset(IReadOnlyList<BigInteger> used, IReadOnlyList<int> nums)
    {
        if (used.Count != nums.Count) return false;
        var a = used.OrderBy(n => n).ToArray();
        var b = nums.Select(n => new BigInteger(n)).OrderBy(n => n).ToArray();
        return a.SequenceEqual(b);
    }
}
