// The README.md of the tiny model folder: exactly how it was made and how good it is, from measured numbers.
using System.Text;
using Grpo.Countdown;
using Grpo.Evaluation;

namespace Grpo.Tiny;

public static class ModelCard
{
    /// <param name="command">The command line that built it, as a person would retype it.</param>
    /// <param name="torchThreads">libtorch's intra-op threads during the build (they can change float rounding).</param>
    public static string Render(TinyModelSpec spec, TinyBuildResult build, IReadOnlyList<(string Name, EvalResult Result)> evals,
        string command, int torchThreads)
    {
        var s = new StringBuilder();
        s.AppendLine("# countdown-tiny");
        s.AppendLine();
        s.AppendLine("A tiny Qwen2-architecture model (Hugging Face folder: config.json, model.safetensors, tokenizer.json,");
        s.AppendLine("tokenizer_config.json, generation_config.json) built by this project with `grpo build-tiny`, so that the GRPO");
        s.AppendLine("pipeline runs end to end on a CPU. It is the same code path as Qwen2.5: nothing here is specific to it.");
        s.AppendLine();
        s.AppendLine("## How it was made");
        s.AppendLine($"- Seed {spec.Seed}. {build.Examples:N0} Countdown problems of the *easy* distribution (3 numbers of 1-20, target = value");
        s.AppendLine("  of a random expression over all three whose every step is a positive integer, 1-100); the 500 problems of");
        s.AppendLine("  `data/countdown/easy/test.parquet` and `data/countdown/full/test.parquet` were removed from it.");
        if (spec.Traces == "search")
        {
            s.AppendLine($"- Each problem got a cold-start search trace (lib/Tiny/SearchTraces.cs): attempts over first steps, each");
            s.AppendLine("  followed by the second step that lands nearest the target, rejected with \"no\" until one hits it, no attempt");
            s.AppendLine($"  repeated, the order drawn per problem from the strategies {string.Join(", ", spec.SearchStrategies)}; e.g.");
            s.AppendLine("  `18+5=23 23+4=27 no 18-5=13 13*4=52 no 18*5=90 90+4=94 ok</think>\\n<answer>18*5+4</answer>` then `<|im_end|>`;");
            s.AppendLine($"  {build.ExamplesWithFailedAttempts:N0} of the traces reject at least one attempt.");
        }
        else
        {
            s.AppendLine("- Each problem got a cold-start trace made from the exact solver: 0, 1 or 2 genuine failed attempts (p = .5/.3/.2)");
            s.AppendLine("  with their computed step values, then a solution, e.g. `12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>`");
            s.AppendLine("  `\\n<answer>12*3+5</answer>` followed by `<|im_end|>`.");
        }
        s.AppendLine($"  `{ReasoningMarkers.FileName}` names the verdict words (\"{ColdStartTraces.RejectVerdict}\" rejects an attempt, \"{ColdStartTraces.AcceptVerdict}\" accepts one)");
        s.AppendLine("  for the behaviour analysis (docs/behaviour-metrics.md of the project repository).");
        if (build.SloppyExamples > 0)
        {
            s.AppendLine($"- **Deliberately sloppy endings:** {build.SloppyExamples:N0} traces ({(double)build.SloppyExamples / build.Examples:P1}; rate {spec.SloppyAnswerRate}) answer");
            s.AppendLine("  with the last failed attempt's expression (or, with none written, another expression that misses) although");
            s.AppendLine("  their reasoning found the solution. This imitates an instruct model before RL writing a final answer its own");
            s.AppendLine("  reasoning does not support, so part of what GRPO gains on this model is learning to answer what it found.");
        }
        s.AppendLine($"- Tokenizer: byte-level BPE trained on {spec.TokenizerCorpusTraces:N0} prompts (Chinese and English templates) + traces,");
        s.AppendLine($"  {build.VocabSize} tokens (256 byte symbols, merges, `<|endoftext|>` `<|im_start|>` `<|im_end|>`), Qwen2's pre-tokenizer");
        s.AppendLine("  (digits stay single tokens).");
        s.AppendLine($"- Architecture: Qwen2, hidden {spec.HiddenSize}, {spec.NumHiddenLayers} layers, {spec.NumAttentionHeads} heads ({spec.NumKeyValueHeads} KV heads),");
        s.AppendLine($"  intermediate {spec.IntermediateSize}, RoPE theta {spec.RopeTheta}, tied embeddings: {build.Parameters:N0} parameters, float32.");
        s.AppendLine($"- Prompt: the `{spec.Template}` template (docs/countdown-rules.md of the project repository); mean prompt {build.MeanPromptTokens:F1} tokens, completion {build.MeanCompletionTokens:F1}.");
        s.AppendLine($"- Cold start: supervised, loss on completion tokens only, AdamW lr {spec.Sft.LearningRate} (warmup {spec.Sft.WarmupSteps}, cosine),");
        s.AppendLine($"  batch {spec.Sft.BatchSize}, up to {spec.Sft.MaxSteps} steps" + (spec.Sft.MaxMinutes > 0 ? $" or {spec.Sft.MaxMinutes} minutes" : "") +
                     $"; final loss {build.FinalLoss:F3} (the traces' own randomness, which attempt is tried" +
                     (build.SloppyExamples > 0 ? " and the sloppy endings," : ",") + " keeps it above zero);");
        s.AppendLine($"  {build.Minutes:F1} minutes on a {Environment.ProcessorCount}-core CPU with {torchThreads} torch thread(s).");
        s.AppendLine();
        s.AppendLine($"Command: `{command}` ({DateTime.UtcNow:yyyy-MM-dd}). The thread count can change float rounding; rebuild");
        s.AppendLine("with the same setting to reproduce the weights bit for bit.");
        s.AppendLine();
        s.AppendLine("How this recipe was chosen (trace styles, strategies, SFT steps, each measured before and after GRPO) and what");
        s.AppendLine("else was tried: docs/recipe.md of the project repository.");
        s.AppendLine();
        s.AppendLine("## How good it is (measured right after the build)");
        s.AppendLine();
        s.AppendLine("| test set | problems | greedy accuracy | sampled accuracy (T=1, mean of k) | pass@k | k | format rate (greedy) |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, r) in evals)
            s.AppendLine($"| {name} | {r.NumProblems} | {r.Accuracy:P1} | {r.Sampled?.MeanAccuracy:P1} | {r.Sampled?.PassAtK:P1} | {r.Sampled?.K} | {r.FormatRate:P1} |");
        s.AppendLine();
        s.AppendLine("Like an instruct model before RL, it is imperfect: it slips on arithmetic and on copying numbers, and some");
        s.AppendLine("final answers do not reach the target" + (build.SloppyExamples > 0 ? " (some by the sloppy endings above)" : "") +
                     ". The gap between sampled accuracy and");
        s.AppendLine("pass@k is the headroom GRPO can use.");
        // A cold start leaves this by itself: greedy decoding can repeat a rejected attempt until the length limit.
        if (evals.Count > 0 && evals[0].Result.FormatRate < 0.95)
            s.AppendLine($"Greedy decoding sometimes repeats a rejected attempt until the completion is cut off, so its format rate on {evals[0].Name} is {evals[0].Result.FormatRate:P1}.");
        s.AppendLine("On the full distribution (3-4 numbers of 1-99) it is out of its depth by design.");
        return s.ToString();
    }
}
