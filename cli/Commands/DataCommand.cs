// `data`: writes a seeded train/test Parquet split of generated Countdown problems, or splits real files (--from).
using System.ComponentModel;
using Grpo.Countdown;
using Grpo.Files;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class DataCommand : Command<DataCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--count <N>"), Description("Problems to generate (ignored with --from).")]
        [DefaultValue(2000)] public int Count { get; init; }

        [CommandOption("--test-size <N>"), Description("Problems held out in test.parquet.")]
        [DefaultValue(500)] public int TestSize { get; init; }

        [CommandOption("--seed <N>"), Description("Seed of the generator and of the split.")]
        [DefaultValue(42)] public int Seed { get; init; }

        [CommandOption("--distribution <NAME>"), Description("full (3-4 numbers of 1-99, like Countdown-Tasks-3to4) or easy (3 numbers of 1-20).")]
        [DefaultValue("full")] public string Distribution { get; init; } = "full";

        [CommandOption("--from <FILE>"), Description("Countdown-Tasks-3to4 Parquet file(s) to split instead of generating; repeat for several.")]
        public string[] From { get; init; } = [];

        [CommandOption("--out <DIR>"), Description("Output folder for train.parquet and test.parquet.")]
        [DefaultValue("data/countdown")] public string Out { get; init; } = "data/countdown";

        public override ValidationResult Validate()
        {
            if (From.Length == 0 && Count < 1) return ValidationResult.Error("--count must be at least 1.");
            if (From.Length == 0 && Count > ProblemGenerator.MaxCount)
                return ValidationResult.Error($"--count must be at most {ProblemGenerator.MaxCount:N0} (got {Count:N0}; Countdown-Tasks-3to4 has 490,364 rows).");
            if (TestSize < 0) return ValidationResult.Error("--test-size must not be negative.");
            if (From.Length == 0 && TestSize > Count) return ValidationResult.Error($"--test-size {TestSize} exceeds --count {Count}.");
            if (!ProblemDistribution.All.Any(d => string.Equals(d.Name, Distribution, StringComparison.OrdinalIgnoreCase)))
                return ValidationResult.Error($"--distribution must be one of: {string.Join(", ", ProblemDistribution.All.Select(d => d.Name))}.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string trainPath = Path.Combine(settings.Out, "train.parquet"), testPath = Path.Combine(settings.Out, "test.parquet");
        OutputPaths.CheckFolder(settings.Out, "--out");
        OutputPaths.CheckFile(trainPath, "--out");
        OutputPaths.CheckFile(testPath, "--out");
        IReadOnlyList<CountdownProblem> all;
        string source;
        if (settings.From.Length > 0)
        {
            all = settings.From.SelectMany(CountdownParquet.Read).ToList();
            source = string.Join(", ", settings.From);
            if (settings.TestSize > all.Count)
                throw new BadInputException($"--test-size {settings.TestSize} exceeds the {all.Count} problems in {source}.");
        }
        else
        {
            var distribution = ProblemDistribution.ByName(settings.Distribution);
            all = ProblemGenerator.Generate(settings.Count, settings.Seed, distribution);
            source = $"generated, distribution {distribution.Name}, seed {settings.Seed}";
        }

        var (train, test) = DatasetSplit.Split(all, settings.TestSize, settings.Seed);
        CountdownParquet.Write(trainPath, train);
        CountdownParquet.Write(testPath, test);

        var table = new Table().Title($"Countdown data ({Markup.Escape(source)})")
            .AddColumns("split", "problems", "3 numbers", "4 numbers", "numbers", "targets", "file");
        foreach (var (name, set, path) in new[] { ("train", train, trainPath), ("test", test, testPath) })
            table.AddRow(name, set.Count.ToString(), set.Count(p => p.Nums.Count == 3).ToString(),
                set.Count(p => p.Nums.Count == 4).ToString(), Range(set.SelectMany(p => p.Nums)),
                Range(set.Select(p => p.Target)), Markup.Escape(path));
        AnsiConsole.Write(table);
        return 0;
    }

    private static string Range(IEnumerable<int> values) =>
        values.Any() ? $"{values.Min()}..{values.Max()}" : "-";
}
