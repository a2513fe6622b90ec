// Data steps of the notebooks as single calls: real Countdown-Tasks-3to4 files when present, else generated
// problems; the seeded train/test split written as Parquet (the same split the `data` command writes).
using Grpo.Countdown;

namespace Grpo.Notebook;

public sealed record ProblemSet(IReadOnlyList<CountdownProblem> Problems, string Source)
{
    public override string ToString() => $"{Problems.Count} problems ({Source})";
}

public static class NotebookData
{
    /// <summary>Every *.parquet in <paramref name="realDataDir"/> (Countdown-Tasks-3to4 schema) when the folder holds
    /// any; otherwise <paramref name="count"/> problems generated with the seed from the named distribution.</summary>
    public static ProblemSet LoadOrGenerate(string realDataDir, int count, int seed, string distribution)
    {
        var files = Directory.Exists(realDataDir) ? Directory.GetFiles(realDataDir, "*.parquet").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length > 0)
            return new ProblemSet(files.SelectMany(CountdownParquet.Read).ToList(), $"read from {string.Join(", ", files.Select(Path.GetFileName))}");
        var d = ProblemDistribution.ByName(distribution);
        return new ProblemSet(ProblemGenerator.Generate(count, seed, d), $"generated: distribution {d.Name}, seed {seed}; no Parquet files in {realDataDir}");
    }

    /// <summary>Splits with the seed and writes train.parquet and test.parquet into <paramref name="outDir"/>.</summary>
    public static (string TrainPath, string TestPath) WriteSplit(IReadOnlyList<CountdownProblem> problems, int testSize, int seed, string outDir)
    {
        var (train, test) = DatasetSplit.Split(problems, testSize, seed);
        string trainPath = Path.Combine(outDir, "train.parquet"), testPath = Path.Combine(outDir, "test.parquet");
        CountdownParquet.Write(trainPath, train);
        CountdownParquet.Write(testPath, test);
        return (trainPath, testPath);
    }

    /// <summary>Makes sure a test set exists: when <paramref name="testFile"/> is missing, generates <paramref name="count"/>
    /// problems and writes the split beside it (what notebook 01 does), so each notebook also runs on its own.</summary>
    public static string EnsureTestFile(string testFile, int count, int testSize, int seed, string distribution)
    {
        if (File.Exists(testFile)) return $"test set: {testFile}";
        var set = LoadOrGenerate("", count, seed, distribution);
        WriteSplit(set.Problems, testSize, seed, Path.GetDirectoryName(Path.GetFullPath(testFile))!);
        if (Path.GetFileName(testFile) != "test.parquet")
            File.Copy(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(testFile))!, "test.parquet"), testFile, overwrite: true);
        return $"test set: {testFile} (written now: {set.Source})";
    }
}
