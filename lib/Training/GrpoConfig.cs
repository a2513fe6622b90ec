// Every setting of the GRPO trainer in one record (TRL's GRPOConfig names, snake_case in JSON) plus named presets. A task's
// own settings (its data, prompts and reward functions, as TRL's script arguments) are the task's record: a run folder's
// config.json holds both, flat, each field under its own name (ToRunJson / FromRunJson); `--config` files and CLI flags
// override fields of a preset.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Grpo.Files;
using Grpo.Model;
using Grpo.Training.Lora;

namespace Grpo.Training;

public sealed partial record GrpoConfig
{
    // --- model and data ---
    public string ModelNameOrPath { get; init; } = "data/models/countdown-tiny";
    public string Device { get; init; } = "cpu";                 // cpu | cuda | cuda:N
    public string Dtype { get; init; } = "float32";              // float32 | bfloat16
    public string OutputDir { get; init; } = "runs/grpo";

    // --- schedule ---
    public int MaxSteps { get; init; } = 200;                    // optimizer steps
    public int SaveSteps { get; init; } = 50;
    public int Seed { get; init; } = 42;

    // --- batch (TRL semantics: per_device_train_batch_size counts completions, not prompts) ---
    public int PerDeviceTrainBatchSize { get; init; } = 64;      // completions per forward/backward micro-batch
    public int GradientAccumulationSteps { get; init; } = 4;     // micro-batches per optimizer step
    public int NumGenerations { get; init; } = 8;                // G completions per prompt
    public int MaxPromptLength { get; init; } = 512;             // longer prompts keep their last tokens (as TRL)
    public int MaxCompletionLength { get; init; } = 96;

    // --- sampling ---
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;
    public int TopK { get; init; } = 0;

    // --- optimizer (AdamW, as transformers' Trainer defaults) ---
    public double LearningRate { get; init; } = 1e-4;
    public string LrSchedulerType { get; init; } = "cosine";     // cosine | linear | constant | constant_with_warmup
    public double WarmupRatio { get; init; } = 0.05;
    public int WarmupSteps { get; init; }                        // > 0 overrides warmup_ratio
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;

    // --- GRPO loss (TRL's GRPOConfig names; the top of GrpoTrainer.cs says what differs from TRL) ---
    public double Beta { get; init; }                            // KL weight; 0 = no reference model needed
    public double Epsilon { get; init; } = 0.2;
    public double? EpsilonHigh { get; init; }                    // null = epsilon (symmetric clip)
    public string LossType { get; init; } = "grpo";              // grpo | dr_grpo | bnpo | dapo
    public string ScaleRewards { get; init; } = "group";         // group | batch | none
    public int NumIterations { get; init; } = 1;                 // updates per generation batch (mu)
    public bool MaskTruncatedCompletions { get; init; }
    public bool SyncRefModel { get; init; }                      // TRL: every ref_model_sync_steps, ref = alpha * policy + (1 - alpha) * ref
    public int RefModelSyncSteps { get; init; } = 512;
    public double RefModelMixupAlpha { get; init; } = 0.6;
    public bool DropZeroStdGroups { get; init; }                 // not in TRL: skip groups whose rewards are all equal
    public bool DynamicSampling { get; init; }                   // DAPO: draw more prompts until B groups have signal
    public int DynamicSamplingMaxDraws { get; init; } = 4;       // cap on generation batches per step (dynamic_sampling)
    public IReadOnlyList<double>? RewardWeights { get; init; }        // one per reward function of the task; null = all 1

    // --- LoRA (TRL ModelConfig names) ---
    public bool UsePeft { get; init; }
    public int LoraR { get; init; } = 16;
    public int LoraAlpha { get; init; } = 32;
    public double LoraDropout { get; init; } = 0.05;
    public IReadOnlyList<string> LoraTargetModules { get; init; } =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    // --- memory and speed of the training forwards (results equal either way, within float rounding) ---
    public bool GradientCheckpointing { get; init; }             // TRL's name: recompute each decoder layer in backward
    public int LogitsChunkSize { get; init; } = ChunkedLogProbs.DefaultChunkSize;   // positions whose logits exist at once (0: unchunked)
    public bool SharePromptForward { get; init; } = true;        // not in TRL: a group's prompt runs once, its G completions attend to it
    public bool SortByLength { get; init; } = true;              // not in TRL: rows sorted by completion length before micro-batching (not for bnpo)

