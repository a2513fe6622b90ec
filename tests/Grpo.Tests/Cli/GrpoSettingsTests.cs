// `train` and `pipeline` (and bench-step, plan-memory) read GRPO settings through one definition (GrpoSettings): the
// same flags, --config and --set give both commands the same run config, and no command defines a flag of another again.
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
    public void No_flag_of_the_GRPO_commands_is_defined_twice()
    {
        var settings = typeof(GrpoSettings).Assembly.GetTypes().Where(t => typeof(GrpoSettings).IsAssignableFrom(t)).ToList();
        Assert.Contains(typeof(TrainCommand.Settings), settings);
        Assert.Contains(typeof(BenchStepCommand.Settings), settings);
        var twice = settings.SelectMany(t => OwnOptions(t).Select(o => (Option: o, Type: t.FullName)))
            .GroupBy(x => x.Option).Where(g => g.Count() > 1).Select(g => $"--{g.Key}: {string.Join(", ", g.Select(x => x.Type))}");
        Assert.Empty(twice);
        Assert.Contains("synthetic-token", OwnOptions(typeof(GrpoSettings)));
        Assert.Contains("name", OwnOptions(typeof(RunSettings)));
    }

    [Fact]
    public void Set_output_dir_is_refused_naming_the_flags_that_choose_the_run_folder()
    {
        var e = Assert.Throws<BadInputException>(() => TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "x", Set = ["output_dir=elsewhere"] }));
        Assert.Contains("--set output_dir", e.Message);
        Assert.Contains("--name", e.Message);
        Assert.Throws<BadInputException>(() => PipelineCommand.ConfigFrom(new PipelineCommand.Settings { Name = "x", Set = ["output_dir=elsewhere"] }));
    }

    [Fact]
    public void Set_reaches_the_task_fields_too()
    {
        var config = TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "task", Set = ["prompt_template=english", "num_train_problems=7"] });
        Assert.Equal(("english", 7), (config.Task.PromptTemplate, config.Task.NumTrainProblems));
        var e = Assert.Throws<BadInputException>(() => TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "task", Set = ["prompt_templat=english"] }));
        Assert.Contains("unknown GRPO config field 'prompt_templat'", e.Message);
    }

    [Fact]
    public void Pipeline_set_num_generations_changes_the_runs_grpo_config()
    {
        var config = PipelineCommand.ConfigFrom(new PipelineCommand.Settings { Name = "g4", Set = ["num_generations=4", "loss_type=dr_grpo"] });
        Assert.Equal((4, "dr_grpo"), (config.Run.Grpo.NumGenerations, config.Run.Grpo.LossType));
        Assert.Equal(Path.Combine("runs", "g4"), config.Run.Grpo.OutputDir);
        config.Run.Validated();
    }

    [Fact]
    public void The_same_flags_give_train_and_pipeline_the_same_grpo_config()
    {
        string[] set = ["num_generations=4", "lora_r=8", "distribution=full"];
        var train = TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "same", Set = set, MaxSteps = 7, LearningRate = 1e-4, Beta = 0.01 });
        var pipeline = PipelineCommand.ConfigFrom(new PipelineCommand.Settings { Name = "same", Set = set, MaxSteps = 7, LearningRate = 1e-4, Beta = 0.01 });
        Assert.Equal(train.ToJson(), pipeline.Run.ToJson());
        Assert.Equal((4, 8, 7, Path.Combine("runs", "same"), "full"),
            (train.Grpo.NumGenerations, train.Grpo.LoraR, train.Grpo.MaxSteps, train.Grpo.OutputDir, train.Task.Distribution));
    }

    [Fact]
    public void Flags_win_over_set_and_set_over_the_config_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"grpo-settings-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{"max_steps": 11, "save_steps": 11, "seed": 3}""");
        try
        {
            var c = TrainCommand.ConfigFrom(new TrainCommand.Settings { Name = "order", ConfigFile = file, Set = ["max_steps=22", "save_steps=22"], MaxSteps = 33 });
            Assert.Equal((33, 22, 3), (c.Grpo.MaxSteps, c.Grpo.SaveSteps, c.Grpo.Seed));
        }
        finally { File.Delete(file); }
    }
}
