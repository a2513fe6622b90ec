// Writes a trained byte-level BPE as Hugging Face tokenizer.json + tokenizer_config.json, in the structure of
// Qwen2.5's files (NFC, Qwen split regex, ByteLevel pre-tokenizer and decoder, ChatML special tokens).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;
using Grpo.Model;

namespace Grpo.Tiny;

public static class TokenizerFiles
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into dir (created if needed).</summary>
    public static void Write(string dir, BpeVocabulary vocab, int modelMaxLength = 1024)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson(vocab).ToJsonString(Pretty));
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfigJson(vocab, modelMaxLength).ToJsonString(Pretty));
    }

    private static JsonObject ByteLevelStep() => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false,
    };

    public static JsonObject TokenizerJson(BpeVocabulary vocab)
    {
        var vocabJson = new JsonObject();
        for (int i = 0; i < vocab.Tokens.Count; i++) vocabJson[vocab.Tokens[i]] = i;
        var merges = new JsonArray(vocab.Merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right)).ToArray());
        var added = new JsonArray(vocab.SpecialTokens.Select(t => (JsonNode)new JsonObject
        {
            ["id"] = vocab.SpecialId(t), ["content"] = t, ["single_word"] = false, ["lstrip"] = false,
            ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        }).ToArray());
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = QwenTokenizer.QwenPattern },
                        ["behavior"] = "Isolated", ["invert"] = false,
                    },
                    ByteLevelStep()),
            },
            ["post_processor"] = ByteLevelStep(),
            ["decoder"] = ByteLevelStep(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocabJson, ["merges"] = merges,
            },
        };
    }

    // Minimal Qwen2-style config: ChatML template without tools, <|im_end|> ends a turn, <|endoftext|> pads.
    public static JsonObject TokenizerConfigJson(BpeVocabulary vocab, int modelMaxLength)
    {
        var decoder = new JsonObject();
        foreach (var t in vocab.SpecialTokens)
            decoder[vocab.SpecialId(t).ToString()] = new JsonObject
            {
                ["content"] = t, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false,
                ["single_word"] = false, ["special"] = true,
            };
        return new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["additional_special_tokens"] = new JsonArray("<|im_start|>", "<|im_end|>"),
            ["bos_token"] = null,
            ["chat_template"] = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
            ["clean_up_tokenization_spaces"] = false,
            ["eos_token"] = "<|im_end|>",
            ["errors"] = "replace",
            ["model_max_length"] = modelMaxLength,
            ["pad_token"] = "<|endoftext|>",
            ["split_special_tokens"] = false,
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["unk_token"] = null,
        };
    }
}
