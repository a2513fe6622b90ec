// reasoning_markers.json: a model folder names its own verdict words; the tiny model's file is what its builder writes;
// a run's checkpoints read completions with their base model's markers; bad files fail naming file and field.
using Grpo.Training;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Tiny;
using Xunit;

namespace Grpo.Tests.Countdown;

public class ReasoningMarkersTests
{
    static readonly string TinyDir = Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");

    [Fact]
    public void The_committed_tiny_model_names_the_verdicts_its_traces_write()
    {
        var markers = ReasoningMarkers.ForModel(TinyDir);
        Assert.Equal(["no"], markers.RejectMarkers);
        Assert.Equal(["ok"], markers.AcceptMarkers);
        Assert.Equal(ReasoningMarkers.Default.Phrases, markers.Phrases);

        // The builder writes exactly the committed file, so a rebuild leaves the folder as it is.
        var dir = Directory.CreateTempSubdirectory("markers-").FullName;
        try
        {
            ColdStartTraces.Markers.Save(dir);
            Assert.Equal(File.ReadAllText(Path.Combine(TinyDir, ReasoningMarkers.FileName)), File.ReadAllText(Path.Combine(dir, ReasoningMarkers.FileName)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_folder_without_the_file_gets_the_default_phrases_and_no_verdicts()
    {
        var dir = Directory.CreateTempSubdirectory("markers-").FullName;
        try { Assert.Same(ReasoningMarkers.Default, ReasoningMarkers.ForModel(dir)); }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Fields_left_out_of_the_file_keep_their_defaults_and_phrases_given_replace_them()
    {
        var dir = Directory.CreateTempSubdirectory("markers-").FullName;
        try
        {
            var path = Path.Combine(dir, ReasoningMarkers.FileName);
            File.WriteAllText(path, "{\"reject_markers\": [\"不对\"]}");
            var m = ReasoningMarkers.ForModel(dir);
            Assert.Equal(["不对"], m.RejectMarkers);
            Assert.Empty(m.AcceptMarkers);
            Assert.Equal(ReasoningMarkers.Default.Phrases, m.Phrases);

            File.WriteAllText(path, "{\"phrases\": [\"oops\"]}");
            Assert.Equal(["oops"], ReasoningMarkers.ForModel(dir).Phrases);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("{\"reject_markers\": [\" \"]}", "reject_markers contains a blank entry")]
    [InlineData("{\"reject_markers\": [\"no\"], \"accept_markers\": [\"NO\"]}", "'no' is both a reject and an accept marker")]
    [InlineData("{\"phrases\": [], \"reject_markers\": []}", "no phrases and no reject_markers")]
    [InlineData("{\"reject\": [\"no\"]}", "not a reasoning markers file")]
    [InlineData("[1, 2]", "not a reasoning markers file")]
    public void A_bad_file_is_an_error_naming_the_file_and_what_is_wrong(string json, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("markers-").FullName;
        try
        {
            var path = Path.Combine(dir, ReasoningMarkers.FileName);
            File.WriteAllText(path, json);
            var e = Assert.Throws<InvalidDataException>(() => ReasoningMarkers.ForModel(dir));
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Checkpoints_of_a_run_read_with_their_base_models_markers()
    {
        var root = Directory.CreateTempSubdirectory("markers-run-").FullName;
        try
        {
            var baseDir = Path.Combine(root, "models", "m");
            Directory.CreateDirectory(baseDir);
            File.WriteAllText(Path.Combine(baseDir, ReasoningMarkers.FileName), "{\"reject_markers\": [\"nope\"]}");
            var run = Path.Combine(root, "runs", "r");
            var checkpoint = Path.Combine(run, "checkpoints", "checkpoint-50");
            Directory.CreateDirectory(checkpoint);
            File.WriteAllText(Path.Combine(run, "config.json"), "{\"model_name_or_path\": \"" + baseDir.Replace("\\", "\\\\") + "\"}");

            Assert.Equal(["nope"], RunCheckpoints.Markers(new RunFolder(run)).RejectMarkers);
            Assert.Equal(["nope"], RunCheckpoints.MarkersForModel(checkpoint).RejectMarkers);
            Assert.Same(ReasoningMarkers.Default, RunCheckpoints.MarkersForModel(root));   // no file, not a checkpoint
        }
        finally { Directory.Delete(root, true); }
    }
}
