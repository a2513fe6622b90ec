// Writing and checking checkpoint folders (their names and the completeness rule are RunFolder's): written whole into a
// temporary folder and renamed into place, so a run killed mid-write leaves the previous checkpoint as the latest one.
// A checkpoint of a GRPO run holds the model (a Hugging Face folder, merged with LoRA), the LoRA adapters alone
// (adapter/), the AdamW moments, the float32 master weights of a bf16/fp16 run and the trainer state: with them a
// resumed run continues exactly.
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpo.Files;
using Grpo.Model;
using Grpo.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Grpo.Training;

/// <summary>trainer_state.json: everything besides weights and moments that a resumed run needs.</summary>
public sealed record TrainerState
{
    public int GlobalStep { get; init; }
    public int MaxSteps { get; init; }
    public int Seed { get; init; }
    public int DataEpoch { get; init; }
    public int DataPosition { get; init; }
    /// <summary>Rate the next update uses (the schedule itself is a function of global_step).</summary>
    public double LearningRate { get; init; }
    public string LrSchedulerType { get; init; } = "";
    public int WarmupSteps { get; init; }
    /// <summary>How the random streams derive from seed and step (they are not stored: they are recomputed).</summary>
    public string Rng { get; init; } = GrpoTrainer.RngDescription;
    public bool UsePeft { get; init; }
    public string BaseModel { get; init; } = "";
    public IReadOnlyList<Dictionary<string, double>> LogHistory { get; init; } = [];

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public const string FileName = "trainer_state.json";

    public void Save(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>What is wrong with this state as the state of checkpoint-<paramref name="step"/>, or null: a step
    /// other than the folder's (a state copied or edited by hand), a step outside 0..max_steps, a negative data
    /// position or epoch, a learning rate that is not a number >= 0. A resume would otherwise train from the wrong
    /// step and write checkpoints over good ones.</summary>
    public string? Inconsistency(int step)
    {
        if (GlobalStep != step) return $"{FileName} says global_step {GlobalStep}, but the folder is {RunFolder.CheckpointName(step)}";
        if (MaxSteps < 0 || GlobalStep < 0 || GlobalStep > MaxSteps) return $"{FileName}: global_step {GlobalStep} is outside 0..max_steps ({MaxSteps})";
        if (DataEpoch < 0 || DataPosition < 0) return $"{FileName}: data_epoch {DataEpoch} and data_position {DataPosition} must be >= 0";
        if (!double.IsFinite(LearningRate) || LearningRate < 0) return $"{FileName}: learning_rate {LearningRate} is not a number >= 0";
        if (WarmupSteps < 0) return $"{FileName}: warmup_steps {WarmupSteps} is negative";
        return null;
    }

    public static TrainerState Load(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"Not a complete checkpoint (no {FileName}): {dir}", path);
        try { return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }
}

public static class Checkpoints
{
    const string TempPrefix = ".tmp-checkpoint-";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string MasterWeightsFile = "master_weights.safetensors";
    public const string ReferenceModelFile = "reference_model.safetensors";
    const string AdapterFolder = "adapter";

    /// <summary>adapter/ of a checkpoint: the LoRA adapters alone, in PEFT's layout.</summary>
    public static string AdapterDir(string checkpointDir) => Path.Combine(checkpointDir, AdapterFolder);

    /// <summary>The policy as a Hugging Face model folder with the tokenizer files of <paramref name="tokenizerDir"/>
    /// (merged when it has LoRA adapters, which then also go to adapter/ with <paramref name="baseModel"/> as their base).</summary>
    public static void WriteModel(string dir, Qwen2ForCausalLM policy, LoraAdapters? lora, string tokenizerDir, string baseModel)
    {
        if (lora is not null)
        {
            lora.SaveMerged(dir, tokenizerDir);
            lora.Save(AdapterDir(dir), baseModel);
        }
        else policy.SavePretrained(dir, tokenizerDir);
    }

    /// <summary>AdamW's moments and, for a bf16/fp16 run, the float32 master weights.</summary>
    internal static void WriteTrainedState(string dir, TrainedParameters trained)
    {
        SaveOptimizer(Path.Combine(dir, OptimizerFile), trained.Optimizer, trained.Optimized);
        if (trained.Masters is { } masters)
            SafeTensors.Write(Path.Combine(dir, MasterWeightsFile), masters.Select(m => (m.Name, (Tensor)m.Parameter)));
    }

    /// <summary>Reads back what <see cref="WriteTrainedState"/> wrote (the model's own weights are already loaded).</summary>
    internal static void ReadTrainedState(string dir, TrainedParameters trained)
    {
        LoadOptimizer(Path.Combine(dir, OptimizerFile), trained.Optimizer, trained.Optimized);
        if (trained.Masters is { } masters)
        {
            LoadNamedWeights(Path.Combine(dir, MasterWeightsFile), masters);
            trained.CopyMastersToModel();
        }
    }

    /// <summary>With sync_ref_model the reference has moved from the base: a resume needs its weights.</summary>
    internal static void WriteReferenceModel(string dir, Qwen2ForCausalLM reference) =>
        SafeTensors.Write(Path.Combine(dir, ReferenceModelFile), reference.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));

    internal static void ReadReferenceModel(string dir, Qwen2ForCausalLM reference) =>
        LoadNamedWeights(Path.Combine(dir, ReferenceModelFile), reference.named_parameters().Select(p => (p.name, p.parameter)).ToList());

