// The held-Scalar rule (docs/design-notes.md): no Scalar temporary reaches native code from lib/ or cli/. The scan is
// checked on planted code too, so that a scan that finds nothing cannot pass for a clean repository.
using Grpo.Torch;
using Xunit;

namespace Grpo.Tests.Rules;

public sealed class HeldScalarRuleTests
{
    [Fact]
    public void Library_and_cli_pass_no_temporary_Scalar_to_native_code()
    {
        var findings = ScalarTemporaryScan.ScanRepository(TestPaths.RepoRoot);
        Assert.True(findings.Count == 0, ScalarTemporaryScan.Report(findings));
    }

    // A stand-in for the project's mechanism file: the one place allowed to make Scalars.
    const string Mechanism = """
        using TorchSharp;
        public static class HeldScalars
        {
            public static readonly Scalar One = 1.ToScalar(), Half = 0.5;
        }
        """;

    static IReadOnlyList<ScalarFinding> ScanPlanted(string body) =>
        ScalarTemporaryScan.ScanSources([
            (ScalarTemporaryScan.MechanismFile, Mechanism),
            ("lib/Planted.cs", $$"""
                using TorchSharp;
                using TorchSharp.Modules;
                using static TorchSharp.torch;
                using static TorchSharp.torch.nn;
                public static class Planted
                {
                    public static void Run(Tensor a, Tensor b)
                    {
                        {{body}}
                    }
                }
                """),
        ]).Where(f => f.File == "lib/Planted.cs").ToList();

    [Theory]
    [InlineData("a.mul(2.0);", "converts Double to a temporary TorchSharp.Scalar")]
    [InlineData("a.masked_fill(b, 0);", "converts Int32 to a temporary TorchSharp.Scalar")]
    [InlineData("var s = 3.ToScalar();", "makes a TorchSharp.Scalar")]
    [InlineData("a.add(b);", "Tensor.add(Tensor) -> Scalar.op_Implicit(Int32)")]
    [InlineData("var c = a + b;", "Tensor.op_Addition(Tensor, Tensor) -> Tensor.add(Tensor)")]
    [InlineData("var c = a * 0.5;", "Tensor.op_Multiply(Tensor, Double) -> Scalar.op_Implicit(Double)")]
    [InlineData("a.add_(HeldScalars.One);", "Tensor.add_(Scalar) -> Scalar.op_Implicit(Int32)")]
    [InlineData("arange(HeldScalars.One, ScalarType.Int64);", "torch.arange(Scalar, Nullable`1, Device, Boolean)")]
    [InlineData("torch.optim.AdamW(new Parameter[] { new(a) }).step();", "AdamW.step(Func`1) -> AdamW.<step>")]
    [InlineData("Module<Tensor, Tensor> norm = nn.BatchNorm1d(4); norm.forward(a);", "BatchNorm.forward(Tensor)")]
    public void Scan_flags_a_planted_temporary_Scalar_with_its_cause(string code, string expected)
    {
        var findings = ScanPlanted(code);
        Assert.Contains(findings, f => f.Problem.Contains(expected));
        Assert.All(findings, f => Assert.Equal(9, f.Line));
    }

    [Theory]
    [InlineData("a.mul(HeldScalars.Half);")]
    [InlineData("a.add(b, HeldScalars.One); a.add_(b, alpha: HeldScalars.One);")]
    [InlineData("var c = a - b; var d = a * b; var e = -a;")]
    [InlineData("arange(HeldScalars.One, HeldScalars.Half, HeldScalars.One, ScalarType.Float32);")]
    [InlineData("nn.utils.clip_grad_norm_(new Parameter[] { new(a) }, 1.0); nn.functional.cross_entropy(a, b);")]
    public void Scan_accepts_held_scalars_and_members_without_hidden_temporaries(string code) =>
        Assert.Empty(ScanPlanted(code));

    [Fact]
    public void Scan_lets_only_the_mechanism_file_make_Scalars() =>
        Assert.Empty(ScalarTemporaryScan.ScanSources([(ScalarTemporaryScan.MechanismFile, Mechanism)]));
}
