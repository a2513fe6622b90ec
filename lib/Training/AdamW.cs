// AdamW (Loshchilov & Hutter, decoupled weight decay), op for op as TorchSharp's torch.optim.AdamW computes it
// (PyTorch's single-tensor path without amsgrad), but with held Scalars: TorchSharp's own step() passes temporary
// ones (mul_(beta1), add_(grad, alpha: 1 - beta1), ...) that the finalizer may free mid-call (HeldScalars).
using Grpo.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Grpo.Training;

public sealed class AdamW : IDisposable
{
    /// <summary>Per-parameter state under PyTorch's names: update count and the first/second moment estimates.</summary>
    public sealed class State(Tensor expAvg, Tensor expAvgSq)
    {
        public long step;
        public Tensor exp_avg = expAvg, exp_avg_sq = expAvgSq;
    }

    readonly Parameter[] parameters;
    readonly State[] states;
    readonly double beta1, beta2, weightDecay;
    // Fixed for the optimizer's life: held for the process.
    readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, epsScalar;

    /// <summary>The rate the next step uses; schedules set it before each step.</summary>
    public double LearningRate { get; set; }

    public IReadOnlyList<Parameter> Parameters => parameters;
    public IReadOnlyList<State> States => states;

    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
    {
        // The same checks as torch.optim.AdamW.
        if (lr < 0) throw new ArgumentException($"Invalid learning rate: {lr}");
        if (eps < 0) throw new ArgumentException($"Invalid epsilon: {eps}");
        if (beta1 < 0 || beta1 >= 1.0) throw new ArgumentException($"Invalid beta1: {beta1}");
        if (beta2 < 0 || beta2 >= 1.0) throw new ArgumentException($"Invalid beta2: {beta2}");
        if (weightDecay < 0) throw new ArgumentException($"Invalid weight_decay value: {weightDecay}");
        this.parameters = parameters.ToArray();
        LearningRate = lr;
        (this.beta1, this.beta2, this.weightDecay) = (beta1, beta2, weightDecay);
        (beta1Scalar, oneMinusBeta1) = (HeldScalars.Of(beta1), HeldScalars.Of(1 - beta1));
        (beta2Scalar, oneMinusBeta2) = (HeldScalars.Of(beta2), HeldScalars.Of(1 - beta2));
        epsScalar = HeldScalars.Of(eps);
        states = this.parameters.Select(p => new State(zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope())).ToArray();
    }

    /// <summary>Zeroes every parameter's gradient in place (as TorchSharp's zero_grad; the buffers are kept).</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var scalars = HeldScalars.NewScope();   // values of this step: learning rate, bias corrections
        double lr = LearningRate;
        for (int i = 0; i < parameters.Length; i++)
        {
            var (param, state) = (parameters[i], states[i]);
            var grad = param.grad;
            if (grad is null) continue;
            state.step += 1;
            param.mul_(scalars.Of(1 - lr * weightDecay));
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(beta1Scalar).add_(grad, alpha: oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, value: oneMinusBeta2);
            var denom = state.exp_avg_sq.sqrt().div(scalars.Of(Math.Sqrt(biasCorrection2))).add_(epsScalar, alpha: HeldScalars.One);
            param.addcdiv_(state.exp_avg, denom, value: scalars.Of(-lr / biasCorrection1));
        }
    }

    public void Dispose()
    {
        foreach (var s in states) { s.exp_avg.Dispose(); s.exp_avg_sq.Dispose(); }
    }
}
