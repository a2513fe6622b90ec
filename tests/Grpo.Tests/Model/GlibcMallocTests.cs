// The CLI's glibc tuning: mallopt is found and accepts every setting on Linux; MALLOC_* variables take precedence.
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
}
