// The machine's matmul peak as libtorch reaches it: GFLOP/s of a large square matmul per dtype, the yardstick for the
// share of the hardware a benchmark uses (bf16 runs through oneDNN, float32 through MKL here, at very different rates).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Bench;

/// <summary>One dtype's peak and the intra-op threads it ran on.</summary>
public sealed record PeakReading(string Dtype, double Gflops, int Threads);

public static class MatmulPeak
{
    /// <summary>How long the warm-up runs at least. A single warm-up run (25 ms at 700 GFLOP/s) left the reading
    /// dependent on what the process had done before: clock ramp-up, worker threads waking, first-touch pages.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>Best GFLOP/s of an n x n x n matmul (2 n^3 FLOP) over <paramref name="repeats"/> timed runs, after
    /// warm-up runs for at least <see cref="WarmUp"/> (one run at least).</summary>
    public static double GigaflopsPerSecond(ScalarType dtype, Device device, int n = 2048, int repeats = 5)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var a = randn([n, n], ScalarType.Float32, device).to(dtype);
        var b = randn([n, n], ScalarType.Float32, device).to(dtype);
        double Run()
        {
            var clock = Stopwatch.StartNew();
            using var c = a.matmul(b);
            if (device.type != DeviceType.CPU) cuda.synchronize();
            return clock.Elapsed.TotalSeconds;
        }
        var warming = Stopwatch.StartNew();
        do Run(); while (warming.Elapsed < WarmUp);
        double best = Enumerable.Range(0, repeats).Min(_ => Run());
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>The peak of each dtype in turn, in this process, with its current intra-op threads.</summary>
    public static IReadOnlyList<PeakReading> Measure(IEnumerable<string> dtypes, Device device, Action<string>? log = null) =>
        dtypes.Select(name =>
        {
            log?.Invoke($"{name}: matmul peak (2048^3)");
            return new PeakReading(name, GigaflopsPerSecond(Grpo.Torch.TorchOptions.ParseDtype(name), device), get_num_threads());
        }).ToList();
}
