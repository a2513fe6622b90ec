// `aha`: extracts aha-moment phrases and recoveries from a run's completion samples and eval records into aha.jsonl,
// prints counts per step.
using System.ComponentModel;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;
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

        [CommandOption("--markers <PATH>"), Description("reasoning_markers.json, or a model folder holding one (default: the run's base model's).")]
        public string? Markers { get; init; }

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
        if (settings.Phrase.FirstOrDefault(string.IsNullOrWhiteSpace) is { } blank)
            throw new BadInputException($"--phrase: \"{blank}\" is blank; give the text to search for");
        var run = settings.Run is null ? null : new RunFolder(settings.Run);
        var markers = settings.Markers is { } m ? ReasoningMarkers.FromPath(m, "--markers")
            : run is not null ? RunCheckpoints.Markers(run) : ReasoningMarkers.Default;
        if (settings.Phrase.Length > 0) markers = markers with { Phrases = settings.Phrase };
        var config = new AhaConfig(markers);
        if (settings.Context is int c) config = config with { ContextChars = c };
        config.Validate();   // before reading any file
        var outPath = settings.Out ?? run?.AhaPath ?? RunFolder.AhaFileName;
        AhaExtractor.CheckOutputs(outPath, settings.Out is null ? "aha output" : "--out");

        var docs = run is not null ? AhaExtractor.RunDocuments(run) : AhaExtractor.FileDocuments(settings.Input);
        var result = AhaExtractor.Extract(docs, config);
        AhaExtractor.Write(result, outPath);

        var table = new Table().Title("Aha-moment phrases and recoveries per step")
            .AddColumns("source", "step", "texts", "with hit", "rate", "hits", "recoveries", "per 100", "top phrases");
        foreach (var row in result.Counts)
        {
            var top = string.Join(", ", row.PerPhrase.Where(p => p.Value > 0).OrderByDescending(p => p.Value).Take(4)
                .Select(p => $"{p.Key} {p.Value}"));
            table.AddRow(Markup.Escape(row.Source), row.Step.ToString(), row.Completions.ToString(),
                row.CompletionsWithHit.ToString(), row.HitRate.ToString("P1"), row.Hits.ToString(), row.Recoveries.ToString(),
                row.RecoveriesPer100.ToString("F1"), Markup.Escape(top));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{result.Hits.Count} hits ({result.Hits.Count(h => h.Kind == AhaExtractor.RecoveryKind)} recoveries) " +
            $"in {docs.Count} texts -> [green]{Markup.Escape(outPath)}[/]");
        return 0;
    }
}
