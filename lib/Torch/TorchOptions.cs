// Parses the user-facing dtype and device names (--dtype float32|bfloat16, --device cpu|cuda[:N]).
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Torch;

public static class TorchOptions
{
    public static ScalarType ParseDtype(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" => ScalarType.Float16,
        _ => throw new BadInputException($"Unknown dtype \"{name}\" (use float32 or bfloat16)"),
    };

    public static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32", ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => t.ToString(),
    };

    /// <summary>Told of every device <see cref="ParseDevice"/> returns, so that a host can set the process up for it
    /// (the CLI: GlibcMalloc.ForDevice, glibc tuning for CPU runs only).</summary>
    public static event Action<Device>? DeviceChosen;

    public static Device ParseDevice(string name)
    {
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
            throw new BadInputException($"Device \"{name}\" requested but CUDA is not available (build with -p:TorchBackend=cuda on a GPU machine)");
        Device device;
        try { device = new Device(name); }
        catch (Exception e) { throw new BadInputException($"Unknown device \"{name}\" (use cpu or cuda)", e); }
        DeviceChosen?.Invoke(device);
        return device;
    }
}
