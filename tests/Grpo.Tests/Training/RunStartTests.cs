// RunStart on hand-made run folders: what a (re)run will do, in words, and the refusal to mix settings.
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Training;

public sealed class RunStartTests : IDisposable
{
    readonly string run = Path.Combine(Directory.CreateTempSubdirectory("grpo-runstart-").FullName, "run");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(run)!, recursive: true);

    GrpoConfig Config => GrpoConfig.Tiny with { OutputDir = run, MaxSteps = 20, SaveSteps = 5 };

    void Checkpoint(int step)
    {
        var dir = Directory.CreateDirectory(new RunFolder(run).CheckpointDir(step)).FullName;
        new TrainerState { GlobalStep = step, MaxSteps = 20, Seed = 42 }.Save(dir);
    }

    void Logged(int steps) =>
        File.WriteAllLines(Path.Combine(run, "metrics.jsonl"), Enumerable.Range(1, steps).Select(s => $"{{\"step\":{s},\"reward\":0.5}}"));

    [Fact]
    public void A_fresh_folder_starts_at_step_zero()
    {
        var start = RunStart.Inspect(Config, resume: true);
        Assert.Equal(0, start.Step);
        Assert.Equal($"starting {run} at step 0 of 20", start.Describe());
    }

    [Fact]
    public void A_stopped_run_resumes_from_its_last_complete_checkpoint_and_names_the_steps_redone()
    {
        Directory.CreateDirectory(run);
        Config.Save(Path.Combine(run, "config.json"));
        Checkpoint(5);
        Checkpoint(10);
        Directory.CreateDirectory(Path.Combine(run, "checkpoints", "checkpoint-15"));   // killed mid-write: no trainer_state.json
        Logged(13);
        var start = RunStart.Inspect(Config, resume: true);
        Assert.Equal(10, start.Step);
        Assert.False(start.Finished);
        Assert.Equal($"resuming {run} from checkpoint-10 at step 10 of 20 (steps 11-13 of the stopped run are redone)", start.Describe());
        Assert.Equal($"starting {run} at step 0 of 20", RunStart.Inspect(Config, resume: false).Describe());
        Logged(11);
        Assert.EndsWith("(step 11 of the stopped run is redone)", RunStart.Inspect(Config, resume: true).Describe());
    }

    [Fact]
    public void A_run_stopped_before_its_first_checkpoint_starts_over_and_says_so()
    {
        Directory.CreateDirectory(run);
        Logged(3);
        Assert.Equal($"starting {run} over at step 0 of 20: the stopped run saved no checkpoint (its 3 logged steps are dropped)",
            RunStart.Inspect(Config, resume: true).Describe());
    }

    [Fact]
    public void A_finished_run_has_nothing_to_train_unless_max_steps_grows()
    {
        Directory.CreateDirectory(run);
        Config.Save(Path.Combine(run, "config.json"));
        Checkpoint(20);
        Logged(20);
        var start = RunStart.Inspect(Config, resume: true).RequireSameSettings();
        Assert.True(start.Finished);
        Assert.Equal($"{run} is finished (step 20 of 20, checkpoint-20): nothing to train", start.Describe());
        // More steps continue it: max_steps may change on resume.
        var longer = RunStart.Inspect(Config with { MaxSteps = 30 }, resume: true).RequireSameSettings();
        Assert.Equal($"resuming {run} from checkpoint-20 at step 20 of 30", longer.Describe());
    }

    [Fact]
    public void Resuming_with_a_changed_hyperparameter_is_refused_naming_the_field_and_both_values()
    {
        Directory.CreateDirectory(run);
        Config.Save(Path.Combine(run, "config.json"));
        Checkpoint(20);
        var start = RunStart.Inspect(Config with { LearningRate = 3e-4, NumGenerations = 4 }, resume: true);
        var e = Assert.Throws<InvalidOperationException>(() => start.RequireSameSettings());
        Assert.Contains("learning_rate 0.0001 there, 0.0003 here", e.Message);
        Assert.Contains("num_generations 8 there, 4 here", e.Message);
        Assert.Contains("choose a new run folder", e.Message);
        // Not resuming, or nothing to resume, refuses nothing (GrpoRun.Create guards an occupied folder itself).
        RunStart.Inspect(Config with { LearningRate = 3e-4 }, resume: false).RequireSameSettings();
    }
}
