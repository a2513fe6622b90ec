// Reading bf16 matmul hardware from /proc/cpuinfo text, on hand-written lines of two kinds of CPU.
using Grpo.Bench;
using Xunit;

namespace Grpo.Tests.Bench;

public class CpuBf16Tests
{
    const string Epyc = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme sse sse2 avx avx2 fma bmi2\n";
    const string SapphireRapids = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n";

    [Fact]
    public void A_cpu_without_avx512_has_no_bf16_matmul_hardware_and_one_with_it_has()
    {
        Assert.False(CpuBf16.HasBf16Matmul(Epyc));
        Assert.True(CpuBf16.HasBf16Matmul(SapphireRapids));
        Assert.True(CpuBf16.HasBf16Matmul("flags\t: sse2 avx512f\n"));
        Assert.False(CpuBf16.HasBf16Matmul("flags\t: avx512fx avx2\n"));   // whole names only
        Assert.Null(CpuBf16.HasBf16Matmul("processor\t: 0\n"));
    }

    [Fact]
    public void Only_bf16_work_on_the_cpu_is_warned_about()
    {
        Assert.Null(CpuBf16.Warning(["float32"], "cpu"));
        Assert.Null(CpuBf16.Warning(["bfloat16"], "cuda"));
    }
}
