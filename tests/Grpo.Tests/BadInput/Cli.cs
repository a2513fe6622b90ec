// Runs the real command line (grpo.dll, built beside the tests) in a fresh working folder and checks the bad-input
// contract: one "error: ..." line on stderr naming the input, exit code 1, no stack trace, nothing written.
using System.Diagnostics;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

public sealed class Cli : IDisposable
{
    /// <summary>An empty working folder: a relative runs/ or output path lands here.</summary>
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("grpo-cli-").FullName;

    public static string TinyModel => Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");
    public static string EasyTest => Path.Combine(TestPaths.RepoRoot, "data", "countdown", "easy", "test.parquet");

    IReadOnlyDictionary<string, string> before = new Dictionary<string, string>();

    public CliResult Run(params string[] args)
    {
        before = Snapshot();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"grpo {string.Join(' ', args)} did not finish within 3 minutes");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Exit code 1, exactly one line on stderr that starts with "error:" and contains every fragment, no
    /// stack trace anywhere, and the working folder exactly as before the run (nothing half-written, nothing lost).</summary>
    public CliResult AssertCleanError(CliResult r, params string[] fragments)
    {
        var all = r.Stdout + r.Stderr;
        Assert.False(all.Contains("   at ") || all.Contains("Exception"), $"stack trace or exception name in the output:\n{all}");
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one error line on stderr, got:\n{r.Stderr}\nstdout:\n{r.Stdout}");
        Assert.StartsWith("error: ", lines[0]);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(before, Snapshot());
        return r;
    }

    /// <summary>Every file and folder under the working folder with a hash of its content.</summary>
    public IReadOnlyDictionary<string, string> Snapshot() =>
        Directory.GetFileSystemEntries(WorkDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToDictionary(
            p => Path.GetRelativePath(WorkDir, p),
            p => File.Exists(p) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(ReadBytes(p))) : "folder");

    /// <summary>A file's bytes, also while another process holds an exclusive flock on it (a run.lock): .NET takes a
    /// shared flock to read a file and fails then, `cat` takes none.</summary>
    public static byte[] ReadBytes(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (IOException) when (File.Exists(path))
        {
            using var cat = Process.Start(new ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true })!;
            using var bytes = new MemoryStream();
            cat.StandardOutput.BaseStream.CopyTo(bytes);
            cat.WaitForExit();
            return bytes.ToArray();
        }
    }

    public void Dispose() => Directory.Delete(WorkDir, recursive: true);
}
