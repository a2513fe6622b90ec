// A real `grpo serve` process (grpo.dll, built beside the tests) on a loopback port: started, waited for until it prints
// where it listens, and killed by its own process id.
using System.Diagnostics;
using Xunit;

namespace Grpo.Tests.Serving;

public sealed class ServeProcess : IDisposable
{
    readonly Process process;
    readonly List<string> output = [];

    public string Url { get; }
    public int Port => new Uri(Url).Port;

    ServeProcess(Process process, string url)
    {
        this.process = process;
        Url = url;
    }

    public static string TinyModel => Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");

    /// <summary>Starts the server (port 0: a free one) and waits until it listens; the environment is the tests' own,
    /// so it runs with the same torch threads (OMP_NUM_THREADS) as the tests' in-process generator.</summary>
    public static ServeProcess Start(string? adaptersRoot = null, int port = 0, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        foreach (var a in new[] { "serve", "--model", TinyModel, "--port", port.ToString() }) start.ArgumentList.Add(a);
        if (adaptersRoot is not null) { start.ArgumentList.Add("--adapters-root"); start.ArgumentList.Add(adaptersRoot); }
        foreach (var a in extra) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        var process = Process.Start(start)!;
        var lines = new List<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { listening.TrySetException(new InvalidOperationException("grpo serve ended:\n" + string.Join("\n", lines))); return; }
            lock (lines) lines.Add(e.Data);
            int at = e.Data.IndexOf("listening on http://", StringComparison.Ordinal);
            if (at >= 0) listening.TrySetResult(e.Data[(at + "listening on ".Length)..].Split([',', ';', ' '])[0]);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("grpo serve did not start listening within 120 s:\n" + string.Join("\n", lines));
        }
        var server = new ServeProcess(process, listening.Task.Result);
        lock (lines) server.output.AddRange(lines);
        return server;
    }

    public bool Running => !process.HasExited;

    /// <summary>Ends the server at once, as a crash would.</summary>
    public void Kill()
    {
        if (process.HasExited) return;
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
