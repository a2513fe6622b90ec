// The memory plan's arithmetic against numbers worked by hand (and, for parameter counts, against what PEFT's
// print_trainable_parameters() prints for the public Qwen2.5 models), and the relations its levers must keep.
using Grpo.Model;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Training;

public class MemoryPlanTests
{
    static Qwen2Config Shape(string name) => Qwen2Config.LoadFile(Path.Combine(TestPaths.RepoRoot, "data", "model-shapes", $"qwen2.5-{name}.json"));

    static long Part(MemoryPlan plan, string phase, string name) => plan.Parts.Single(p => p.Phase == phase && p.Name == name).Bytes;

    [Fact]
    public void Parameter_counts_match_what_peft_prints_for_qwen25_with_lora_r16_on_seven_projections()
    {
        // PEFT, r=16 on q/k/v/o/gate/up/down: "trainable params: 8,798,208 || all params: 502,830,976" (Qwen2.5-0.5B)
        // and "trainable params: 40,370,176 || all params: 7,655,986,688" (Qwen2.5-7B); all = base + adapters.
        var lora = GrpoConfig.Qwen25_7B;
        Assert.Equal(8_798_208, MemoryPlan.LoraParameterCount(Shape("0.5b"), lora));
        Assert.Equal(502_830_976 - 8_798_208, MemoryPlan.ParameterCount(Shape("0.5b")));
        Assert.Equal(40_370_176, MemoryPlan.LoraParameterCount(Shape("7b"), lora));
        Assert.Equal(7_655_986_688 - 40_370_176, MemoryPlan.ParameterCount(Shape("7b")));
    }

    [Fact]
    public void Seven_b_preset_persistent_parts_and_kv_cache_are_the_hand_worked_bytes()
    {
        var plan = MemoryPlan.For(Shape("7b"), GrpoConfig.Qwen25_7B);   // cuda, bf16, LoRA, B=4 x G=8, prompt 256 + 1024
        // 7,615,616,512 weights x 2 B + rotary cos/sin: 2 x 32,768 positions x 128 x 4 B
        Assert.Equal(7_615_616_512L * 2 + 2L * 32_768 * 128 * 4, Part(plan, MemoryPlan.Persistent, "weights"));
        // 40,370,176 float32 adapters x (weight 4 + grad 4 + two AdamW moments 8)
        Assert.Equal(40_370_176L * 16, Part(plan, MemoryPlan.Persistent, "LoRA + grads + AdamW"));
        // 32 rows x 1,280 positions x (28 layers x 2 x 4 KV heads x 128 + 1 padding slot) x 2 B
        Assert.Equal(32L * 1280 * (28 * 2 * 512 + 1) * 2, Part(plan, "generation", "KV cache"));
        Assert.DoesNotContain(plan.Parts, p => p.Name == "reference model");   // LoRA: the base with adapters off
        Assert.Equal(MemoryPlan.CudaContextBytes, Part(plan, MemoryPlan.Persistent, "CUDA context"));
    }

    [Fact]
    public void Full_fine_tuning_in_bf16_holds_grads_float32_masters_and_moments_and_beta_adds_a_reference_copy()
    {
        var model = Shape("0.5b");
        var config = GrpoConfig.Qwen25_7B with { UsePeft = false, Beta = 0.04 };
        var plan = MemoryPlan.For(model, config);
        long n = 494_032_768;
        // per parameter: bf16 grad 2 + float32 master 4 + its grad 4 + moments 8
        Assert.Equal(n * 18, Part(plan, MemoryPlan.Persistent, "grads + AdamW + float32 masters"));
        Assert.Equal(Part(plan, MemoryPlan.Persistent, "weights"), Part(plan, MemoryPlan.Persistent, "reference model"));
        // float32: grad 4 + moments 8, no masters
        var fp32 = MemoryPlan.For(model, config with { Dtype = "float32" });
        Assert.Equal(n * 12, Part(fp32, MemoryPlan.Persistent, "grads + AdamW"));
    }

    [Fact]
    public void Kept_activations_per_token_of_a_small_lora_layer_are_the_hand_count()
    {
        // hidden 8, intermediate 16, 2 heads of 4 (1 KV head), bf16, LoRA r=2 with dropout on all seven projections.
        var model = new Qwen2Config { VocabSize = 32, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1 };
        var config = GrpoConfig.Qwen25_7B with { LoraR = 2 };
        long norms = 2 * (4 * 8 + 4);                  // float32 input of each RMSNorm + its float32 rsqrt
        long attention = 2 * 2 * 8 + 4 * 2;            // q and the output in bf16, a float32 logsumexp per head
        long mlp = 3 * 2 * 16;                         // gate, silu(gate), up
        long adapters = 2 * 2 * (3 * 8 + 8 + 2 * 8 + 16)   // dropout mask + dropped input of each projection's input width
                        + 7 * 2 * 2;                       // x A^T: r values per projection
        Assert.Equal(norms + attention + mlp + adapters,
            MemoryPlan.ActivationBytesPerToken(new MemoryPlan.Shape(model, config, promptLength: 4)));
    }

