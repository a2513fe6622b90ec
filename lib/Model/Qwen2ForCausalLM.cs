// Qwen2ForCausalLM: the decoder plus the LM head (tied to embed_tokens when tie_word_embeddings), Hugging Face folder
// loading/saving, and the projection-swapping hooks that LoRA uses.
using Grpo.Files;
using Grpo.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Grpo.Model;

public sealed class Qwen2ForCausalLM : Module<Tensor, Tensor, Tensor, Tensor>
{
    public Qwen2Model model;
    // Null when tied: logits come from model.embed_tokens.weight, and state_dict has no lm_head.weight
    // (exactly what transformers writes for a tied checkpoint).
    public Linear? lm_head;
    readonly Qwen2Rotary rotary;

    public Qwen2Config Config { get; }
    public ScalarType Dtype => model.embed_tokens.weight!.dtype;
    public Device Device => model.embed_tokens.weight!.device;

    /// <summary>Training forwards (no cache, gradients on) recompute each decoder layer in backward instead of keeping
    /// its activations (transformers' gradient_checkpointing_enable()).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Generators the layers draw from (LoRA dropout), replayed when a checkpointed layer is recomputed.</summary>
    public IReadOnlyList<torch.Generator> RandomStreams { get; set; } = [];

    public Qwen2ForCausalLM(Qwen2Config config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base("Qwen2ForCausalLM")
    {
        config.Validate("Qwen2Config");
        device ??= CPU;
        Config = config;
        model = new Qwen2Model(config, dtype, device);
        if (!config.TieWordEmbeddings)
            lm_head = Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        // Tables for every position the config allows (32768 x 128 floats x 2 = 32 MB for Qwen2.5), so lookups need no host sync.
        rotary = new Qwen2Rotary(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings, device);
        RegisterComponents();
    }

    /// <summary>Re-initialises every weight as transformers does for a fresh model: N(0, initializer_range), biases 0, norms 1.</summary>
    public void InitWeights(long seed)
    {
        using var _ = no_grad();
        var gen = new torch.Generator((ulong)seed, CPU);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight")) p.fill_(HeldScalars.One);
            else if (name.EndsWith(".bias")) p.zero_();
            else
            {
                // torch.normal(0, std) is randn * std (+ 0); TorchSharp's normal() would make temporary Scalars.
                using var r = randn(p.shape, ScalarType.Float32, CPU, generator: gen).mul_(HeldScalars.Of(Config.InitializerRange));
                p.copy_(r);
            }
        }
    }

