// Learning-rate schedules as transformers' get_scheduler builds them (linear warmup, then cosine/linear/constant).
// Pure function of the optimizer step, so a resumed run needs only the step number to continue the schedule.
namespace Grpo.Training;

public sealed record LearningRateSchedule(string Type, double PeakLearningRate, int WarmupSteps, int TotalSteps)
{
    /// <summary>warmup_steps if > 0, else ceil(warmup_ratio * max_steps), as transformers' get_warmup_steps.</summary>
    public static int WarmupStepsFor(int warmupSteps, double warmupRatio, int totalSteps) =>
        warmupSteps > 0 ? warmupSteps : (int)Math.Ceiling(warmupRatio * totalSteps);

    public static LearningRateSchedule FromConfig(GrpoConfig c) =>
        new(c.LrSchedulerType, c.LearningRate, WarmupStepsFor(c.WarmupSteps, c.WarmupRatio, c.MaxSteps), c.MaxSteps);

    /// <summary>Multiplier of the peak rate after <paramref name="step"/> completed optimizer steps
    /// (the update number step+1 uses this rate), identical to transformers' LambdaLR lambdas.</summary>
    public double Factor(int step)
    {
        if (Type == "constant") return 1.0;
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        if (Type == "constant_with_warmup") return 1.0;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            // get_cosine_schedule_with_warmup with num_cycles = 0.5
            "cosine" => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
            // get_linear_schedule_with_warmup
            "linear" => Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps)),
            _ => throw new ArgumentException($"Unknown lr_scheduler_type '{Type}'"),
        };
    }

    public double LearningRate(int step) => PeakLearningRate * Factor(step);
}
