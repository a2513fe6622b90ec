// The `qwen2.5-7b` preset path through the real command line, at a size CI affords (the 0.5B-shaped
// run by hand is in docs/memory-plan.md): a random 2-layer Qwen2 with Qwen2.5's 151,936-token vocabulary and tokenizer
// (tests/reference/qwen-tokenizer), `train --preset qwen2.5-7b` (LoRA, bf16, beta 0.001, gradient checkpointing,
// chunked log-probs) for one step on the CPU, its checkpoint (merged model + PEFT adapter), and `eval` of that checkpoint.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Pipeline;

public sealed class Qwen7bPresetPathTests : IDisposable
{
    readonly Grpo.Tests.BadInput.Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void Preset_trains_one_step_with_lora_in_bf16_and_its_checkpoint_evaluates()
    {
        var modelDir = Path.Combine(cli.WorkDir, "model");
        using (var model = new Qwen2ForCausalLM(new Qwen2Config
               {
                   VocabSize = 151_936, HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4,
                   NumKeyValueHeads = 2, MaxPositionEmbeddings = 1024, TieWordEmbeddings = true,
                   BosTokenId = 151643, EosTokenId = [151645, 151643], PadTokenId = 151643,
               }))
        {
            model.InitWeights(seed: 1);
            model.SavePretrained(modelDir, Grpo.Tests.Model.ReferenceTokenizers.Qwen25Dir);
        }

        // Shortened for CI: one step of 1 prompt x 4 completions of at most 16 tokens, 32 training problems.
        var train = cli.Run("train", "--preset", "qwen2.5-7b", "--model", modelDir, "--device", "cpu", "--run-dir", "run",
            "--max-steps", "1", "--num-generations", "4", "--batch-size", "4", "--grad-accum", "1",
            "--max-completion-length", "16", "--set", "num_train_problems=32", "--quiet");
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);

        // The preset's settings reached the run, only the shortened ones changed.
        var config = CountdownRunConfig.Load(Path.Combine(cli.WorkDir, "run", "config.json"));
        Assert.Equal(new CountdownRunConfig
        {
            Grpo = GrpoConfig.Qwen25_7B with
            {
                ModelNameOrPath = modelDir, Device = "cpu", OutputDir = "run", MaxSteps = 1, NumGenerations = 4,
                PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, MaxCompletionLength = 16,
            },
            Task = CountdownTaskConfig.Full with { NumTrainProblems = 32 },
        }.ToJson(), config.ToJson());
        var metrics = JsonDocument.Parse(File.ReadAllLines(Path.Combine(cli.WorkDir, "run", "metrics.jsonl")).Single()).RootElement;
        Assert.True(metrics.TryGetProperty("kl", out _), "beta > 0 logs the KL to the reference (the base, adapters off)");
        Assert.Equal(1, metrics.GetProperty("step").GetInt32());

        var checkpoint = Path.Combine(cli.WorkDir, "run", "checkpoints", "checkpoint-1");
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "trainer_state.json", "optimizer.safetensors",
                     "adapter/adapter_config.json", "adapter/adapter_model.safetensors" })
            Assert.True(File.Exists(Path.Combine(checkpoint, file)), file);
        // merged: a plain Qwen2 in bf16 with Hugging Face names; the adapter: PEFT's layout over the base folder
        var merged = SafeTensors.ReadHeader(Path.Combine(checkpoint, "model.safetensors"), out _);
        Assert.DoesNotContain(merged, e => e.Name.Contains("lora") || e.Name.Contains("base_layer"));
        Assert.All(merged, e => Assert.Equal("BF16", e.Dtype));
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "adapter", "adapter_config.json")))!;
        Assert.Equal(16, adapterConfig["r"]!.GetValue<int>());
        Assert.Equal(modelDir, adapterConfig["base_model_name_or_path"]!.GetValue<string>());

        var eval = cli.Run("eval", "--model", checkpoint, "--test", Path.Combine(TestPaths.RepoRoot, "data", "countdown", "full", "test.parquet"),
            "-n", "3", "--max-new-tokens", "8", "--dtype", "bfloat16", "--out", "eval.json");
        Assert.True(eval.ExitCode == 0, eval.Stdout + eval.Stderr);
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(cli.WorkDir, "eval.json")))!;
        Assert.Equal(3, result["records"]!.AsArray().Count);
        Assert.All(result["records"]!.AsArray(), r => Assert.NotNull(r!["generation"]!.GetValue<string>()));
    }
}
