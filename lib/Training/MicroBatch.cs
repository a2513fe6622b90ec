// One micro-batch of the GRPO update as tensors: the distinct prompts of its rows (left-padded), each row's completion
// (right-padded) with TRL's completion_mask and advantage, and the old / reference log-probs computed for it. Also the
// order in which a step's rows are cut into micro-batches.
using Grpo.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Training;

/// <summary>One row of the update: the prompt it continues (as generation saw it), the generated ids, its advantage,
/// and the sampler's log-prob of each id when the rows were sampled elsewhere (a rollout server).</summary>
internal sealed record UpdateRow(int[] PromptIds, int[] CompletionIds, double Advantage, float[]? SamplerLogProbs = null);

internal sealed class MicroBatch : IDisposable
{
    public required PromptCompletionBatch Tokens;
    public required Tensor CompletionMask, Advantages;   // [rows, C] float (1 = in the loss), [rows]
    public required int Rows;
    public required double TokenCount;
    public Tensor? OldLogProbs, RefLogProbs;
    public Tensor? SamplerLogProbs;   // [rows, C], 0 past each completion's end; null for rows sampled by the trainer

    public Tensor CompletionIds => Tokens.CompletionIds;

    /// <summary>
    /// Cuts the step's rows into micro-batches of up to <paramref name="size"/>. Sorted by completion length, rows of
    /// similar length share a micro-batch and pad less. The loss does not depend on the cut for grpo, dr_grpo and dapo
    /// (GrpoTrainer.AggregateShare); bnpo averages micro-batch token means, so its rows keep their order.
    /// </summary>
    public static IEnumerable<int[]> Cut(IReadOnlyList<int> rows, Func<int, int> completionLength, int size, bool sortByLength) =>
        (sortByLength ? rows.OrderBy(completionLength) : rows.AsEnumerable()).Chunk(size);

    public static MicroBatch Build(IReadOnlyList<UpdateRow> rows, TokenSpec tokens, bool maskTruncatedCompletions, Device device)
    {
        int n = rows.Count;
        // Rows continuing the same prompt (a group's G completions) point at one copy of it.
        var prompts = new List<int[]>();
        var promptIndex = new Dictionary<string, int>();
        var rowPrompt = new long[n];
        for (int i = 0; i < n; i++)
        {
            var key = string.Join(',', rows[i].PromptIds);
            if (!promptIndex.TryGetValue(key, out var k)) { promptIndex[key] = k = prompts.Count; prompts.Add(rows[i].PromptIds); }
            rowPrompt[i] = k;
        }
        int p = prompts.Max(x => x.Length);
        var promptIds = new long[prompts.Count * p];
        var promptMask = new long[prompts.Count * p];
        for (int k = 0; k < prompts.Count; k++)
            LeftPadding.Fill(promptIds.AsSpan(k * p, p), promptMask.AsSpan(k * p, p), prompts[k], tokens.PadId);

        int c = Math.Max(1, rows.Max(r => r.CompletionIds.Length));
        var compIds = new long[n * c];
        var compAttention = new long[n * c];
        var compMask = new float[n * c];
        var adv = new float[n];
        var sampler = rows.All(r => r.SamplerLogProbs is not null) ? new float[n * c] : null;
        var eos = tokens.EosIds.ToHashSet();
        for (int i = 0; i < n; i++)
        {
            var ids = rows[i].CompletionIds;
            var lossMask = GrpoLoss.CompletionMask(ids, eos, c, maskTruncatedCompletions);
            for (int j = 0; j < c; j++)
            {
                compIds[i * c + j] = j < ids.Length ? ids[j] : tokens.PadId;
                // Attention covers the whole completion as generated (up to its eos); masking a truncated
                // completion out of the loss does not change what its tokens attend to.
                compAttention[i * c + j] = j < ids.Length ? 1 : 0;
                compMask[i * c + j] = lossMask[j];
                if (sampler is not null && j < ids.Length) sampler[i * c + j] = rows[i].SamplerLogProbs![j];
            }
            adv[i] = (float)rows[i].Advantage;
        }
        return new MicroBatch
        {
            Tokens = new PromptCompletionBatch(tensor(promptIds, [prompts.Count, p], device: device),
                tensor(promptMask, [prompts.Count, p], device: device), tensor(rowPrompt, device: device),
                tensor(compIds, [n, c], device: device), tensor(compAttention, [n, c], device: device)),
            CompletionMask = tensor(compMask, [n, c], device: device),
            Advantages = tensor(adv, device: device),
            Rows = n, TokenCount = compMask.Sum(),
            SamplerLogProbs = sampler is null ? null : tensor(sampler, [n, c], device: device),
        };
    }

    public void Dispose()
    {
        foreach (var t in new[] { Tokens.PromptIds, Tokens.PromptMask, Tokens.RowPrompt, Tokens.CompletionIds,
                     Tokens.CompletionAttentionMask, CompletionMask, Advantages, OldLogProbs, RefLogProbs, SamplerLogProbs })
            t?.Dispose();
    }
}
