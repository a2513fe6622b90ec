// Lets a notebook or script that does `#r ".../artifacts/publish/Grpo.Lib.dll"` use TorchSharp: preloads the
// native libraries from the published folder's runtimes/<rid>/native, where the app's own deps.json cannot point.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Grpo.Torch;

static class TorchNativePreload
{
    /// <summary>
    /// Why: TorchSharp first tries `NativeLibrary.TryLoad("LibTorchSharp")` next to TorchSharp.dll, and a host such as
    /// the dotnet-interactive kernel has no deps.json entry for runtimes/linux-x64/native. TorchSharp then falls back
    /// to copying ~700 MB of unpatched libraries out of the NuGet cache (which fail to load on Debian 12, see build/LibTorchSharpGlibcxxFix.targets).
    /// Loading the published (patched) libLibTorchSharp.so by full path first makes that first attempt succeed: the
    /// later load by name finds the already-loaded library by its soname; its libtorch dependencies come from the same
    /// folder through its $ORIGIN runpath. Does nothing when TorchSharp.dll sits in the application's own folder
    /// (the CLI, the tests), where the runtime resolves natives from deps.json.
    /// </summary>
#pragma warning disable CA2255 // deliberate: it must run before any TorchSharp call, whoever loads the library
    [ModuleInitializer]
    internal static void Run()
    {
        try
        {
            string? torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
            if (string.IsNullOrEmpty(torchDir)) return;
            if (Path.GetFullPath(torchDir).TrimEnd('/', '\\') == Path.GetFullPath(AppContext.BaseDirectory).TrimEnd('/', '\\'))
                return;
            string native = Path.Combine(torchDir, "runtimes", RuntimeId(), "native");
            if (!Directory.Exists(native)) return;
            foreach (var name in NativeNames())
            {
                string path = Path.Combine(native, name);
                if (File.Exists(path) && !File.Exists(Path.Combine(torchDir, name))) NativeLibrary.Load(path);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or IOException)
        {
            // Leave it to TorchSharp's own loader, whose error message explains what is missing.
            Console.Error.WriteLine($"Grpo.Lib: could not preload TorchSharp's native library: {e.Message}");
        }
    }
#pragma warning restore CA2255

    static string RuntimeId()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
        return $"{os}-{arch}";
    }

    // CUDA builds load torch_cuda themselves before LibTorchSharp; preload it first when it is there.
    static IEnumerable<string> NativeNames() =>
        OperatingSystem.IsWindows() ? ["torch_cuda.dll", "LibTorchSharp.dll"]
        : OperatingSystem.IsMacOS() ? ["libLibTorchSharp.dylib"]
        : ["libtorch_cuda.so", "libLibTorchSharp.so"];
}