    /// <summary>Logits [B,T,V] in the compute dtype. mask [B,T] (1 = token, 0 = pad), positions [B,T]; null = all ones / 0..T-1.</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor positionIds)
    {
        using var scope = NewDisposeScope();
        return Logits(HiddenStates(inputIds, attentionMask, positionIds, null)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cached decode: inputIds [B,t] are appended after cache.Length positions. attentionMask covers every key
    /// position so far, [B, cache.Length + t], or the whole cache [B, cache.Capacity] (slots not yet written are
    /// ignored by causality); positionIds [B,t] per row. The cache records which new slots are padding.
    /// </summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor positionIds, KvCache cache)
    {
        using var scope = NewDisposeScope();
        return Logits(HiddenStates(inputIds, attentionMask, positionIds, cache)).MoveToOuterDisposeScope();
    }

    /// <summary>Final hidden states [B,T,H] (after model.norm). Lets callers apply the LM head to a few positions only.</summary>
    public Tensor HiddenStates(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        int past = cache?.Length ?? 0;
        var device = inputIds.device;
        using var scalars = HeldScalars.NewScope();
        attentionMask ??= ones(b, past + t, ScalarType.Int64, device);
        positionIds ??= arange(scalars.Of(past), scalars.Of(past + t), HeldScalars.One, ScalarType.Int64, device).unsqueeze(0).expand(b, t);
        int keyLength = (int)attentionMask.shape[1];
        if (keyLength < past + t)
            throw new ArgumentException($"attention mask covers {keyLength} positions, but the cache holds {past} and {t} are added");
        if (cache is null && keyLength != t)
            throw new ArgumentException($"attention mask length {keyLength} != input length {t}");
        if (cache is not null)
        {
            // Keys beyond the written slots are never attended to (causality): the mask stops at the last one.
            if (keyLength > past + t) attentionMask = attentionMask.narrow(1, 0, past + t);
            cache.SetPadding(attentionMask.narrow(1, past, t));
        }
        var mask = AdditiveMask(attentionMask, past, (int)t, Dtype);
        return Layers(inputIds, positionIds, mask, cache).MoveToOuterDisposeScope();
    }

    /// <summary>One decoding step of every cached row: token ids [R,1] at positions [R,1] attend to the cache's
    /// filled slots except its padding (no causal mask: every cached slot precedes the new token). Hidden [R,1,H].</summary>
    public Tensor DecodeHiddenStates(Tensor inputIds, Tensor positionIds, KvCache cache)
    {
        using var scope = NewDisposeScope();
        return Layers(inputIds, positionIds, cache.KeyPadding(1), cache).MoveToOuterDisposeScope();
    }

    Tensor Layers(Tensor inputIds, Tensor positionIds, Tensor mask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = Rotary(positionIds);
        var h = model.embed_tokens.forward(inputIds);
        for (int i = 0; i < model.layers.Count; i++)
            h = cache is null && GradientCheckpointing ? CheckpointedLayer(i, h, cos, sin, mask)
                : model.layers[i].Forward(h, cos, sin, mask, cache, i);
        cache?.Advance((int)inputIds.shape[1]);
        return model.norm.forward(h).MoveToOuterDisposeScope();
    }

    // Everything the layer reads goes in as an input (saved for the re-run), not captured: the caller's dispose
    // scope frees its tensors before backward runs.
    Tensor CheckpointedLayer(int i, Tensor h, Tensor cos, Tensor sin, Tensor mask) => ActivationCheckpoint.Run(
        x => [model.layers[i].Forward(x[0], x[1], x[2], x[3], null, i)], RandomStreams, h, cos, sin, mask)[0];

    /// <summary>RoPE tables cos, sin [B,1,T,d] in the model's dtype for position_ids [B,T].</summary>
    internal (Tensor Cos, Tensor Sin) Rotary(Tensor positionIds) => rotary.At(positionIds.to(ScalarType.Int64), Dtype);

    /// <summary>The LM head: hidden [.., H] -> logits [.., V] (tied: embed_tokens.weight).</summary>
    public Tensor Logits(Tensor hidden) => functional.linear(hidden, LmHeadWeight);

    /// <summary>The LM head's weight [V, H]: lm_head.weight, or embed_tokens.weight when tied.</summary>
    public Tensor LmHeadWeight => lm_head?.weight ?? model.embed_tokens.weight!;

    // Query i (absolute position past+i) may see key j when j <= past+i and mask[j] != 0. Masked entries get the
    // dtype's most negative value, not -inf, as transformers does (a fully masked pad row stays finite).
    // The result is repeated for the g query heads of each KV head (folded into the query axis, see Qwen2Attention).
    internal Tensor AdditiveMask(Tensor attentionMask, int past, int t, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var scalars = HeldScalars.NewScope();
        var device = attentionMask.device;
        long b = attentionMask.shape[0], k = attentionMask.shape[1];
        var q = arange(scalars.Of(past), scalars.Of(past + t), HeldScalars.One, ScalarType.Int64, device).unsqueeze(1);  // [t,1]
        var j = arange(HeldScalars.Zero, scalars.Of(k), HeldScalars.One, ScalarType.Int64, device).unsqueeze(0);          // [1,k]
        var causal = j.le(q);                                                        // [t,k]
        var allowed = causal.unsqueeze(0).logical_and(attentionMask.ne(HeldScalars.Zero).unsqueeze(1)); // [b,t,k]
        var additive = zeros([b, t, k], dtype, device).masked_fill(allowed.logical_not(), HeldScalars.Of(finfo(dtype).min));
        int g = Config.NumAttentionHeads / Config.NumKeyValueHeads;
        return additive.unsqueeze(1).unsqueeze(1).expand(b, 1, g, t, k).reshape(b, 1, g * t, k).MoveToOuterDisposeScope();
    }

    // ---- projections (for LoRA) ----

    static readonly string[] AttentionProjections = ["q_proj", "k_proj", "v_proj", "o_proj"];
    static readonly string[] MlpProjections = ["gate_proj", "up_proj", "down_proj"];

    /// <summary>Every projection that is still a plain Linear, by Hugging Face name (lm_head excluded).</summary>
    public IEnumerable<(string Name, Linear Linear)> Projections()
    {
        for (int i = 0; i < model.layers.Count; i++)
        {
            var layer = model.layers[i];
            foreach (var p in AttentionProjections)
                if (GetProjection(layer, p) is Linear l) yield return ($"model.layers.{i}.self_attn.{p}", l);
            foreach (var p in MlpProjections)
                if (GetProjection(layer, p) is Linear l) yield return ($"model.layers.{i}.mlp.{p}", l);
        }
    }

    /// <summary>Swaps one projection (e.g. for a LoRA wrapper around it); name as from Projections().</summary>
    public void ReplaceProjection(string name, Module<Tensor, Tensor> replacement)
    {
        var parts = name.Split('.');
        if (parts.Length != 5 || parts[0] != "model" || parts[1] != "layers" || !int.TryParse(parts[2], out var i)
            || i < 0 || i >= model.layers.Count)
            throw new ArgumentException($"Not a projection name: \"{name}\" (expected model.layers.N.self_attn.q_proj and the like)");
        var layer = model.layers[i];
        Module parent = parts[3] switch
        {
            "self_attn" when AttentionProjections.Contains(parts[4]) => layer.self_attn,
            "mlp" when MlpProjections.Contains(parts[4]) => layer.mlp,
            _ => throw new ArgumentException($"Not a projection name: \"{name}\""),
        };
        var field = parent.GetType().GetField(parts[4])!;
        field.SetValue(parent, replacement);
        parent.register_module(parts[4], null!);   // null unregisters (TorchSharp), then register the replacement
        parent.register_module(parts[4], replacement);
    }

    static Module<Tensor, Tensor> GetProjection(Qwen2DecoderLayer layer, string name) => name switch
    {
        "q_proj" => layer.self_attn.q_proj, "k_proj" => layer.self_attn.k_proj,
        "v_proj" => layer.self_attn.v_proj, "o_proj" => layer.self_attn.o_proj,
        "gate_proj" => layer.mlp.gate_proj, "up_proj" => layer.mlp.up_proj, "down_proj" => layer.mlp.down_proj,
        _ => throw new ArgumentException(name),
    };

    // ---- Hugging Face folders ----

    public static Qwen2ForCausalLM FromPretrained(string modelDir, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        InputPaths.RequireFolder(modelDir, "model");
        var config = Qwen2Config.Load(modelDir);
        CheckWeightShapes(config, modelDir);   // before the model is allocated from config.json's sizes
        var m = new Qwen2ForCausalLM(config, dtype, device);
        try { m.LoadWeights(modelDir); }
        catch { m.Dispose(); throw; }
        m.eval();
        return m;
    }

    /// <summary>Throws unless the weight files hold every parameter config.json implies, in its shape: a config whose
    /// sizes disagree with the weights (a vocab_size edited to 2^31-1) is refused before libtorch is asked for memory,
    /// so the model's allocation is never larger than the weights on disk.</summary>
    static void CheckWeightShapes(Qwen2Config config, string modelDir)
    {
        var expected = config.ParameterShapes();
        var found = new HashSet<string>();
        foreach (var file in WeightFiles(modelDir))
            foreach (var entry in SafeTensors.ReadHeader(file, out _))
            {
                if (!expected.TryGetValue(entry.Name, out var shape)) continue;   // LoadWeights names unknown tensors
                if (!shape.SequenceEqual(entry.Shape))
                    throw new InvalidDataException($"{file}: tensor \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}], but " +
                        $"{Path.Combine(modelDir, "config.json")} implies [{string.Join(", ", shape)}] (vocab_size {config.VocabSize}, " +
                        $"hidden_size {config.HiddenSize}, intermediate_size {config.IntermediateSize}, num_key_value_heads {config.NumKeyValueHeads})");
                found.Add(entry.Name);
            }
        var missing = expected.Keys.Where(k => !found.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{modelDir}: the weights lack {missing.Count} tensors that config.json implies " +
                $"(num_hidden_layers {config.NumHiddenLayers}, tie_word_embeddings {config.TieWordEmbeddings.ToString().ToLowerInvariant()}), " +
                $"e.g. {string.Join(", ", missing.Take(3))}");
    }

    /// <summary>Loads model.safetensors, or the shards listed by model.safetensors.index.json, into this model.</summary>
    public void LoadWeights(string modelDir)
    {
        var files = WeightFiles(modelDir);
        var parameters = state_dict();
        var loaded = new HashSet<string>();
        using var _ = no_grad();
        foreach (var file in files)
        {
            SafeTensors.ReadTensors(file, (entry, t) =>
            {
                if (!parameters.TryGetValue(entry.Name, out var p))
                {
                    if (entry.Name == "lm_head.weight" && Config.TieWordEmbeddings) return;   // tied copy: the embedding serves
                    if (entry.Name.EndsWith("rotary_emb.inv_freq")) return;                 // old checkpoints store this buffer
                    throw new InvalidDataException($"{file}: tensor \"{entry.Name}\" is not a parameter of Qwen2ForCausalLM");
                }
                if (!p.shape.SequenceEqual(entry.Shape))
                    throw new InvalidDataException($"{file}: tensor \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", p.shape)}]");
                p.copy_(t);
                loaded.Add(entry.Name);
            });
        }
        var missing = parameters.Keys.Where(k => !loaded.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{string.Join(", ", files)}: missing tensors: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? $" (+{missing.Count - 10} more)" : "")}");
    }

    /// <summary>model.safetensors, or the shards model.safetensors.index.json lists: each must be a regular file
    /// inside the model folder (an index naming ../../etc/passwd, an absolute path or a FIFO is refused).</summary>
    static IReadOnlyList<string> WeightFiles(string modelDir)
    {
        var index = Path.Combine(modelDir, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            var map = StrictJson.ReadObject(index)["weight_map"] as System.Text.Json.Nodes.JsonObject
                ?? throw new InvalidDataException($"{index}: no \"weight_map\" object");
            var shards = new List<string>();
            foreach (var (tensor, value) in map)
            {
                var shard = value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var name) ? name
                    : throw new InvalidDataException($"{index}: weight_map \"{tensor}\" is {value?.ToJsonString() ?? "null"}, not a file name");
                if (!shards.Contains(shard)) shards.Add(shard);
            }
            if (shards.Count == 0) throw new InvalidDataException($"{index}: weight_map lists no files");
            return shards.Select(f => InputPaths.FileInside(modelDir, f, $"{index}: weight_map")).ToList();
        }
        var single = Path.Combine(modelDir, "model.safetensors");
        if (!File.Exists(single))
            throw new FileNotFoundException($"No weights in {modelDir}: neither model.safetensors nor model.safetensors.index.json exists", single);
        return [single];
    }

    static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json"];

    /// <summary>
    /// Writes config.json, generation_config.json and model.safetensors (HF names, no lm_head.weight when tied, the
    /// model's dtype) so that transformers' from_pretrained loads the folder; copies tokenizer files from tokenizerDir if given.
    /// </summary>
    public void SavePretrained(string modelDir, string? tokenizerDir = null) =>
        SavePretrained(modelDir, tokenizerDir, state_dict().Select(kv => SafeTensors.Stored(kv.Key, kv.Value)));

    /// <summary>The same folder with <paramref name="weights"/> as model.safetensors (LoRA's merged export makes each
    /// merged projection only while it is written).</summary>
    public void SavePretrained(string modelDir, string? tokenizerDir, IEnumerable<SafeTensors.LazyTensor> weights)
    {
        Directory.CreateDirectory(modelDir);
        var dtypeName = Dtype == ScalarType.BFloat16 ? "bfloat16" : Dtype == ScalarType.Float16 ? "float16" : "float32";
        (Config with { TorchDtype = dtypeName }).Save(modelDir);
        SafeTensors.Write(Path.Combine(modelDir, "model.safetensors"), weights);
        if (tokenizerDir is not null && Path.GetFullPath(tokenizerDir) != Path.GetFullPath(modelDir))
            foreach (var f in TokenizerFiles)
                if (File.Exists(Path.Combine(tokenizerDir, f)))
                    File.Copy(Path.Combine(tokenizerDir, f), Path.Combine(modelDir, f), overwrite: true);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rotary.Dispose();
        base.Dispose(disposing);
    }
}
