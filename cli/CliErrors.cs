// How the CLI reports a failure. Bad input (BadInputException, and the file-format and I/O errors the library raises
// with the file named) is one line on stderr and exit code 1, no stack trace; a flag Spectre cannot parse keeps
// Spectre's own message; anything else is a bug and shows its stack trace.
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli;

static class CliErrors
{
    public const int BadInputExitCode = 1;

    public static int Handle(Exception exception, ITypeResolver? resolver)
    {
        var e = Unwrap(exception);
        if (e is CommandAppException app)
        {
            if (app.Pretty is { } pretty) AnsiConsole.Console.Write(pretty);
            else Console.Error.WriteLine($"error: {OneLine(app.Message)}");
            return -1;
        }
        if (IsBadInput(e))
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return BadInputExitCode;
        }
        AnsiConsole.WriteException(e, ExceptionFormats.ShortenEverything);
        return -1;
    }

    /// <summary>Errors whose message says what input is wrong: the library's one type for bad input, plus the
    /// standard exceptions it raises for unreadable files (every message names the file).</summary>
    public static bool IsBadInput(Exception e) =>
        e is BadInputException or InvalidDataException or FormatException or IOException or UnauthorizedAccessException;

    static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
