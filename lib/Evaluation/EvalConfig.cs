// Settings of one evaluation: which problems, how to decode (greedy and/or k samples), where the model runs.
using Grpo.Countdown;
using Grpo.Torch;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <param name="TestFile">Parquet test set (Countdown schema: nums, target). Default: the committed held-out split of
/// the easy distribution, which the embedded tiny model is trained on.</param>
/// <param name="NumProblems">First N problems of the test file; 0 = all of them.</param>
/// <param name="BatchSize">Sequences per generate call: problems for greedy decoding, (problem, sample) rows for
/// sampled decoding. Larger batches run faster per sequence; results do not depend on it.</param>
/// <param name="MaxNewTokens">Completion length limit; an unfinished completion is scored as it stands.</param>
/// <param name="Template">Prompt template name (Grpo.Countdown.PromptTemplate.ByName).</param>
/// <param name="Greedy">Greedy decoding for score/accuracy (the reference tutorials' evaluation).</param>
/// <param name="Samples">k sampled completions per problem for mean accuracy and pass@k; 0 = no sampling.</param>
/// <param name="Seed">Seed of sampled decoding: sample j of problem i draws from stream i*k + j of it
/// (Grpo.Model.TokenSampler), so results repeat for any batch size.</param>
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
    /// <summary>The most samples per problem: every problem's k completions are generated as rows of one batch
    /// sequence (pass@k is reported for k up to 256 in the literature).</summary>
    public const int MaxSamples = 1024;

    /// <summary>The reference tutorials' evaluation: greedy, completions up to 1024 tokens, Chinese prompt.</summary>
    public static readonly EvalConfig Default = new();

    /// <summary>The decoding a GRPO run trained with: its prompt template, completion length, sampling temperature
    /// and top_p, dtype and device; everything else from <paramref name="basis"/>.</summary>
    public static EvalConfig FromRun(GrpoConfig run, CountdownTaskConfig task, EvalConfig? basis = null) => (basis ?? Default) with
    {
        Template = task.PromptTemplate, MaxNewTokens = run.MaxCompletionLength, Temperature = run.Temperature,
        TopP = run.TopP, Dtype = run.Dtype, Device = run.Device,
    };

    /// <summary>The same from a run folder's config.json; null when the run has none yet.</summary>
    public static EvalConfig? FromRun(RunFolder run, EvalConfig? basis = null) => run.LoadConfigJson() is { } json
        ? FromRun(GrpoConfig.FromRunJson(json, run.ConfigPath), CountdownTaskConfig.FromRunJson(json, run.ConfigPath), basis)
        : null;

    /// <summary>Rejects settings out of range (NaN fails every check), naming the setting as the CLI flag does.</summary>
    public void Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new BadInputException("eval: " + message); }
        Require(!string.IsNullOrWhiteSpace(TestFile), "the test file (--test) is empty");
        Require(NumProblems >= 0, $"num_problems (-n) must be >= 0 (0 = all), got {NumProblems}");
        Require(BatchSize is >= 1 and <= GrpoConfig.MaxSize, $"batch_size must be 1 to {GrpoConfig.MaxSize}, got {BatchSize}");
        Require(MaxNewTokens is >= 1 and <= GrpoConfig.MaxSize, $"max_new_tokens must be 1 to {GrpoConfig.MaxSize}, got {MaxNewTokens}");
        Require(Samples is >= 0 and <= MaxSamples, $"samples must be 0 to {MaxSamples}, got {Samples}");
        Require(Greedy || Samples > 0, "greedy decoding is off and samples is 0, so nothing would be generated");
        Require(Samples == 0 || float.IsFinite(Temperature) && Temperature > 0, $"temperature must be a number > 0 for sampling, got {Temperature}");
        Require(Samples == 0 || TopP is > 0 and <= 1, $"top_p must be in (0, 1], got {TopP}");
        Require(PromptTemplate.All.Any(t => t.Name.Equals(Template, StringComparison.OrdinalIgnoreCase)),
            $"template must be one of {string.Join(", ", PromptTemplate.All.Select(t => t.Name))}, got '{Template}'");
        TorchOptions.ParseDtype(Dtype);
    }
}
