// Checkpoint discovery in a run folder: base model from config.json, checkpoint-N ordered by N, incomplete ones skipped.
using Grpo.Evaluation;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class RunCheckpointsTests
{
    static string MakeCheckpoint(string run, string name, bool complete = true)
    {
        var dir = Path.Combine(run, "checkpoints", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        if (complete) new TrainerState { GlobalStep = RunFolder.StepOf(dir) ?? 0 }.Save(dir);
        return dir;
    }

    [Fact]
    public void Base_then_checkpoints_in_numeric_order_skipping_incomplete_folders()
    {
        var root = Directory.CreateTempSubdirectory("runs-").FullName;
        try
        {
            var baseDir = Path.Combine(root, "models", "tiny");
            Directory.CreateDirectory(baseDir);
            var run = Path.Combine(root, "runs", "r1");
            Directory.CreateDirectory(run);
            File.WriteAllText(Path.Combine(run, "config.json"), "{\"model_name_or_path\": \"models/tiny\", \"seed\": 1}");
            MakeCheckpoint(run, "checkpoint-100");
            MakeCheckpoint(run, "checkpoint-50");
            MakeCheckpoint(run, "checkpoint-7", complete: false);
            MakeCheckpoint(run, "checkpoint-150.tmp");
            MakeCheckpoint(run, "checkpoint-200.damaged");

            var found = RunCheckpoints.Discover(new RunFolder(run));
            Assert.Equal(["base", "checkpoint-50", "checkpoint-100"], found.Select(c => c.Name));
            Assert.Equal([0, 50, 100], found.Select(c => c.Step));
            Assert.Equal(Path.GetFullPath(baseDir), found[0].ModelDir);
            Assert.Equal(Path.Combine(run, "eval", "checkpoint-50.json"), new RunFolder(run).EvalPath("checkpoint-50"));
            Assert.Equal(Path.GetFullPath(run), RunFolder.OfCheckpoint(found[1].ModelDir)!.Root);
            Assert.Null(RunFolder.OfCheckpoint(baseDir));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Explicit_base_overrides_the_config_and_missing_base_folder_is_an_error()
    {
        var run = Directory.CreateTempSubdirectory("run-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(run, "config.json"), "{\"model_name_or_path\": \"/no/such/model\"}");
            var e = Assert.Throws<DirectoryNotFoundException>(() => RunCheckpoints.Discover(new RunFolder(run)));
            Assert.Contains("/no/such/model", e.Message);
            var found = RunCheckpoints.Discover(new RunFolder(run), baseModelDir: run);
            Assert.Equal(("base", run), (found.Single().Name, found.Single().ModelDir));
        }
        finally { Directory.Delete(run, true); }
    }

    [Fact]
    public void Empty_run_folder_says_there_is_nothing_to_evaluate()
    {
        var run = Directory.CreateTempSubdirectory("run-").FullName;
        try
        {
            var e = Assert.Throws<BadInputException>(() => RunCheckpoints.Discover(new RunFolder(run)));
            Assert.Contains("Nothing to evaluate", e.Message);
        }
        finally { Directory.Delete(run, true); }
    }
}
