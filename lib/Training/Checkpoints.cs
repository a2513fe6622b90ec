// Writing and checking checkpoint folders (their names and the completeness rule are RunFolder's): written whole into a
// temporary folder and renamed into place, so a run killed mid-write leaves the previous checkpoint as the latest one. Also the trainer state and the
// AdamW moments (safetensors), which with the model make a resumed run continue exactly.
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpo.Files;
using Grpo.Model;
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
        var temp = Path.Combine(checkpointsDir, $"{TempPrefix}{step}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            AtomicFile.FlushTree(temp);
        }
        catch { Directory.Delete(temp, recursive: true); throw; }
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(temp, final);
        AtomicFile.FlushFolder(checkpointsDir);
        return final;
    }

    /// <summary>The deeper check a resume makes of a complete checkpoint (RunFolder.IsComplete): null when its files are
    /// whole, i.e. trainer_state.json parses, config.json loads, and every safetensors file has a valid header whose
    /// tensors lie inside the file; else what is wrong.</summary>
    public static string? Verify(string dir)
    {
        try
        {
            TrainerState.Load(dir);
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
