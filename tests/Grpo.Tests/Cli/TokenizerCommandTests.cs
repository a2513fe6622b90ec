// `tokenize` and `generate` run as the built CLI (grpo.dll) on Qwen3 and Qwen2.5-style folders: the ids they print
// must be Hugging Face tokenizers' ids (tests/reference/qwen-tokenizer/hf-tokenizer-cases.json).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpo.Model;
using Grpo.Tests.Model;
using Xunit;

namespace Grpo.Tests.Cli;

public class TokenizerCommandTests
{
    static readonly JsonArray Cases = JsonNode.Parse(File.ReadAllText(TestPaths.Reference("qwen-tokenizer", "hf-tokenizer-cases.json")))!["cases"]!.AsArray();

    static string FolderOf(string variant) => variant == "qwen3" ? ReferenceTokenizers.Qwen3Dir : ReferenceTokenizers.Qwen25Dir;

    static JsonNode Case(string text) => Cases.Single(c => c!["text"]!.GetValue<string>() == text)!;

    static string RunCli(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"grpo {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }

    static int[] Ids(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    [Theory]
    [InlineData("qwen3")]
    [InlineData("qwen2.5")]
    public void Tokenize_prints_hugging_face_ids_for_text_with_think_and_tool_call_tags(string variant)
    {
        const string text = "<|im_start|>assistant\n<think>\n</think>\n\n<tool_call><|im_end|>";
        var printed = JsonNode.Parse(RunCli("tokenize", "--model", FolderOf(variant), "--text", text))!;
        Assert.Equal(Ids(Case(text)[variant]!["ids"]), Ids(printed["ids"]));
    }

    [Fact]
    public void Tokenize_decodes_ids_with_and_without_the_special_tokens()
    {
        var expected = Case("<|im_start|>assistant\n<think>\n</think>\n\n<tool_call><|im_end|>")["qwen3"]!;
        var ids = string.Join(',', Ids(expected["ids"]));
        var plain = JsonNode.Parse(RunCli("tokenize", "--model", ReferenceTokenizers.Qwen3Dir, "--ids", ids))!;
        var skipped = JsonNode.Parse(RunCli("tokenize", "--model", ReferenceTokenizers.Qwen3Dir, "--ids", ids, "--skip-special-tokens"))!;
        Assert.Equal(expected["decoded"]!.GetValue<string>(), plain["text"]!.GetValue<string>());
        Assert.Equal(expected["decoded_skip_special"]!.GetValue<string>(), skipped["text"]!.GetValue<string>());
        Assert.DoesNotContain("<|im_start|>", skipped["text"]!.GetValue<string>());
        Assert.Contains("<think>", skipped["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("qwen2.5")]
    public void Generate_encodes_every_prompt_as_hugging_face_tokenizers(string variant)
    {
        var root = Directory.CreateTempSubdirectory("generate-hf-ids-").FullName;
        try
        {
            // A random tiny Qwen2 over the full vocabulary: only the prompt ids matter here.
            var modelDir = Path.Combine(root, "model");
            using (var m = new Qwen2ForCausalLM(new Qwen2Config
                   {
                       VocabSize = 151669, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2,
                       NumKeyValueHeads = 1, MaxPositionEmbeddings = 1024, TieWordEmbeddings = true,
                       EosTokenId = [151645], PadTokenId = 151643,
                   }))
            {
                m.InitWeights(5);
                m.SavePretrained(modelDir, FolderOf(variant));
            }
            var input = Path.Combine(root, "prompts.jsonl");
            File.WriteAllLines(input, Cases.Select(c => new JsonObject { ["prompt"] = c!["text"]!.GetValue<string>() }.ToJsonString()));

            var lines = RunCli("generate", "--model", modelDir, "--input", input, "--max-new-tokens", "1", "--greedy")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(Cases.Count, lines.Length);
            for (int i = 0; i < Cases.Count; i++)
                Assert.Equal(Ids(Cases[i]![variant]!["ids"]), Ids(JsonNode.Parse(lines[i])!["prompt_ids"]));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
