// One process at a time per run folder: a second train, --resume or pipeline of a run that another process is
// training gets one error naming that process; a lock file a killed holder left behind is taken over with a note.
// The other process here is util-linux's flock(1), which takes the same kind of lock (flock, exclusive).
using System.Diagnostics;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class RunLockTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    /// <summary>A process that writes its id into <paramref name="lockFile"/> and holds the lock on it until killed.</summary>
    static Process HoldLock(string lockFile)
    {
        // setsid: a process group of its own (kill -9 of the group ends flock and its sleep); exec: the shell's process
        // becomes flock, so the id written is the holder's; -o: flock alone holds the lock, not its sleep.
        var holder = Process.Start(new ProcessStartInfo("setsid", ["sh", "-c", "echo $$ > \"$0\"; exec flock -o \"$0\" sleep 600", lockFile])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!IsLocked(lockFile))
        {
            if (DateTime.UtcNow > deadline) { holder.Kill(); Assert.Fail("flock never took the lock"); }
            Thread.Sleep(50);
        }
        return holder;
    }

    static bool IsLocked(string lockFile) => SpecialFiles.Run("flock", "-n", lockFile, "true") != 0;

    static void Stop(Process holder)
    {
        holder.Kill(entireProcessTree: true);
        holder.WaitForExit();
        holder.Dispose();
    }

    [Fact]
    public void Train_of_a_run_another_process_holds_is_refused_naming_its_process_id()
    {
        var run = Directory.CreateDirectory(Path.Combine(cli.WorkDir, "runs", "x")).FullName;
        File.WriteAllText(Path.Combine(run, "config.json"),   // so that --resume gets as far as the lock
            (Grpo.Pipeline.CountdownRunConfig.Tiny with { Grpo = GrpoConfig.Tiny with { OutputDir = "runs/x" } }).ToJson());
        var holder = HoldLock(Path.Combine(run, RunLock.FileName));
        try
        {
            cli.AssertCleanError(cli.Run("train", "--name", "x", "--max-steps", "1"), "runs/x", $"PID {holder.Id}", "another process");
            cli.AssertCleanError(cli.Run("train", "--name", "x", "--resume"), $"PID {holder.Id}");
        }
        finally { Stop(holder); }
    }

    [Fact]
    public void Lock_is_held_until_released_then_the_next_holder_gets_it_and_the_file_is_gone()
    {
        var run = new RunFolder(Path.Combine(cli.WorkDir, "run"));
        using (RunLock.Acquire(run))
        {
            Assert.True(IsLocked(run.LockPath));
            Assert.Equal(Environment.ProcessId + "\n", System.Text.Encoding.ASCII.GetString(Cli.ReadBytes(run.LockPath)));
            using (RunLock.Acquire(run)) { }   // the pipeline holds it and its trainer takes it again
            Assert.True(IsLocked(run.LockPath));
        }
        Assert.False(File.Exists(run.LockPath));
        Assert.False(Directory.Exists(run.Root));   // created for the lock, empty: removed with it
        var notes = new List<string>();
        using (RunLock.Acquire(run, notes.Add)) Assert.Empty(notes);
    }

    [Fact]
    public void Lock_of_a_holder_killed_with_sigkill_is_taken_over_with_a_note()
    {
        var run = new RunFolder(Directory.CreateDirectory(Path.Combine(cli.WorkDir, "run")).FullName);
        var holder = HoldLock(run.LockPath);
        int pid = holder.Id;
        Assert.Contains($"PID {pid}", Assert.Throws<BadInputException>(() => RunLock.Acquire(run)).Message);
        Assert.Equal(0, SpecialFiles.Run("kill", "-9", "--", $"-{pid}"));   // as a crash or the OOM killer would
        holder.WaitForExit();
        holder.Dispose();

        var notes = new List<string>();
        using (RunLock.Acquire(run, notes.Add))
            Assert.Contains($"left by process {pid}, which ended without releasing it", Assert.Single(notes));
    }
}
