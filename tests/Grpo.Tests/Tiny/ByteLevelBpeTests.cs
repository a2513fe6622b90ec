// The tiny tokenizer: trained byte-level BPE written as tokenizer.json, loaded by Microsoft.ML.Tokenizers exactly as
// Qwen's tokenizer.json loads (and by the project's QwenTokenizer), round-tripping prompts and traces.
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Tiny;
using Microsoft.ML.Tokenizers;
using Xunit;
using Xunit.Abstractions;

namespace Grpo.Tests.Tiny;

public sealed class ByteLevelBpeFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("tiny-bpe-").FullName;
    public IReadOnlyList<ColdStartTrace> Traces { get; }
    public BpeVocabulary Vocab { get; }

    public ByteLevelBpeFixture()
    {
        Traces = ColdStartTraces.Make(ProblemGenerator.Generate(600, 11, ProblemDistribution.Easy), 11);
        // 1024 is more than this corpus supports: training stops when no pair repeats (about 700 here).
        Vocab = ByteLevelBpeTrainer.Train(TokenizerCorpus.Documents(Traces, PromptTemplate.All), new BpeTrainerOptions(VocabSize: 1024));
        TokenizerFiles.Write(Dir, Vocab);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public class ByteLevelBpeTests(ByteLevelBpeFixture f, ITestOutputHelper output) : IClassFixture<ByteLevelBpeFixture>
{
    // Design §2's construction, reading every piece from the written tokenizer.json.
    private Tokenizer LoadAsDesignSection2()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(f.Dir, "tokenizer.json")))!.AsObject();
        var model = json["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject().Select(kv => new KeyValuePair<string, int>(kv.Key, kv.Value!.GetValue<int>()));
        var merges = model["merges"]!.AsArray().Select(m => $"{m![0]!.GetValue<string>()} {m[1]!.GetValue<string>()}");
        var special = json["added_tokens"]!.AsArray().Where(t => t!["special"]!.GetValue<bool>())
            .ToDictionary(t => t!["content"]!.GetValue<string>(), t => t!["id"]!.GetValue<int>());
        string pattern = json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"]!.GetValue<string>();
        Assert.Equal("NFC", json["normalizer"]!["type"]!.GetValue<string>());
        return BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = special,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern), special),
            Normalizer = new NfcNormalizer(),
        });
    }

    private sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);
        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
    }

    [Fact]
    public void Byte_alphabet_matches_the_first_256_entries_of_qwens_vocabulary()
    {
        var qwen = JsonNode.Parse(File.ReadAllText(Path.Combine(Grpo.Tests.Model.ReferenceTokenizers.Qwen3Dir, "tokenizer.json")))!["model"]!["vocab"]!.AsObject();
        var first256 = qwen.Where(kv => kv.Value!.GetValue<int>() < 256).OrderBy(kv => kv.Value!.GetValue<int>()).Select(kv => kv.Key);
        Assert.Equal(first256, ByteLevel.Alphabet);
        Assert.Equal('Ġ', ByteLevel.ByteToChar[' ']);
        Assert.Equal('Ċ', ByteLevel.ByteToChar['\n']);
    }

    [Fact]
    public void Vocabulary_reaches_the_target_size_with_special_tokens_last()
    {
        var vocab = ByteLevelBpeTrainer.Train(TokenizerCorpus.Documents(f.Traces, PromptTemplate.All), new BpeTrainerOptions(VocabSize: 512));
        Assert.Equal(512, vocab.Size);
        Assert.Equal(512 - 3 - 256, vocab.Merges.Count);
        var json = TokenizerFiles.TokenizerJson(vocab);
        Assert.Equal(512 - 3, json["model"]!["vocab"]!.AsObject().Count);
        Assert.Equal(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], json["added_tokens"]!.AsArray().Select(t => t!["content"]!.GetValue<string>()));
        Assert.Equal([509, 510, 511], json["added_tokens"]!.AsArray().Select(t => t!["id"]!.GetValue<int>()));
    }

    [Fact]
    public void Training_past_what_the_corpus_supports_stops_below_the_target()
    {
        Assert.InRange(f.Vocab.Size, 512, 1023);
        Assert.Equal(f.Vocab.Tokens.Count, f.Vocab.SpecialId("<|endoftext|>"));
    }

    [Fact]
    public void Files_have_the_structure_of_qwens()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(f.Dir, "tokenizer.json")))!.AsObject();
        Assert.Equal("BPE", json["model"]!["type"]!.GetValue<string>());
        var pre = json["pre_tokenizer"]!;
        Assert.Equal("Sequence", pre["type"]!.GetValue<string>());
        Assert.Equal(QwenTokenizer.QwenPattern, pre["pretokenizers"]![0]!["pattern"]!["Regex"]!.GetValue<string>());
        Assert.Equal("Isolated", pre["pretokenizers"]![0]!["behavior"]!.GetValue<string>());
        Assert.Equal("ByteLevel", pre["pretokenizers"]![1]!["type"]!.GetValue<string>());
        Assert.False(pre["pretokenizers"]![1]!["add_prefix_space"]!.GetValue<bool>());
        Assert.False(pre["pretokenizers"]![1]!["use_regex"]!.GetValue<bool>());
        Assert.Equal("ByteLevel", json["decoder"]!["type"]!.GetValue<string>());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(f.Dir, "tokenizer_config.json")))!.AsObject();
        Assert.Equal("<|im_end|>", config["eos_token"]!.GetValue<string>());
        Assert.Equal("<|endoftext|>", config["pad_token"]!.GetValue<string>());
    }

    [Fact]
    public void Prompts_and_traces_round_trip_through_the_design_section_2_loader()
    {
        var tokenizer = LoadAsDesignSection2();
        foreach (var t in f.Traces.Take(200))
            foreach (var template in PromptTemplate.All)
            {
                string text = template.Render(t.Problem) + t.Completion + "<|im_end|>";
                var ids = tokenizer.EncodeToIds(text);
                Assert.All(ids, id => Assert.InRange(id, 0, f.Vocab.Size - 1));
                Assert.Equal(text, tokenizer.Decode(ids));
            }
    }

    [Fact]
    public void Text_outside_the_corpus_round_trips_through_the_byte_alphabet()
    {
        var tokenizer = LoadAsDesignSection2();
        foreach (var text in new[] { "Ünïcödé ✓ 数谜 🙂 tabs\tand\r\nnewlines", "<|im_start|>x<|im_end|><|endoftext|>", "  leading  and trailing  " })
            Assert.Equal(text, tokenizer.Decode(tokenizer.EncodeToIds(text)));
    }

    [Fact]
    public void Special_tokens_encode_as_single_ids_and_think_stays_ordinary_text()
    {
        var tokenizer = LoadAsDesignSection2();
        int first = f.Vocab.Tokens.Count;
        Assert.Equal([first + 1, first + 2, first], tokenizer.EncodeToIds("<|im_start|><|im_end|><|endoftext|>"));
        Assert.True(tokenizer.EncodeToIds("<think>").Count > 1);
    }

    [Fact]
    public void Digits_are_single_tokens()
    {
        var tokenizer = LoadAsDesignSection2();
        var ids = tokenizer.EncodeToIds("12+5=17 17*3=51 no</think>\n<answer>1234</answer>");
        var pieces = ids.Select(id => tokenizer.Decode([id])).ToList();
        Assert.All(pieces.Where(p => p.Any(char.IsDigit)), p => Assert.Equal(1, p.Length));
        Assert.Equal(["1", "2", "3", "4"], pieces.Where(p => p.Any(char.IsDigit)).TakeLast(4));
    }

    [Fact]
    public void Project_tokenizer_loads_the_folder_with_the_same_ids()
    {
        var design = LoadAsDesignSection2();
        File.WriteAllText(Path.Combine(f.Dir, "generation_config.json"), $"{{\"eos_token_id\": [{f.Vocab.SpecialId("<|im_end|>")}]}}");
        var project = QwenTokenizer.FromFolder(f.Dir);
        string prompt = PromptTemplate.Chinese.Render(f.Traces[0].Problem) + f.Traces[0].Completion;
        Assert.Equal(design.EncodeToIds(prompt), project.Encode(prompt));
        Assert.Equal(prompt, project.Decode(project.Encode(prompt)));
        Assert.Equal([f.Vocab.SpecialId("<|im_end|>")], project.EosTokenIds);
        Assert.Equal(f.Vocab.SpecialId("<|endoftext|>"), project.PadTokenId);
    }

    [Fact]
    public void Ids_equal_applying_the_merges_by_rank_to_each_pre_token()
    {
        // Hugging Face BPE semantics written out plainly: within each pre-token, repeatedly merge the adjacent
        // pair with the lowest merge rank.
        var rank = f.Vocab.Merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var ids = f.Vocab.Tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var split = new Regex(QwenTokenizer.QwenPattern);
        var tokenizer = LoadAsDesignSection2();
        foreach (var t in f.Traces.Take(30))
        {
            string text = PromptTemplate.Chinese.Render(t.Problem)["<|im_start|>system\n".Length..].Split("<|im_end|>")[0] + t.Completion;
            var expected = new List<int>();
            foreach (Match m in split.Matches(text))
            {
                var symbols = ByteLevel.Encode(m.Value).Select(c => c.ToString()).ToList();
                while (true)
                {
                    int best = -1, bestRank = int.MaxValue;
                    for (int i = 0; i + 1 < symbols.Count; i++)
                        if (rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) { best = i; bestRank = r; }
                    if (best < 0) break;
                    symbols[best] += symbols[best + 1];
                    symbols.RemoveAt(best + 1);
                }
                expected.AddRange(symbols.Select(s => ids[s]));
            }
            Assert.Equal(expected, tokenizer.EncodeToIds(text));
        }
    }

    [Fact]
    public void Rendered_chinese_prompt_is_short()
    {
        var tokenizer = LoadAsDesignSection2();
        var p = new CountdownProblem([12, 5, 3], 41);
        int chinese = tokenizer.EncodeToIds(PromptTemplate.Chinese.Render(p)).Count;
        int english = tokenizer.EncodeToIds(PromptTemplate.English.Render(p)).Count;
        int bytes = Encoding.UTF8.GetByteCount(PromptTemplate.Chinese.Render(p));
        int preTokens = new Regex(QwenTokenizer.QwenPattern).Matches(PromptTemplate.Chinese.Render(p).Replace("<|im_start|>", "").Replace("<|im_end|>", "")).Count + 6;
        output.WriteLine($"Chinese prompt: {chinese} tokens ({bytes} UTF-8 bytes, {preTokens} pre-tokens incl. 6 special); English prompt: {english} tokens; vocabulary {f.Vocab.Size}");
        // Every merge the prompt can use was learned, so it costs about one token per pre-token.
        Assert.InRange(chinese, preTokens, preTokens + 10);
    }

    [Fact]
    public void Training_stops_when_no_pair_repeats_before_the_target_size()
    {
        var small = ByteLevelBpeTrainer.Train(["abab abab", "xy"], new BpeTrainerOptions(VocabSize: 4096));
        // Word "abab" twice and " abab" ... only pairs seen at least twice are merged.
        Assert.All(small.Merges, m => Assert.DoesNotContain("x", m.Left + m.Right));
        Assert.Contains(("a", "b"), small.Merges);
        Assert.True(small.Size < 4096);
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var again = ByteLevelBpeTrainer.Train(TokenizerCorpus.Documents(f.Traces, PromptTemplate.All), new BpeTrainerOptions(VocabSize: 1024));
        Assert.Equal(f.Vocab.Merges, again.Merges);
        Assert.Equal(f.Vocab.Tokens, again.Tokens);
    }
}
