// Linear warmup then cosine decay to a floor: the learning-rate shape used by the cold start.
namespace Grpo.Training.Sft;

public sealed record WarmupCosine(double Peak, int WarmupSteps, int TotalSteps, double MinRatio)
{
    public double At(int step)
    {
        if (step <= WarmupSteps) return Peak * step / Math.Max(1, WarmupSteps);
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return Peak * (MinRatio + (1 - MinRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