    // --- logging ---
    public double CompletionSampleFraction { get; init; } = 0.1; // share of completions written to completion_samples.txt

    [JsonIgnore] public int CompletionsPerStep => PerDeviceTrainBatchSize * GradientAccumulationSteps;
    [JsonIgnore] public int PromptsPerStep => CompletionsPerStep / NumGenerations;
    [JsonIgnore] public double EffectiveEpsilonHigh => EpsilonHigh ?? Epsilon;
    /// <summary>The run folder output_dir names.</summary>
    [JsonIgnore] public RunFolder Run => new(OutputDir);
    [JsonIgnore] public LoraSettings Lora => new(LoraR, LoraAlpha, LoraDropout, LoraTargetModules);

    /// <summary>The embedded CPU model (data/models/countdown-tiny) on the easy distribution: G=8, T=1, groups without
    /// signal dropped, B=16 prompts so that a step costs seconds on a 2-core CPU (the prompt is ~89 of ~135 tokens),
    /// beta 0.04 (k3 KL to the base: it beat beta 0 on every measure) and lr 1e-4 (it beat 2e-4 on sampled accuracy,
    /// pass@8 and greedy on two seeds). The experiments: docs/benchmarks.md, "Default recipe, round 2".</summary>
    public static GrpoConfig Tiny { get; } = new()
    {
        ModelNameOrPath = "data/models/countdown-tiny",
        MaxSteps = 200, SaveSteps = 50, PerDeviceTrainBatchSize = 64, GradientAccumulationSteps = 2,
        NumGenerations = 8, MaxCompletionLength = 192, Temperature = 1.0f, LearningRate = 1e-4, Beta = 0.04,
        DropZeroStdGroups = true, UsePeft = false,
    };

