// `train` and `pipeline` read GRPO settings through one definition (GrpoSettings): the same flags, --config and --set
// give both commands the same GrpoConfig, and neither command defines a GRPO flag of its own again.
using System.Reflection;
using Grpo.Cli.Commands;
using Grpo.Training;
using Spectre.Console.Cli;
using Xunit;

namespace Grpo.Tests.Cli;

public class GrpoSettingsTests
{
    static IEnumerable<string> OwnOptions(Type settings) => settings
        .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Select(p => p.GetCustomAttribute<CommandOptionAttribute>()).OfType<CommandOptionAttribute>()
        .SelectMany(o => o.LongNames);

    [Fact]
    public void Train_and_pipeline_define_no_GRPO_flag_twice()
    {
        var shared = OwnOptions(typeof(GrpoSettings)).ToHashSet();
        Assert.Contains("set", shared);
        Assert.Contains("num-generations", shared);
        var train = OwnOptions(typeof(TrainCommand.Settings)).ToList();
        var pipeline = OwnOptions(typeof(PipelineCommand.Settings)).ToList();
        Assert.Empty(train.Intersect(shared));
        Assert.Empty(pipeline.Intersect(shared));
        // --name is each command's own: its default folder differs (train: <preset>-<time>, pipeline: the preset).
        Assert.Equal(["name"], train.Intersect(pipeline));
    }

    [Fact]
    public void Pipeline_set_num_generations_changes_the_runs_grpo_config()
    {
        var config = PipelineCommand.ConfigFrom(new PipelineCommand.Settings { Name = "g4", Set = ["num_generations=4", "loss_type=dr_grpo"] });
        Assert.Equal((4, "dr_grpo"), (config.Grpo.NumGenerations, config.Grpo.LossType));
        Assert.Equal(Path.Combine("runs", "g4"), config.Grpo.OutputDir);   // --set output_dir or not, the run folder is --name's
        config.Grpo.Validated();
    }

    [Fact]
    public void The_same_flags_give_train_and_pipeline_the_same_grpo_config()
    {
        string[] set = ["num_generations=4", "lora_r=8", "output_dir=\"elsewhere\""];
        var train = TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "same", Set = set, MaxSteps = 7, LearningRate = 1e-4, Beta = 0.01 });
        var pipeline = PipelineCommand.ConfigFrom(new PipelineCommand.Settings { Name = "same", Set = set, MaxSteps = 7, LearningRate = 1e-4, Beta = 0.01 });
        Assert.Equal(train.ToJson(), pipeline.Grpo.ToJson());
        Assert.Equal((4, 8, 7, Path.Combine("runs", "same")), (train.NumGenerations, train.LoraR, train.MaxSteps, train.OutputDir));
    }

    [Fact]
    public void Flags_win_over_set_and_set_over_the_config_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"grpo-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{"max_steps": 11, "save_steps": 11, "seed": 3}""");
        try
        {
            var c = TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "order", ConfigFile = file, Set = ["max_steps=22", "save_steps=22"], MaxSteps = 33 });
            Assert.Equal((33, 22, 3), (c.MaxSteps, c.SaveSteps, c.Seed));
        }
        finally { File.Delete(file); }
    }
}
