// Everything that defines the embedded tiny model: data, tokenizer, architecture and cold start, in one record.
using Grpo.Training.Sft;

namespace Grpo.Tiny;

public sealed record TinyModelSpec
{
    public int Seed { get; init; } = 20261125;
    /// <summary>Problems the cold start is trained on (Easy distribution; held-out test problems are removed).</summary>
    public int SftProblems { get; init; } = 60000;
    /// <summary>Share of traces whose final answer is copied from a failed attempt (a sloppy ending; see ColdStartTraces).
    /// 0 for the shipped model: its weaknesses are only those a cold start leaves by itself. Kept for experiments.</summary>
    public double SloppyAnswerRate { get; init; }
    /// <summary>"search": search traces of several strategies with backtracking (SearchTraces); "attempts": 0-2 random
    /// failed attempts, then a solution (ColdStartTraces).</summary>
    public string Traces { get; init; } = "search";
    /// <summary>The search strategies the traces mix (SearchTraces.Strategies), each drawn with equal odds.</summary>
    public IReadOnlyList<string> SearchStrategies { get; init; } = ["systematic", "nearest", "random"];
    public string Template { get; init; } = "chinese";
    public int TokenizerVocabSize { get; init; } = 768;
    /// <summary>How many traces the tokenizer is trained on (the template dominates; a few thousand suffice).</summary>
    public int TokenizerCorpusTraces { get; init; } = 3000;
    public int HiddenSize { get; init; } = 192;
    public int NumHiddenLayers { get; init; } = 4;
    public int NumAttentionHeads { get; init; } = 6;
    public int NumKeyValueHeads { get; init; } = 2;
    public int IntermediateSize { get; init; } = 512;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public double RopeTheta { get; init; } = 10000;
    public SftConfig Sft { get; init; } = new() { BatchSize = 48, MaxSteps = 700, LearningRate = 3e-3, WarmupSteps = 50, LogEvery = 20 };

    /// <summary>The committed model's recipe.</summary>
    public static TinyModelSpec Default { get; } = new();

    /// <summary>A seconds-long build for tests: same code path, a toy amount of data and steps.</summary>
    public static TinyModelSpec Smoke { get; } = new()
    {
        SftProblems = 200, TokenizerVocabSize = 400, TokenizerCorpusTraces = 100, HiddenSize = 32, NumHiddenLayers = 1,
        NumAttentionHeads = 2, NumKeyValueHeads = 1, IntermediateSize = 64,
        Sft = new SftConfig { BatchSize = 8, MaxSteps = 5, WarmupSteps = 1, LogEvery = 1 },
    };
}

