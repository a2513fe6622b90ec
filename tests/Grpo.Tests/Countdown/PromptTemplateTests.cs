// Prompts: the Chinese one must be the project's prompt (docs/countdown-rules.md) byte for byte; the English one keeps
// the same structure.
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public class PromptTemplateTests
{
    private static readonly CountdownProblem Example = new([44, 19, 35], 98);

    [Fact]
    public void Chinese_prompt_is_the_project_prompt_byte_for_byte()
    {
        // Copied from the project's design document (§6; the same text is in docs/countdown-rules.md) with
        // {nums} = [44, 19, 35] and {target} = 98; "\n" is a newline there too.
        const string expected = "<|im_start|>system\n你是一位专业的数谜解答助手。你首先会思考数谜的逻辑推理过程,然后给出正确答案。<|im_end|>\n<|im_start|>user\n使用[44, 19, 35]这几个数字,构建一个等于98的等式。 你只可以使用基础的运算法则(+, -, *, /),并且每个数字只可以被使用一次。把你的逻辑推理过程写在 <think> 和 </think> 标签之间,然后将最终正确的等式写在 <answer> 和 </answer> 之间。例如,当用[1,2,3]构建结果为1的等式时,在think之后,写:<answer> (1 + 2) / 3 </answer>。<|im_end|>\n<|im_start|>assistant\n让我们一步一步地解决这个谜题。\n<think>";
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(PromptTemplate.Chinese.Render(Example)));
    }

    [Fact]
    public void Countdown_rules_document_states_the_prompt_the_code_renders()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "countdown-rules.md"));
        var line = doc.Split('\n').Single(l => l.StartsWith("<|im_start|>system\\n你是"));
        Assert.Equal(PromptTemplate.Chinese.Text, line.Replace("\\n", "\n"));
    }

    [Fact]
    public void English_prompt_has_the_same_structure_and_ends_in_think()
    {
        string prompt = PromptTemplate.English.Render(Example);
        Assert.StartsWith("<|im_start|>system\n", prompt);
        Assert.Contains("<|im_end|>\n<|im_start|>user\n", prompt);
        Assert.Contains("[44, 19, 35]", prompt);
        Assert.Contains("equals 98.", prompt);
        Assert.EndsWith("<|im_end|>\n<|im_start|>assistant\nLet me solve this step by step.\n<think>", prompt);
        Assert.DoesNotContain("= 1", prompt);   // the known trap of docs/countdown-rules.md
    }

    [Fact]
    public void Templates_are_found_by_name_and_unknown_names_are_rejected()
    {
        Assert.Same(PromptTemplate.Chinese, PromptTemplate.ByName("chinese"));
        Assert.Same(PromptTemplate.English, PromptTemplate.ByName("English"));
        Assert.Throws<BadInputException>(() => PromptTemplate.ByName("french"));
    }
}
