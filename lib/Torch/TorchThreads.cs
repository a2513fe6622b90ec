// Sets libtorch's intra-op thread count without the slowdown torch.set_num_threads brings: libtorch's set_num_threads
// also calls mkl_set_dynamic(0), after which MKL runs even the smallest matmul on every thread (the tiny model's
// decode steps took 18-22 ms instead of 10 ms on 2 cores). This switches MKL's dynamic threading back on.
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Grpo.Torch;

public static class TorchThreads
{
    /// <summary>Uses <paramref name="threads"/> intra-op threads. When that is already the count (libtorch's default is
    /// one per core), nothing is called; otherwise set_num_threads, then MKL's dynamic threading is restored where the
    /// loaded libtorch exports it (the CPU builds of libtorch link MKL statically and export its API).</summary>
    public static void Set(int threads)
    {
        if (threads < 1) throw new BadInputException($"threads must be >= 1, got {threads}");
        if (threads == get_num_threads()) return;
        set_num_threads(threads);
        RestoreMklDynamic();
    }

    /// <summary>True when MKL's dynamic threading could be switched (back) on in this process.</summary>
    public static bool RestoreMklDynamic()
    {
        // libtorch_cpu is loaded by TorchSharp by now; dlopen of its plain name returns the loaded copy.
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
            && !NativeLibrary.TryLoad("libtorch_cpu.dylib", out library)
            && !NativeLibrary.TryLoad("torch_cpu.dll", out library)) return false;
        if (!NativeLibrary.TryGetExport(library, "MKL_Set_Dynamic", out var setDynamic)) return false;
        Marshal.GetDelegateForFunctionPointer<MklSetDynamic>(setDynamic)(1);
        return true;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate void MklSetDynamic(int flag);
}
