// The training forwards over (prompt, completion) rows: per row, each row's predicting hidden states are those of the
// row run alone without padding; shared (each distinct prompt run once) and with gradient checkpointing they equal the
// per-row values and give the same parameter gradients, with full fine-tuning and with LoRA (dropout replayed).
// Model: tests/reference/qwen2-tiny (ids 0..299 ordinary, pad 302).
using Grpo.Model;
using Grpo.Training.Lora;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public class CompletionForwardTests
{
    static readonly int[][] Prompts = [[5, 17, 200, 33], [9, 120], [77, 41, 250, 8, 64, 3]];
    // (prompt, completion): rows out of prompt order, completions of different lengths (one of a single token).
    static readonly (int Prompt, int[] Completion)[] Rows =
        [(1, [11, 12, 13]), (0, [21]), (2, [31, 32, 33, 34, 35]), (1, [41, 42]), (0, [51, 52, 53, 54]), (2, [61, 62, 63])];
    const int Pad = 302;

    static PromptCompletionBatch Batch()
    {
        int p = Prompts.Max(x => x.Length), c = Rows.Max(r => r.Completion.Length);
        var promptIds = new long[Prompts.Length * p];
        var promptMask = new long[Prompts.Length * p];
        for (int k = 0; k < Prompts.Length; k++)
            LeftPadding.Fill(promptIds.AsSpan(k * p, p), promptMask.AsSpan(k * p, p), Prompts[k], Pad);
        var ids = new long[Rows.Length * c];
        var mask = new long[Rows.Length * c];
        for (int r = 0; r < Rows.Length; r++)
            for (int j = 0; j < c; j++)
                (ids[r * c + j], mask[r * c + j]) = j < Rows[r].Completion.Length ? (Rows[r].Completion[j], 1L) : (Pad, 0L);
        return new PromptCompletionBatch(tensor(promptIds, [Prompts.Length, p]), tensor(promptMask, [Prompts.Length, p]),
            tensor(Rows.Select(r => (long)r.Prompt).ToArray()), tensor(ids, [Rows.Length, c]), tensor(mask, [Rows.Length, c]));
    }

    /// <summary>A loss that weighs every real (row, completion position, hidden unit) differently.</summary>
    static Tensor Loss(Tensor hidden, PromptCompletionBatch b)
    {
        var w = randn(hidden.shape, generator: new torch.Generator(3));
        return (hidden.to(ScalarType.Float32) * w * b.CompletionAttentionMask.unsqueeze(-1)).sum();
    }

    [Fact]
    public void Per_row_hidden_states_are_those_of_each_row_run_alone()
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference("qwen2-tiny"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = Batch();
        var hidden = CompletionForward.PredictingHiddenStates(model, batch, sharePrompts: false);
        for (int r = 0; r < Rows.Length; r++)
        {
            var (prompt, completion) = (Prompts[Rows[r].Prompt], Rows[r].Completion);
            var ids = tensor(prompt.Concat(completion).Select(x => (long)x).ToArray()).unsqueeze(0);
            var alone = model.HiddenStates(ids, null, null, null);
            // The state after prompt + completion[..j] sits at position prompt.Length - 1 + j.
            var expected = alone[0].narrow(0, prompt.Length - 1, completion.Length);
            var actual = hidden[r].narrow(0, 0, completion.Length);
            Assert.True((expected - actual).abs().max().item<float>() < 1e-5f, $"row {r}");
        }
    }

    public static TheoryData<bool, bool, double> Ways => new()
    {
        // lora, gradient checkpointing, lora dropout
        { false, false, 0.0 }, { false, true, 0.0 }, { true, false, 0.0 }, { true, true, 0.0 }, { true, true, 0.1 },
    };

    [Theory]
    [MemberData(nameof(Ways))]
    public void Shared_prompts_and_checkpointing_give_the_per_row_hidden_states_and_gradients(bool lora, bool checkpointing, double dropout)
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference("qwen2-tiny"));
        LoraAdapters? adapters = null;
        if (lora)
        {
            adapters = LoraAdapters.Apply(model, new LoraSettings(4, 8, dropout, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]), seed: 1);
            using var _ = no_grad();
            foreach (var (_, layer) in adapters.Layers) layer.lora_B.normal_(generator: new torch.Generator(2));   // B = 0 would give A no gradient
        }
        else foreach (var p in model.parameters()) p.requires_grad = true;
        model.train();
        using var scope = NewDisposeScope();
        var batch = Batch();

        adapters?.SeedDropout(9);
        var expected = CompletionForward.PredictingHiddenStates(model, batch, sharePrompts: false);
        Loss(expected, batch).backward();
        var expectedGrads = ParameterGradients.Take(model);

        model.GradientCheckpointing = checkpointing;
        foreach (var share in new[] { true, false })
        {
            adapters?.SeedDropout(9);
            var actual = CompletionForward.PredictingHiddenStates(model, batch, share);
            Loss(actual, batch).backward();
            var mask = batch.CompletionAttentionMask.unsqueeze(-1);
            if (dropout == 0 || !share)   // shared prompts draw their dropout masks in another order than per-row ones
            {
                Assert.True(((expected - actual) * mask).abs().max().item<float>() < 1e-5f, $"share {share}");
                ParameterGradients.AssertClose(expectedGrads, ParameterGradients.Take(model), 1e-4);
            }
            else ParameterGradients.Take(model);
        }
    }

    [Fact]
    public void Checkpointed_full_forward_gives_the_plain_loss_and_gradients_with_lora_dropout()
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TestPaths.Reference("qwen2-tiny"));
        var adapters = LoraAdapters.Apply(model, new LoraSettings(4, 8, 0.2, ["q_proj", "v_proj", "down_proj"]), seed: 1);
        using (no_grad()) foreach (var (_, layer) in adapters.Layers) layer.lora_B.normal_(generator: new torch.Generator(2));
        model.train();
        using var scope = NewDisposeScope();
        var batch = Batch();
        var ids = cat([batch.PromptIds.index_select(0, batch.RowPrompt), batch.CompletionIds], 1);
        var mask = cat([batch.PromptMask.index_select(0, batch.RowPrompt), batch.CompletionAttentionMask], 1);
        var positions = Positions.FromAttentionMask(mask);

        Tensor Run(bool checkpointing)
        {
            model.GradientCheckpointing = checkpointing;
            adapters.SeedDropout(4);
            var logits = model.forward(ids, mask, positions);
            var loss = (logits * randn(logits.shape, generator: new torch.Generator(8))).sum();
            loss.backward();
            return loss;
        }
        var plain = Run(false);
        var plainGrads = ParameterGradients.Take(model);
        var checkpointed = Run(true);
        Assert.Equal(plain.item<float>(), checkpointed.item<float>(), 1e-3f);
        ParameterGradients.AssertClose(plainGrads, ParameterGradients.Take(model), 1e-4);
        // Dropout is active (another seed, other outputs): equal gradients need the re-run to draw the forward's masks.
        model.GradientCheckpointing = false;
        using var _ = no_grad();
        adapters.SeedDropout(4);
        var seed4 = model.forward(ids, mask, positions);
        adapters.SeedDropout(5);
        Assert.True((seed4 - model.forward(ids, mask, positions)).abs().max().item<float>() > 1e-3f);
    }
}
