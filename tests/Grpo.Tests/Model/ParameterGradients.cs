// Parameter gradients taken after a backward, to compare two ways of computing the same loss (chunked log-probs,
// shared prompts, gradient checkpointing against their plain counterparts).
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

static class ParameterGradients
{
    /// <summary>Every parameter's gradient as a float32 copy, by name; the model's gradients are cleared afterwards.</summary>
    public static Dictionary<string, Tensor> Take(nn.Module model)
    {
        var grads = new Dictionary<string, Tensor>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.grad is Tensor g) grads[name] = g.to(ScalarType.Float32).clone().DetachFromDisposeScope();
            p.grad = null;
        }
        return grads;
    }

    /// <summary>Same parameters got gradients, none all zero, and each differs from the expected by at most
    /// <paramref name="relativeTolerance"/> of the expected's largest entry.</summary>
    public static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double relativeTolerance)
    {
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            double scale = e.abs().max().item<float>();
            double diff = (e - actual[name]).abs().max().item<float>();
            Assert.True(scale > 0, $"{name}: gradient is all zero");
            Assert.True(diff <= relativeTolerance * scale, $"{name}: max |difference| {diff:G3} > {relativeTolerance:G2} x max |gradient| {scale:G3}");
        }
    }

    /// <summary>|actual - expected| / |expected| (Frobenius norms) per parameter; both hold the same parameters.</summary>
    public static Dictionary<string, double> RelativeErrors(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        return expected.ToDictionary(kv => kv.Key, kv => (double)((actual[kv.Key] - kv.Value).norm().item<float>() / kv.Value.norm().item<float>()));
    }
}
