// Exact rational numbers on BigInteger, so equation values are never rounded (docs/countdown-rules.md: evaluate exactly).
using System.Numerics;

namespace Grpo.Countdown;

public readonly struct Rational : IEquatable<Rational>
{
    public BigInteger Num { get; }
    public BigInteger Den { get; }   // always > 0; Num/Den always in lowest terms

    public Rational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException("Rational with a zero denominator.");
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
        Num = num; Den = num.IsZero ? BigInteger.One : den;
    }

    public static Rational FromInteger(BigInteger n) => new(n, BigInteger.One);
    public static Rational Zero => FromInteger(BigInteger.Zero);

    public bool IsZero => Num.IsZero;
    public bool IsInteger => Den.IsOne;

    /// <summary>Larger of the bit lengths of numerator and denominator: the evaluator caps it to bound time.</summary>
    public long BitLength => Math.Max(BigInteger.Abs(Num).GetBitLength(), Den.GetBitLength());

    public static Rational operator +(Rational a, Rational b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a, Rational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator *(Rational a, Rational b) => new(a.Num * b.Num, a.Den * b.Den);
    public static Rational operator /(Rational a, Rational b) =>
        b.IsZero ? throw new DivideByZeroException() : new(a.Num * b.Den, a.Den * b.Num);
    public static Rational operator -(Rational a) => new(-a.Num, a.Den);

    /// <summary>True when |this - target| &lt; tolerance, computed exactly (tolerance = 1/toleranceDenominator).</summary>
    public bool IsWithin(BigInteger target, BigInteger toleranceDenominator) =>
        BigInteger.Abs(Num - target * Den) * toleranceDenominator < Den;

    /// <summary>Nearest double (correctly rounded); ±Infinity when the magnitude exceeds double's range.</summary>
    public double ToDouble()
    {
        if (Num.IsZero) return 0.0;
        var n = BigInteger.Abs(Num);
        // Integer quotient with 62-63 significant bits plus a sticky bit for any remainder; long -> double
        // conversion then rounds to nearest once, and ScaleB restores the power of two taken out.
        long shift = (long)n.GetBitLength() - (long)Den.GetBitLength() - 62;
        var (q, rem) = shift > 0
            ? BigInteger.DivRem(n, Den << (int)Math.Min(shift, int.MaxValue))
            : BigInteger.DivRem(n << (int)(-shift), Den);
        long bits = (long)q | (rem.IsZero ? 0L : 1L);
        double value = Math.ScaleB((double)bits, (int)Math.Clamp(shift, -100_000, 100_000));
        return Num.Sign < 0 ? -value : value;
    }

    public static bool operator ==(Rational a, Rational b) => a.Equals(b);
    public static bool operator !=(Rational a, Rational b) => !a.Equals(b);

    public bool Equals(Rational other) => Num == other.Num && Den == other.Den;
    public override bool Equals(object? obj) => obj is Rational r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Num, Den);
    public override string ToString() => Den.IsOne ? Num.ToString() : $"{Num}/{Den}";
}
