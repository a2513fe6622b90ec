// QwenTokenizer against Hugging Face: transformers 4.44's slow Qwen2Tokenizer (tokenizer-cases.json) and the
// tokenizers library itself (hf-tokenizer-cases.json, added-tokens/cases.json), all in tests/reference.
using System.Text.Json.Nodes;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Model;

/// <summary>Builds each tokenizer once for the test class (~1.5 s for each Qwen folder).</summary>
public sealed class TokenizerFixture
{
    public QwenTokenizer Qwen3 { get; } = QwenTokenizer.FromFolder(ReferenceTokenizers.Qwen3Dir);
    public QwenTokenizer Qwen25 { get; } = QwenTokenizer.FromFolder(ReferenceTokenizers.Qwen25Dir);
    public QwenTokenizer Crafted { get; } = QwenTokenizer.FromFolder(ReferenceTokenizers.AddedTokensDir);
}

public class TokenizerTests(TokenizerFixture fx) : IClassFixture<TokenizerFixture>
{
    static JsonObject Load(params string[] path) => (JsonObject)JsonNode.Parse(File.ReadAllText(TestPaths.Reference(path)))!;
    static readonly Lazy<JsonArray> SlowCases = new(() => Load("qwen-tokenizer", "tokenizer-cases.json")["cases"]!.AsArray());
    static readonly Lazy<JsonObject> HfQwen = new(() => Load("qwen-tokenizer", "hf-tokenizer-cases.json"));
    static readonly Lazy<JsonObject> HfCrafted = new(() => Load("added-tokens", "cases.json"));

    static TheoryData<int, string> Texts(JsonArray cases)
    {
        var data = new TheoryData<int, string>();
        for (int i = 0; i < cases.Count; i++) data.Add(i, cases[i]!["text"]!.GetValue<string>());
        return data;
    }
    public static TheoryData<int, string> SlowTexts() => Texts(SlowCases.Value);
    public static TheoryData<int, string> QwenTexts() => Texts(HfQwen.Value["cases"]!.AsArray());
    public static TheoryData<int, string> CraftedTexts() => Texts(HfCrafted.Value["cases"]!.AsArray());

