// Stopping the long commands (train, pipeline): Ctrl-C (SIGINT) and SIGTERM (what `kill`, systemd and container
// runtimes send) both stop at the next step, and the command says where it stopped and how to continue; the
// checkpoints stay intact. The same signal a second time ends the process at once.
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Grpo.Cli;

public sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource source;
    readonly PosixSignalRegistration? term;

    StopSignals(CancellationToken outer)
    {
        source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancelKey;
        // Without this, .NET ends the process on SIGTERM after running its exit handlers: the step in flight is lost
        // and nothing says where the run stands.
        if (!OperatingSystem.IsWindows()) term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerm);
    }

    /// <summary>Cancelled on the first Ctrl-C or SIGTERM (or when <paramref name="outer"/> is).</summary>
    public CancellationToken Token => source.Token;

    /// <summary>The exit code of a stopped command: 128 + the signal's number, as a shell reports it (130 for Ctrl-C,
    /// 143 for SIGTERM).</summary>
    public int ExitCode { get; private set; } = 130;

    public static StopSignals Listen(CancellationToken outer) => new(outer);

    void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        if (source.IsCancellationRequested) return;   // the second press: the default, end the process
        e.Cancel = true;
        Stop("Ctrl-C", 130, "press it again to quit at once");
    }

    void OnTerm(PosixSignalContext context)
    {
        if (source.IsCancellationRequested) return;   // the second SIGTERM: the default, end the process
        context.Cancel = true;
        Stop("SIGTERM", 143, "send it again to quit at once");
    }

    void Stop(string signal, int exitCode, string again)
    {
        ExitCode = exitCode;
        source.Cancel();
        AnsiConsole.MarkupLine($"[yellow]{signal}: stopping after the current step ({again})…[/]");
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKey;
        term?.Dispose();
        source.Dispose();
    }
}