    static void LoadNamedWeights(string path, IReadOnlyList<(string Name, Parameter Parameter)> masters)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"weights not found: {path}", path);
        var byName = masters.ToDictionary(m => m.Name, m => m.Parameter);
        int loaded = 0;
        using var _ = no_grad();
        SafeTensors.ReadTensors(path, (entry, t) =>
        {
            if (!byName.TryGetValue(entry.Name, out var p)) throw new InvalidDataException($"{path}: \"{entry.Name}\" is not a trained parameter");
            p.copy_(t);
            loaded++;
        });
        if (loaded != masters.Count) throw new InvalidDataException($"{path}: {loaded} of {masters.Count} weights");
    }

    /// <summary>
    /// Creates checkpoint-<paramref name="step"/> of <paramref name="run"/> atomically and durably: <paramref name="write"/>
    /// fills a temporary folder, whose files and folders are flushed to disk (fsync) before it is renamed into place,
    /// and the rename is flushed too; so after a kill or a power cut either the whole checkpoint is there or none of
    /// it. If write throws (or the process dies), no checkpoint-N appears.
    /// </summary>
    public static string Save(RunFolder run, int step, Action<string> write)
    {
        var checkpointsDir = run.CheckpointsDir;
        Directory.CreateDirectory(checkpointsDir);
        foreach (var stale in Directory.GetDirectories(checkpointsDir, TempPrefix + "*"))
            Directory.Delete(stale, recursive: true);   // left by a run killed mid-write
        var final = run.CheckpointDir(step);
        // A file or a loop of links named checkpoint-N cannot be replaced by a folder (a run refuses to start when it
        // would meet one: RunFolder.RequireCheckpointFolders); checked before the weights are written.
        OutputPaths.CheckFolder(final, "checkpoint");
        var temp = Path.Combine(checkpointsDir, $"{TempPrefix}{step}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            AtomicFile.FlushTree(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); throw; }
        AtomicFile.FlushFolder(checkpointsDir);
        return final;
    }

    /// <summary>The deeper check a resume makes of a complete checkpoint (RunFolder.IsComplete): null when its files are
    /// whole, i.e. trainer_state.json parses and agrees with the folder's step (TrainerState.Inconsistency), config.json
    /// loads, and every safetensors file has a valid header whose tensors lie inside the file; else what is wrong.</summary>
    public static string? Verify(string dir)
    {
        try
        {
            var state = TrainerState.Load(dir);
            if (RunFolder.StepOf(dir) is int step && state.Inconsistency(step) is { } inconsistent) return inconsistent;
            var files = Directory.GetFiles(dir, "*.safetensors", SearchOption.AllDirectories);
            if (!files.Any(f => Path.GetFileName(f) is "model.safetensors" or "adapter_model.safetensors")
                && !File.Exists(Path.Combine(dir, "model.safetensors.index.json")))
                return "no model weights";
            if (!File.Exists(Path.Combine(dir, OptimizerFile))) return $"no {OptimizerFile}";
            foreach (var file in files) SafeTensors.ReadHeader(file, out _);
            Qwen2Config.Load(dir);
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or BadInputException or FormatException or JsonException)
        {
            return e.Message;
        }
    }

    /// <summary>AdamW moments per trained parameter as "&lt;name&gt;.exp_avg" / ".exp_avg_sq" (float32), and its step count.</summary>
    public static void SaveOptimizer(string path, AdamW optimizer, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        var states = optimizer.States;
        if (states.Count != parameters.Count)
            throw new InvalidOperationException($"optimizer holds {states.Count} states for {parameters.Count} parameters");
        var tensors = new List<(string, Tensor)>();
        using var stepCounts = tensor(states.Select(s => s.step).ToArray(), device: CPU);   // written to a file
        for (int i = 0; i < states.Count; i++)
        {
            tensors.Add(($"{parameters[i].Name}.exp_avg", states[i].exp_avg));
            tensors.Add(($"{parameters[i].Name}.exp_avg_sq", states[i].exp_avg_sq));
        }
        tensors.Add(("__step__", stepCounts));
        SafeTensors.Write(path, tensors);
    }

    public static void LoadOptimizer(string path, AdamW optimizer, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Optimizer state not found: {path}", path);
        var states = optimizer.States;
        var index = parameters.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i);
        long[]? steps = null;
        int loaded = 0;
        using var _ = no_grad();
        SafeTensors.ReadTensors(path, (entry, t) =>
        {
            if (entry.Name == "__step__") { steps = t.to(ScalarType.Int64).data<long>().ToArray(); return; }
            var dot = entry.Name.LastIndexOf(".exp_avg", StringComparison.Ordinal);
            if (dot < 0 || !index.TryGetValue(entry.Name[..dot], out var i))
                throw new InvalidDataException($"{path}: tensor \"{entry.Name}\" matches no trained parameter");
            var target = entry.Name.EndsWith(".exp_avg_sq", StringComparison.Ordinal) ? states[i].exp_avg_sq : states[i].exp_avg;
            target.copy_(t);
            loaded++;
        });
        if (loaded != 2 * parameters.Count || steps is null || steps.Length != states.Count)
            throw new InvalidDataException($"{path}: expected moments for {parameters.Count} parameters and their step counts");
        for (int i = 0; i < states.Count; i++) states[i].step = steps[i];
    }
}
