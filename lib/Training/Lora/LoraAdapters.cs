// Puts LoRA adapters on a Qwen2 model's projections (Projections()/ReplaceProjection()), switches them off for the
// reference policy, saves/loads them in PEFT's file layout, and exports a merged Hugging Face folder.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Grpo.Training.Lora;

/// <summary>PEFT's LoraConfig (r, lora_alpha, lora_dropout, target_modules); GrpoConfig.Lora gives a run's.</summary>
public sealed record LoraSettings(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules)
{
    /// <summary>Throws unless the rank fits every adapted projection of <paramref name="model"/>: a rank above a
    /// matrix's smaller side adds nothing a full update would not, and a huge one asks libtorch for an allocation it
    /// cannot make. <paramref name="modelName"/> names the model in the message.</summary>
    public void CheckFits(Qwen2Config model, string modelName)
    {
        int kv = model.NumKeyValueHeads * model.HeadDim;
        foreach (var module in TargetModules)
        {
            int smaller = module switch
            {
                "k_proj" or "v_proj" => Math.Min(model.HiddenSize, kv),
                "gate_proj" or "up_proj" or "down_proj" => Math.Min(model.HiddenSize, model.IntermediateSize),
                _ => model.HiddenSize,
            };
            if (Rank > smaller)
                throw new BadInputException($"lora_r {Rank} exceeds {smaller}, the smaller side of {module} in {modelName} " +
                    $"(hidden_size {model.HiddenSize}): the rank must be at most the sides of the matrices it adapts");
        }
    }
}

public sealed class LoraAdapters
{
    public const string AdapterWeightsFile = "adapter_model.safetensors";
    public const string AdapterConfigFile = "adapter_config.json";

    readonly Qwen2ForCausalLM model;
    readonly torch.Generator dropoutStream;
    public LoraSettings Settings { get; }
    public IReadOnlyList<(string Name, LoraLinear Layer)> Layers { get; }

    LoraAdapters(Qwen2ForCausalLM model, LoraSettings settings, IReadOnlyList<(string, LoraLinear)> layers, torch.Generator dropoutStream)
    {
        this.model = model;
        Settings = settings;
        Layers = layers;
        this.dropoutStream = dropoutStream;
    }

