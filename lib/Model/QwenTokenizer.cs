// The Qwen byte-level BPE tokenizer of a model folder's tokenizer.json, with Hugging Face tokenizers' ids: added tokens
// split out first (AddedTokens.cs), Microsoft.ML.Tokenizers' BPE for the text between them; eos/pad ids, ChatML template.
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

using Grpo.Files;

namespace Grpo.Model;

public sealed class QwenTokenizer
{
    // The Qwen2 pre-tokenizer split pattern (tokenizer.json pre_tokenizer Split regex).
    public const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static readonly ConcurrentDictionary<string, QwenTokenizer> Cache = new();

    readonly Tokenizer bpe;
    readonly AddedTokenSplitter splitter;
    readonly string[] vocabById;                            // model.vocab as id -> byte-level token string
    readonly Dictionary<int, (string Text, bool Special)> addedById;   // decoded text: the normalized content
    readonly string? defaultSystemPrompt;

    /// <summary>Every entry of tokenizer.json's added_tokens, in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public IReadOnlyList<int> EosTokenIds { get; }
    public int PadTokenId { get; }
    public int VocabSize { get; }

    QwenTokenizer(Tokenizer bpe, string[] vocabById, IReadOnlyList<AddedToken> added, Func<string, string>? normalize,
        IReadOnlyList<int> eos, int pad, string? systemPrompt)
    {
        this.bpe = bpe; this.vocabById = vocabById; AddedTokens = added; EosTokenIds = eos; PadTokenId = pad;
        defaultSystemPrompt = systemPrompt;
        splitter = new AddedTokenSplitter(added, normalize);
        addedById = added.ToDictionary(t => t.Id, t => (t.Normalized && normalize is not null ? normalize(t.Content) : t.Content, t.Special));
        VocabSize = Math.Max(vocabById.Length, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
    }

    /// <summary>Builds (once per process and tokenizer, ~1.5 s for Qwen's 151k vocabulary) the tokenizer of a model
    /// folder. It behaves as that folder's tokenizer.json does in Hugging Face tokenizers. Folders with the same
    /// tokenizer files (a run's checkpoints carry copies of the base model's) share one instance.</summary>
    public static QwenTokenizer FromFolder(string modelDir)
    {
        var dir = Path.GetFullPath(modelDir);
        return ContentKey(dir) is { } key ? Cache.GetOrAdd(key, _ => Build(dir)) : Build(dir);
    }

    static readonly string[] InputFiles = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"];

    /// <summary>SHA-256 of the files Build reads (a missing one counts as empty); null without tokenizer.json, so that
    /// Build reports it.</summary>
    static string? ContentKey(string dir)
    {
        if (!File.Exists(Path.Combine(dir, InputFiles[0]))) return null;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var name in InputFiles)
        {
            var path = Path.Combine(dir, name);
            var bytes = File.Exists(path) ? File.ReadAllBytes(path) : [];
            hash.AppendData(BitConverter.GetBytes(bytes.LongLength));
            hash.AppendData(bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    static QwenTokenizer Build(string dir)
    {
        var path = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer not found: {path}", path);
        // A field of the wrong JSON type (GetValue<int> on a string, a null where an object belongs) throws deep inside
        // System.Text.Json; turn it into one line naming the folder's tokenizer files instead of a stack trace.
        try { return Build(dir, path); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        { throw new BadInputException($"{dir}: tokenizer.json / tokenizer_config.json / generation_config.json: a field has the wrong type ({e.Message})", e); }
    }

    static QwenTokenizer Build(string dir, string path)
    {
        var json = StrictJson.ReadObject(path);

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

        var added = ReadAddedTokens(json, path);
        var normalize = ReadNormalizer(json, path);

        // Added tokens and normalization are handled before BPE (AddedTokenSplitter), so the BPE sees only the
        // normalized text between added tokens: no special tokens, no normalizer of its own.
        var options = new BpeOptions(vocab.Select(v => new KeyValuePair<string, int>(v.Item1, v.Item2)))
        {
            Merges = merges.Select(m => $"{m.Item1} {m.Item2}"),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(QwenPattern, RegexOptions.Compiled), null),
        };
        var tokenizer = BpeTokenizer.Create(options);
        var vocabById = new string[vocab.Count == 0 ? 0 : vocab.Max(v => v.Item2) + 1];
        foreach (var (token, id) in vocab) vocabById[id] = token;

        // End-of-sequence ids: generation_config.json (what generate uses), else tokenizer_config.json's eos_token.
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        var config = File.Exists(configPath) ? StrictJson.ReadObject(configPath) : null;
        int? IdOf(JsonNode? tokenNode)
        {
            var text = tokenNode is JsonObject o ? o["content"]?.GetValue<string>() : tokenNode?.GetValue<string>();
            if (text is null) return null;
            return added.FirstOrDefault(t => t.Content == text)?.Id ?? vocabObj[text]?.GetValue<int>();
        }
        var eos = new List<int>();
        var genPath = Path.Combine(dir, "generation_config.json");
        if (File.Exists(genPath) && StrictJson.ReadObject(genPath) is JsonObject gen)
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
        return new QwenTokenizer(tokenizer, vocabById, added, normalize, eos, pad, systemPrompt);
    }

    static List<AddedToken> ReadAddedTokens(JsonObject json, string path)
    {
        var list = new List<AddedToken>();
        foreach (var node in json["added_tokens"] as JsonArray ?? [])
        {
            if (node is not JsonObject t || t["id"] is not JsonValue id || t["content"] is not JsonValue content)
                throw new InvalidDataException($"{path}: added_tokens[{list.Count}] needs \"id\" and \"content\"");
            bool Flag(string name, bool absent) => t[name]?.GetValue<bool>() ?? absent;
            // tokenizers requires every flag; a file without some gets the defaults of its AddedToken::from(content, special).
            bool special = Flag("special", false);
            list.Add(new AddedToken(id.GetValue<int>(), content.GetValue<string>(), special, Flag("single_word", false),
                Flag("lstrip", false), Flag("rstrip", false), Flag("normalized", !special)));
        }
        return list;
    }

    /// <summary>tokenizer.json's normalizer: none or NFC (Qwen's); others would silently change ids, so they fail.</summary>
    static Func<string, string>? ReadNormalizer(JsonObject json, string path) =>
        json["normalizer"]?["type"]?.GetValue<string>() switch
        {
            null => null,
            "NFC" => s => s.Normalize(NormalizationForm.FormC),
            var other => throw new InvalidDataException($"{path}: normalizer \"{other}\" is not supported (only NFC or none)"),
        };

    static (string, string) SplitMerge(string m)
    {
        var i = m.IndexOf(' ', 1);
        if (i < 0) throw new InvalidDataException($"tokenizer.json: malformed merge \"{m}\"");
        return (m[..i], m[(i + 1)..]);
    }

    /// <summary>Ids of text, as transformers' tokenizer(text, add_special_tokens=False): every added token of the
    /// folder is one id; no BOS/EOS is added.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (var segment in splitter.Split(text))
            if (segment.TokenId is int id) ids.Add(id);
            else ids.AddRange(bpe.EncodeToIds(segment.Text));
        return ids;
    }

    /// <summary>Text of ids, as Hugging Face tokenizers' decode: added tokens give their content (special ones are
    /// dropped when skipSpecialTokens), the rest goes through the byte-level decoder, and the bytes of all tokens
    /// together are read as UTF-8 (invalid bytes become U+FFFD). Ids the tokenizer does not know are dropped.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) ByteLevel.AppendBytes(added.Text, bytes);
            }
            else if (id >= 0 && id < vocabById.Length && vocabById[id] is string token)
                ByteLevel.AppendBytes(token, bytes);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

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
}
