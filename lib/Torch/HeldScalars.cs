// The one place Scalars are made. TorchSharp turns a C# number passed to an op (and the hidden alpha = 1 of `a + b`,
// add(x), add_(x)) into a temporary Scalar that nothing keeps alive during the native call; a GC started by any
// other thread lets the finalizer free it while libtorch still reads it (dotnet/TorchSharp#1434): runs here died
// with a c10 "toFloat ... Scalar.h" check. Every scalar operand therefore comes from here and outlives its call.
// tests/Grpo.Tests/Rules enforces it; docs/design-notes.md ("The held-Scalar rule") explains the choices.
using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Torch;

public static class HeldScalars
{
    // Keyed by the exact bits, so -0.0 and 0.0 (equal as doubles) stay distinct.
    static readonly ConcurrentDictionary<long, Scalar> Floats = new(), Integers = new();

    /// <summary>A Scalar for a value fixed by the model or the configuration (eps, temperature, clip range, pad id):
    /// made once and held for the life of the process. Per-step values belong in a <see cref="NewScope"/>.</summary>
    public static Scalar Of(double value) => Floats.GetOrAdd(BitConverter.DoubleToInt64Bits(value), bits => BitConverter.Int64BitsToDouble(bits).ToScalar());

    /// <summary>An integer Scalar (integer tensors stay integer), held for the life of the process.</summary>
    public static Scalar Of(long value) => Integers.GetOrAdd(value, v => v.ToScalar());

    public static Scalar Zero { get; } = Of(0L);
    public static Scalar One { get; } = Of(1L);
    public static Scalar Two { get; } = Of(2L);

    /// <summary>Holds Scalars for values that change every step (learning rate, bias corrections, loss
    /// normalisers) until the scope is disposed: `using var scalars = HeldScalars.NewScope();`.</summary>
    public static Scope NewScope() => new();

    public sealed class Scope : IDisposable
    {
        readonly List<Scalar> held = [];

        public Scalar Of(double value) => Hold(value.ToScalar());
        public Scalar Of(long value) => Hold(value.ToScalar());

        Scalar Hold(Scalar s) { held.Add(s); return s; }

        public void Dispose()
        {
            foreach (var s in held) s.Dispose();
            held.Clear();
        }
    }

    /// <summary>a + b without the temporary alpha Scalar of a.add(b) and `a + b`.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + s without the temporary alpha Scalar of a.add(s).</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);
}
