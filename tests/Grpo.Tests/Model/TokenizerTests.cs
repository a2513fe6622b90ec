// QwenTokenizer against Hugging Face's Qwen2Tokenizer ids (shared/reference/qwen-tokenizer/tokenizer-cases.json).
using System.Text.Json.Nodes;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Model;

/// <summary>Builds each tokenizer once for the test class (~1.5 s each).</summary>
public sealed class TokenizerFixture
{
    public QwenTokenizer Qwen25 { get; } = QwenTokenizer.FromFolder(ReferenceCases.TokenizerDir);
    public QwenTokenizer AllAdded { get; } = QwenTokenizer.FromFolder(ReferenceCases.TokenizerDir, AddedTokenMode.All);
    public JsonArray Cases { get; } = (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceCases.TokenizerDir, "tokenizer-cases.json")))!["cases"]!;
}

public class TokenizerTests(TokenizerFixture fx) : IClassFixture<TokenizerFixture>
{
    public static TheoryData<int> CaseIndices() { var d = new TheoryData<int>(); for (int i = 0; i < 16; i++) d.Add(i); return d; }

    [Fact]
    public void Reference_file_has_sixteen_cases() => Assert.Equal(16, fx.Cases.Count);

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Encode_matches_transformers_ids_with_only_special_added_tokens(int i)
    {
        var c = fx.Cases[i]!;
        Assert.Equal(ReferenceCases.IntRow(c["ids"]!).Select(x => (int)x), fx.Qwen25.Encode(c["text"]!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Encode_matches_transformers_ids_with_all_added_tokens(int i)
    {
        var c = fx.Cases[i]!;
        Assert.Equal(ReferenceCases.IntRow(c["ids_with_all_added_tokens"]!).Select(x => (int)x), fx.AllAdded.Encode(c["text"]!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Decode_round_trips_to_the_normalised_text(int i)
    {
        var c = fx.Cases[i]!;
        var ids = ReferenceCases.IntRow(c["ids"]!).Select(x => (int)x);
        Assert.Equal(c["decoded"]!.GetValue<string>(), fx.Qwen25.Decode(ids));
    }

    [Fact]
    public void Think_tag_is_ordinary_text_for_qwen25_and_one_token_with_all_added_tokens()
    {
        Assert.Equal([13708, 766, 29], fx.Qwen25.Encode("<think>"));
        Assert.Equal([151667], fx.AllAdded.Encode("<think>"));
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
        Assert.Contains(151645, fx.Qwen25.EosTokenIds);
        Assert.Equal(151643, fx.Qwen25.PadTokenId);
    }

    [Fact]
    public void Tokenizer_is_built_once_per_folder()
    {
        Assert.Same(fx.Qwen25, QwenTokenizer.FromFolder(ReferenceCases.TokenizerDir));
    }
}
