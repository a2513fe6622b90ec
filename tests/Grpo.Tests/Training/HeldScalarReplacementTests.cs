// The project's replacements for TorchSharp members that make temporary Scalars inside themselves compute the same
// numbers as those members: Grpo.Training.AdamW vs torch.optim.AdamW, InitWeights vs torch.normal.
using Grpo.Model;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public sealed class HeldScalarReplacementTests
{
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static Parameter[] Parameters(ulong seed)
    {
        var g = new torch.Generator(seed);
        return [new Parameter(randn([4, 3], generator: g)), new Parameter(randn([5], generator: g)), new Parameter(randn([2, 2], generator: g))];
    }

    static void SetGradients(Parameter[] ps, int step)
    {
        var g = new torch.Generator((ulong)(100 + step));
        for (int i = 0; i < ps.Length; i++)
        {
            // The third parameter gets no gradient on odd steps: both optimizers must skip it (and its step count).
            if (i == 2 && step % 2 == 1) { ps[i].grad = null; continue; }
            ps[i].grad = randn(ps[i].shape, generator: g);
        }
    }

    [Fact]
    public void AdamW_matches_TorchSharp_AdamW_bit_for_bit_over_steps_with_a_changing_rate()
    {
        var ours = Parameters(7);
        var theirs = Parameters(7);
        using var reference = torch.optim.AdamW(theirs, lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.1);
        using var optimizer = new Grpo.Training.AdamW(ours, lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1);
        for (int step = 0; step < 6; step++)
        {
            double lr = 0.01 * (1 + Math.Cos(Math.PI * step / 6)) / 2;   // a cosine schedule, as the trainers set it
            foreach (var group in reference.ParamGroups) group.LearningRate = lr;
            optimizer.LearningRate = lr;
            SetGradients(ours, step);
            SetGradients(theirs, step);
            reference.step();
            optimizer.Step();
        }
        var states = reference.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.True(Same(ours[i], theirs[i]), $"parameter {i} differs");
            Assert.True(Same(optimizer.States[i].exp_avg, states[i].exp_avg), $"exp_avg {i} differs");
            Assert.True(Same(optimizer.States[i].exp_avg_sq, states[i].exp_avg_sq), $"exp_avg_sq {i} differs");
            Assert.Equal(states[i].step, optimizer.States[i].step);
        }
        Assert.Equal(3, optimizer.States[2].step);                   // skipped on the three odd steps
        Assert.False(Same(ours[0], Parameters(7)[0]));              // the parameters really moved
    }

    [Fact]
    public void AdamW_ZeroGrad_zeroes_the_gradients_in_place()
    {
        var ps = Parameters(3);
        using var optimizer = new Grpo.Training.AdamW(ps);
        SetGradients(ps, 0);
        using var before = ps[0].grad!;
        optimizer.ZeroGrad();
        Assert.Equal(0f, ps[0].grad!.abs().sum().item<float>());
        Assert.Equal(0f, before.abs().sum().item<float>());         // the same buffer, not a new one
    }

    [Fact]
    public void InitWeights_draws_the_same_weights_as_torch_normal()
    {
        var config = new Qwen2Config
        {
            VocabSize = 50, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, MaxPositionEmbeddings = 64, TieWordEmbeddings = true, InitializerRange = 0.02,
        };
        using var model = new Qwen2ForCausalLM(config);
        model.InitWeights(seed: 11);
        var gen = new torch.Generator(11, CPU);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight") || name.EndsWith(".bias")) continue;   // constants, no draw
            using var expected = normal(0, 0.02, p.shape, ScalarType.Float32, CPU, generator: gen);
            Assert.True(Same(p, expected), $"{name} differs from torch.normal(0, 0.02)");
        }
    }
}
