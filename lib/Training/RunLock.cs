// One process at a time per run folder: train, pipeline, --resume and notebook 03 hold runs/<name>/run.lock (an
// advisory lock, FileLock) for the whole run, so two processes never log the same steps or write the same checkpoints.
// A second process gets one error naming the holder's process id. Within one process the lock is shared (the pipeline
// holds it and its trainer takes it again), so it is counted and released when the last holder lets go.
using Grpo.Files;

namespace Grpo.Training;

public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";

    // Per lock file: the lock, how many holders in this process, and the folders taking the lock created (deepest first).
    static readonly Dictionary<string, (FileLock Lock, int Holders, IReadOnlyList<string> Created)> held = new(StringComparer.Ordinal);

    readonly string key;
    bool released;

    RunLock(string key) => this.key = key;

    /// <summary>Takes the lock of <paramref name="run"/> (creating its folder when missing), or throws a
    /// BadInputException naming the process that holds it (or saying that the run folder's path is a file). <paramref name="note"/> hears when the lock file of a
    /// process that ended without releasing it (killed) is taken over.</summary>
    public static RunLock Acquire(RunFolder run, Action<string>? note = null)
    {
        var path = Path.GetFullPath(run.LockPath);
        lock (held)
        {
            if (held.TryGetValue(path, out var entry))
            {
                held[path] = entry with { Holders = entry.Holders + 1 };
                return new RunLock(path);
            }
            OutputPaths.CheckFolder(run.Root, "run folder (output_dir)");
            var created = Missing(Path.GetFullPath(run.Root));
            Directory.CreateDirectory(run.Root);
            var fileLock = FileLock.TryAcquire(path, out var holder);
            if (fileLock is null)
            {
                DeleteIfEmpty(created);
                throw new BadInputException($"{run.Root} is in use by another process{(holder is int pid ? $" (PID {pid})" : "")}: " +
                    $"two processes must not train one run folder; wait for it to end or stop it (the lock is {run.LockPath})");
            }
            if (fileLock.PreviousHolder is int previous && previous != Environment.ProcessId)
                note?.Invoke($"{run.LockPath} was left by process {previous}, which ended without releasing it (killed?); taking it over");
            held[path] = (fileLock, 1, created);
            return new RunLock(path);
        }
    }

    public void Dispose()
    {
        lock (held)
        {
            if (released) return;
            released = true;
            var entry = held[key];
            if (entry.Holders > 1) { held[key] = entry with { Holders = entry.Holders - 1 }; return; }
            held.Remove(key);
            entry.Lock.Dispose();
            DeleteIfEmpty(entry.Created);   // a start that failed before writing anything leaves no empty run folder
        }
    }

    /// <summary><paramref name="dir"/> and the folders above it that do not exist yet, deepest first.</summary>
    static List<string> Missing(string dir)
    {
        var missing = new List<string>();
        for (var d = dir; !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Add(d);
        return missing;
    }

    static void DeleteIfEmpty(IReadOnlyList<string> folders)
    {
        foreach (var dir in folders)
        {
            if (!Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any()) return;
            try { Directory.Delete(dir); }
            catch (IOException) { return; }   // something appeared in it meanwhile
        }
    }
}