    static int[] Ids(JsonNode node) => node.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    static void AssertMatchesHf(QwenTokenizer tok, JsonNode expected, string text)
    {
        var ids = tok.Encode(text);
        Assert.Equal(Ids(expected["ids"]!), ids);
        Assert.Equal(expected["decoded"]!.GetValue<string>(), tok.Decode(ids));
        Assert.Equal(expected["decoded_skip_special"]!.GetValue<string>(), tok.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Reference_files_hold_every_case_and_cover_the_non_special_added_tokens()
    {
        Assert.Equal(16, SlowCases.Value.Count);
        var texts = HfQwen.Value["cases"]!.AsArray().Select(c => c!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(SlowCases.Value.Select(c => c!["text"]!.GetValue<string>()), texts.Take(16));
        foreach (var (token, atLeast) in new[] { ("<think>", 5), ("</think>", 5), ("<tool_call>", 3), ("</tool_call>", 2), ("<|fim_prefix|>", 1), ("<tool_response>", 1) })
            Assert.True(texts.Count(t => t.Contains(token)) >= atLeast, token);
        Assert.True(HfCrafted.Value["cases"]!.AsArray().Count >= 40);
    }

    [Theory]
    [MemberData(nameof(SlowTexts))]
    public void Qwen3_folder_encodes_as_transformers_slow_tokenizer_with_all_added_tokens(int i, string text) =>
        Assert.Equal(Ids(SlowCases.Value[i]!["ids_with_all_added_tokens"]!), fx.Qwen3.Encode(text));

    [Theory]
    [MemberData(nameof(SlowTexts))]
    public void Qwen25_folder_encodes_as_transformers_slow_tokenizer_without_think_tokens(int i, string text) =>
        Assert.Equal(Ids(SlowCases.Value[i]!["ids"]!), fx.Qwen25.Encode(text));

    [Theory]
    [MemberData(nameof(SlowTexts))]
    public void Decode_round_trips_to_the_normalised_text(int i, string text)
    {
        var decoded = fx.Qwen25.Decode(Ids(SlowCases.Value[i]!["ids"]!));
        Assert.Equal(SlowCases.Value[i]!["decoded"]!.GetValue<string>(), decoded);
        Assert.Equal(text.Normalize(System.Text.NormalizationForm.FormC), decoded);
    }

    [Theory]
    [MemberData(nameof(QwenTexts))]
    public void Qwen3_folder_encodes_and_decodes_as_hugging_face_tokenizers(int i, string text) =>
        AssertMatchesHf(fx.Qwen3, HfQwen.Value["cases"]![i]!["qwen3"]!, text);

    [Theory]
    [MemberData(nameof(QwenTexts))]
    public void Qwen25_folder_encodes_and_decodes_as_hugging_face_tokenizers(int i, string text) =>
        AssertMatchesHf(fx.Qwen25, HfQwen.Value["cases"]![i]!["qwen2.5"]!, text);

    [Theory]
    [MemberData(nameof(CraftedTexts))]
    public void Lstrip_rstrip_single_word_and_normalized_added_tokens_behave_as_in_hugging_face_tokenizers(int i, string text) =>
        AssertMatchesHf(fx.Crafted, HfCrafted.Value["cases"]![i]!, text);

    [Fact]
    public void Decoding_joins_the_bytes_of_all_tokens_drops_unknown_ids_and_skips_only_special_tokens()
    {
        foreach (var (tok, cases) in new[] { (fx.Qwen3, HfQwen.Value["decode_cases"]!.AsArray().Select(c => c!["qwen3"]!)),
                     (fx.Crafted, HfCrafted.Value["decode_cases"]!.AsArray().Select(c => c!)) })
            foreach (var c in cases)
            {
                Assert.Equal(c["decoded"]!.GetValue<string>(), tok.Decode(Ids(c["ids"]!)));
                Assert.Equal(c["decoded_skip_special"]!.GetValue<string>(), tok.Decode(Ids(c["ids"]!), skipSpecialTokens: true));
            }
    }

    [Fact]
    public void Think_tags_are_one_token_for_qwen3_and_ordinary_text_for_qwen25_while_tool_call_is_one_token_for_both()
    {
        Assert.Equal([151667], fx.Qwen3.Encode("<think>"));
        Assert.Equal([151668], fx.Qwen3.Encode("</think>"));
        Assert.Equal([13708, 766, 29], fx.Qwen25.Encode("<think>"));
        Assert.Equal([151657], fx.Qwen25.Encode("<tool_call>"));
        Assert.Equal([151657], fx.Qwen3.Encode("<tool_call>"));
    }

    [Fact]
    public void Only_added_tokens_marked_special_are_skipped_when_decoding()
    {
        Assert.Equal("<think>x</think>", fx.Qwen3.Decode([151644, 151667, 87, 151668, 151645], skipSpecialTokens: true));
        Assert.Equal("<|im_start|><think>x</think><|im_end|>", fx.Qwen3.Decode([151644, 151667, 87, 151668, 151645]));
    }

    [Fact]
    public void Chat_template_wraps_messages_in_chatml_and_special_tokens_encode_as_single_ids()
    {
        var text = fx.Qwen25.ApplyChatTemplate([("system", "S"), ("user", "U")], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n", text);
        var ids = fx.Qwen25.Encode(text);
        Assert.Equal(151644, ids[0]);
        Assert.Equal(3, ids.Count(id => id == 151644));
        Assert.Equal(2, ids.Count(id => id == 151645));
    }

    [Fact]
    public void Eos_and_pad_ids_come_from_the_folder()
    {
        // tokenizer_config.json of the reference folder: eos_token <|im_end|>, pad_token <|endoftext|>.
        Assert.Contains(151645, fx.Qwen3.EosTokenIds);
        Assert.Equal(151643, fx.Qwen3.PadTokenId);
        Assert.Equal(151669, fx.Qwen3.VocabSize);
        Assert.Equal(151665, fx.Qwen25.VocabSize);
    }

    [Fact]
    public void Tokenizer_is_built_once_per_folder()
    {
        Assert.Same(fx.Qwen3, QwenTokenizer.FromFolder(ReferenceTokenizers.Qwen3Dir));
        Assert.NotSame(fx.Qwen3, fx.Qwen25);
    }

    [Fact]
    public void A_normalizer_other_than_nfc_is_refused_with_the_file_named()
    {
        var dir = Directory.CreateTempSubdirectory("tokenizer-normalizer-").FullName;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceTokenizers.AddedTokensDir, "tokenizer.json")))!;
            json["normalizer"] = new JsonObject { ["type"] = "Lowercase" };
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
            File.Copy(Path.Combine(ReferenceTokenizers.AddedTokensDir, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
            var e = Assert.Throws<InvalidDataException>(() => QwenTokenizer.FromFolder(dir));
            Assert.Contains("tokenizer.json", e.Message);
            Assert.Contains("Lowercase", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
