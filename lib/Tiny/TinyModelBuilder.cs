// Builds the embedded default model: solver-made traces -> small byte-level BPE -> random Qwen2 -> cold-start SFT ->
// a Hugging Face folder (config, weights, tokenizer) that loads exactly as Qwen2.5 folders do.
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Training.Sft;
using TorchSharp;

namespace Grpo.Tiny;

public sealed record TinyBuildResult(string ModelDir, int Parameters, int VocabSize, int Examples, int SloppyExamples, double FinalLoss,
    double Minutes, double MeanPromptTokens, double MeanCompletionTokens, int ExamplesWithFailedAttempts);

public static class TinyModelBuilder
{
    public const string EndToken = "<|im_end|>", PadToken = "<|endoftext|>";

    /// <summary>Builds the model into <paramref name="outDir"/>; problems in <paramref name="heldOut"/> are never trained on.</summary>
    public static TinyBuildResult Build(string outDir, TinyModelSpec spec, IEnumerable<CountdownProblem> heldOut,
        IProgress<string>? log = null, IProgress<SftProgress>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var excluded = heldOut.Select(CountdownData.Key).ToHashSet();
        var problems = ProblemGenerator.Generate(spec.SftProblems + excluded.Count, spec.Seed, ProblemDistribution.Easy)
            .Where(p => !excluded.Contains(CountdownData.Key(p))).Take(spec.SftProblems).ToList();
        var traces = spec.Traces switch
        {
            "search" => SearchTraces.Make(problems, spec.Seed + 1, spec.SearchStrategies),
            "attempts" => ColdStartTraces.Make(problems, spec.Seed + 1, spec.SloppyAnswerRate),
            _ => throw new ArgumentException($"Unknown trace style '{spec.Traces}' (search | attempts)"),
        };
        log?.Report($"{traces.Count} cold-start traces ({traces.Count(t => t.FailedAttempts > 0)} with failed attempts, " +
                    $"{traces.Count(t => t.Sloppy)} with a sloppy answer)");

        var template = PromptTemplate.ByName(spec.Template);
        var vocab = ByteLevelBpeTrainer.Train(
            TokenizerCorpus.Documents(traces.Take(spec.TokenizerCorpusTraces), PromptTemplate.All),
            new BpeTrainerOptions(spec.TokenizerVocabSize));
        var tokenizerDir = Directory.CreateTempSubdirectory("grpo-tiny-tokenizer").FullName;
        try
        {
            TokenizerFiles.Write(tokenizerDir, vocab, spec.MaxPositionEmbeddings);
            var tokenizer = QwenTokenizer.FromFolder(tokenizerDir);
            int end = vocab.SpecialId(EndToken), pad = vocab.SpecialId(PadToken);
            log?.Report($"tokenizer: {vocab.Size} tokens ({vocab.Merges.Count} merges)");

            var examples = traces.Select(t => new SftExample(
                tokenizer.Encode(template.Render(t.Problem)).ToArray(),
                [.. tokenizer.Encode(t.Completion), end])).ToList();

            var config = new Qwen2Config
            {
                VocabSize = vocab.Size, HiddenSize = spec.HiddenSize, IntermediateSize = spec.IntermediateSize,
                NumHiddenLayers = spec.NumHiddenLayers, NumAttentionHeads = spec.NumAttentionHeads,
                NumKeyValueHeads = spec.NumKeyValueHeads, MaxPositionEmbeddings = spec.MaxPositionEmbeddings,
                RopeTheta = spec.RopeTheta, TieWordEmbeddings = true, SlidingWindow = null, MaxWindowLayers = spec.NumHiddenLayers,
                BosTokenId = null, EosTokenId = [end, pad], PadTokenId = pad, TorchDtype = "float32",
            };
            torch.manual_seed(spec.Seed);
            using var model = new Qwen2ForCausalLM(config);
            model.InitWeights(spec.Seed);
            int parameters = (int)model.parameters().Sum(p => p.numel());
            log?.Report($"model: {parameters:N0} parameters; {examples.Count} examples, " +
                        $"prompt {examples.Average(e => e.PromptIds.Length):F1} / completion {examples.Average(e => e.CompletionIds.Length):F1} tokens");

            double loss = SupervisedTrainer.Train(model, examples, spec.Sft, pad, progress);
            model.SavePretrained(outDir, tokenizerDir);
            ColdStartTraces.Markers.Save(outDir);
            return new TinyBuildResult(outDir, parameters, vocab.Size, examples.Count, traces.Count(t => t.Sloppy), loss, clock.Elapsed.TotalMinutes,
                examples.Average(e => e.PromptIds.Length), examples.Average(e => e.CompletionIds.Length), traces.Count(t => t.FailedAttempts > 0));
        }
        finally { Directory.Delete(tokenizerDir, recursive: true); }
    }
}
