// Finds the arithmetic steps a completion writes ("12+5=17", "44 + 19 = 63", "(44 + 19) × 2 = 126") in free text and
// checks each one exactly: a step is right when the rational value of its left side equals the value it states.
using System.Numerics;

namespace Grpo.Countdown;

/// <summary>One step "expression = stated". <see cref="Expression"/> is normalised (× → *, ÷ → /, − → -); a step that
/// continues a chain ("44 + 19 = 63 + 35 = 98") starts with the previous step's stated value ("63 + 35").
/// Start/End delimit it in the scanned text.</summary>
public sealed record ArithmeticStep(int Start, int End, string Expression, Rational Value, Rational Stated, string StatedText)
{
    public bool Right => Value == Stated;
    public override string ToString() => $"{Expression} = {StatedText}";
}

public static class ArithmeticSteps
{
    /// <summary>Longest left side looked at (characters): a bound on work per '=', far above any step a reader checks.</summary>
    public const int MaxExpressionChars = 200;

    /// <summary>Every step in order. A left side is the longest run of digits, operators (+ - * / × ÷ −), parentheses and
    /// spaces before '=' that parses with at least two numbers (leading words or numbers that do not belong, as in
    /// "Step 2: 44+19", are dropped); the right side is one number, optionally negative, decimal (7.5) or a fraction
    /// (7/2). Text such as "x = 5", "a >= b" or "= 63" alone is not a step.</summary>
    public static IReadOnlyList<ArithmeticStep> Find(string text)
    {
        var steps = new List<ArithmeticStep>();
        int floor = 0;   // steps never overlap: a left side starts after the previous step's stated value
        for (int eq = text.IndexOf('='); eq >= 0; eq = eq + 1 < text.Length ? text.IndexOf('=', eq + 1) : -1)
        {
            if (!TryReadStated(text, eq + 1, out var stated, out var statedText, out int end)) continue;
            int start = eq;
            while (start > floor && eq - start < MaxExpressionChars && IsExpressionChar(text[start - 1])) start--;
            var step = LeftSide(text, start, eq, steps.Count > 0 ? steps[^1] : null);
            if (step is not { } left) continue;
            steps.Add(new ArithmeticStep(left.Start, end, left.Expression, left.Value, stated, statedText));
            floor = end;
            eq = end - 1;
        }
        return steps;
    }

    static (int Start, string Expression, Rational Value)? LeftSide(string text, int start, int eq, ArithmeticStep? previous)
    {
        var tokens = Tokens(text, start, eq);
        if (tokens.Count == 0) return null;
        // "3.5 * 2 = 7": the run stops at the '.', so its first number is the tail of a decimal and not a number of the step.
        // (A comma is no such sign: "= 63,63 + 35 = 98" is how Chinese text runs steps together.)
        int first = tokens[0].IsNumber && tokens[0].Start >= 2 && text[tokens[0].Start - 1] == '.'
            && char.IsAsciiDigit(text[tokens[0].Start - 2]) ? 1 : 0;
        // A chain: "= 63 + 35 = 98" continues from the previous step's value when only white space lies between.
        if (previous is not null && first == 0 && tokens[0].IsBinaryOperator && string.IsNullOrWhiteSpace(text[previous.End..tokens[0].Start]))
        {
            var chained = previous.StatedText + " " + Normalize(text[tokens[0].Start..eq].Trim());
            if (Parse(chained) is { } v) return (tokens[0].Start, chained, v);
        }
        for (int k = first; k < tokens.Count; k++)
        {
            var candidate = Normalize(text[tokens[k].Start..eq].Trim());
            if (Parse(candidate) is { } value) return (tokens[k].Start, candidate, value);
        }
        return null;
    }

    static Rational? Parse(string expression)
    {
        var parsed = EquationParser.Evaluate(expression);
        return parsed.Ok && parsed.Numbers.Count >= 2 ? parsed.Value : null;
    }

    readonly record struct Token(int Start, char First)
    {
        public bool IsNumber => char.IsAsciiDigit(First);
        public bool IsBinaryOperator => First is '+' or '-' or '*' or '/' or '×' or '÷' or '−';
    }

    static List<Token> Tokens(string text, int start, int end)
    {
        var tokens = new List<Token>();
        for (int i = start; i < end;)
        {
            char c = text[i];
            if (c is ' ' or '\t') { i++; continue; }
            tokens.Add(new Token(i, c));
            if (char.IsAsciiDigit(c)) while (i < end && char.IsAsciiDigit(text[i])) i++;
            else i++;
        }
        return tokens;
    }

    static bool IsExpressionChar(char c) =>
        char.IsAsciiDigit(c) || c is '+' or '-' or '*' or '/' or '×' or '÷' or '−' or '(' or ')' or ' ' or '\t';

    /// <summary>The operators models write, in the parser's spelling.</summary>
    public static string Normalize(string expression) => expression.Replace('×', '*').Replace('÷', '/').Replace('−', '-');

    /// <summary>The stated value after '=': spaces, an optional minus, digits, then optionally ".digits" or "/digits".</summary>
    static bool TryReadStated(string text, int pos, out Rational value, out string statedText, out int end)
    {
        value = default; statedText = ""; end = pos;
        while (pos < text.Length && text[pos] is ' ' or '\t') pos++;
        int start = pos;
        bool negative = pos < text.Length && text[pos] is '-' or '−';
        if (negative) pos++;
        var whole = Digits(text, ref pos);
        if (whole is null) return false;
        BigInteger num = whole.Value, den = BigInteger.One;
        int save = pos;
        if (pos + 1 < text.Length && text[pos] is '.' or '/' && char.IsAsciiDigit(text[pos + 1]))
        {
            char sep = text[pos++];
            int fracStart = pos;
            var part = Digits(text, ref pos);
            if (part is null) pos = save;
            else if (sep == '.') { den = BigInteger.Pow(10, pos - fracStart); num = num * den + part.Value; }
            else if (part.Value.IsZero) pos = save;   // "= 5/0" states 5, the rest is not part of the value
            else den = part.Value;
        }
        value = new Rational(negative ? -num : num, den);
        end = pos;
        statedText = Normalize(text[start..end]);
        return true;
    }

    static BigInteger? Digits(string text, ref int pos)
    {
        int start = pos;
        while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
        if (pos == start || pos - start > EquationParser.MaxLiteralDigits) { pos = start; return null; }
        return BigInteger.Parse(text.AsSpan(start, pos - start));
    }
}
