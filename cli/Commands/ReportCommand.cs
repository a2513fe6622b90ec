// `report`: writes runs/<name>/report.html (self-contained) from a run folder's eval, metrics, samples and aha files.
using System.ComponentModel;
using Grpo.Files;
using Grpo.Notebook;
using Grpo.Reports;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--run <DIR>"), Description("Run folder (e.g. runs/countdown-tiny); report.html is written there.")]
        public string Run { get; init; } = "";

        [CommandOption("--samples <N>"), Description("Sample completions shown in the table (default 12).")]
        public int Samples { get; init; } = 12;

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Run) ? ValidationResult.Error("Give --run DIR.")
            : Samples < 0 ? ValidationResult.Error($"--samples must be >= 0, got {Samples}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputPaths.RequireFolder(settings.Run, "--run");
        var run = new RunFolder(settings.Run);
        OutputPaths.CheckFile(run.ReportPath, "--run");
        var path = RunReport.Write(run, settings.Samples);
        foreach (var sentence in RunSummary.ForRun(run)?.Sentences ?? []) AnsiConsole.WriteLine(sentence);
        AnsiConsole.MarkupLine($"report: [green]{Markup.Escape(path)}[/] ({new FileInfo(path).Length / 1024} KiB)");
        return 0;
    }
}
