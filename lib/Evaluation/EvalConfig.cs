// Settings of one evaluation: which problems, how to decode (greedy and/or k samples), where the model runs.
using Grpo.Training;

namespace Grpo.Evaluation;

/// <param name="TestFile">Parquet test set (Countdown schema: nums, target). Default: the committed held-out split of
/// the easy distribution, which the embedded tiny model is trained on.</param>
/// <param name="NumProblems">First N problems of the test file; 0 = all of them.</param>
/// <param name="BatchSize">Sequences per generate call (sampled decoding puts k copies of a prompt in one batch).</param>
/// <param name="MaxNewTokens">Completion length limit; an unfinished completion is scored as it stands.</param>
/// <param name="Template">Prompt template name (Grpo.Countdown.PromptTemplate.ByName).</param>
/// <param name="Greedy">Greedy decoding for score/accuracy (the reference tutorials' evaluation).</param>
/// <param name="Samples">k sampled completions per problem for mean accuracy and pass@k; 0 = no sampling.</param>
/// <param name="Seed">Seed of sampled decoding; batch b uses Seed + b, so results repeat for the same batch size.</param>
/// <param name="Dtype">float32 | bfloat16 | float16.</param>
/// <param name="Device">cpu | cuda | cuda:N.</param>
public sealed record EvalConfig(
    string TestFile = "data/countdown/easy/test.parquet",
    int NumProblems = 500,
    int BatchSize = 64,
    int MaxNewTokens = 1024,
    string Template = "chinese",
    bool Greedy = true,
    int Samples = 0,
    float Temperature = 1f,
    float TopP = 1f,
    long Seed = 42,
    string Dtype = "float32",
    string Device = "cpu")
{
    /// <summary>The reference tutorials' evaluation: greedy, completions up to 1024 tokens, Chinese prompt.</summary>
    public static readonly EvalConfig Default = new();

    /// <summary>The decoding a GRPO run trained with: its prompt template, completion length, sampling temperature
    /// and top_p, dtype and device; everything else from <paramref name="basis"/>.</summary>
    public static EvalConfig FromRun(GrpoConfig run, EvalConfig? basis = null) => (basis ?? Default) with
    {
        Template = run.PromptTemplate, MaxNewTokens = run.MaxCompletionLength, Temperature = run.Temperature,
        TopP = run.TopP, Dtype = run.Dtype, Device = run.Device,
    };

    public void Validate()
    {
        if (NumProblems < 0) throw new ArgumentException($"EvalConfig.NumProblems must be >= 0 (0 = all), got {NumProblems}.");
        if (BatchSize < 1) throw new ArgumentException($"EvalConfig.BatchSize must be >= 1, got {BatchSize}.");
        if (MaxNewTokens < 1) throw new ArgumentException($"EvalConfig.MaxNewTokens must be >= 1, got {MaxNewTokens}.");
        if (Samples < 0) throw new ArgumentException($"EvalConfig.Samples must be >= 0, got {Samples}.");
        if (!Greedy && Samples == 0) throw new ArgumentException("EvalConfig: Greedy is off and Samples is 0, so nothing would be generated.");
        if (Samples > 0 && !(Temperature > 0)) throw new ArgumentException($"EvalConfig.Temperature must be > 0 for sampling, got {Temperature}.");
        if (Samples > 0 && !(TopP > 0 && TopP <= 1)) throw new ArgumentException($"EvalConfig.TopP must be in (0, 1], got {TopP}.");
    }
}
