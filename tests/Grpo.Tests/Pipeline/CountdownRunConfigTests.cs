// A Countdown run's settings are two records (GrpoConfig, CountdownTaskConfig) but one flat config.json: run folders
// written before the split (Fixtures/, copied from real runs) load unchanged, field for field, and a field neither record
// knows is refused naming the file and the field.
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Pipeline;

public sealed class CountdownRunConfigTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-runconfig-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "Grpo.Tests", "Pipeline", "Fixtures", name);

    [Fact]
    public void A_config_json_written_before_the_split_loads_with_every_field_in_its_record()
    {
        var config = CountdownRunConfig.Load(Fixture("run-config-tiny.json"));
        Assert.Equal(("data/models/countdown-tiny", 4, 2, 0.04, 128, true),
            (config.Grpo.ModelNameOrPath, config.Grpo.MaxSteps, config.Grpo.SaveSteps, config.Grpo.Beta,
             config.Grpo.CompletionsPerStep, config.Grpo.DropZeroStdGroups));
        Assert.Equal((null, "easy", 200, "chinese"), (config.Task.TrainFile, config.Task.Distribution, config.Task.NumTrainProblems, config.Task.PromptTemplate));
        Assert.Equal(["format_reward", "equation_reward"], config.Task.RewardFuncs);
        Assert.Null(config.Grpo.RewardWeights);
        // Written back, every field it had keeps its snake_case name at the top level and its value (settings added
        // since come on top, at their defaults).
        var old = JsonNode.Parse(File.ReadAllText(Fixture("run-config-tiny.json")))!.AsObject();
        var now = config.ToJsonObject();
        foreach (var (key, value) in old) Assert.True(JsonNode.DeepEquals(value, now[key]), key);
    }

    [Theory]
    [InlineData("run-config-tiny.json")]
    [InlineData("run-config-synthetic-lora.json")]
    public void A_run_folder_of_the_old_code_resumes_without_a_changed_setting(string fixture)
    {
        var run = new RunFolder(Path.Combine(root, "run"));
        Directory.CreateDirectory(run.Root);
        File.Copy(Fixture(fixture), run.ConfigPath);
        var saved = CountdownRunConfig.Load(run.ConfigPath);
        var now = saved with { Grpo = saved.Grpo with { OutputDir = run.Root } };
        Assert.Empty(CountdownRun.Inspect(now, resume: true).ChangedSettings.Where(c => c.Field != "output_dir"));
        Assert.Equal(saved.Grpo.ToJson(), run.LoadConfig()!.ToJson());   // the trainer's part, as reports read it
        Assert.Equal((saved.Task.PromptTemplate, saved.Grpo.MaxCompletionLength),
            EvalConfig.FromRun(run) is { } eval ? (eval.Template, eval.MaxNewTokens) : default);
    }

    [Fact]
    public void A_resume_with_another_task_setting_is_refused_naming_it()
    {
        var run = new RunFolder(Path.Combine(root, "run"));
        Directory.CreateDirectory(run.Root);
        File.Copy(Fixture("run-config-tiny.json"), run.ConfigPath);
        var saved = CountdownRunConfig.Load(run.ConfigPath);
        var changed = saved with { Grpo = saved.Grpo with { OutputDir = run.Root }, Task = saved.Task with { PromptTemplate = "english" } };
        var start = CountdownRun.Inspect(changed, resume: true) with { CheckpointStep = 2 };
        var e = Assert.Throws<InvalidOperationException>(() => start.RequireSameSettings());
        Assert.Contains("prompt_template \"chinese\" there, \"english\" here", e.Message);
    }

    [Fact]
    public void A_field_neither_record_knows_is_refused_naming_the_file_and_the_field()
    {
        var path = Path.Combine(root, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(Fixture("run-config-tiny.json")))!.AsObject();
        json["num_train_problem"] = 10;
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<BadInputException>(() => CountdownRunConfig.Load(path));
        Assert.Equal($"{path}: unknown GRPO config field 'num_train_problem'", e.Message);
    }

    [Fact]
    public void No_task_field_has_the_name_of_a_trainer_field()
    {
        Assert.Empty(CountdownTaskConfig.FieldNames.Intersect(GrpoConfig.FieldNames));
        Assert.Equal(["train_file", "distribution", "num_train_problems", "prompt_template", "reward_funcs", "soft_punish_cache", "competence_band", "competence_samples", "competence_problems"], CountdownTaskConfig.FieldNames);
    }

    [Fact]
    public void Reward_weights_must_match_the_reward_functions_in_number()
    {
        var config = CountdownRunConfig.Tiny with { Grpo = GrpoConfig.Tiny with { RewardWeights = [1.0, 0.5, 2.0] } };
        var e = Assert.Throws<BadInputException>(() => config.Validated("my.json"));
        Assert.Equal("my.json: reward_weights has 3 entries but there are 2 reward functions (format_reward, equation_reward)", e.Message);
        (config with { Task = config.Task with { RewardFuncs = ["format_reward", "equation_reward", "format_reward"] } }).Validated();
    }
}
