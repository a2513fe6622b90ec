// TorchThreads: setting the thread count keeps MKL's dynamic threading (libtorch's set_num_threads turns it off).
using Grpo.Model;
using Grpo.Torch;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class TorchThreadsTests
{
    [Fact]
    public void The_cpu_libtorch_exports_the_mkl_switch_that_restores_dynamic_threading()
    {
        _ = get_num_threads();   // TorchSharp has loaded libtorch_cpu
        Assert.True(TorchThreads.RestoreMklDynamic());
    }

    [Fact]
    public void Asking_for_the_current_thread_count_changes_nothing_and_zero_threads_is_refused()
    {
        int before = get_num_threads();
        TorchThreads.Set(before);
        Assert.Equal(before, get_num_threads());
        Assert.Throws<Grpo.BadInputException>(() => TorchThreads.Set(0));
    }
}
