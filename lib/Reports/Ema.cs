// Exponential moving average as TensorBoard's smoothing slider draws it: debiased, so the smoothed curve starts at the
// first value instead of climbing up from zero. The training curves draw it over the faint raw values.
namespace Grpo.Reports;

public static class Ema
{
    /// <summary>The weight each smoothed point keeps from the points before it (TensorBoard's "smoothing"; the weight of
    /// the new value is 1 minus this). 0.9 averages over roughly the last ten steps: a 200-step run shows its trend,
    /// a 10-step run is still readable thanks to the debiasing.</summary>
    public const double DefaultSmoothing = 0.9;

    /// <summary>s_n = w·s_(n-1) + (1-w)·x_n with s_0 = 0, reported as s_n / (1 - w^n) (the debiasing of TensorBoard's
    /// smoothing and of Adam's moment estimates). A value that is not finite (a metric undefined at that step) is
    /// passed through and does not enter the average; a constant series comes back unchanged, without rounding error.</summary>
    public static double[] Smooth(IReadOnlyList<double> values, double smoothing = DefaultSmoothing)
    {
        if (!(smoothing >= 0 && smoothing < 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "smoothing must be in [0, 1)");
        var finite = values.Where(double.IsFinite).ToList();
        bool constant = finite.Count > 0 && finite.All(v => v == finite[0]);
        var smoothed = new double[values.Count];
        double last = 0;
        int n = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            if (constant || !double.IsFinite(v)) { smoothed[i] = v; continue; }
            last = smoothing * last + (1 - smoothing) * v;
            n++;
            smoothed[i] = last / (1 - Math.Pow(smoothing, n));
        }
        return smoothed;
    }
}
