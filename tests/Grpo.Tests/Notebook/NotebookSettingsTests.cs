// notebooks/settings.json, which notebooks 02-05 share: the committed file reads, paths in a file are relative to that
// file, and a file missing a field, naming an unknown one or holding a bad value is one error naming file and field.
using Grpo.Notebook;
using Xunit;

namespace Grpo.Tests.Notebook;

public sealed class NotebookSettingsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-notebook-settings-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    const string Complete = """
        {"model_dir": "models/tiny", "test_file": "/data/test.parquet", "run_dir": "runs/a", "num_problems": 8,
         "samples": 0, "max_steps": 4, "save_steps": 2, "device": "cpu", "dtype": "float32", "seed": 7}
        """;

    string Write(string json, string name = "settings.json")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void The_committed_settings_read_and_point_into_the_repository()
    {
        var notebooks = Path.Combine(TestPaths.RepoRoot, "notebooks");
        var s = NotebookSettings.Load(Path.Combine(notebooks, NotebookSettings.FileName));
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny"), Path.GetFullPath(s.ModelDir));
        Assert.True(File.Exists(s.TestFile), s.TestFile);
        Assert.Equal(Path.Combine(TestPaths.RepoRoot, "runs", "notebooks", "grpo-tiny"), Path.GetFullPath(s.RunDir));
        Assert.True(s.SaveSteps <= s.MaxSteps);
    }

    [Fact]
    public void Relative_paths_are_relative_to_the_file_and_absolute_ones_stay()
    {
        var s = NotebookSettings.Load(Write(Complete));
        Assert.Equal(Path.Combine(dir, "models", "tiny"), Path.GetFullPath(s.ModelDir));
        Assert.Equal(Path.Combine(dir, "runs", "a"), Path.GetFullPath(s.RunDir));
        Assert.Equal("/data/test.parquet", Path.GetFullPath(s.TestFile));
        Assert.Equal((8, 0, 4, 2, "cpu", "float32", 7), (s.NumProblems, s.Samples, s.MaxSteps, s.SaveSteps, s.Device, s.Dtype, s.Seed));
    }

    [Theory]
    [InlineData("\"seed\": 7}", "\"seed\": 7, \"learning_rate\": 1}", "unknown field 'learning_rate'")]
    [InlineData(", \"seed\": 7}", "}", "missing field seed")]
    [InlineData("\"num_problems\": 8", "\"num_problems\": 0", "field 'num_problems' must be a whole number >= 1 (got 0)")]
    [InlineData("\"max_steps\": 4", "\"max_steps\": 2.5", "field 'max_steps' must be a whole number >= 1 (got 2.5)")]
    [InlineData("\"run_dir\": \"runs/a\"", "\"run_dir\": \"\"", "field 'run_dir' must be a non-empty string")]
    [InlineData("\"seed\": 7}", "\"seed\": 7, \"seed\": 8}", "malformed JSON")]
    public void A_bad_file_is_one_error_naming_the_file_and_the_field(string replace, string with, string expected)
    {
        Assert.Contains(replace, Complete);
        var path = Write(Complete.Replace(replace, with));
        var e = Assert.Throws<BadInputException>(() => NotebookSettings.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_file_names_its_full_path()
    {
        var e = Assert.Throws<BadInputException>(() => NotebookSettings.Load(Path.Combine(dir, "nope.json")));
        Assert.Contains(Path.Combine(dir, "nope.json"), e.Message);
    }
}
