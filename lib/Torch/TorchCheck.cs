// Smallest possible proof that libtorch loads in this process (used by the CLI and the tests).
using TorchSharp;

namespace Grpo.Torch;

public static class TorchCheck
{
    /// <summary>Runs one real op on the CPU and returns 1+2 computed by libtorch.</summary>
    public static float OnePlusTwo()
    {
        using var a = torch.tensor(1f, device: torch.CPU);
        using var b = torch.tensor(2f, device: torch.CPU);
        using var c = a.Plus(b);
        return c.item<float>();
    }
}
