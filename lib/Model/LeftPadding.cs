// Left padding, the layout transformers expects of decoder-only batches: a row's tokens end at the right edge, pad slots
// before them hold pad_token_id with attention mask 0 (their position ids come from Positions.FromAttentionMask).
namespace Grpo.Model;

public static class LeftPadding
{
    /// <summary>Writes <paramref name="tokens"/> right-aligned into one row's <paramref name="ids"/> and
    /// <paramref name="mask"/> (the same width): pad id and 0 before them, the tokens and 1 after. Returns where the
    /// tokens start.</summary>
    public static int Fill(Span<long> ids, Span<long> mask, ReadOnlySpan<int> tokens, long padId)
    {
        if (ids.Length != mask.Length) throw new ArgumentException($"ids ({ids.Length}) and mask ({mask.Length}) differ in width");
        if (tokens.Length > ids.Length) throw new ArgumentException($"{tokens.Length} tokens do not fit a row of {ids.Length}");
        int offset = ids.Length - tokens.Length;
        ids[..offset].Fill(padId);
        mask[..offset].Clear();
        for (int j = 0; j < tokens.Length; j++) ids[offset + j] = tokens[j];
        mask[offset..].Fill(1);
        return offset;
    }
}
