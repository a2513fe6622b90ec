// Upper bounds of the GRPO settings, in one table: finite values far outside what can train (learning_rate 1e308 gives
// non-finite weights; beta, epsilon_high or max_grad_norm beyond float's range make libtorch fail mid-run) and counts
// that size an allocation (a batch of 2^31 completions). Each bound is generous for real runs; docs/bad-input.md lists
// them with the reasons. The lower bounds and the fields' relations stay in Validated.
namespace Grpo.Training;

public sealed partial record GrpoConfig
{
    /// <summary>The largest count that sizes a tensor or a list: 2^20 (a million tokens per sequence or completions
    /// per step is far past any single-device run, and its products stay within libtorch's sizes).</summary>
    public const int MaxSize = 1 << 20;

    /// <summary>Field (snake_case), its value, the largest value allowed, why.</summary>
    public static IReadOnlyList<(string Field, Func<GrpoConfig, double> Value, double Max, string Why)> UpperBounds { get; } =
    [
        ("learning_rate", c => c.LearningRate, 1, "AdamW moves each weight by about the learning rate per step; real runs use 1e-7 to 1e-3"),
        ("weight_decay", c => c.WeightDecay, 1, "decoupled decay shrinks each weight by learning_rate x weight_decay per step"),
        ("adam_epsilon", c => c.AdamEpsilon, 1, "a denominator guard (1e-8); above 1 it replaces the gradient's scale"),
        ("max_grad_norm", c => c.MaxGradNorm, 1e6, "a clipping threshold; healthy gradient norms are 0.01-100, so 1e6 already means no clipping"),
        ("beta", c => c.Beta, 10, "the KL weight (TRL 0.04, the tutorial 0.001); above 10 the KL term is all the loss"),
        ("epsilon_high", c => c.EpsilonHigh ?? 0, 10, "the ratio clip's upper side 1 + epsilon_high (DAPO uses 0.28)"),
        ("temperature", c => c.Temperature, 100, "sampling temperature; above about 10 every token is nearly equally likely"),
        ("max_steps", c => c.MaxSteps, 10_000_000, "the trainer keeps one history entry per step"),
        ("save_steps", c => c.SaveSteps, 10_000_000, "at most max_steps' bound"),
        ("warmup_steps", c => c.WarmupSteps, 10_000_000, "at most max_steps' bound"),
        ("per_device_train_batch_size", c => c.PerDeviceTrainBatchSize, MaxSize, "completions per micro-batch"),
        ("gradient_accumulation_steps", c => c.GradientAccumulationSteps, MaxSize, "micro-batches per step"),
        ("num_generations", c => c.NumGenerations, MaxSize, "completions per prompt"),
        ("completions per step", c => (double)c.PerDeviceTrainBatchSize * c.GradientAccumulationSteps, MaxSize,
            "per_device_train_batch_size x gradient_accumulation_steps completions are generated at once"),
        ("max_prompt_length", c => c.MaxPromptLength, MaxSize, "tokens; the model's max_position_embeddings bounds it further"),
        ("max_completion_length", c => c.MaxCompletionLength, MaxSize, "tokens; the model's max_position_embeddings bounds it further"),
        ("top_k", c => c.TopK, MaxSize, "at most the vocabulary's bound"),
        ("num_iterations", c => c.NumIterations, 1024, "updates per generation batch (TRL's default 1)"),
        ("dynamic_sampling_max_draws", c => c.DynamicSamplingMaxDraws, 1024, "generation batches per step"),
        ("lora_r", c => c.LoraR, 65536, "the largest hidden_size a model config may give; the model's own sizes bound it further"),
        ("lora_alpha", c => c.LoraAlpha, 65536, "LoRA scales its update by lora_alpha / lora_r"),
        ("logits_chunk_size", c => c.LogitsChunkSize, MaxSize, "positions whose logits exist at once"),
        ("reward_weights", c => c.RewardWeights is { Count: > 0 } w ? w.Max(Math.Abs) : 0, 1000,
            "each weight by its size; rewards are normalised per group, so weights only set their relative size"),
    ];

    /// <summary>Throws naming the field when a value exceeds its bound (<see cref="UpperBounds"/>).</summary>
    void CheckUpperBounds(string source)
    {
        foreach (var (field, value, max, why) in UpperBounds)
        {
            double v = value(this);
            if (v > max)
                throw new BadInputException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{source}: {field} must be at most {max:G} (got {v:G}): {why}"));
        }
    }
}
