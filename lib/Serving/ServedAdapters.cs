// The LoRA adapters a server holds: PEFT folders, put on the served model's projections the way the trainer puts them
// (LoraAdapters), so a served adapter computes what the trainer's does; a request names one and gets its A and B
// copied in (one adapter shape, rank and target modules, at a time).
using Grpo.Files;
using Grpo.Model;
using Grpo.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Serving;

internal sealed class ServedAdapters : IDisposable
{
    sealed record Adapter(string Path, IReadOnlyList<Tensor> Weights);

    readonly Dictionary<string, Adapter> loaded = new(StringComparer.Ordinal);
    LoraAdapters? layers;
    LoraSettings? shape;
    string? active;

    public IEnumerable<(string Name, string Path)> List => loaded.Select(kv => (kv.Key, kv.Value.Path));

    public bool Contains(string name) => loaded.ContainsKey(name);

    /// <summary>Loads the PEFT adapter in <paramref name="path"/> (already confined to the allowed folder) as
    /// <paramref name="name"/> and makes it the active one.</summary>
    public void Load(Qwen2ForCausalLM model, string name, string path)
    {
        if (loaded.ContainsKey(name)) throw new ServeException(400, $"The lora adapter '{name}' has already been loaded.");
        var settings = ReadSettings(path);
        if (layers is null)
        {
            try { layers = LoraAdapters.Apply(model, settings, seed: 0); }
            catch (ArgumentException e) { throw new ServeException(400, $"{path}: {e.Message}"); }
            shape = settings;
        }
        else if (!SameShape(settings, shape!))
            throw new ServeException(400, $"{path}: rank {settings.Rank}, alpha {settings.Alpha} on [{string.Join(", ", settings.TargetModules)}]; " +
                $"the adapters this server holds have rank {shape!.Rank}, alpha {shape.Alpha} on [{string.Join(", ", shape.TargetModules)}]");
        layers.Load(path);
        using (no_grad())
            loaded[name] = new Adapter(path, layers.NamedParameters().Select(p => p.Parameter.detach().clone()).ToList());
        active = name;
    }

    public void Unload(string name)
    {
        if (!loaded.Remove(name, out var adapter)) throw new ServeException(404, $"The lora adapter '{name}' cannot be found.");
        foreach (var t in adapter.Weights) t.Dispose();
        if (active == name) active = null;
    }

    /// <summary>Switches the model to adapter <paramref name="name"/>, or to the base model alone (null).</summary>
    public void Use(string? name)
    {
        if (layers is null) return;
        layers.Enabled = name is not null;
        if (name is null || name == active) return;
        var weights = loaded[name].Weights;
        using (no_grad())
        {
            int i = 0;
            foreach (var (_, p) in layers.NamedParameters()) p.copy_(weights[i++]);
        }
        active = name;
    }

    /// <summary>After the base weights were replaced by a new model: the adapters go onto it.</summary>
    public void MoveTo(Qwen2ForCausalLM model)
    {
        if (layers is null) return;
        layers = LoraAdapters.Apply(model, shape!, seed: 0);
        active = null;
    }

    /// <summary>r, lora_alpha and target_modules of adapter_config.json (PEFT); DoRA, rsLoRA and biases are refused.</summary>
    static LoraSettings ReadSettings(string dir)
    {
        var path = Path.Combine(dir, LoraAdapters.AdapterConfigFile);
        if (!File.Exists(path)) throw new ServeException(400, $"{dir} holds no {LoraAdapters.AdapterConfigFile}: not a PEFT adapter folder");
        var json = StrictJson.ReadObject(path);
        int rank = json["r"] is { } r ? r.GetValue<int>() : throw new ServeException(400, $"{path}: \"r\" is missing");
        double alpha = json["lora_alpha"]?.GetValue<double>() ?? rank;
        if (json["target_modules"] is not System.Text.Json.Nodes.JsonArray targets)
            throw new ServeException(400, $"{path}: target_modules must be a list of module names");
        foreach (var flag in new[] { "use_dora", "use_rslora" })
            if (json[flag] is { } v && v.GetValue<bool>()) throw new ServeException(400, $"{path}: {flag} is not supported");
        if (json["bias"] is { } bias && bias.GetValue<string>() != "none") throw new ServeException(400, $"{path}: bias \"{bias}\" is not supported");
        return new LoraSettings(rank, alpha, 0, targets.Select(t => t!.GetValue<string>()).ToList());
    }

    static bool SameShape(LoraSettings a, LoraSettings b) =>
        a.Rank == b.Rank && a.Alpha == b.Alpha && a.TargetModules.Order().SequenceEqual(b.TargetModules.Order());

    public void Dispose()
    {
        foreach (var adapter in loaded.Values)
            foreach (var t in adapter.Weights) t.Dispose();
        loaded.Clear();
    }
}
