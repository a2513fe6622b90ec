// Ctrl-C for the long commands (train, pipeline, eval): the first press stops at the next step or batch and the
// command says where it stopped and how to continue; a second press ends the process at once.
using Spectre.Console;

namespace Grpo.Cli;

public sealed class CtrlC : IDisposable
{
    readonly CancellationTokenSource source;

    CtrlC(CancellationToken outer)
    {
        source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancel;
    }

    /// <summary>Cancelled on the first Ctrl-C (or when <paramref name="outer"/> is).</summary>
    public CancellationToken Token => source.Token;

    public static CtrlC Listen(CancellationToken outer) => new(outer);

    void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        if (source.IsCancellationRequested) return;   // the second press: the default, end the process
        e.Cancel = true;
        source.Cancel();
        AnsiConsole.MarkupLine("[yellow]Ctrl-C: stopping after the current step (press it again to quit at once)…[/]");
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        source.Dispose();
    }
}
