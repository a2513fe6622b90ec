// The yardstick of `bench` as a standalone `grpo bench --parts peak` measures it: this CLI started again as a fresh
// process with the same device, threads and environment, before this process computes anything, so nothing a longer
// bench does in its own process (thread settings, warm or cold state, memory, the work of other parts) can move it.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Grpo.Bench;

namespace Grpo.Cli.Commands;

static class FreshProcessPeak
{
    /// <summary>The standalone command: what a person types to measure the same yardstick.</summary>
    public static string[] Arguments(IReadOnlyList<string> dtypes, string device, int? threads) =>
    [
        "bench", "--parts", "peak", "--peak-dtypes", string.Join(',', dtypes), "--device", device,
        .. threads is int t ? new[] { "--threads", t.ToString(CultureInfo.InvariantCulture) } : [],
    ];

    /// <summary>Runs <paramref name="arguments"/> in a fresh process of this CLI and reads its peaks from the JSON
    /// lines it prints; an error with the child's output when it fails or prints none.</summary>
    public static IReadOnlyList<PeakReading> Measure(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // Run as `dotnet grpo.dll` (tests, CI), the host needs the CLI's assembly first; the apphost `grpo` does not.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(FreshProcessPeak).Assembly.Location);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        using var stop = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        var readings = stdout.Split('\n').Select(Parse).OfType<PeakReading>().ToList();
        if (process.ExitCode != 0 || readings.Count == 0)
            throw new InvalidOperationException($"the yardstick `grpo {string.Join(' ', arguments)}` in a fresh process exited " +
                                                $"{process.ExitCode} with {readings.Count} peak(s):\n{stdout}{stderr.Result}");
        return readings;
    }

    /// <summary>The JSON line `bench` prints per dtype: {"MatmulPeak": dtype, "Gflops": x, "Threads": n, ...}.</summary>
    public static PeakReading? Parse(string line)
    {
        if (!line.StartsWith('{')) return null;
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        return root.TryGetProperty("MatmulPeak", out var dtype)
            ? new PeakReading(dtype.GetString()!, root.GetProperty("Gflops").GetDouble(), root.GetProperty("Threads").GetInt32())
            : null;
    }
}
