// The parameters GRPO trains (LoRA adapters, or every weight of the policy) and the AdamW that updates them. With bf16 or
// fp16 weights AdamW updates float32 master copies and the model gets them rounded, as mixed-precision training does:
// small updates would otherwise vanish in bf16 rounding.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Grpo.Training;

internal sealed class TrainedParameters : IDisposable
{
    /// <summary>The model's trained parameters, with their gradients after a backward pass.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Model { get; }
    /// <summary>float32 copies of <see cref="Model"/> when its parameters are not float32; else null.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)>? Masters { get; }
    /// <summary>What AdamW updates: the masters when there are any, else the model's own parameters.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Optimized => Masters ?? Model;
    public AdamW Optimizer { get; }

    public TrainedParameters(IReadOnlyList<(string Name, Parameter Parameter)> model, GrpoConfig config)
    {
        Model = model;
        if (model.Any(p => p.Parameter.dtype != ScalarType.Float32))
        {
            using var _ = no_grad();
            Masters = model.Select(p => (p.Name, new Parameter(p.Parameter.detach().to(ScalarType.Float32).clone(), requires_grad: true))).ToList();
        }
        Optimizer = new AdamW(Optimized.Select(p => p.Parameter), config.LearningRate,
            config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon, config.WeightDecay);
    }

    public void ZeroGrad()
    {
        Optimizer.ZeroGrad();
        if (Masters is not null) foreach (var (_, p) in Model) p.grad?.zero_();
    }

    /// <summary>Clips the gradients to <paramref name="maxGradNorm"/> and takes an AdamW step; returns the norm before
    /// clipping.</summary>
    public double ClipAndStep(double maxGradNorm)
    {
        if (Masters is not null) CopyGradientsToMasters();
        double gradNorm = torch.nn.utils.clip_grad_norm_(Optimized.Select(p => p.Parameter), maxGradNorm);
        Optimizer.Step();
        if (Masters is not null) CopyMastersToModel();
        return gradNorm;
    }

    void CopyGradientsToMasters()
    {
        using var _ = no_grad();
        for (int i = 0; i < Model.Count; i++)
        {
            var (model, master) = (Model[i].Parameter, Masters![i].Parameter);
            if (model.grad is null) continue;
            if (master.grad is null) master.grad = zeros_like(master);
            master.grad!.copy_(model.grad);
        }
    }

    /// <summary>Rounds the masters into the model (after a step, and after masters are read from a checkpoint).</summary>
    public void CopyMastersToModel()
    {
        using var _ = no_grad();
        for (int i = 0; i < Model.Count; i++) Model[i].Parameter.copy_(Masters![i].Parameter);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        if (Masters is not null) foreach (var (_, m) in Masters) m.Dispose();
    }
}
