// Everything `grpo serve` is started with, defaults in one place: the model folder, the one folder adapters and weights
// may be loaded from, and the limits that keep one request from taking the server over.
namespace Grpo.Serving;

/// <param name="ModelDir">A Hugging Face Qwen2 folder (tokenizer files optional: without them, prompts must be token ids).</param>
/// <param name="AdaptersRoot">LoRA adapters and full weights are loaded only from folders inside it; null: loading is refused.</param>
/// <param name="ServedModelName">The name requests give as "model" (default: the model folder as given, as vLLM does).</param>
/// <param name="MaxN">Completions per prompt (n) at most.</param>
/// <param name="MaxRows">Completions per request (prompts x n) at most.</param>
/// <param name="MaxTokens">Tokens generated per completion at most; 0: as many as the model's positions allow.</param>
/// <param name="MaxRequestBytes">Request bodies above it are refused (413).</param>
/// <param name="BatchWindow">How long the generation loop waits for further requests to join a batch, so that concurrent
/// requests (a trainer sends one per prompt) are generated together.</param>
public sealed record ServeOptions(string ModelDir, string? AdaptersRoot = null, string Device = "cpu", string Dtype = "float32",
    string? ServedModelName = null, int MaxN = 64, int MaxRows = 4096, int MaxTokens = 0, long MaxRequestBytes = 8 << 20)
{
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    public string Name => ServedModelName ?? ModelDir;
}
