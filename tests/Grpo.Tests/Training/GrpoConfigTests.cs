// GRPO config: presets, JSON with TRL's snake_case names, overrides, validation, and the learning-rate schedule.
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Training;

public class GrpoConfigTests
{
    [Fact]
    public void Qwen_preset_follows_the_reference_tutorial()
    {
        var c = GrpoConfig.ByName("qwen2.5-7b");
        Assert.Equal(200, c.MaxSteps);
        Assert.Equal(50, c.SaveSteps);
        Assert.Equal(8, c.NumGenerations);
        Assert.Equal(5e-7, c.LearningRate);
        Assert.Equal(0.001, c.Beta);
        Assert.Equal(1024, c.MaxCompletionLength);
        Assert.Equal("cosine", c.LrSchedulerType);
        Assert.True(c.WarmupRatio > 0);
        Assert.True(c.UsePeft);
        Assert.Equal("bfloat16", c.Dtype);
        c.Validated();
    }

    [Fact]
    public void Tiny_preset_is_valid_and_samples_16_prompts_of_8()
    {
        var c = GrpoConfig.ByName("tiny").Validated();
        Assert.Equal(16, c.PromptsPerStep);
        Assert.Equal(8, c.NumGenerations);
        Assert.Equal(0.04, c.Beta);
    }

    [Fact]
    public void Unknown_preset_names_the_known_ones()
    {
        var e = Assert.Throws<BadInputException>(() => GrpoConfig.ByName("llama"));
        Assert.Contains("tiny", e.Message);
    }

    [Fact]
    public void Json_uses_trl_snake_case_names_and_round_trips()
    {
        var json = GrpoConfig.Qwen25_7B.ToJson();
        foreach (var name in new[] { "\"num_generations\"", "\"max_completion_length\"", "\"learning_rate\"",
                     "\"per_device_train_batch_size\"", "\"gradient_accumulation_steps\"", "\"lora_target_modules\"",
                     "\"mask_truncated_completions\"", "\"epsilon_high\"", "\"scale_rewards\"", "\"loss_type\"" })
            Assert.Contains(name, json);
        var back = GrpoConfig.FromJson(json);
        Assert.Equal(GrpoConfig.Qwen25_7B.ToJson(), back.ToJson());
    }

    [Fact]
    public void Overlay_replaces_only_the_given_fields()
    {
        var c = GrpoConfig.Overlay(GrpoConfig.Tiny, """{"max_steps": 7, "learning_rate": 0.001}""");
        Assert.Equal(7, c.MaxSteps);
        Assert.Equal(0.001, c.LearningRate);
        Assert.Equal(GrpoConfig.Tiny.NumGenerations, c.NumGenerations);
    }

    [Fact]
    public void Unknown_field_in_a_config_file_is_named()
    {
        var e = Assert.Throws<BadInputException>(() => GrpoConfig.Overlay(GrpoConfig.Tiny, """{"max_stepz": 7}""", "my.json"));
        Assert.Contains("max_stepz", e.Message);
        Assert.Contains("my.json", e.Message);
    }

    [Fact]
    public void Batch_not_divisible_by_num_generations_is_rejected()
    {
        var e = Assert.Throws<BadInputException>(() =>
            (GrpoConfig.Tiny with { PerDeviceTrainBatchSize = 5, GradientAccumulationSteps = 1 }).Validated());
        Assert.Contains("num_generations", e.Message);
    }

    [Fact]
    public void Cosine_schedule_warms_up_linearly_then_follows_half_a_cosine()
    {
        var s = new LearningRateSchedule("cosine", 1e-3, WarmupSteps: 10, TotalSteps: 110);
        Assert.Equal(0.0, s.LearningRate(0));
        Assert.Equal(0.5e-3, s.LearningRate(5), 12);
        Assert.Equal(1e-3, s.LearningRate(10), 12);
        Assert.Equal(0.5e-3, s.LearningRate(60), 12);          // halfway: 0.5 * (1 + cos(pi/2))
        Assert.Equal(1e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.LearningRate(35), 12);
        Assert.Equal(0.0, s.LearningRate(110), 12);
    }

    [Fact]
    public void Linear_and_constant_schedules()
    {
        Assert.Equal(0.5e-3, new LearningRateSchedule("linear", 1e-3, 10, 110).LearningRate(60), 12);
        Assert.Equal(1e-3, new LearningRateSchedule("constant", 1e-3, 10, 110).LearningRate(0), 12);
        Assert.Equal(0.2e-3, new LearningRateSchedule("constant_with_warmup", 1e-3, 10, 110).LearningRate(2), 12);
        Assert.Equal(1e-3, new LearningRateSchedule("constant_with_warmup", 1e-3, 10, 110).LearningRate(100), 12);
    }

    [Fact]
    public void Warmup_steps_come_from_the_ratio_rounded_up_unless_given()
    {
        Assert.Equal(3, LearningRateSchedule.WarmupStepsFor(0, 0.1, 25));   // ceil(2.5)
        Assert.Equal(10, LearningRateSchedule.WarmupStepsFor(0, 0.05, 200));
        Assert.Equal(4, LearningRateSchedule.WarmupStepsFor(4, 0.05, 200));
    }
}
