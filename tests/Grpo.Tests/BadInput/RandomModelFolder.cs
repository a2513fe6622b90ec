// A throwaway Hugging Face folder with a random tiny Qwen2 (vocab 320, 2 layers, 64 positions) and the byte-level
// tokenizer of the evaluator tests: enough for loading, generation and training checks, with nothing from outside.
using Grpo.Model;
using Grpo.Tests.Evaluation;

namespace Grpo.Tests.BadInput;

public sealed class RandomModelFolder : IDisposable
{
    public static readonly Qwen2Config Config = new()
    {
        VocabSize = 320, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, MaxPositionEmbeddings = 64, RopeTheta = 10000, TieWordEmbeddings = false,
        BosTokenId = 300, EosTokenId = [301], PadTokenId = 302,
    };

    public string Dir { get; } = Directory.CreateTempSubdirectory("grpo-random-model-").FullName;

    public RandomModelFolder()
    {
        using var model = new Qwen2ForCausalLM(Config);
        model.InitWeights(seed: 1);
        model.SavePretrained(Dir);
        TinyModelFolder.WriteTokenizer(Dir);
    }

    public string File(string name) => Path.Combine(Dir, name);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
