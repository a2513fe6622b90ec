// Every GRPO setting is range-checked by its snake_case name (NaN fails every check), from a --config file, a --set
// flag or a run's config.json; an unknown loss_type is an error rather than a silent dapo.
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.BadInput;

public class GrpoConfigBadInputTests
{
    [Theory]
    [InlineData("""{"top_p": -1}""", "top_p")]
    [InlineData("""{"top_p": 0}""", "top_p")]
    [InlineData("""{"top_k": -1}""", "top_k")]
    [InlineData("""{"temperature": "NaN"}""", "temperature")]
    [InlineData("""{"temperature": 0}""", "temperature")]
    [InlineData("""{"adam_beta1": "NaN"}""", "adam_beta1")]
    [InlineData("""{"adam_beta2": 1}""", "adam_beta2")]
    [InlineData("""{"adam_epsilon": 0}""", "adam_epsilon")]
    [InlineData("""{"warmup_ratio": "NaN"}""", "warmup_ratio")]
    [InlineData("""{"warmup_ratio": 1.5}""", "warmup_ratio")]
    [InlineData("""{"warmup_steps": -1}""", "warmup_steps")]
    [InlineData("""{"learning_rate": "Infinity"}""", "learning_rate")]
    [InlineData("""{"weight_decay": -0.1}""", "weight_decay")]
    [InlineData("""{"max_grad_norm": 0}""", "max_grad_norm")]
    [InlineData("""{"beta": "NaN"}""", "beta")]
    [InlineData("""{"epsilon": 1}""", "epsilon")]
    [InlineData("""{"epsilon_high": -0.1}""", "epsilon_high")]
    [InlineData("""{"lora_dropout": 1}""", "lora_dropout")]
    [InlineData("""{"lora_r": 0}""", "lora_r")]
    [InlineData("""{"lora_target_modules": ["qproj"]}""", "lora_target_modules")]
    [InlineData("""{"reward_funcs": []}""", "reward_funcs")]
    [InlineData("""{"reward_weights": [1]}""", "reward_weights")]
    [InlineData("""{"num_train_problems": 0}""", "num_train_problems")]
    [InlineData("""{"device": "gpu"}""", "device")]
    [InlineData("""{"prompt_template": ""}""", "prompt_template")]
    [InlineData("""{"max_prompt_length": 0}""", "max_prompt_length")]
    [InlineData("""{"completion_sample_fraction": "NaN"}""", "completion_sample_fraction")]
    [InlineData("""{"loss_type": "ppo"}""", "loss_type")]
    [InlineData("""{"model_name_or_path": null}""", "model_name_or_path")]
    [InlineData("""{"max_steps": "abc"}""", "max_steps")]
    [InlineData("""{"max_steps": 4, "max_steps": 200}""", "max_steps")]
    public void Setting_out_of_range_is_refused_naming_the_source_and_the_field(string json, string field)
    {
        // A run's settings as config.json holds them: the trainer's and the Countdown task's.
        var e = Assert.Throws<BadInputException>(() => CountdownRunConfig.Overlay(CountdownRunConfig.Tiny, json, "my.json"));
        Assert.StartsWith("my.json: ", e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Unknown_loss_type_is_an_error_and_never_trains_as_dapo()
    {
        var e = Assert.Throws<BadInputException>(() => (GrpoConfig.Tiny with { LossType = "ppo" }).Validated());
        Assert.Contains("loss_type must be grpo, dr_grpo, bnpo or dapo (got 'ppo')", e.Message);
    }

    [Fact]
    public void Presets_and_their_json_round_trip_pass_validation()
    {
        foreach (var name in GrpoConfig.PresetNames)
            GrpoConfig.FromJson(GrpoConfig.ByName(name).ToJson(), name);
    }

    [Fact]
    public void Missing_config_file_is_named()
    {
        var e = Assert.Throws<BadInputException>(() => GrpoConfig.Load("runs/nope/config.json"));
        Assert.Contains("runs/nope/config.json", e.Message);
    }
}
