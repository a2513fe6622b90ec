// Prompt templates: the Chinese prompt of docs/countdown-rules.md byte for byte, and an English variant of the same structure
// (the reference tutorials' wording). Both end in "<think>", so completions start inside the thinking.
namespace Grpo.Countdown;

/// <summary>A raw ChatML prompt with {nums} and {target} placeholders.</summary>
public sealed record PromptTemplate(string Name, string Text)
{
    public static readonly PromptTemplate Chinese = new("chinese",
        "<|im_start|>system\n你是一位专业的数谜解答助手。你首先会思考数谜的逻辑推理过程,然后给出正确答案。<|im_end|>\n<|im_start|>user\n使用{nums}这几个数字,构建一个等于{target}的等式。 你只可以使用基础的运算法则(+, -, *, /),并且每个数字只可以被使用一次。把你的逻辑推理过程写在 <think> 和 </think> 标签之间,然后将最终正确的等式写在 <answer> 和 </answer> 之间。例如,当用[1,2,3]构建结果为1的等式时,在think之后,写:<answer> (1 + 2) / 3 </answer>。<|im_end|>\n<|im_start|>assistant\n让我们一步一步地解决这个谜题。\n<think>");

    public static readonly PromptTemplate English = new("english",
        "<|im_start|>system\nYou are a helpful assistant. You first think about the reasoning process in the mind and then provide the user with the answer.<|im_end|>\n" +
        "<|im_start|>user\nUsing the numbers {nums}, create an equation that equals {target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. " +
        "Show your work in <think> </think> tags. And return the final equation in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.<|im_end|>\n" +
        "<|im_start|>assistant\nLet me solve this step by step.\n<think>");

    public static IReadOnlyList<PromptTemplate> All { get; } = [Chinese, English];

    /// <summary>The prompt for one problem; {nums} prints like [44, 19, 35].</summary>
    public string Render(CountdownProblem p) =>
        Text.Replace("{nums}", p.NumsText).Replace("{target}", p.Target.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static PromptTemplate ByName(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"Unknown prompt template '{name}'; known: {string.Join(", ", All.Select(t => t.Name))}.");
}
