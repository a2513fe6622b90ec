// Qwen2 model configuration, read from and written to a Hugging Face config.json (+ generation_config.json).
// Field names are transformers' Qwen2Config names in PascalCase; JSON keys stay snake_case.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;

namespace Grpo.Model;

public sealed record Qwen2Config
{
    public int VocabSize { get; init; } = 151936;
    public int HiddenSize { get; init; } = 896;
    public int IntermediateSize { get; init; } = 4864;
    public int NumHiddenLayers { get; init; } = 24;
    public int NumAttentionHeads { get; init; } = 14;
    public int NumKeyValueHeads { get; init; } = 2;
    public int MaxPositionEmbeddings { get; init; } = 32768;
    public double RopeTheta { get; init; } = 1000000.0;
    public double RmsNormEps { get; init; } = 1e-6;
    public bool TieWordEmbeddings { get; init; } = true;
    public string HiddenAct { get; init; } = "silu";
    public double AttentionDropout { get; init; }
    public double InitializerRange { get; init; } = 0.02;
    public bool UseSlidingWindow { get; init; }
    public int? SlidingWindow { get; init; }
    public int MaxWindowLayers { get; init; } = 28;
    public int? BosTokenId { get; init; }
    /// <summary>End-of-sequence ids: config.json's eos_token_id merged with generation_config.json's (int or list).</summary>
    public IReadOnlyList<int> EosTokenId { get; init; } = [];
    public int? PadTokenId { get; init; }
    public string TorchDtype { get; init; } = "float32";
    public bool UseCache { get; init; } = true;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public const int MaxVocabSize = 1 << 20, MaxHiddenSize = 1 << 16, MaxIntermediateSize = 1 << 18, MaxLayers = 1024;
    public const long MaxRotaryTable = 1L << 27;

