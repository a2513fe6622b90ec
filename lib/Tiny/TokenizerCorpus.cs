// The text the tiny tokenizer is trained on: each problem's rendered prompt(s) followed by its cold-start trace,
// exactly as the model will read and write them.
using Grpo.Countdown;

namespace Grpo.Tiny;

public static class TokenizerCorpus
{
    /// <summary>For every trace and template: prompt + completion + "&lt;|im_end|&gt;" (one document each).</summary>
    public static IEnumerable<string> Documents(IEnumerable<ColdStartTrace> traces, IEnumerable<PromptTemplate> templates)
    {
        var templateList = templates.ToList();
        foreach (var trace in traces)
            foreach (var template in templateList)
                yield return template.Render(trace.Problem) + trace.Completion + "<|im_end|>";
    }
}
