// What the trainer samples from: tokenized prompts (with the task's example behind each, when there is one), the
// token ids that end/pad a completion, and a seeded, resumable order over the prompts.
using Grpo.Model;

namespace Grpo.Training;

/// <summary>One prompt as token ids. Example: the dataset row it was rendered from, of the task's own type (what its
/// reward functions and task log read; TRL passes a row's columns to reward functions the same way); null for tasks
/// that need none.</summary>
public sealed record TrainingPrompt(int[] Ids, object? Example = null);

/// <summary>How completions end and are padded, and how their ids become text for the reward functions.</summary>
public sealed record TokenSpec(IReadOnlyList<int> EosIds, int PadId, Func<IReadOnlyList<int>, string> Decode)
{
    /// <summary>A model folder's: a completion ends on any eos id of its config or its tokenizer (as generation_config
    /// does); pad is the config's pad_token_id, else the tokenizer's.</summary>
    public static TokenSpec FromModel(string modelDir, QwenTokenizer tokenizer)
    {
        var config = Qwen2Config.Load(modelDir);
        var eos = config.EosTokenId.Concat(tokenizer.EosTokenIds).Distinct().ToList();
        return new TokenSpec(eos, config.PadTokenId ?? tokenizer.PadTokenId, ids => tokenizer.Decode(ids));
    }

    /// <summary>For token-level tasks without a tokenizer: the text is the ids separated by spaces.</summary>
    public static TokenSpec Raw(IReadOnlyList<int> eosIds, int padId) => new(eosIds, padId, ids => string.Join(' ', ids));
}

/// <summary>
/// Walks a fresh seeded permutation of the prompts each epoch (as a shuffled DataLoader does). Its whole state is
/// (epoch, position), stored in the checkpoint so a resumed run sees the same prompts as an uninterrupted one.
/// </summary>
public sealed class PromptSampler(int count, int seed)
{
    public int Epoch { get; private set; }
    public int Position { get; private set; }
    int[] order = Permutation(count, seed, 0);

    public void Restore(int epoch, int position)
    {
        if (position < 0 || position > count) throw new ArgumentException($"data position {position} outside 0..{count}");
        Epoch = epoch;
        Position = position;
        order = Permutation(count, seed, epoch);
    }

    public int[] Next(int n)
    {
        if (count == 0) throw new InvalidOperationException("no training prompts");
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (Position == count) { Epoch++; Position = 0; order = Permutation(count, seed, Epoch); }
            result[i] = order[Position++];
        }
        return result;
    }

    static int[] Permutation(int count, int seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        // Not HashCode.Combine: it is randomised per process, and the order must survive a restart.
        new Random(unchecked(seed * 1_000_003 + epoch * 7919 + 0x5eed)).Shuffle(order);
        return order;
    }
}
