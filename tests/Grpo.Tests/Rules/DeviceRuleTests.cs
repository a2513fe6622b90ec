// The device rule (docs/gpu-readiness.md): every tensor the library makes with a TorchSharp factory names its device,
// so nothing lands on the CPU by default while the model runs on CUDA (a CPU-only run would never show it). Host-side
// tensors (file reads, generator states) say CPU explicitly. Checked on planted code too, so an empty scan cannot pass.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace Grpo.Tests.Rules;

public sealed class DeviceRuleTests
{
    [Fact]
    public void Every_tensor_factory_call_in_the_library_names_its_device()
    {
        var findings = Scan(ScalarTemporaryScan.CompileLibrary(TestPaths.RepoRoot), TestPaths.RepoRoot);
        Assert.True(findings.Count == 0, "tensors made on the default device (the CPU); pass the model's device, or CPU " +
            "explicitly for host-side data:\n" + string.Join("\n", findings));
    }

    [Theory]
    [InlineData("var t = zeros(3);", true)]
    [InlineData("var t = torch.tensor(new long[] { 1, 2 });", true)]
    [InlineData("var t = arange(HeldScalars.Zero, HeldScalars.One, HeldScalars.One, ScalarType.Int64);", true)]
    [InlineData("var t = zeros(3, device: a.device);", false)]
    [InlineData("var t = ones(new long[] { 2, 2 }, ScalarType.Float32, CPU);", false)]
    [InlineData("var t = zeros_like(a);", false)]
    [InlineData("var t = a.new_zeros(new long[] { 3 });", false)]
    public void The_scan_flags_a_factory_call_without_a_device(string statement, bool flagged)
    {
        var compilation = ScalarTemporaryScan.CompileSources([("lib/Planted.cs", $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            public static class HeldScalars { public static readonly Scalar Zero = 0, One = 1; }
            public static class Planted { public static void Run(Tensor a) { {{statement}} } }
            """)]);
        Assert.Equal(flagged, Scan(compilation, "").Count == 1);
    }

    // TorchSharp's tensor factories (static members of torch) that take a device argument.
    static readonly HashSet<string> Factories =
        ["tensor", "zeros", "ones", "empty", "full", "arange", "rand", "randn", "randint", "randperm", "linspace", "logspace", "eye"];

    static List<string> Scan(CSharpCompilation compilation, string repoRoot) =>
        compilation.SyntaxTrees.SelectMany(tree =>
        {
            var model = compilation.GetSemanticModel(tree);
            var path = repoRoot == "" ? tree.FilePath : Path.GetRelativePath(repoRoot, tree.FilePath).Replace('\\', '/');
            return tree.GetRoot().DescendantNodes()
                .Select(n => model.GetOperation(n)).OfType<IInvocationOperation>().Distinct()
                .Where(i => i.TargetMethod is { ContainingType.Name: "torch", ContainingAssembly.Name: "TorchSharp" } m
                            && Factories.Contains(m.Name)
                            && i.Arguments.Any(a => a.Parameter?.Name == "device" && a.ArgumentKind == ArgumentKind.DefaultValue))
                .Select(i => $"  {path}:{i.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {i.Syntax}");
        }).ToList();
}
