// RunFolder is the one map of runs/<name>/: checkpoint names parse in one place, and evaluation and resume take the
// same folders for complete checkpoints.
using Grpo.Evaluation;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Training;

public sealed class RunFolderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("runfolder-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("checkpoint-12", 12)]
    [InlineData("checkpoint-0", 0)]
    [InlineData("checkpoint-12.damaged", null)]
    [InlineData("checkpoint-12.damaged-2", null)]
    [InlineData(".tmp-checkpoint-12-0a1b", null)]
    [InlineData("checkpoint-+12", null)]
    [InlineData("checkpoint- 12", null)]
    [InlineData("checkpoint--1", null)]
    [InlineData("checkpoint-99999999999", null)]
    [InlineData("Checkpoint-12", null)]
    public void Only_checkpoint_N_names_parse_to_a_step(string name, int? step) =>
        Assert.Equal(step, RunFolder.StepOf(Path.Combine(root, "checkpoints", name)));

    [Fact]
    public void Evaluation_and_resume_take_the_same_folders_for_complete_checkpoints()
    {
        var run = new RunFolder(Path.Combine(root, "run"));
        void Folder(string name, bool state)
        {
            var dir = Directory.CreateDirectory(Path.Combine(run.CheckpointsDir, name)).FullName;
            File.WriteAllText(Path.Combine(dir, "config.json"), "{}");   // a model folder either way
            if (state) new TrainerState { GlobalStep = RunFolder.StepOf(dir) ?? 0 }.Save(dir);
        }
        Folder("checkpoint-2", state: true);
        Folder("checkpoint-10", state: true);
        Folder("checkpoint-12", state: false);   // weights written, trainer_state.json not yet
        Folder("checkpoint-14.damaged", state: true);

        Assert.Equal([2, 10], run.CompleteCheckpoints().Select(c => c.Step));
        Assert.Equal(10, run.LatestCheckpoint()!.Step);
        Assert.Equal(["checkpoint-2", "checkpoint-10"], RunCheckpoints.Discover(new RunFolder(run.Root), baseModelDir: null).Select(c => c.Name));
    }

    [Fact]
    public void A_checkpoint_knows_its_run_and_the_run_its_eval_file()
    {
        var run = new RunFolder(Path.GetFullPath(Path.Combine(root, "runs", "x")));
        var checkpoint = run.CheckpointDir(50);
        Assert.Equal(run, RunFolder.OfCheckpoint(checkpoint));
        Assert.Equal(run, RunFolder.OfCheckpoint(checkpoint + Path.DirectorySeparatorChar));
        Assert.Null(RunFolder.OfCheckpoint(Path.Combine(root, "models", "checkpoint-50")));   // not under checkpoints/
        Assert.Null(RunFolder.OfCheckpoint(checkpoint + ".damaged"));
        Assert.Equal(Path.Combine(run.Root, "eval", "checkpoint-50.json"), run.EvalPath(RunFolder.CheckpointName(50)));
    }
}