    [Fact]
    public void Gradient_checkpointing_keeps_each_layers_input_and_the_prompt_keys_only()
    {
        var model = Shape("0.5b");
        var config = GrpoConfig.Qwen25_7B with { Device = "cpu", PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 512 };
        var plan = MemoryPlan.For(model, config, new MemoryPlanOptions { PromptLength = 8 });
        // 24 layers x (4 x 512 completion + 1 x 8 prompt tokens) x 896 x 2 B, + 24 x 8 prompt keys/values x 2 x 128 x 2 B,
        // + the attention masks: 4 rows x 7 query heads per KV head x 512 x 520 keys, and 1 x 7 x 8 x 8, x 2 B
        long expected = 24L * (4 * 512 + 8) * 896 * 2 + 24L * 8 * 2 * 128 * 2 + (4L * 7 * 512 * 520 + 7 * 8 * 8) * 2;
        Assert.Equal(expected, Part(plan, "update: LM head", "activations kept for backward"));
        var plain = MemoryPlan.For(model, config with { GradientCheckpointing = false }, new MemoryPlanOptions { PromptLength = 8 });
        Assert.True(Part(plain, "update: LM head", "activations kept for backward") > 20 * expected);
    }

    [Fact]
    public void The_lm_head_costs_the_chunk_with_chunking_and_every_position_without()
    {
        var model = Shape("0.5b");
        var config = GrpoConfig.Qwen25_7B with { Device = "cpu", PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 512 };
        var chunked = MemoryPlan.For(model, config);
        // frozen head (LoRA): 512 positions x 151,936 x (bf16 logits 2 + float32 4 + softmax 4 + entropy product 4 + bf16 d logits 2)
        Assert.Equal(512L * 151_936 * 16, Part(chunked, "update: LM head", "logits chunk"));
        var full = MemoryPlan.For(model, config with { LogitsChunkSize = 0 });
        // all 2,048 positions x (bf16 2 + float32 4 + / temperature 4 + log-softmax 4 + softmax 4 + product 4)
        Assert.Equal(2048L * 151_936 * 22, Part(full, "update: LM head", "full logits"));
        Assert.Equal("update: LM head", full.Peak.Name);
    }

    [Fact]
    public void Largest_micro_batch_fits_and_the_next_valid_one_does_not()
    {
        var model = Shape("7b");
        var config = GrpoConfig.Qwen25_7B;   // gradient_accumulation_steps 4, G = 8: the micro-batch must be even
        long device = 80_000_000_000;
        var mb = MemoryPlan.LargestMicroBatch(model, config, device);
        Assert.NotNull(mb);
        Assert.Equal(0, mb!.Value % 2);
        Assert.True(MemoryPlan.For(model, config with { PerDeviceTrainBatchSize = mb.Value }).Peak.Bytes <= 0.9 * device);
        Assert.True(MemoryPlan.For(model, config with { PerDeviceTrainBatchSize = mb.Value + 2 }).Peak.Bytes > 0.9 * device);
        Assert.Null(MemoryPlan.LargestMicroBatch(model, config, 10_000_000_000));   // 15 GB of bf16 weights alone
    }

    [Fact]
    public void No_reference_pass_without_beta_and_with_one_iteration()
    {
        var plan = MemoryPlan.For(Shape("0.5b"), GrpoConfig.Qwen25_7B with { Beta = 0, NumIterations = 1 });
        Assert.DoesNotContain(plan.Phases, p => p.Name == "reference log-probs");
        var withBeta = MemoryPlan.For(Shape("0.5b"), GrpoConfig.Qwen25_7B);
        Assert.Contains(withBeta.Phases, p => p.Name == "reference log-probs");
    }

    [Fact]
    public void On_the_cpu_a_phase_also_holds_what_the_phase_before_freed_up_to_one_gib()
    {
        var config = GrpoConfig.Qwen25_7B with { Device = "cpu", PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 512 };
        var cpu = MemoryPlan.For(Shape("0.5b"), config);
        long reference = cpu.Parts.Where(p => p.Phase == "reference log-probs" && !p.Name.StartsWith("heap kept")).Sum(p => p.Bytes);
        Assert.True(reference < 1L << 30);
        Assert.Equal(reference, Part(cpu, "update: LM head", "heap kept from reference log-probs"));
        var unchunked = MemoryPlan.For(Shape("0.5b"), config with { LogitsChunkSize = 0 });
        Assert.Equal(1L << 30, Part(unchunked, "update: LM head", "heap kept from reference log-probs"));
        var gpu = MemoryPlan.For(Shape("0.5b"), config with { Device = "cuda" });
        Assert.DoesNotContain(gpu.Parts, p => p.Name.StartsWith("heap kept"));
    }
}
