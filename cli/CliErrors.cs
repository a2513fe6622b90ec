// How the CLI reports a failure. Bad input (BadInputException, and the file-format and I/O errors the library raises
// with the file named) is one line on stderr and exit code 1, no stack trace; so is a flag value that does not convert
// (--max-steps abc), named with its flag; any other flag or command Spectre cannot parse keeps Spectre's own message
// (which points at it), also exit code 1; anything else is a bug and shows its stack trace (exit code 255).
using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli;

static partial class CliErrors
{
    public const int BadInputExitCode = 1;

    /// <param name="args">The command line, to name the flag of a value that does not convert.</param>
    public static int Handle(Exception exception, ITypeResolver? resolver, IReadOnlyList<string> args)
    {
        var e = Unwrap(exception);
        if (e is CommandAppException && ConversionError(e.Message, args) is { } line)
        {
            Console.Error.WriteLine($"error: {line}");
            return BadInputExitCode;
        }
        if (e is CommandAppException app)
        {
            // An unknown command or flag (Spectre's message points at it) or a failed settings check: user errors.
            if (app.Pretty is { } pretty) AnsiConsole.Console.Write(pretty);
            else Console.Error.WriteLine($"error: {OneLine(app.Message)}");
            return BadInputExitCode;
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

    // Spectre names the value and the property type ("Failed to convert 'abc' to Nullable`1."), not the flag.
    [GeneratedRegex(@"^Failed to convert '(?<value>.*)' to ")]
    private static partial Regex ConversionFailed();

    /// <summary>"--max-steps: 'abc' is not a whole number" for Spectre's conversion error, finding the flag that was given
    /// the value on the command line (--flag VALUE or --flag=VALUE); null for any other error.</summary>
    static string? ConversionError(string message, IReadOnlyList<string> args)
    {
        var m = ConversionFailed().Match(message);
        if (!m.Success) return null;
        var value = m.Groups["value"].Value;
        var given = new List<(string Flag, Type? Type)>();
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith('-')) continue;
            int eq = args[i].IndexOf('=');
            var (flag, flagValue) = eq > 0 ? (args[i][..eq], args[i][(eq + 1)..]) : (args[i], i + 1 < args.Count ? args[i + 1] : null);
            if (flagValue == value) given.Add((flag, OptionType(flag)));
        }
        // A string flag given the same text converts; the one that failed wants another type.
        var (failed, type) = given.FirstOrDefault(g => g.Type is not null && g.Type != typeof(string));
        if (failed is null) return null;
        string expected = type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(double) || type == typeof(float) ? "a number" : $"a {type!.Name}";
        return $"{failed}: '{value}' is not {expected}";
    }

    /// <summary>The value type of the option named <paramref name="flag"/> in any command's settings.</summary>
    static Type? OptionType(string flag) => typeof(CliErrors).Assembly.GetTypes()
        .Where(t => typeof(CommandSettings).IsAssignableFrom(t))
        .SelectMany(t => t.GetProperties())
        .Where(p => p.GetCustomAttribute<CommandOptionAttribute>() is { } o
                    && (o.LongNames.Any(n => "--" + n == flag) || o.ShortNames.Any(n => "-" + n == flag)))
        .Select(p => Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType)
        .FirstOrDefault();

    static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