    /// <summary>Every parameter's Hugging Face name and shape, as Qwen2ForCausalLM's state dict holds them, computed
    /// from the config alone: a weights file can be checked against them before anything is allocated.</summary>
    public IReadOnlyDictionary<string, long[]> ParameterShapes()
    {
        long h = HiddenSize, kv = (long)NumKeyValueHeads * HeadDim, i = IntermediateSize;
        var shapes = new Dictionary<string, long[]> { ["model.embed_tokens.weight"] = [VocabSize, h], ["model.norm.weight"] = [h] };
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            var p = $"model.layers.{l}.";
            shapes[p + "input_layernorm.weight"] = [h];
            shapes[p + "post_attention_layernorm.weight"] = [h];
            shapes[p + "self_attn.q_proj.weight"] = [h, h];
            shapes[p + "self_attn.q_proj.bias"] = [h];
            shapes[p + "self_attn.k_proj.weight"] = [kv, h];
            shapes[p + "self_attn.k_proj.bias"] = [kv];
            shapes[p + "self_attn.v_proj.weight"] = [kv, h];
            shapes[p + "self_attn.v_proj.bias"] = [kv];
            shapes[p + "self_attn.o_proj.weight"] = [h, h];
            shapes[p + "mlp.gate_proj.weight"] = [i, h];
            shapes[p + "mlp.up_proj.weight"] = [i, h];
            shapes[p + "mlp.down_proj.weight"] = [h, i];
        }
        if (!TieWordEmbeddings) shapes["lm_head.weight"] = [VocabSize, h];
        return shapes;
    }

    /// <summary>The shape of Qwen2.5-0.5B(-Instruct), used by the benchmark with random weights.</summary>
    public static Qwen2Config Qwen25_05B => new() { BosTokenId = 151643, EosTokenId = [151645, 151643], PadTokenId = 151643, TorchDtype = "bfloat16", SlidingWindow = 32768 };

    // Fields a Qwen2 config.json must carry; everything else has transformers' default.
    static readonly string[] Required =
        ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"];

    public static Qwen2Config Load(string modelDir)
    {
        InputPaths.RequireFolder(modelDir, "model");
        var path = Path.Combine(modelDir, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        return LoadFile(path, Path.Combine(modelDir, "generation_config.json"));
    }

    /// <summary>A config.json at any path (e.g. data/model-shapes/qwen2.5-7b.json), merged with
    /// <paramref name="generationPath"/>'s eos and pad ids when that file exists.</summary>
    public static Qwen2Config LoadFile(string path, string? generationPath = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        var json = StrictJson.ReadObject(path);
        foreach (var field in Required)
            if (json[field] is null) throw new InvalidDataException($"{path}: required field \"{field}\" is missing");
        if (json["model_type"] is not null && Read(path, json, "model_type", n => n.GetValue<string>(), "") is var type && type != "qwen2")
            throw new InvalidDataException($"{path}: model_type \"{type}\" is not supported (expected \"qwen2\")");

        int GetInt(string name, int fallback) => Read(path, json, name, n => n.GetValue<int>(), fallback);
        double GetDouble(string name, double fallback) => Read(path, json, name, n => n.GetValue<double>(), fallback);
        bool GetBool(string name, bool fallback) => Read(path, json, name, n => n.GetValue<bool>(), fallback);
        int? GetNullableInt(string name) => json[name] is null ? null : Read<int?>(path, json, name, n => n.GetValue<int>(), null);

        int heads = GetInt("num_attention_heads", 0);
        var eos = new List<int>(ReadIds(path, json, "eos_token_id"));
        var genPath = generationPath;
        int? genPad = null;
        if (genPath is not null && File.Exists(genPath))
        {
            var gen = StrictJson.ReadObject(genPath);
            // generation_config.json is what generate() uses: its eos ids (often a list for Instruct models) come first.
            eos = ReadIds(genPath, gen, "eos_token_id").Concat(eos).Distinct().ToList();
            genPad = gen["pad_token_id"] is null ? null : Read<int?>(genPath, gen, "pad_token_id", n => n.GetValue<int>(), null);
        }
        var config = new Qwen2Config
        {
            VocabSize = GetInt("vocab_size", 0),
            HiddenSize = GetInt("hidden_size", 0),
            IntermediateSize = GetInt("intermediate_size", 0),
            NumHiddenLayers = GetInt("num_hidden_layers", 0),
            NumAttentionHeads = heads,
            NumKeyValueHeads = GetInt("num_key_value_heads", heads),
            MaxPositionEmbeddings = GetInt("max_position_embeddings", 32768),
            RopeTheta = GetDouble("rope_theta", 10000.0),
            RmsNormEps = GetDouble("rms_norm_eps", 1e-6),
            TieWordEmbeddings = GetBool("tie_word_embeddings", false),
            HiddenAct = Read(path, json, "hidden_act", n => n.GetValue<string>(), "silu"),
            AttentionDropout = GetDouble("attention_dropout", 0.0),
            InitializerRange = GetDouble("initializer_range", 0.02),
            UseSlidingWindow = GetBool("use_sliding_window", false),
            SlidingWindow = GetNullableInt("sliding_window"),
            MaxWindowLayers = GetInt("max_window_layers", 28),
            BosTokenId = GetNullableInt("bos_token_id"),
            EosTokenId = eos,
            PadTokenId = GetNullableInt("pad_token_id") ?? genPad,
            TorchDtype = Read(path, json, "torch_dtype", n => n.GetValue<string>(), "float32"),
            UseCache = GetBool("use_cache", true),
        };
        config.Validate(path);
        return config;
    }

    /// <summary>Checks every field's range (a zero head count would divide by zero, a negative rope_theta gives NaN
    /// rotations) and throws naming <paramref name="source"/> and the field.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string message) { if (!ok) throw new InvalidDataException($"{source}: {message}"); }
        string Got(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Require(VocabSize > 0, $"vocab_size must be > 0 (got {VocabSize})");
        Require(HiddenSize > 0, $"hidden_size must be > 0 (got {HiddenSize})");
        Require(IntermediateSize > 0, $"intermediate_size must be > 0 (got {IntermediateSize})");
        Require(NumHiddenLayers > 0, $"num_hidden_layers must be > 0 (got {NumHiddenLayers})");
        // Upper bounds (docs/bad-input.md): far above any Qwen2 (vocabulary 152,064, hidden 8,192, intermediate 29,568,
        // 80 layers), low enough that no size libtorch is handed overflows.
        Require(VocabSize <= MaxVocabSize, $"vocab_size must be at most {MaxVocabSize} (got {VocabSize})");
        Require(HiddenSize <= MaxHiddenSize, $"hidden_size must be at most {MaxHiddenSize} (got {HiddenSize})");
        Require(IntermediateSize <= MaxIntermediateSize, $"intermediate_size must be at most {MaxIntermediateSize} (got {IntermediateSize})");
        Require(NumHiddenLayers <= MaxLayers, $"num_hidden_layers must be at most {MaxLayers} (got {NumHiddenLayers})");
        Require(NumAttentionHeads > 0, $"num_attention_heads must be > 0 (got {NumAttentionHeads})");
        Require(NumKeyValueHeads > 0, $"num_key_value_heads must be > 0 (got {NumKeyValueHeads})");
        Require(HiddenSize % NumAttentionHeads == 0, $"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        Require(NumAttentionHeads % NumKeyValueHeads == 0,
            $"num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        Require(HeadDim % 2 == 0, $"hidden_size / num_attention_heads = {HeadDim} must be even (rotary embeddings rotate pairs)");
        Require(MaxPositionEmbeddings > 0, $"max_position_embeddings must be > 0 (got {MaxPositionEmbeddings})");
        // The rotary tables hold max_position_embeddings x head_dim floats each (Qwen2.5-7B-Instruct-1M: 1,010,000 x 128).
        Require((long)MaxPositionEmbeddings * HeadDim <= MaxRotaryTable,
            $"max_position_embeddings {MaxPositionEmbeddings} x head size {HeadDim} must be at most {MaxRotaryTable} (the rotary tables' size)");
        Require(double.IsFinite(RopeTheta) && RopeTheta > 0, $"rope_theta must be a number > 0 (got {Got(RopeTheta)})");
        Require(double.IsFinite(RmsNormEps) && RmsNormEps > 0, $"rms_norm_eps must be a number > 0 (got {Got(RmsNormEps)})");
        Require(AttentionDropout is >= 0 and < 1, $"attention_dropout must be in [0, 1) (got {Got(AttentionDropout)})");
        Require(double.IsFinite(InitializerRange) && InitializerRange >= 0, $"initializer_range must be a number >= 0 (got {Got(InitializerRange)})");
        Require(SlidingWindow is null or > 0, $"sliding_window must be > 0 or null (got {SlidingWindow})");
        Require(MaxWindowLayers >= 0, $"max_window_layers must be >= 0 (got {MaxWindowLayers})");
        // Token ids are not checked against vocab_size: transformers accepts test folders whose eos ids lie past a
        // tiny vocabulary (they are then never generated). The generator checks the ids it feeds to the model.
        Require(HiddenAct == "silu", $"hidden_act \"{HiddenAct}\" is not supported (Qwen2 uses silu)");
        Require(!UseSlidingWindow, "use_sliding_window true is not supported (Qwen2.5 ships it false)");
    }

    /// <summary>Writes config.json and generation_config.json as transformers' save_pretrained does.</summary>
    public void Save(string modelDir)
    {
        Directory.CreateDirectory(modelDir);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen2ForCausalLM"),
            ["attention_dropout"] = AttentionDropout,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosJson(),
            ["hidden_act"] = HiddenAct,
            ["hidden_size"] = HiddenSize,
            ["initializer_range"] = InitializerRange,
            ["intermediate_size"] = IntermediateSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["max_window_layers"] = MaxWindowLayers,
            ["model_type"] = "qwen2",
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["pad_token_id"] = PadTokenId,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["sliding_window"] = SlidingWindow,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDtype,
            ["use_cache"] = UseCache,
            ["use_sliding_window"] = UseSlidingWindow,
            ["vocab_size"] = VocabSize,
        };
        var options = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(modelDir, "config.json"), json.ToJsonString(options) + "\n");
        var gen = new JsonObject { ["bos_token_id"] = BosTokenId, ["eos_token_id"] = EosJson(), ["pad_token_id"] = PadTokenId };
        AtomicFile.WriteAllText(Path.Combine(modelDir, "generation_config.json"), gen.ToJsonString(options) + "\n");
    }

    JsonNode? EosJson() => EosTokenId.Count switch
    {
        0 => null,
        1 => JsonValue.Create(EosTokenId[0]),
        _ => new JsonArray(EosTokenId.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
    };

    static IEnumerable<int> ReadIds(string path, JsonObject json, string name) => json[name] switch
    {
        null => [],
        JsonArray a => a.Select((x, i) => x is JsonValue v && v.TryGetValue<int>(out var id) ? id
            : throw new InvalidDataException($"{path}: {name}[{i}] is {x?.ToJsonString() ?? "null"}, not an integer id")).ToList(),
        var node => [Read(path, json, name, n => n.GetValue<int>(), 0)],
    };

    static T Read<T>(string path, JsonObject json, string name, Func<JsonNode, T> get, T fallback)
    {
        var node = json[name];
        if (node is null) return fallback;
        try { return get(node); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        { throw new InvalidDataException($"{path}: field \"{name}\" has an unexpected value {node.ToJsonString()}", e); }
    }
}
