// A temporary Hugging Face folder for evaluator tests: the reference qwen2-tiny weights (vocab 320) plus a byte-level
// tokenizer made here (256 byte tokens, no merges, ChatML specials), since the reference folder has no tokenizer.
using System.Text.Json.Nodes;

namespace Grpo.Tests.Evaluation;

public sealed class TinyModelFolder : IDisposable
{
    public string Dir { get; }

    public TinyModelFolder()
    {
        Dir = Directory.CreateTempSubdirectory("qwen2-tiny-eval-").FullName;
        var reference = TestPaths.Reference("qwen2-tiny");
        foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json" })
            File.Copy(Path.Combine(reference, f), Path.Combine(Dir, f));
        WriteTokenizer(Dir);
    }

    /// <summary>GPT-2 byte-to-unicode alphabet as ids 0..255 (id = byte value), placeholders for the other ordinary
    /// ids up to 319, and &lt;|endoftext|&gt; 301 (the reference config's eos), &lt;|im_start|&gt; 303, &lt;|im_end|&gt; 304.</summary>
    public static void WriteTokenizer(string dir)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var vocab = new JsonObject();
        int extra = 0;
        for (int b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
        var specials = new Dictionary<int, string> { [301] = "<|endoftext|>", [303] = "<|im_start|>", [304] = "<|im_end|>" };
        for (int id = 256; id < 320; id++) if (!specials.ContainsKey(id)) vocab[$"t{id}"] = id;
        var added = new JsonArray(specials.Select(kv => (JsonNode)new JsonObject
        {
            ["id"] = kv.Key, ["content"] = kv.Value, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        }).ToArray());
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0", ["added_tokens"] = added, ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            new JsonObject { ["eos_token"] = "<|endoftext|>", ["pad_token"] = "<|endoftext|>" }.ToJsonString());
    }

    public void Dispose() => Directory.Delete(Dir, true);
}
