// Whether this CPU has hardware for bfloat16 matmuls. Without AVX-512 (no avx512_bf16, amx_bf16 or avx512f flag) a
// bf16 2048^3 matmul took longer than 100 s on an AMD EPYC where float32 took 0.15 s, so bench warns before bf16 parts.
namespace Grpo.Bench;

public static class CpuBf16
{
    static readonly string[] Flags = ["amx_bf16", "avx512_bf16", "avx512f"];

    /// <summary>True when the "flags" line of /proc/cpuinfo text names one of amx_bf16, avx512_bf16, avx512f; null
    /// when the text has no flags line (another OS, or nothing read).</summary>
    public static bool? HasBf16Matmul(string cpuinfo)
    {
        var flags = cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (flags is null) return null;
        var names = flags[(flags.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return names.Any(Flags.Contains);
    }

    /// <summary>The warning bench prints before bf16 work on a CPU known to lack bf16 hardware; null otherwise.</summary>
    public static string? Warning(IEnumerable<string> dtypes, string device)
    {
        if (device != "cpu" || !dtypes.Contains("bfloat16") || !File.Exists("/proc/cpuinfo")) return null;
        return HasBf16Matmul(File.ReadAllText("/proc/cpuinfo")) == false
            ? "warning: this CPU has no bfloat16 matmul hardware (no amx_bf16, avx512_bf16 or avx512f in /proc/cpuinfo): " +
              "bfloat16 parts can take minutes per matmul; --peak-dtypes float32 --dtype float32 leaves them out"
            : null;
    }
}
