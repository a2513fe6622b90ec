// `score`: adds format_reward, equation_reward, gen_calculation and answer to every line of a completions JSONL.
using System.ComponentModel;
using Grpo.Countdown;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class ScoreCommand : Command<ScoreCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--input <FILE>"), Description("JSONL, one {\"completion\", \"nums\", \"target\"} per line.")]
        public string Input { get; init; } = "";

        [CommandOption("--output <FILE>"), Description("JSONL with the input fields plus the rewards, same order.")]
        public string Output { get; init; } = "";

        public override ValidationResult Validate() =>
            Input.Length == 0 || Output.Length == 0
                ? ValidationResult.Error("Both --input and --output are required.")
                : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A bad line throws naming the file and line (CliErrors prints it); nothing is written then.
        int count = CompletionScoring.ScoreFile(settings.Input, settings.Output);
        AnsiConsole.MarkupLine($"scored {count} completions -> {Markup.Escape(settings.Output)}");
        return 0;
    }
}
