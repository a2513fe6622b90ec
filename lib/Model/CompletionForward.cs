// Training forwards over rows of (prompt, completion): the hidden states that predict each completion token. Per row,
// every row runs its own copy of its prompt; shared, each distinct prompt runs once and the completions of its rows
// attend to its per-layer keys/values (GRPO's G completions of one prompt share it, so the prompt's share of the work
// drops G-fold). A prompt's keys reach its rows through index_select, so the rows' gradients add up in the one prompt
// computation, as they would over G copies.
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

/// <summary>Distinct prompts left-padded, PromptIds/PromptMask [K, P]; RowPrompt [R] (int64): the prompt row r
/// continues; completions right-padded, CompletionIds/CompletionAttentionMask [R, C] (1 on generated tokens).</summary>
public sealed record PromptCompletionBatch(Tensor PromptIds, Tensor PromptMask, Tensor RowPrompt, Tensor CompletionIds,
    Tensor CompletionAttentionMask);

public static class CompletionForward
{
    /// <summary>Hidden states [R, C, H] after the final norm; entry j is the state after the prompt and the completion
    /// tokens before j, i.e. the one whose logits predict completion token j. Both ways give the same values.</summary>
    public static Tensor PredictingHiddenStates(Qwen2ForCausalLM model, PromptCompletionBatch batch, bool sharePrompts) =>
        sharePrompts ? Shared(model, batch) : PerRow(model, batch);

    static Tensor PerRow(Qwen2ForCausalLM model, PromptCompletionBatch b)
    {
        using var scope = NewDisposeScope();
        long p = b.PromptIds.shape[1], c = b.CompletionIds.shape[1];
        // The last completion token predicts nothing: it is left out of the input.
        var ids = cat([b.PromptIds.index_select(0, b.RowPrompt), b.CompletionIds.narrow(1, 0, c - 1)], 1);
        var mask = cat([b.PromptMask.index_select(0, b.RowPrompt), b.CompletionAttentionMask.narrow(1, 0, c - 1)], 1);
        var hidden = model.HiddenStates(ids, mask, Positions.FromAttentionMask(mask), null);
        return hidden.narrow(1, p - 1, c).MoveToOuterDisposeScope();
    }

    static Tensor Shared(Qwen2ForCausalLM model, PromptCompletionBatch b)
    {
        using var scope = NewDisposeScope();
        var decoder = model.model;
        int layers = decoder.layers.Count, p = (int)b.PromptIds.shape[1], c = (int)b.CompletionIds.shape[1];

        // Each distinct prompt once, keeping every layer's keys and values.
        var (cos, sin) = model.Rotary(Positions.FromAttentionMask(b.PromptMask));
        var mask = model.AdditiveMask(b.PromptMask, 0, p, model.Dtype);
        var h = decoder.embed_tokens.forward(b.PromptIds);
        var keys = new Tensor[layers];
        var values = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            var layer = decoder.layers[i];
            int index = i;
            var outputs = Layer(model, x =>
            {
                using var run = NewDisposeScope();
                var recorded = new RecordedKeys(run);
                var y = layer.Forward(x[0], x[1], x[2], x[3], recorded, index);
                return [run.MoveToOuter(y), run.MoveToOuter(recorded.Keys!), run.MoveToOuter(recorded.Values!)];
            }, h, cos, sin, mask);
            (h, keys[i], values[i]) = (outputs[0], outputs[1], outputs[2]);
        }
        var afterPrompt = decoder.norm.forward(h.narrow(1, p - 1, 1)).index_select(0, b.RowPrompt);   // [R, 1, H]
        if (c == 1) return afterPrompt.MoveToOuterDisposeScope();

        // Every row's completion but its last token: attending to its prompt's keys, then causally to its own.
        var rowPromptMask = b.PromptMask.index_select(0, b.RowPrompt);
        var fullMask = cat([rowPromptMask, b.CompletionAttentionMask.narrow(1, 0, c - 1)], 1);
        (cos, sin) = model.Rotary(Positions.FromAttentionMask(fullMask).narrow(1, p, c - 1));
        mask = model.AdditiveMask(fullMask, p, c - 1, model.Dtype);
        h = decoder.embed_tokens.forward(b.CompletionIds.narrow(1, 0, c - 1));
        for (int i = 0; i < layers; i++)
        {
            var layer = decoder.layers[i];
            int index = i;
            h = Layer(model, x => [layer.Forward(x[0], x[1], x[2], x[3], new PromptPrefix(x[4], x[5], x[6]), index)],
                h, cos, sin, mask, keys[i], values[i], b.RowPrompt)[0];
        }
        return cat([afterPrompt, decoder.norm.forward(h)], 1).MoveToOuterDisposeScope();
    }

    // A layer's block gets every tensor it reads as an input: with gradient checkpointing it is re-run in backward,
    // after this method's dispose scope has freed anything captured.
    static Tensor[] Layer(Qwen2ForCausalLM model, Func<Tensor[], Tensor[]> block, params Tensor[] inputs) =>
        model.GradientCheckpointing ? ActivationCheckpoint.Run(block, model.RandomStreams, inputs) : block(inputs);

    /// <summary>Keeps the prompt's keys/values of one layer (moved into the given scope; attention's own scope ends
    /// before the caller reads them).</summary>
    sealed class RecordedKeys(DisposeScope owner) : IAttentionKeys
    {
        public Tensor? Keys, Values;

        public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
        {
            owner.Attach(keys, values);
            (Keys, Values) = (keys, values);
            return (keys, values);
        }
    }

    /// <summary>Puts each row's prompt keys/values (gathered from the distinct prompts) before its own.</summary>
    sealed class PromptPrefix(Tensor promptKeys, Tensor promptValues, Tensor rowPrompt) : IAttentionKeys
    {
        public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values) =>
            (cat([promptKeys.index_select(0, rowPrompt), keys], 2), cat([promptValues.index_select(0, rowPrompt), values], 2));
    }
}
