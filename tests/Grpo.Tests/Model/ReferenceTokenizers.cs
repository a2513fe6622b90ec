// The tokenizer folders of tests/reference as model folders QwenTokenizer can open. Qwen3's 11 MB tokenizer.json is
// stored gzip-compressed (tokenizer.json.gz) to keep clones small; it is unpacked once under the test output.
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Grpo.Tests.Model;

public static class ReferenceTokenizers
{
    static readonly Lazy<string> qwen3 = new(() => Unpack("qwen3", json => json));
    static readonly Lazy<string> qwen25 = new(() => Unpack("qwen2.5", WithoutQwen3AddedTokens));

    /// <summary>Qwen3's tokenizer (added tokens 151643..151668, incl. the non-special &lt;think&gt; 151667 and
    /// &lt;/think&gt; 151668) with its tokenizer_config.json.</summary>
    public static string Qwen3Dir => qwen3.Value;

    /// <summary>The same vocabulary with Qwen2.5's added tokens 151643..151664 (non-special &lt;tool_call&gt; and FIM
    /// tokens, no think tokens), made exactly as tests/reference/tools/make-tokenizer-cases.mjs makes it.</summary>
    public static string Qwen25Dir => qwen25.Value;

    /// <summary>A small crafted folder whose added tokens use lstrip, rstrip, single_word and normalized.</summary>
    public static string AddedTokensDir => TestPaths.Reference("added-tokens");

    static string WithoutQwen3AddedTokens(string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var kept = root["added_tokens"]!.AsArray().Where(t => t!["id"]!.GetValue<int>() <= 151664).Select(t => t!.DeepClone()).ToArray();
        root["added_tokens"] = new JsonArray(kept);
        return root.ToJsonString();
    }

    // One folder per content hash, written under a temporary name and renamed, so concurrent or stale runs never
    // see a half-written or outdated copy.
    static string Unpack(string name, Func<string, string> transform)
    {
        var gz = TestPaths.Reference("qwen-tokenizer", "tokenizer.json.gz");
        var config = TestPaths.Reference("qwen-tokenizer", "tokenizer_config.json");
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(gz)))[..12].ToLowerInvariant();
        var root = Path.Combine(AppContext.BaseDirectory, "reference-unpacked");
        var dir = Path.Combine(root, $"{name}-{hash}");
        if (Directory.Exists(dir)) return dir;

        var tmp = Directory.CreateDirectory(Path.Combine(root, $".tmp-{name}-{Guid.NewGuid():N}")).FullName;
        using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var reader = new StreamReader(input))
            File.WriteAllText(Path.Combine(tmp, "tokenizer.json"), transform(reader.ReadToEnd()));
        File.Copy(config, Path.Combine(tmp, "tokenizer_config.json"));
        try { Directory.Move(tmp, dir); }
        catch (IOException) when (Directory.Exists(dir)) { Directory.Delete(tmp, recursive: true); }   // another run won
        return dir;
    }
}
