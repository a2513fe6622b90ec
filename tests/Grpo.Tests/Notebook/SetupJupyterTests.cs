// notebooks/setup-jupyter.sh on a machine that lacks `jupyter kernelspec` (Debian's jupyter-client): it stops before
// changing anything and names the package to install, instead of failing half-way in the kernel installer.
using System.Diagnostics;
using Xunit;

namespace Grpo.Tests.Notebook;

public sealed class SetupJupyterTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-setup-jupyter-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static string? OnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [Fact]
    public void Without_jupyter_kernelspec_it_names_the_package_and_changes_nothing()
    {
        // A PATH with the tools the script may call before its checks, and the Jupyter commands this machine has,
        // but no jupyter-kernelspec.
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        foreach (var tool in new[] { "dirname", "grep", "dotnet", "python3", "jupyter", "jupyter-nbconvert" })
            if (OnPath(tool) is { } path) File.CreateSymbolicLink(Path.Combine(bin, tool), path);
        var home = Directory.CreateDirectory(Path.Combine(dir, "home")).FullName;

        var start = new ProcessStartInfo(OnPath("bash") ?? "/bin/bash")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "notebooks", "setup-jupyter.sh"));
        start.Environment["PATH"] = bin;
        start.Environment["HOME"] = home;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("missing, nothing was changed", stderr.Result);
        Assert.Contains("jupyter kernelspec (jupyter-kernelspec not on PATH): Debian/Ubuntu: apt-get install jupyter-client", stderr.Result);
        Assert.Contains("sudo apt-get install jupyter-client jupyter-nbconvert", stderr.Result);
        Assert.DoesNotContain("== 1.", stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(home));
    }
}
