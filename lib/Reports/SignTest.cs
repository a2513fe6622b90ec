// The exact two-sided sign test: is a before/after change on paired items bigger than chance? Used by the run summary
// to call a change "rose"/"fell" only when it is more than noise.
namespace Grpo.Reports;

public static class SignTest
{
    /// <summary>P-value of <paramref name="up"/> items that rose against <paramref name="down"/> that fell (items that did
    /// not change are left out, as the sign test does): 2·P(X ≤ min(up, down)) for X ~ Binomial(up + down, 1/2), at most
    /// 1; 1 when nothing changed. Summed in log space, so thousands of items neither overflow nor underflow.</summary>
    public static double TwoSided(int up, int down)
    {
        if (up < 0 || down < 0) throw new ArgumentOutOfRangeException(up < 0 ? nameof(up) : nameof(down), "counts must be >= 0");
        int n = up + down, k = Math.Min(up, down);
        if (n == 0) return 1.0;
        double logHalfPowN = n * Math.Log(0.5), logChoose = 0, tail = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logChoose += Math.Log(n - i + 1) - Math.Log(i);   // log C(n, i) from log C(n, i - 1)
            tail += Math.Exp(logChoose + logHalfPowN);
        }
        return Math.Min(1.0, 2 * tail);
    }
}
