// A folder of paths that are not regular files (a character device, a FIFO, a folder, links to them, a loop of
// links, a path below a file), outside any CLI working folder: the Cli snapshot reads every file it finds, and
// reading a FIFO would wait forever.
using System.Diagnostics;

namespace Grpo.Tests.BadInput;

public sealed class SpecialFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("grpo-special-").FullName;

    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>A character device like /dev/null (major 1, minor 3), or null where this process may not make one
    /// (mknod needs root or CAP_MKNOD).</summary>
    public string? Device()
    {
        var path = Path("null-device");
        return Run("mknod", path, "c", "1", "3") == 0 ? path : null;
    }

    public string Fifo(string name = "fifo")
    {
        var path = Path(name);
        if (Run("mkfifo", path) != 0) throw new InvalidOperationException("mkfifo failed");
        return path;
    }

    public string Folder(string name = "folder") => Directory.CreateDirectory(Path(name)).FullName;

    public string File(string name = "file", string text = "")
    {
        var path = Path(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public string Link(string name, string target)
    {
        var path = Path(name);
        System.IO.File.CreateSymbolicLink(path, target);
        return path;
    }

    /// <summary>A symbolic link that points at itself.</summary>
    public string LinkLoop(string name = "loop") => Link(name, Path(name));

    /// <summary>What `stat` calls the path's type ("character special file", "fifo", "directory", "regular file" …),
    /// without following a link.</summary>
    public static string Kind(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%F", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        var kind = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return kind;
    }

    public static int Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