    /// <summary>Wraps every projection whose last name part is a target module; freezes all other parameters.</summary>
    public static LoraAdapters Apply(Qwen2ForCausalLM model, LoraSettings settings, long seed)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        var generator = new torch.Generator((ulong)seed, CPU);
        // One dropout stream for every adapter, on the model's device; the model replays it for gradient checkpointing.
        var dropoutStream = new torch.Generator((ulong)seed, model.Device);
        var layers = new List<(string, LoraLinear)>();
        foreach (var (name, linear) in model.Projections().ToList())
        {
            if (!settings.TargetModules.Contains(name[(name.LastIndexOf('.') + 1)..])) continue;
            var lora = new LoraLinear(linear, settings.Rank, settings.Alpha, settings.Dropout, generator, dropoutStream);
            model.ReplaceProjection(name, lora);
            layers.Add((name, lora));
        }
        if (layers.Count == 0)
            throw new ArgumentException($"No projection matches lora_target_modules [{string.Join(", ", settings.TargetModules)}]");
        model.RandomStreams = [.. model.RandomStreams, dropoutStream];
        return new LoraAdapters(model, settings, layers, dropoutStream);
    }

    /// <summary>Restarts the dropout masks' stream (the trainer seeds it before each update, so a resumed run draws
    /// the masks an uninterrupted one would).</summary>
    public void SeedDropout(long seed) => dropoutStream.manual_seed(seed);

    /// <summary>Adapter parameters only (what the optimizer trains), in a stable order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (name, layer) in Layers)
        {
            yield return ($"{name}.lora_A", layer.lora_A);
            yield return ($"{name}.lora_B", layer.lora_B);
        }
    }

    public bool Enabled
    {
        get => Layers.All(l => l.Layer.Enabled);
        set { foreach (var (_, l) in Layers) l.Enabled = value; }
    }

    /// <summary>Runs <paramref name="action"/> with adapters off: the frozen base is the reference model.</summary>
    public T WithAdaptersDisabled<T>(Func<T> action)
    {
        Enabled = false;
        try { return action(); }
        finally { Enabled = true; }
    }

    static string PeftName(string name, string ab) => $"base_model.model.{name}.lora_{ab}.weight";

    /// <summary>PEFT layout: adapter_config.json + adapter_model.safetensors with base_model.model.*.lora_A.weight names.</summary>
    public void Save(string dir, string baseModel)
    {
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, layer) in Layers)
        {
            tensors.Add((PeftName(name, "A"), layer.lora_A));
            tensors.Add((PeftName(name, "B"), layer.lora_B));
        }
        SafeTensors.Write(Path.Combine(dir, AdapterWeightsFile), tensors);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "CAUSAL_LM", ["base_model_name_or_path"] = baseModel,
            ["r"] = Settings.Rank, ["lora_alpha"] = Settings.Alpha, ["lora_dropout"] = Settings.Dropout,
            ["target_modules"] = new JsonArray(Settings.TargetModules.Select(t => (JsonNode)t!).ToArray()),
            ["bias"] = "none", ["fan_in_fan_out"] = false, ["inference_mode"] = true,
        };
        Grpo.Files.AtomicFile.WriteAllText(Path.Combine(dir, AdapterConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads adapter weights saved by <see cref="Save"/> into these layers (same targets and rank).</summary>
    public void Load(string dir)
    {
        var path = Path.Combine(dir, AdapterWeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"LoRA adapter weights not found: {path}", path);
        var targets = new Dictionary<string, Parameter>();
        foreach (var (name, layer) in Layers)
        {
            targets[PeftName(name, "A")] = layer.lora_A;
            targets[PeftName(name, "B")] = layer.lora_B;
        }
        var loaded = new HashSet<string>();
        using var _ = no_grad();
        SafeTensors.ReadTensors(path, (entry, t) =>
        {
            if (!targets.TryGetValue(entry.Name, out var p))
                throw new InvalidDataException($"{path}: tensor \"{entry.Name}\" matches no LoRA layer of this model");
            if (!p.shape.SequenceEqual(entry.Shape))
                throw new InvalidDataException($"{path}: \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}], expected [{string.Join(", ", p.shape)}]");
            p.copy_(t);
            loaded.Add(entry.Name);
        });
        var missing = targets.Keys.Except(loaded).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{path}: missing {missing.Count} adapter tensors, e.g. {missing[0]}");
    }

    /// <summary>
    /// Writes a plain Hugging Face folder with W + (alpha/r) B A in every adapted projection and the original names;
    /// the model keeps its adapters.
    /// </summary>
    public void SaveMerged(string dir, string? tokenizerDir = null)
    {
        // A wrapped projection's state is <projection>.base_layer.weight/.bias, .lora_A and .lora_B; the export holds
        // <projection>.weight = W + (alpha/r) B A, made while it is written: one merged copy at a time, not one of
        // every projection (13 GB more on the GPU for a 7B model).
        var adapted = Layers.ToDictionary(l => l.Name, l => l.Layer);
        var weights = new List<SafeTensors.LazyTensor>();
        foreach (var (name, t) in model.state_dict())
        {
            if (name.EndsWith(".lora_A", StringComparison.Ordinal) || name.EndsWith(".lora_B", StringComparison.Ordinal)) continue;
            int at = name.IndexOf(".base_layer.", StringComparison.Ordinal);
            if (at < 0) { weights.Add(SafeTensors.Stored(name, t)); continue; }
            var (projection, field) = (name[..at], name[(at + ".base_layer.".Length)..]);
            weights.Add(field == "weight"
                ? new SafeTensors.LazyTensor($"{projection}.weight", t.shape, t.dtype, adapted[projection].MergedWeight)
                : SafeTensors.Stored($"{projection}.{field}", t));
        }
        model.SavePretrained(dir, tokenizerDir, weights);
    }
}
