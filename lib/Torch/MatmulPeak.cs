// The machine's matmul peak as libtorch reaches it: GFLOP/s of a large square matmul per dtype, the yardstick for the
// share of the hardware a benchmark uses (bf16 runs through oneDNN, float32 through MKL here, at very different rates).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Torch;

public static class MatmulPeak
{
    /// <summary>Best GFLOP/s of an n x n x n matmul (2 n^3 FLOP) over <paramref name="repeats"/> timed runs after one
    /// warm-up run.</summary>
    public static double GigaflopsPerSecond(ScalarType dtype, Device device, int n = 2048, int repeats = 5)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var a = randn([n, n], ScalarType.Float32, device).to(dtype);
        var b = randn([n, n], ScalarType.Float32, device).to(dtype);
        double best = double.MaxValue;
        for (int i = 0; i <= repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var c = a.matmul(b);
            if (device.type != DeviceType.CPU) cuda.synchronize();
            if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
