// The Qwen byte-level BPE tokenizer built from a model folder's tokenizer.json with Microsoft.ML.Tokenizers
// (design §2: same ids as Hugging Face), its special tokens, eos/pad ids and the ChatML chat template.
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Grpo.Model;

/// <summary>Which added tokens of tokenizer.json are matched as single tokens before BPE.</summary>
public enum AddedTokenMode
{
    /// <summary>Only those marked "special": true (Qwen2.5 semantics: &lt;think&gt; stays ordinary text).</summary>
    SpecialOnly,
    /// <summary>Every entry of added_tokens (e.g. Qwen3, where &lt;think&gt; is one token).</summary>
    All,
}

public sealed class QwenTokenizer
{
    // The Qwen2 pre-tokenizer split pattern (tokenizer.json pre_tokenizer Split regex).
    public const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static readonly ConcurrentDictionary<(string, AddedTokenMode), QwenTokenizer> Cache = new();

    readonly Tokenizer bpe;
    readonly string? defaultSystemPrompt;

    public IReadOnlyDictionary<string, int> SpecialTokens { get; }
    public IReadOnlyList<int> EosTokenIds { get; }
    public int PadTokenId { get; }
    public int VocabSize { get; }

    QwenTokenizer(Tokenizer bpe, IReadOnlyDictionary<string, int> special, IReadOnlyList<int> eos, int pad, int vocabSize, string? systemPrompt)
    {
        this.bpe = bpe; SpecialTokens = special; EosTokenIds = eos; PadTokenId = pad; VocabSize = vocabSize; defaultSystemPrompt = systemPrompt;
    }

    /// <summary>Builds (once per process and folder, ~1.5 s for Qwen's 151k vocabulary) the tokenizer of a model folder.</summary>
    public static QwenTokenizer FromFolder(string modelDir, AddedTokenMode mode = AddedTokenMode.SpecialOnly) =>
        Cache.GetOrAdd((Path.GetFullPath(modelDir), mode), key => Build(key.Item1, key.Item2));

    static QwenTokenizer Build(string dir, AddedTokenMode mode)
    {
        var path = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer not found: {path}", path);
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object"); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: malformed JSON: {e.Message}", e); }

        var model = json["model"] as JsonObject ?? throw new InvalidDataException($"{path}: required field \"model\" is missing");
        if (model["type"]?.GetValue<string>() is string type && type != "BPE")
            throw new InvalidDataException($"{path}: model.type \"{type}\" is not supported (expected BPE)");
        var vocabObj = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: required field \"model.vocab\" is missing");
        var mergesArr = model["merges"] as JsonArray ?? throw new InvalidDataException($"{path}: required field \"model.merges\" is missing");
        var vocab = vocabObj.Select(kv => (kv.Key, kv.Value!.GetValue<int>())).ToList();
        // merges are "a b" strings (older files) or ["a", "b"] pairs (newer files).
        var merges = mergesArr.Select(m => m is JsonArray pair
            ? (pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>())
            : SplitMerge(m!.GetValue<string>())).ToList();

        var special = new Dictionary<string, int>();
        foreach (var t in (json["added_tokens"] as JsonArray ?? []).OfType<JsonObject>())
            if (mode == AddedTokenMode.All || t["special"]?.GetValue<bool>() == true)
                special[t["content"]!.GetValue<string>()] = t["id"]!.GetValue<int>();

        var options = new BpeOptions(vocab.Select(v => new KeyValuePair<string, int>(v.Item1, v.Item2)))
        {
            Merges = merges.Select(m => $"{m.Item1} {m.Item2}"),
            SpecialTokens = special,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(QwenPattern, RegexOptions.Compiled), special),
            Normalizer = json["normalizer"]?["type"]?.GetValue<string>() == "NFC" ? new NfcNormalizer() : null,
        };
        var tokenizer = BpeTokenizer.Create(options);

        // End-of-sequence ids: generation_config.json (what generate uses), else tokenizer_config.json's eos_token.
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject : null;
        int? IdOf(JsonNode? tokenNode)
        {
            var text = tokenNode is JsonObject o ? o["content"]?.GetValue<string>() : tokenNode?.GetValue<string>();
            if (text is null) return null;
            if (special.TryGetValue(text, out var id)) return id;
            return vocabObj[text]?.GetValue<int>() ??
                (json["added_tokens"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(t => t["content"]?.GetValue<string>() == text)?["id"]?.GetValue<int>();
        }
        var eos = new List<int>();
        var genPath = Path.Combine(dir, "generation_config.json");
        if (File.Exists(genPath) && JsonNode.Parse(File.ReadAllText(genPath)) is JsonObject gen)
        {
            if (gen["eos_token_id"] is JsonArray a) eos.AddRange(a.Select(x => x!.GetValue<int>()));
            else if (gen["eos_token_id"] is JsonValue v) eos.Add(v.GetValue<int>());
        }
        if (IdOf(config?["eos_token"]) is int cfgEos && !eos.Contains(cfgEos)) eos.Add(cfgEos);
        if (eos.Count == 0) throw new InvalidDataException($"{dir}: no end-of-sequence id (generation_config.json eos_token_id or tokenizer_config.json eos_token)");
        var pad = IdOf(config?["pad_token"]) ?? eos[0];

        var template = config?["chat_template"]?.GetValue<string>();
        // Qwen2.5-Instruct's template inserts this system message when the conversation has none.
        const string qwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
        var systemPrompt = template is not null && template.Contains(qwenSystem) ? qwenSystem : null;
        int vocabSize = Math.Max(vocab.Max(v => v.Item2), special.Count == 0 ? 0 : special.Values.Max()) + 1;
        return new QwenTokenizer(tokenizer, special, eos, pad, vocabSize, systemPrompt);
    }

    static (string, string) SplitMerge(string m)
    {
        var i = m.IndexOf(' ', 1);
        if (i < 0) throw new InvalidDataException($"tokenizer.json: malformed merge \"{m}\"");
        return (m[..i], m[(i + 1)..]);
    }

    /// <summary>Ids of text (no BOS/EOS added, as Qwen2's tokenizer).</summary>
    public IReadOnlyList<int> Encode(string text) => bpe.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => bpe.Decode(ids) ?? "";

    /// <summary>The ChatML prompt of Qwen's chat template (no tools): system (default if the template has one), turns, then "<|im_start|>assistant\n".</summary>
    public string ApplyChatTemplate(IEnumerable<(string Role, string Content)> messages, bool addGenerationPrompt)
    {
        var list = messages.ToList();
        var sb = new StringBuilder();
        if ((list.Count == 0 || list[0].Role != "system") && defaultSystemPrompt is not null)
            sb.Append("<|im_start|>system\n").Append(defaultSystemPrompt).Append("<|im_end|>\n");
        foreach (var (role, content) in list)
            sb.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    /// <summary>Unicode NFC, as tokenizer.json's "normalizer": {"type": "NFC"}.</summary>
    sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);
        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
    }
}
