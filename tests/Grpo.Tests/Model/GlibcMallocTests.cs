// The CLI's glibc tuning: mallopt is found and accepts every setting on Linux; MALLOC_* variables take precedence; it is
// applied for CPU devices only (a CUDA run's host keeps glibc's defaults), once a command has parsed its device.
using Grpo.Model;
using Grpo.Torch;
using Xunit;

namespace Grpo.Tests.Model;

public class GlibcMallocTests
{
    [Fact]
    public void Applies_every_setting_on_glibc_unless_the_environment_chose()
    {
        bool personChose = Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_"));
        bool glibc = OperatingSystem.IsLinux()
                     && (File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || File.Exists("/lib/aarch64-linux-gnu/libc.so.6"));
        Assert.Equal(glibc && !personChose, GlibcMalloc.KeepFreedMemory());
    }

    [Fact]
    public void Only_a_cpu_device_gets_the_tuning()
    {
        // Reading a device's type needs no GPU, so the CUDA side of the rule is checked on any machine.
        Assert.False(GlibcMalloc.ForDevice(new TorchSharp.torch.Device("cuda")));
        Assert.False(GlibcMalloc.ForDevice(new TorchSharp.torch.Device("cuda:1")));
        Assert.Equal(GlibcMalloc.KeepFreedMemory(), GlibcMalloc.ForDevice(TorchSharp.torch.CPU));
    }

    [Fact]
    public void Parsing_a_device_tells_the_host_which_one_was_chosen()
    {
        var chosen = new List<string>();
        int thread = Environment.CurrentManagedThreadId;   // tests running in parallel parse devices too
        void Record(TorchSharp.torch.Device d) { if (Environment.CurrentManagedThreadId == thread) chosen.Add(d.ToString()); }
        TorchOptions.DeviceChosen += Record;
        try { TorchOptions.ParseDevice("cpu"); }
        finally { TorchOptions.DeviceChosen -= Record; }
        Assert.Equal(["cpu"], chosen);
    }
}
