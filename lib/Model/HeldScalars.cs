// TorchSharp turns every C# number passed to an op (and the hidden alpha = 1 of tensor + tensor) into a temporary
// Scalar that nothing keeps alive during the native call; if a GC runs then, the finalizer frees it while libtorch
// still reads it (dotnet/TorchSharp#1434). Here that crashed a 200-step GRPO run and a checkpoint evaluation with a
// c10 "toFloat" check, roughly once per 20 minutes of CPU work. Paths that run per token or per step use these
// process-lifetime Scalars, or a `using` Scalar held across the loop, instead.
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

public static class HeldScalars
{
    public static readonly Scalar Zero = 0.ToScalar(), One = 1.ToScalar(), Two = 2.ToScalar();

    /// <summary>a + b without a temporary alpha Scalar.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
