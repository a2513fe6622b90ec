// The project's data folders: a seeded, generated train/test split per distribution (data/countdown/<name>/).
namespace Grpo.Countdown;

public sealed record CountdownDataSpec(string Distribution, int Count, int TestSize, int Seed)
{
    /// <summary>What a tiny model trains on: 20k problems of 3 numbers 1-20, 500 held out.</summary>
    public static readonly CountdownDataSpec Easy = new("easy", 20500, 500, 42);
    /// <summary>The Countdown-Tasks-3to4-like distribution, for comparison (and the default for real models).</summary>
    public static readonly CountdownDataSpec Full = new("full", 20500, 500, 42);

    public static CountdownDataSpec ByName(string distribution) => distribution.ToLowerInvariant() switch
    {
        "easy" => Easy,
        "full" => Full,
        _ => throw new BadInputException($"Unknown distribution '{distribution}'; use easy or full."),
    };
}

public sealed record CountdownDataFiles(string TrainFile, string TestFile);

public static class CountdownData
{
    public static CountdownDataFiles FilesIn(string dataRoot, string distribution) => new(
        Path.Combine(dataRoot, distribution, "train.parquet"), Path.Combine(dataRoot, distribution, "test.parquet"));

    /// <summary>Writes the seeded split into dataRoot/&lt;distribution&gt;/ unless both files already exist.</summary>
    public static CountdownDataFiles Ensure(string dataRoot, CountdownDataSpec spec)
    {
        var files = FilesIn(dataRoot, spec.Distribution);
        if (File.Exists(files.TrainFile) && File.Exists(files.TestFile)) return files;
        var all = ProblemGenerator.Generate(spec.Count, spec.Seed, ProblemDistribution.ByName(spec.Distribution));
        var (train, test) = DatasetSplit.Split(all, spec.TestSize, spec.Seed);
        CountdownParquet.Write(files.TrainFile, train);
        CountdownParquet.Write(files.TestFile, test);
        return files;
    }

    /// <summary>Identity of a problem for de-duplication: the multiset of numbers and the target.</summary>
    public static string Key(CountdownProblem p) => string.Join(",", p.Nums.Order()) + "=" + p.Target;
}
