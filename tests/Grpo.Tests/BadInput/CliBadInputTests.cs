// Bad inputs run through the real CLI: each must end in one clear line naming the flag or
// file, exit code 1, no stack trace, and the working folder (an existing run included) left exactly as it was.
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class CliBadInputTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("../..")]
    [InlineData("/tmp/x")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Train_run_name_that_would_escape_runs_is_refused(string name) =>
        cli.AssertCleanError(cli.Run("train", "--name", name), "--name", name);

    [Theory]
    [InlineData("train", "--name")]                              // once started a 200-step run named "__default_command"
    [InlineData("eval", "--model", "--test", "x.parquet")]
    [InlineData("pipeline", "--max-steps", "--seed", "1")]
    public void Flag_without_its_value_is_refused_naming_the_flag(params string[] args) =>
        cli.AssertCleanError(cli.Run(args), args[1], "needs a value");

    [Theory]
    [InlineData("missing", "folder not found")]
    [InlineData("a-file", "is a file, not a folder")]
    public void Report_with_a_compared_run_that_is_no_folder_is_refused_before_any_report_is_written(string other, string why)
    {
        Directory.CreateDirectory(Path.Combine(cli.WorkDir, "runs", "a"));
        File.WriteAllText(Path.Combine(cli.WorkDir, "a-file"), "x");
        cli.AssertCleanError(cli.Run("report", "--run", "runs/a", "--run", other), "--run", other, why);
    }

    [Fact]
    public void Train_empty_run_name_is_refused() =>
        cli.AssertCleanError(cli.Run("train", "--name", ""), "--name", "empty");

    [Fact]
    public void Pipeline_run_name_that_would_escape_runs_is_refused() =>
        cli.AssertCleanError(cli.Run("pipeline", "--name", "../../x"), "--name", "../../x");

    [Fact]
    public void Eval_checkpoint_name_with_a_path_is_refused() =>
        cli.AssertCleanError(cli.Run("eval", "--model", Cli.TinyModel, "--name", "../../x"), "--name", "../../x");

    [Fact]
    public void Resume_of_a_run_that_does_not_exist_is_refused_instead_of_starting_a_new_one() =>
        cli.AssertCleanError(cli.Run("train", "--name", "no-such-run", "--resume"), "--resume", "no-such-run");

    [Fact]
    public void Resume_without_the_runs_config_json_is_refused_naming_the_file()
    {
        // A run folder as a killed 4-step run leaves it, minus its config.json.
        var run = Directory.CreateDirectory(Path.Combine(cli.WorkDir, "runs", "x")).FullName;
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"step\":1,\"reward\":0.5}\n");
        Directory.CreateDirectory(Path.Combine(run, "checkpoints"));
        cli.AssertCleanError(cli.Run("train", "--name", "x", "--resume"), Path.Combine("runs", "x", "config.json"), "not found");
    }

    [Theory]
    [InlineData("top_p=-1", "top_p")]
    [InlineData("adam_beta1=NaN", "adam_beta1")]
    [InlineData("warmup_ratio=NaN", "warmup_ratio")]
    [InlineData("temperature=NaN", "temperature")]
    [InlineData("top_k=-1", "top_k")]
    [InlineData("loss_type=ppo", "loss_type")]
    [InlineData("max_grad_norm=0", "max_grad_norm")]
    [InlineData("learning_rate=Infinity", "learning_rate")]
    [InlineData("lora_target_modules=[\"qproj\"]", "lora_target_modules")]
    [InlineData("reward_funcs=[]", "reward_funcs")]
    [InlineData("model_name_or_path=null", "model_name_or_path")]
    public void Train_setting_out_of_range_is_refused_naming_the_field(string assignment, string field) =>
        cli.AssertCleanError(cli.Run("train", "--name", "t", "--set", assignment), field);

    [Fact]
    public void Train_config_file_with_a_duplicate_key_is_refused_naming_the_file()
    {
        var config = Path.Combine(Path.GetTempPath(), $"grpo-dup-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """{"max_steps": 4, "max_steps": 200}""");
        try { cli.AssertCleanError(cli.Run("train", "--name", "t", "--config", config), config, "max_steps"); }
        finally { File.Delete(config); }
    }

    [Fact]
    public void Generate_prompt_id_past_the_vocabulary_is_refused() =>
        cli.AssertCleanError(cli.Run("generate", "--model", Cli.TinyModel, "--prompt-ids", "99999"), "--prompt-ids", "99999", "vocabulary");

    [Fact]
    public void Tokenize_id_past_the_vocabulary_is_refused_instead_of_printing_nothing() =>
        cli.AssertCleanError(cli.Run("tokenize", "--model", Cli.TinyModel, "--ids", "99999"), "--ids", "99999", "vocabulary");

    [Fact]
    public void Generate_past_max_position_embeddings_is_refused_before_generating() =>
        cli.AssertCleanError(cli.Run("generate", "--model", Cli.TinyModel, "--prompt-ids", "1,2,3", "--max-new-tokens", "600"),
            "max_new_tokens 600", "max_position_embeddings 512");

    [Theory]
    [InlineData("--temperature", "NaN", "temperature")]
    [InlineData("--top-p", "0", "top_p")]
    [InlineData("--top-k", "-2", "top_k")]
    public void Generate_sampling_setting_out_of_range_is_refused(string flag, string value, string field) =>
        cli.AssertCleanError(cli.Run("generate", "--model", Cli.TinyModel, "--prompt-ids", "1,2,3", flag, value,
            "--temperature" == flag ? "--seed" : "--temperature", "1"), field);

    [Fact]
    public void Eval_of_a_missing_model_folder_names_the_folder() =>
        cli.AssertCleanError(cli.Run("eval", "--model", "data/models/no-such-model", "--test", Cli.EasyTest),
            "data/models/no-such-model", "folder not found");

    [Fact]
    public void Eval_with_nan_temperature_is_refused() =>
        cli.AssertCleanError(cli.Run("eval", "--model", Cli.TinyModel, "--test", Cli.EasyTest, "--samples", "2", "--temperature", "NaN"),
            "temperature");

    [Fact]
    public void Score_line_with_a_duplicate_key_names_the_line_and_writes_nothing()
    {
        var input = Path.Combine(Path.GetTempPath(), $"grpo-score-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(input, "{\"completion\": \"x\", \"nums\": [1, 2], \"target\": 3}\n" +
                                 "{\"completion\": \"x\", \"nums\": [1, 2], \"nums\": [3], \"target\": 3}\n");
        try { cli.AssertCleanError(cli.Run("score", "--input", input, "--output", "out.jsonl"), "line 2", "nums"); }
        finally { File.Delete(input); }
    }

    [Fact]
    public void Generate_input_line_with_ids_of_the_wrong_type_names_the_line()
    {
        var input = Path.Combine(Path.GetTempPath(), $"grpo-gen-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(input, "{\"prompt_ids\": [1, 2]}\n{\"prompt_ids\": [1, \"two\"]}\n");
        try { cli.AssertCleanError(cli.Run("generate", "--model", Cli.TinyModel, "--input", input), $"{input}:2", "\"two\""); }
        finally { File.Delete(input); }
    }

    [Theory]
    [InlineData("--max-steps", "abc", "a whole number", "train", "--name", "t")]
    [InlineData("--learning-rate", "fast", "a number", "pipeline", "--name", "p")]
    [InlineData("--temperature", "warm", "a number", "eval", "--model", "m")]
    [InlineData("-n", "ten", "a whole number", "eval", "--model", "m")]
    public void Flag_value_that_does_not_convert_is_refused_naming_the_flag(string flag, string value, string expected, params string[] args) =>
        cli.AssertCleanError(cli.Run([.. args, flag, value]), $"{flag}: '{value}' is not {expected}");

    [Fact]
    public void Flag_value_given_with_an_equals_sign_is_named_too() =>
        cli.AssertCleanError(cli.Run("train", "--name", "7", "--save-steps=7x"), "--save-steps: '7x' is not a whole number");

    [Fact]
    public void Pipeline_set_reaches_the_runs_grpo_settings_and_is_checked_before_any_work() =>
        cli.AssertCleanError(cli.Run("pipeline", "--name", "p", "--set", "num_generations=3"),
            "num_generations (3)", "divisible");

    [Fact]
    public void Aha_negative_context_is_refused() =>
        cli.AssertCleanError(cli.Run("aha", "--input", "x.txt", "--context", "-1"), "--context");

    [Fact]
    public void Bench_with_an_unknown_part_is_refused() =>
        cli.AssertCleanError(cli.Run("bench", "--parts", "tiny,fast"), "--parts", "tiny,fast");

    [Fact]
    public void Plan_memory_with_a_missing_model_config_is_refused_naming_it() =>
        cli.AssertCleanError(cli.Run("plan-memory", "--model-config", "no-such-config.json"), "--model-config", "no-such-config.json");

    [Fact]
    public void Plan_memory_with_a_bad_gpu_size_is_refused_naming_the_value() =>
        cli.AssertCleanError(cli.Run("plan-memory", "--model-config", Path.Combine(TestPaths.RepoRoot, "data", "model-shapes", "qwen2.5-7b.json"),
            "--gpu-memory", "24,lots"), "--gpu-memory", "lots");

    [Fact]
    public void Bench_step_with_a_reversed_synthetic_token_range_is_refused() =>
        cli.AssertCleanError(cli.Run("bench-step", "--model", TestPaths.Reference("qwen2-tiny"), "--synthetic-token", "9-3"), "--synthetic-token", "9-3");
}
