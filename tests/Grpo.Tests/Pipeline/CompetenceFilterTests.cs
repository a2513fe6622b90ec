// The edge-of-competence filter: base success counts made once (k samples per problem), cached beside the data under
// a key of everything they depend on, and only problems whose rate lies in competence_band kept.
using System.Text.Json;
using Grpo.Countdown;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Pipeline;

public sealed class CompetenceFilterTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-competence").FullName;
    public void Dispose() => Directory.Delete(root, true);

    static readonly IReadOnlyList<CountdownProblem> Pool =
        [new([18, 5, 4], 94), new([2, 5, 12], 15), new([6, 13, 5], 71), new([20, 4, 16], 1), new([3, 1, 19], 21)];

    CountdownRunConfig Config(string modelDir, double[]? band, float temperature = 1f) => CountdownRunConfig.Tiny with
    {
        Grpo = GrpoConfig.Tiny with { ModelNameOrPath = modelDir, OutputDir = Path.Combine(root, "run"), MaxCompletionLength = 24, Temperature = temperature },
        Task = CountdownTaskConfig.Easy with { CompetenceBand = band, CompetenceSamples = 4, CompetenceProblems = Pool.Count },
    };

    string FakeModel()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "fake-model")).FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), [1, 2, 3]);
        return dir;
    }

    void Plant(CountdownRunConfig config, int[] successes)
    {
        var path = CompetenceFilter.CachePath(Pool, config, root);
        File.WriteAllText(path, JsonSerializer.Serialize(new CompetenceCounts("m", "x", "y", 4, 1, 24, "chinese", 42, successes)));
    }

    [Fact]
    public void Keeps_exactly_the_problems_whose_base_rate_lies_in_the_band_in_their_order()
    {
        var config = Config(FakeModel(), [0.25, 0.75]);
        Plant(config, [0, 1, 4, 3, 2]);
        Assert.Equal([Pool[1], Pool[3], Pool[4]], CompetenceFilter.Apply(Pool, config, root));
    }

    [Fact]
    public void A_band_no_problem_is_in_is_an_error_naming_it()
    {
        var config = Config(FakeModel(), [0.9, 0.95]);
        Plant(config, [0, 1, 4, 3, 2]);
        var e = Assert.Throws<BadInputException>(() => CompetenceFilter.Apply(Pool, config, root));
        Assert.Contains("competence_band", e.Message);
    }

    [Fact]
    public void The_cache_key_changes_with_the_sampling_settings_and_the_weights()
    {
        var model = FakeModel();
        var a = CompetenceFilter.CachePath(Pool, Config(model, [0, 1]), root);
        Assert.NotEqual(a, CompetenceFilter.CachePath(Pool, Config(model, [0, 1], temperature: 0.7f), root));
        Assert.NotEqual(a, CompetenceFilter.CachePath(Pool.Take(4).ToList(), Config(model, [0, 1]), root));
        File.WriteAllBytes(Path.Combine(model, "model.safetensors"), [1, 2, 4]);
        Assert.NotEqual(a, CompetenceFilter.CachePath(Pool, Config(model, [0, 1]), root));
    }

    [Fact]
    public void Counts_are_sampled_from_the_model_once_then_read_from_the_cache()
    {
        var config = Config(Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny"), [0, 1]);
        var counts = CompetenceFilter.Counts(Pool, config, root);
        Assert.Equal(Pool.Count, counts.Successes.Count);
        Assert.All(counts.Successes, s => Assert.InRange(s, 0, 4));
        var path = CompetenceFilter.CachePath(Pool, config, root);
        Assert.True(File.Exists(path));
        // A second call reads the file: planted counts come back unchanged.
        File.WriteAllText(path, JsonSerializer.Serialize(counts with { Successes = [4, 3, 2, 1, 0] }));
        Assert.Equal([4, 3, 2, 1, 0], CompetenceFilter.Counts(Pool, config, root).Successes);
    }

    [Fact]
    public void A_run_with_a_band_trains_on_the_problems_in_it_and_logs_the_split()
    {
        var trainFile = Path.Combine(root, "train.parquet");
        CountdownParquet.Write(trainFile, Pool);
        var config = Config(Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny"), [0.25, 0.75]);
        config = config with { Task = config.Task with { TrainFile = trainFile } };
        var cacheDir = CompetenceFilter.CacheDirFor(trainFile, config.Grpo.Run.Root);
        Assert.Equal(trainFile + ".competence", cacheDir);
        Directory.CreateDirectory(cacheDir);
        File.WriteAllText(CompetenceFilter.CachePath(Pool, config, cacheDir),
            JsonSerializer.Serialize(new CompetenceCounts("m", "x", "y", 4, 1, 24, "chinese", 42, [4, 2, 0, 1, 3])));

        var task = CountdownRun.Task(config);   // a fresh run folder: nothing of it exists yet
        Assert.Equal([Pool[1], Pool[3], Pool[4]], task.Prompts.Select(p => (CountdownProblem)p.Example!));
        Assert.Contains("competence band [0.25, 0.75]: 3 of 5 problems", File.ReadAllText(config.Grpo.Run.LogPath));
    }

    [Theory]
    [InlineData("[0.8, 0.2]")]
    [InlineData("[0.1]")]
    [InlineData("[-0.1, 0.5]")]
    public void A_bad_band_is_refused_naming_the_field(string band)
    {
        var e = Assert.Throws<BadInputException>(() => CountdownRunConfig.Overlay(CountdownRunConfig.Tiny, $"{{\"competence_band\": {band}}}", "my.json"));
        Assert.Contains("competence_band", e.Message);
    }
}
