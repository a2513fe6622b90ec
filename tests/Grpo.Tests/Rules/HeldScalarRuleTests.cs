// The held-Scalar rule (docs/design-notes.md): no Scalar temporary reaches native code from lib/ or cli/.
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
}
