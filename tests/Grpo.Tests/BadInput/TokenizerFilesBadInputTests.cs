// Tokenizer files handed in by a person: malformed JSON, duplicate keys and fields of the wrong type in tokenizer.json,
// tokenizer_config.json or generation_config.json give one error naming the file (or folder), never a stack trace.
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class TokenizerFilesBadInputTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-tokbad").FullName;

    public TokenizerFilesBadInputTests()
    {
        var tiny = Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            File.Copy(Path.Combine(tiny, f), Path.Combine(dir, f));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("tokenizer_config.json", "{bad", "tokenizer_config.json: malformed JSON")]
    [InlineData("tokenizer_config.json", "{\"eos_token\": 1, \"eos_token\": 2}", "tokenizer_config.json: malformed JSON")]
    [InlineData("generation_config.json", "[1, 2]", "generation_config.json: expected a JSON object")]
    [InlineData("tokenizer_config.json", "{\"eos_token\": 5}", "a field has the wrong type")]
    [InlineData("generation_config.json", "{\"eos_token_id\": \"x\"}", "a field has the wrong type")]
    public void Bad_tokenizer_file_is_one_error_naming_it(string file, string content, string expected)
    {
        File.WriteAllText(Path.Combine(dir, file), content);
        var e = Assert.Throws<BadInputException>(() => QwenTokenizer.FromFolder(dir));
        Assert.Contains(expected, e.Message);
        Assert.Contains(dir, e.Message);
    }
}
