// libtorch must load from the test output (the libstdc++ fix of build/LibTorchSharpGlibcxxFix.targets applied by the build).
using Grpo.Torch;
using Xunit;

namespace Grpo.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void Libtorch_runs_a_real_op()
    {
        Assert.Equal(3f, TorchCheck.OnePlusTwo());
    }
}
