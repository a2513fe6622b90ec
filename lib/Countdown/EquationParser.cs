// Parses and exactly evaluates a Countdown answer such as "(1 + 2) / 3": integers, + - * /, parentheses,
// unary minus and white space. Our own recursive descent (never a scripting eval), with explicit limits so
// deep nesting, huge numbers or long inputs return an error instead of overflowing the stack or hanging.
using System.Numerics;

namespace Grpo.Countdown;

/// <summary>The outcome of parsing an equation: its exact value and the integers it uses, or why it failed.</summary>
public sealed record EquationValue(Rational? Value, IReadOnlyList<BigInteger> Numbers, string? Error)
{
    public bool Ok => Error is null;
}

public static class EquationParser
{
    /// <summary>Deepest nesting of parentheses / unary minus accepted (keeps recursion far from the stack limit).</summary>
    public const int MaxDepth = 200;
    /// <summary>Longest integer literal accepted; Countdown numbers have 1-3 digits.</summary>
    public const int MaxLiteralDigits = 300;
    /// <summary>Largest numerator or denominator (in bits) of any intermediate value; bounds the time per answer.</summary>
    public const int MaxBits = 4096;

    public static EquationValue Evaluate(string text)
    {
        var parser = new Parser(text);
        try
        {
            parser.SkipSpace();
            if (parser.AtEnd) return new EquationValue(null, parser.Numbers, "empty expression");
            var value = parser.Expression(0);
            parser.SkipSpace();
            if (!parser.AtEnd) parser.Fail($"unexpected '{text[parser.Pos]}' at {parser.Pos}");
            return new EquationValue(value, parser.Numbers, null);
        }
        catch (EquationException e)
        {
            return new EquationValue(null, parser.Numbers, e.Message);
        }
    }

    private sealed class EquationException(string message) : Exception(message);

    // Grammar (usual precedence, left associative):
    //   expression := term (('+' | '-') term)*
    //   term       := unary (('*' | '/') unary)*
    //   unary      := '-' unary | primary
    //   primary    := integer | '(' expression ')'
    private sealed class Parser(string text)
    {
        public int Pos;
        public readonly List<BigInteger> Numbers = [];

        public bool AtEnd => Pos >= text.Length;

        public void Fail(string why) => throw new EquationException(why);

        public void SkipSpace()
        {
            while (Pos < text.Length && text[Pos] is ' ' or '\t' or '\n' or '\r' or '\f' or '\v') Pos++;
        }

        private char Peek()
        {
            SkipSpace();
            return AtEnd ? '\0' : text[Pos];
        }

        public Rational Expression(int depth)
        {
            var value = Term(depth);
            while (Peek() is '+' or '-')
            {
                char op = text[Pos++];
                var right = Term(depth);
                value = Checked(op == '+' ? value + right : value - right);
            }
            return value;
        }

        private Rational Term(int depth)
        {
            var value = Unary(depth);
            while (Peek() is '*' or '/')
            {
                char op = text[Pos++];
                var right = Unary(depth);
                if (op == '/' && right.IsZero) Fail("division by zero");
                value = Checked(op == '*' ? value * right : value / right);
            }
            return value;
        }

        private Rational Unary(int depth)
        {
            if (depth > MaxDepth) Fail($"nested deeper than {MaxDepth}");
            if (Peek() == '-')
            {
                Pos++;
                return -Unary(depth + 1);
            }
            return Primary(depth);
        }

        private Rational Primary(int depth)
        {
            char c = Peek();
            if (c == '(')
            {
                Pos++;
                var value = Expression(depth + 1);
                if (Peek() != ')') Fail(AtEnd ? "missing ')'" : $"expected ')' at {Pos}");
                Pos++;
                return value;
            }
            if (c is >= '0' and <= '9')
            {
                int start = Pos;
                while (Pos < text.Length && text[Pos] is >= '0' and <= '9') Pos++;
                if (Pos - start > MaxLiteralDigits) Fail($"number longer than {MaxLiteralDigits} digits");
                var n = BigInteger.Parse(text.AsSpan(start, Pos - start));
                Numbers.Add(n);
                return Rational.FromInteger(n);
            }
            Fail(AtEnd ? "unexpected end" : $"unexpected '{c}' at {Pos}");
            return default; // unreachable
        }

        private Rational Checked(Rational r)
        {
            if (r.BitLength > MaxBits) Fail($"intermediate value larger than {MaxBits} bits");
            return r;
        }
    }
}
