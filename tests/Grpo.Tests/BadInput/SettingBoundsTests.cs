// Settings that pass the old lower-bound checks but cannot train, and counts that size an allocation: each has a
// documented upper bound (docs/bad-input.md), checked before any work, naming the field or flag. Before the bounds,
// learning_rate or weight_decay 1e308 trained to non-finite weights with exit 0, max_grad_norm / epsilon_high / beta /
// reward_weights 1e308 failed inside libtorch mid-run, lora_r 1e9 crashed the process (exit 139) and vocab_size 2^31-1
// was a libtorch trace.
using System.Text.Json.Nodes;
using Grpo.Model;
using Grpo.Training;
using Grpo.Training.Lora;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class SettingBoundsTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("""{"learning_rate": 1e308}""", "learning_rate")]
    [InlineData("""{"learning_rate": 1.5}""", "learning_rate")]
    [InlineData("""{"weight_decay": 1e308}""", "weight_decay")]
    [InlineData("""{"max_grad_norm": 1e308}""", "max_grad_norm")]
    [InlineData("""{"epsilon_high": 1e308}""", "epsilon_high")]
    [InlineData("""{"beta": 1e308}""", "beta")]
    [InlineData("""{"adam_epsilon": 1e308}""", "adam_epsilon")]
    [InlineData("""{"temperature": 1e30}""", "temperature")]
    [InlineData("""{"reward_weights": [1e308, 1]}""", "reward_weights")]
    [InlineData("""{"reward_weights": [1, -1e308]}""", "reward_weights")]
    [InlineData("""{"lora_r": 1000000000}""", "lora_r")]
    [InlineData("""{"max_steps": 2147483647}""", "max_steps")]
    [InlineData("""{"max_completion_length": 2147483647}""", "max_completion_length")]
    [InlineData("""{"per_device_train_batch_size": 1048576, "gradient_accumulation_steps": 1024}""", "completions per step")]
    [InlineData("""{"num_iterations": 100000, "save_steps": 100000}""", "num_iterations")]
    public void Finite_setting_far_outside_what_can_train_is_refused_naming_the_field(string json, string field)
    {
        var e = Assert.Throws<BadInputException>(() => GrpoConfig.Overlay(GrpoConfig.Tiny, json, "my.json"));
        Assert.StartsWith("my.json: ", e.Message);
        Assert.Contains(field + " must be at most", e.Message);
    }

    [Fact]
    public void Presets_lie_within_every_bound()
    {
        foreach (var name in GrpoConfig.PresetNames)
            foreach (var (field, value, max, _) in GrpoConfig.UpperBounds)
                Assert.True(value(GrpoConfig.ByName(name)) <= max, $"{name}: {field}");
    }

    [Fact]
    public void Docs_list_every_bound()
    {
        var docs = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "bad-input.md"));
        var section = docs[docs.IndexOf("## Upper bounds", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        foreach (var (field, _, _, _) in GrpoConfig.UpperBounds) Assert.Contains(field, section);
    }

    [Fact]
    public void Lora_rank_above_the_models_projection_sides_is_refused_before_training()
    {
        using var model = new RandomModelFolder();   // hidden 32, k_proj/v_proj 32 -> 16
        var root = Directory.CreateTempSubdirectory("grpo-lora-").FullName;
        try
        {
            var config = GrpoConfig.Tiny with
            {
                ModelNameOrPath = model.Dir, OutputDir = Path.Combine(root, "run"), MaxSteps = 1, PerDeviceTrainBatchSize = 8,
                GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 4,
                UsePeft = true, LoraR = 17, Beta = 0,
            };
            var prompts = Enumerable.Range(0, 8).Select(i => new TrainingPrompt([i + 1, i + 2])).ToList();
            var reward = new RewardFunction("ones", x => x.CompletionIds.Count(t => t == 1) / 4.0);
            var e = Assert.Throws<BadInputException>(() => GrpoRun.Create(config, () => new GrpoTask(prompts, [reward], TokenSpec.Raw([301], 302))));
            Assert.Contains("lora_r 17 exceeds 16", e.Message);
            Assert.Contains("k_proj", e.Message);
            Assert.False(Directory.Exists(config.OutputDir));   // nothing written
            new LoraSettings(16, 32, 0, ["k_proj", "q_proj"]).CheckFits(RandomModelFolder.Config, "m");   // the largest that fits
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Lora_rank_of_a_billion_is_a_clean_error_not_a_crash() =>
        cli.AssertCleanError(cli.Run("train", "--name", "t", "--lora", "true", "--set", "lora_r=1000000000"), "lora_r", "1000000000");

    /// <summary>The random model folder with config.json's <paramref name="field"/> set to <paramref name="value"/>.</summary>
    static void EditConfig(RandomModelFolder model, string field, long value)
    {
        var json = JsonNode.Parse(File.ReadAllText(model.File("config.json")))!;
        json[field] = value;
        File.WriteAllText(model.File("config.json"), json.ToJsonString());
    }

    [Theory]
    [InlineData("vocab_size", 2147483647L, "vocab_size must be at most")]
    [InlineData("hidden_size", 1L << 30, "hidden_size must be at most")]
    [InlineData("intermediate_size", 2147483647L, "intermediate_size must be at most")]
    [InlineData("num_hidden_layers", 1000000L, "num_hidden_layers must be at most")]
    [InlineData("max_position_embeddings", 2147483647L, "the rotary tables' size")]
    public void Model_config_size_past_its_bound_is_refused_naming_the_field(string field, long value, string message)
    {
        using var model = new RandomModelFolder();
        EditConfig(model, field, value);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(model.Dir));
        Assert.Contains(model.File("config.json"), e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Model_config_sizes_that_disagree_with_the_weights_are_refused_before_allocating()
    {
        using var model = new RandomModelFolder();
        EditConfig(model, "vocab_size", 1 << 20);   // within the bound; the weights hold 320 rows
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(model.Dir));
        Assert.Contains("config.json implies [1048576, 32]", e.Message);   // lm_head.weight or model.embed_tokens.weight
        Assert.Contains("vocab_size 1048576", e.Message);
    }

    [Fact]
    public void Parameter_shapes_from_the_config_are_the_models_own()
    {
        foreach (var config in new[] { RandomModelFolder.Config, RandomModelFolder.Config with { TieWordEmbeddings = true } })
        {
            using var m = new Qwen2ForCausalLM(config);
            var actual = m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            var expected = config.ParameterShapes();
            Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), expected.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, shape) in expected) Assert.Equal(actual[name], shape);
        }
    }

    [Fact]
    public void Data_count_of_two_billion_is_refused_instead_of_running_out_of_memory() =>
        cli.AssertCleanError(cli.Run("data", "--count", "2000000000"), "--count", "at most 1,000,000");

    [Fact]
    public void Aha_context_of_int_max_is_refused_instead_of_a_trace()
    {
        var samples = Path.Combine(cli.WorkDir, "samples.txt");
        File.WriteAllText(samples, "=== step 1 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\nwait, 1+2+3=6\n\n");
        cli.AssertCleanError(cli.Run("aha", "--input", samples, "--context", "2147483647"), "--context", "2147483647");
    }

    [Fact]
    public void Eval_samples_of_two_billion_are_refused() =>
        cli.AssertCleanError(cli.Run("eval", "--model", Cli.TinyModel, "--test", Cli.EasyTest, "--samples", "2000000000"), "samples", "2000000000");
}