    /// <summary>The reference tutorial's setup for Qwen2.5-7B-Instruct on one 80 GB GPU: 200 steps, checkpoint every
    /// 50, 8 generations, lr 5e-7, beta 0.001, cosine with warmup, completions up to 1024 tokens, LoRA, bf16,
    /// gradient checkpointing.</summary>
    public static GrpoConfig Qwen25_7B { get; } = new()
    {
        ModelNameOrPath = "Qwen/Qwen2.5-7B-Instruct", Device = "cuda", Dtype = "bfloat16",
        MaxSteps = 200, SaveSteps = 50, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 4,
        NumGenerations = 8, MaxPromptLength = 256, MaxCompletionLength = 1024, Temperature = 1.0f,
        LearningRate = 5e-7, LrSchedulerType = "cosine", WarmupRatio = 0.03, Beta = 0.001,
        UsePeft = true, LoraR = 16, LoraAlpha = 32, LoraDropout = 0.05, GradientCheckpointing = true,
    };

    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "qwen2.5-7b"];

    public static GrpoConfig ByName(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "qwen2.5-7b" or "qwen25_7b" or "qwen2.5-7b-instruct" => Qwen25_7B,
        _ => throw new BadInputException($"Unknown GRPO preset '{name}'; known: {string.Join(", ", PresetNames)}"),
    };

    public static JsonSerializerOptions JsonOptions => StrictJson.RecordOptions;

    public static IReadOnlySet<string> FieldNames { get; } = StrictJson.FieldNames(new GrpoConfig());

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>A run's config.json: these fields, then the task's (<paramref name="task"/>, flat beside them; null for
    /// a task that keeps no settings).</summary>
    public JsonObject ToRunJson(JsonObject? task = null)
    {
        var all = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        foreach (var (key, value) in task ?? [])
        {
            if (all.ContainsKey(key)) throw new ArgumentException($"the task's setting '{key}' has the name of a GRPO config field");
            all[key] = value?.DeepClone();
        }
        return all;
    }

    public void Save(string path, JsonObject? task = null) =>
        AtomicFile.WriteAllText(path, ToRunJson(task).ToJsonString(JsonOptions));

    /// <summary>The trainer's fields of a run's config.json (the others are the task's, for the task to read); missing
    /// ones keep their defaults. Given the task's field names, a field in neither set is an error naming
    /// <paramref name="source"/>. Not range-checked: a report still reads an odd run.</summary>
    public static GrpoConfig FromRunJson(JsonObject runConfig, string source, IReadOnlySet<string>? taskFields = null)
    {
        if (taskFields is not null && runConfig.Select(kv => kv.Key).FirstOrDefault(k => !FieldNames.Contains(k) && !taskFields.Contains(k)) is { } unknown)
            throw new BadInputException($"{source}: unknown GRPO config field '{unknown}'");
        return Overlay(new GrpoConfig(), StrictJson.Only(runConfig, FieldNames), source, validate: false);
    }

    public static GrpoConfig FromJson(string json, string source = "json") => Overlay(new GrpoConfig(), json, source);

    /// <summary>A file of trainer fields only (a run's config.json also holds its task's: RunFolder.LoadConfig reads
    /// its trainer part).</summary>
    public static GrpoConfig Load(string path) => FromJson(File.Exists(path) ? File.ReadAllText(path)
        : throw new BadInputException($"GRPO config file not found: {path}"), path);

    /// <summary>Fields present in <paramref name="json"/> replace those of <paramref name="basis"/>; an unknown field
    /// name, a duplicate or a value out of range is an error naming <paramref name="source"/> and the field.
    /// validate: false leaves the range checks to the caller (several overlays in a row, then one check).</summary>
    public static GrpoConfig Overlay(GrpoConfig basis, string json, string source = "json", bool validate = true) =>
        Overlay(basis, StrictJson.ParseObject(json, source), source, validate);

    public static GrpoConfig Overlay(GrpoConfig basis, JsonObject fields, string source, bool validate = true)
    {
        var config = StrictJson.Overlay(basis, fields, source, "GRPO config");
        return validate ? config.Validated(source) : config;
    }

    /// <summary>Checks every field's range (NaN fails every check) and the fields against each other; returns this
    /// config or throws naming <paramref name="source"/> and the snake_case field.</summary>
    public GrpoConfig Validated(string source = "GRPO config")
    {
        void Require(bool ok, string message) { if (!ok) throw new BadInputException($"{source}: {message}"); }
        string Got(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Require(!string.IsNullOrWhiteSpace(ModelNameOrPath), "model_name_or_path is empty");
        Require(!string.IsNullOrWhiteSpace(OutputDir), "output_dir is empty");
        Require(DevicePattern().IsMatch(Device), $"device must be cpu, cuda or cuda:N (got '{Device}')");
        Require(Dtype is "float32" or "bfloat16" or "float16", $"dtype must be float32, bfloat16 or float16 (got '{Dtype}')");

        Require(MaxSteps > 0, $"max_steps must be > 0 (got {MaxSteps})");
        Require(SaveSteps > 0, $"save_steps must be > 0 (got {SaveSteps})");
        Require(NumGenerations >= 2, $"num_generations must be >= 2 for group advantages (got {NumGenerations})");
        Require(PerDeviceTrainBatchSize > 0, $"per_device_train_batch_size must be > 0 (got {PerDeviceTrainBatchSize})");
        Require(GradientAccumulationSteps > 0, $"gradient_accumulation_steps must be > 0 (got {GradientAccumulationSteps})");
        Require((long)PerDeviceTrainBatchSize * GradientAccumulationSteps <= int.MaxValue,
            "per_device_train_batch_size * gradient_accumulation_steps is too large");
        Require(CompletionsPerStep % NumGenerations == 0,
            $"per_device_train_batch_size * gradient_accumulation_steps ({CompletionsPerStep}) must be divisible by num_generations ({NumGenerations})");
        Require(MaxCompletionLength > 0, $"max_completion_length must be > 0 (got {MaxCompletionLength})");
        Require(MaxPromptLength > 0, $"max_prompt_length must be > 0 (got {MaxPromptLength})");

        Require(float.IsFinite(Temperature) && Temperature > 0, $"temperature must be a number > 0 (got {Got(Temperature)})");
        Require(TopP is > 0 and <= 1, $"top_p must be in (0, 1] (got {Got(TopP)})");
        Require(TopK >= 0, $"top_k must be >= 0 (0 = no limit; got {TopK})");
        Require(DynamicSamplingMaxDraws >= 1, $"dynamic_sampling_max_draws must be >= 1 (got {DynamicSamplingMaxDraws})");

        Require(double.IsFinite(LearningRate) && LearningRate >= 0, $"learning_rate must be a number >= 0 (got {Got(LearningRate)})");
        Require(LrSchedulerType is "cosine" or "linear" or "constant" or "constant_with_warmup",
            $"lr_scheduler_type must be cosine, linear, constant or constant_with_warmup (got '{LrSchedulerType}')");
        Require(WarmupRatio is >= 0 and <= 1, $"warmup_ratio must be in [0, 1] (got {Got(WarmupRatio)})");
        Require(WarmupSteps >= 0, $"warmup_steps must be >= 0 (got {WarmupSteps})");
        Require(AdamBeta1 is >= 0 and < 1, $"adam_beta1 must be in [0, 1) (got {Got(AdamBeta1)})");
        Require(AdamBeta2 is >= 0 and < 1, $"adam_beta2 must be in [0, 1) (got {Got(AdamBeta2)})");
        Require(double.IsFinite(AdamEpsilon) && AdamEpsilon > 0, $"adam_epsilon must be a number > 0 (got {Got(AdamEpsilon)})");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, $"weight_decay must be a number >= 0 (got {Got(WeightDecay)})");
        Require(double.IsFinite(MaxGradNorm) && MaxGradNorm > 0, $"max_grad_norm must be a number > 0 (got {Got(MaxGradNorm)})");

        Require(double.IsFinite(Beta) && Beta >= 0, $"beta must be a number >= 0 (got {Got(Beta)})");
        Require(Epsilon is >= 0 and < 1, $"epsilon must be in [0, 1) (got {Got(Epsilon)})");
        Require(EpsilonHigh is null || double.IsFinite(EpsilonHigh.Value) && EpsilonHigh >= 0,
            $"epsilon_high must be a number >= 0 or null (got {EpsilonHigh})");
        Require(RefModelSyncSteps >= 1, $"ref_model_sync_steps must be >= 1 (got {RefModelSyncSteps})");
        Require(RefModelMixupAlpha is > 0 and <= 1, $"ref_model_mixup_alpha must be in (0, 1] (got {Got(RefModelMixupAlpha)})");
        // The reference of a LoRA run is the base with its adapters off: there is no copy to move.
        Require(!SyncRefModel || Beta > 0 && !UsePeft, "sync_ref_model needs beta > 0 and a full reference copy (use_peft false)");
        Require(LossType is "grpo" or "dr_grpo" or "bnpo" or "dapo", $"loss_type must be grpo, dr_grpo, bnpo or dapo (got '{LossType}')");
        Require(ScaleRewards is "group" or "batch" or "none", $"scale_rewards must be group, batch or none (got '{ScaleRewards}')");
        Require(NumIterations >= 1, $"num_iterations must be >= 1 (got {NumIterations})");
        Require(SaveSteps % NumIterations == 0,
            $"save_steps ({SaveSteps}) must be a multiple of num_iterations ({NumIterations}) so checkpoints fall between generation batches");
        // Their count is checked against the task's reward functions (RequireRewardWeights).
        Require(RewardWeights is null || RewardWeights.All(double.IsFinite), "reward_weights must be numbers");

        Require(LoraR > 0, $"lora_r must be > 0 (got {LoraR})");
        Require(LoraAlpha > 0, $"lora_alpha must be > 0 (got {LoraAlpha})");
        Require(LoraDropout is >= 0 and < 1, $"lora_dropout must be in [0, 1) (got {Got(LoraDropout)})");
        Require(LoraTargetModules.Count > 0, "lora_target_modules is empty");
        foreach (var m in LoraTargetModules)
            Require(m is "q_proj" or "k_proj" or "v_proj" or "o_proj" or "gate_proj" or "up_proj" or "down_proj",
                $"lora_target_modules: unknown module '{m}' (known: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
        Require(LogitsChunkSize >= 0, $"logits_chunk_size must be >= 0 (0 = unchunked; got {LogitsChunkSize})");
        Require(CompletionSampleFraction is >= 0 and <= 1, $"completion_sample_fraction must be in [0, 1] (got {Got(CompletionSampleFraction)})");
        CheckUpperBounds(source);   // GrpoConfig.Bounds.cs
        ValidateRollouts(Require);
        return this;
    }

    /// <summary>reward_weights, one per reward function (all 1 when null); throws when the counts differ.</summary>
    public double[] RequireRewardWeights(IReadOnlyList<string> rewardNames, string source = "GRPO config")
    {
        if (RewardWeights is { } w && w.Count != rewardNames.Count)
            throw new BadInputException($"{source}: reward_weights has {w.Count} entries but there are {rewardNames.Count} reward functions ({string.Join(", ", rewardNames)})");
        return RewardWeights?.ToArray() ?? Enumerable.Repeat(1.0, rewardNames.Count).ToArray();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(cpu|cuda(:\d+)?)$")]
    private static partial System.Text.RegularExpressions.Regex DevicePattern();
}
