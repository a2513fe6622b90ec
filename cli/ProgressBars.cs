// Progress bar helpers shared by the commands: a finished bar stops its clock.
using Spectre.Console;

namespace Grpo.Cli;

public static class ProgressBars
{
    /// <summary>Sets the value; at the maximum the task stops, so its elapsed time stops counting.</summary>
    public static void MoveTo(this ProgressTask task, double value)
    {
        task.Value = value;
        if (value >= task.MaxValue && !task.IsFinishedAndStopped()) task.StopTask();
    }

    /// <summary>Stops every task that is still running (a stage is over, or the command stopped).</summary>
    public static void StopAll(this IEnumerable<ProgressTask> tasks)
    {
        foreach (var t in tasks) if (!t.IsFinishedAndStopped()) t.StopTask();
    }

    static bool IsFinishedAndStopped(this ProgressTask task) => task.StopTime is not null;
}
