// Refuses a value-taking flag given without its value, before Spectre parses. Spectre.Console.Cli 0.57 binds a
// trailing `--name` (or one followed by another flag) to the placeholder "__default_command" and runs the command:
// `train --name` started a 200-step run named "__default_command".
using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace Grpo.Cli;

static class MissingFlagValues
{
    /// <summary>The first flag of <paramref name="args"/> that takes a value in the commands' settings but has none.</summary>
    public static string? Find(IReadOnlyList<string> args)
    {
        var valued = typeof(MissingFlagValues).Assembly.GetTypes()
            .Where(t => typeof(CommandSettings).IsAssignableFrom(t))
            .SelectMany(t => t.GetProperties())
            .Where(p => p.PropertyType != typeof(bool) && p.PropertyType != typeof(bool?))
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .OfType<CommandOptionAttribute>()
            .SelectMany(o => o.LongNames.Select(n => "--" + n).Concat(o.ShortNames.Select(n => "-" + n)))
            .ToHashSet();
        for (int i = 0; i < args.Count; i++)
            if (valued.Contains(args[i]) && (i == args.Count - 1 || IsFlag(args[i + 1])))
                return args[i];
        return null;
    }

    // "-1" and "-0.5" are values (negative numbers); "--x" and "-x" are flags.
    static bool IsFlag(string token) =>
        token.StartsWith('-') && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
