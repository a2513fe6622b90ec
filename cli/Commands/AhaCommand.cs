// `aha`: extracts aha-moment phrases from a run's completion samples and eval records into aha.jsonl, prints counts per step.
using System.ComponentModel;
using Grpo.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class AhaCommand : Command<AhaCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--run <DIR>"), Description("Run folder: reads completion_samples/*.txt and eval/*.json, writes aha.jsonl there.")]
        public string? Run { get; init; }

        [CommandOption("--input <FILE>"), Description("Completion samples .txt or eval .json file (repeatable) instead of --run.")]
        public string[] Input { get; init; } = [];

        [CommandOption("--out <FILE>"), Description("Output aha.jsonl (default: <run>/aha.jsonl, or ./aha.jsonl with --input).")]
        public string? Out { get; init; }

        [CommandOption("--phrase <TEXT>"), Description("Phrase to search for (repeatable); replaces the default list.")]
        public string[] Phrase { get; init; } = [];

        [CommandOption("--context <CHARS>"), Description("Characters kept on each side of a hit (default 60).")]
        public int? Context { get; init; }

        public override ValidationResult Validate() =>
            (Run is null) == (Input.Length == 0)
                ? ValidationResult.Error("Give either --run DIR or one or more --input FILE.")
                : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = AhaConfig.Default;
        if (settings.Phrase.Length > 0) config = config with { Phrases = settings.Phrase };
        if (settings.Context is int c) config = config with { ContextChars = c };
        config.Validate();   // before reading any file

        var docs = settings.Run is not null ? AhaExtractor.RunDocuments(settings.Run) : AhaExtractor.FileDocuments(settings.Input);
        var result = AhaExtractor.Extract(docs, config);
        var outPath = settings.Out ?? (settings.Run is not null ? Path.Combine(settings.Run, "aha.jsonl") : "aha.jsonl");
        AhaExtractor.Write(result, outPath);

        var table = new Table().Title("Aha-moment phrases per step")
            .AddColumns("source", "step", "texts", "with hit", "rate", "hits", "top phrases");
        foreach (var row in result.Counts)
        {
            var top = string.Join(", ", row.PerPhrase.Where(p => p.Value > 0).OrderByDescending(p => p.Value).Take(4)
                .Select(p => $"{p.Key} {p.Value}"));
            table.AddRow(Markup.Escape(row.Source), row.Step.ToString(), row.Completions.ToString(),
                row.CompletionsWithHit.ToString(), row.HitRate.ToString("P1"), row.Hits.ToString(), Markup.Escape(top));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{result.Hits.Count} hits in {docs.Count} texts -> [green]{Markup.Escape(outPath)}[/]");
        return 0;
    }
}
