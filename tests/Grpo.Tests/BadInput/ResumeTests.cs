// Resuming a run whose files a crash left imperfect: a torn last metrics line is dropped, a damaged newest checkpoint
// is set aside (kept, never deleted) and the run continues from the previous one with a warning.
using Grpo.Notebook;
using Grpo.Reports;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ResumeTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-resume-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    RunFolder RunWithMetrics(string text)
    {
        var run = new RunFolder(Path.Combine(root, "run"));
        run.Create();
        File.WriteAllText(run.MetricsPath, text);
        return run;
    }

    const string ThreeSteps = "{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":0.2}\n{\"step\":3,\"reward\":0.3}\n";

    [Fact]
    public void Torn_last_metrics_line_is_dropped_on_resume()
    {
        var run = RunWithMetrics(ThreeSteps + "{\"step\":4,\"rew");   // killed during the append of step 4
        new RunLog(run).TruncateAfter(2);
        Assert.Equal("{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":0.2}\n", File.ReadAllText(run.MetricsPath));
    }

    [Fact]
    public void Complete_last_line_without_its_newline_is_kept_when_it_parses()
    {
        var run = RunWithMetrics("{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":0.2}");
        new RunLog(run).TruncateAfter(2);
        Assert.Equal("{\"step\":1,\"reward\":0.1}\n{\"step\":2,\"reward\":0.2}\n", File.ReadAllText(run.MetricsPath));
    }

    [Fact]
    public void Bad_metrics_line_before_the_end_names_the_file_and_line_and_changes_nothing()
    {
        var text = "{\"step\":1}\nnot json\n{\"step\":3}\n";
        var run = RunWithMetrics(text);
        var e = Assert.Throws<InvalidDataException>(() => new RunLog(run).TruncateAfter(2));
        Assert.Contains(run.MetricsPath + ":2", e.Message);
        Assert.Equal(text, File.ReadAllText(run.MetricsPath));
    }

    [Fact]
    public void Report_reads_metrics_of_a_run_killed_mid_append()
    {
        var run = RunWithMetrics(ThreeSteps + "{\"step\":4,\"rew");
        Assert.Equal([1, 2, 3], RunFiles.ReadMetrics(run.MetricsPath).Select(r => r.Step));
    }

    static GrpoConfig Config(string modelDir, string runDir) => GrpoConfig.Tiny with
    {
        ModelNameOrPath = modelDir, OutputDir = runDir, MaxSteps = 4, SaveSteps = 2, Seed = 3,
        PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 4,
        DropZeroStdGroups = false,
    };

    static GrpoTrainer Create(GrpoConfig c, bool resume, Action<string>? warn = null)
    {
        var rng = new Random(5);
        var prompts = Enumerable.Range(0, 16).Select(_ => new TrainingPrompt([rng.Next(0, 300), rng.Next(0, 300)])).ToList();
        var share = new RewardFunction("ones", x => x.CompletionIds.Count(t => t == 1) / 4.0);
        return GrpoRun.Create(c, () => new GrpoTask(prompts, [share], TokenSpec.Raw([301], 302)), resume, warn);
    }

    [Fact]
    public void Damaged_newest_checkpoint_is_set_aside_and_the_run_resumes_from_the_previous_one()
    {
        using var model = new RandomModelFolder();
        var runDir = Path.Combine(root, "run");
        using (var trainer = Create(Config(model.Dir, runDir), resume: false)) trainer.Train();
        var checkpoints = Path.Combine(runDir, "checkpoints");
        var weights = Path.Combine(checkpoints, "checkpoint-4", "model.safetensors");
        using (var f = new FileStream(weights, FileMode.Open)) f.SetLength(f.Length / 2);   // what a crash without fsync can leave
        long truncated = new FileInfo(weights).Length;
        File.AppendAllText(Path.Combine(runDir, "metrics.jsonl"), "{\"step\":5,\"rew");     // and a torn line

        var warnings = new List<string>();
        using (var resumed = Create(Config(model.Dir, runDir) with { MaxSteps = 4 }, resume: true, warnings.Add))
        {
            Assert.Equal(2, resumed.GlobalStep);
            var warning = Assert.Single(warnings);
            Assert.Contains("checkpoint-4 is damaged", warning);
            Assert.Contains("model.safetensors", warning);
            // nothing lost: the damaged folder is kept beside the others, under a name no reader takes for a checkpoint
            Assert.Equal(truncated, new FileInfo(Path.Combine(checkpoints, "checkpoint-4.damaged", "model.safetensors")).Length);
            Assert.False(Directory.Exists(Path.Combine(checkpoints, "checkpoint-4")));
            Assert.Equal([1, 2], RunFiles.ReadMetrics(Path.Combine(runDir, "metrics.jsonl")).Select(r => r.Step));
            Assert.Contains("warning: checkpoint-4 is damaged", File.ReadAllText(Path.Combine(runDir, "logs", "train.log")));
            resumed.Train();
        }
        Assert.Null(Checkpoints.Verify(Path.Combine(checkpoints, "checkpoint-4")));
        Assert.Equal([1, 2, 3, 4], RunFiles.ReadMetrics(Path.Combine(runDir, "metrics.jsonl")).Select(r => r.Step));
    }

    [Fact]
    public void Checkpoint_verification_names_what_is_wrong()
    {
        using var model = new RandomModelFolder();
        var runDir = Path.Combine(root, "run");
        using (var trainer = Create(Config(model.Dir, runDir) with { MaxSteps = 2 }, resume: false)) trainer.Train();
        var checkpoint = Path.Combine(runDir, "checkpoints", "checkpoint-2");
        Assert.Null(Checkpoints.Verify(checkpoint));
        var optimizer = Path.Combine(checkpoint, Checkpoints.OptimizerFile);
        using (var f = new FileStream(optimizer, FileMode.Open)) f.SetLength(f.Length - 1);
        Assert.Contains(optimizer, Checkpoints.Verify(checkpoint));
        File.Delete(optimizer);
        Assert.Contains(Checkpoints.OptimizerFile, Checkpoints.Verify(checkpoint));
    }

    /// <summary>A finished 4-step run (checkpoint-2, checkpoint-4) whose checkpoint-4 trainer_state.json field
    /// <paramref name="field"/> is set to <paramref name="value"/>, as a hand edit or a copied state would leave it.</summary>
    string RunWithEditedState(RandomModelFolder model, string field, int value)
    {
        var runDir = Path.Combine(root, "run");
        using (var trainer = Create(Config(model.Dir, runDir), resume: false)) trainer.Train();
        var state = Path.Combine(runDir, "checkpoints", "checkpoint-4", TrainerState.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(state))!;
        json[field] = value;
        File.WriteAllText(state, json.ToJsonString());
        return runDir;
    }

    [Theory]
    [InlineData("global_step", -3, "global_step -3")]       // trained from step -2 and wrote checkpoint--2 over good ones
    [InlineData("global_step", 999, "global_step 999")]     // said "resuming at step 4", trained nothing, exit 0
    [InlineData("global_step", 2, "global_step 2")]         // another checkpoint's state
    [InlineData("data_position", -1, "data_position -1")]
    [InlineData("data_epoch", -5, "data_epoch -5")]
    public void Trainer_state_that_disagrees_with_its_checkpoint_counts_as_damaged(string field, int value, string named)
    {
        using var model = new RandomModelFolder();
        var runDir = RunWithEditedState(model, field, value);
        var checkpoints = Path.Combine(runDir, "checkpoints");

        var warnings = new List<string>();
        using (var resumed = Create(Config(model.Dir, runDir), resume: true, warnings.Add))
        {
            Assert.Equal(2, resumed.GlobalStep);
            var warning = Assert.Single(warnings);
            Assert.Contains("checkpoint-4 is damaged", warning);
            Assert.Contains(named, warning);
            Assert.True(Directory.Exists(Path.Combine(checkpoints, "checkpoint-4.damaged")));
            resumed.Train();
        }
        Assert.Equal(["checkpoint-2", "checkpoint-4", "checkpoint-4.damaged"],
            Directory.GetFileSystemEntries(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Null(Checkpoints.Verify(Path.Combine(checkpoints, "checkpoint-4")));
        Assert.Equal([1, 2, 3, 4], RunFiles.ReadMetrics(Path.Combine(runDir, "metrics.jsonl")).Select(r => r.Step));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("loop")]
    public void Checkpoint_name_held_by_a_file_or_a_link_loop_is_refused_before_training(string kind)
    {
        using var model = new RandomModelFolder();
        var runDir = Path.Combine(root, "run");
        using (var trainer = Create(Config(model.Dir, runDir) with { MaxSteps = 2 }, resume: false)) trainer.Train();
        var checkpoints = Path.Combine(runDir, "checkpoints");
        var blocker = Path.Combine(checkpoints, "checkpoint-4");
        if (kind == "file") File.WriteAllText(blocker, "not a checkpoint");
        else File.CreateSymbolicLink(blocker, blocker);

        // Resuming to step 4 would train two steps and then fail to save checkpoint-4 ("already exists").
        var e = Assert.Throws<BadInputException>(() => Create(Config(model.Dir, runDir), resume: true));
        Assert.Contains(blocker, e.Message);
        Assert.Contains(kind == "file" ? "is a file, not a folder" : "loop of symbolic links", e.Message);
        Assert.Equal(["checkpoint-2", "checkpoint-4"], Directory.GetFileSystemEntries(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2], RunFiles.ReadMetrics(Path.Combine(runDir, "metrics.jsonl")).Select(r => r.Step));
        Assert.False(File.Exists(Path.Combine(runDir, RunLock.FileName)));
    }
}
