// Every file the program writes goes through here: written whole into a temporary file beside the target, flushed
// to disk (fsync), renamed over the target and the folder flushed, so a kill or a power cut leaves either the old
// file or the new one, never half of one. Appends to logs are flushed the same way.
using System.Text;

namespace Grpo.Files;

public static class AtomicFile
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> into a temporary file, then renames it into
    /// place. If write throws, the target is untouched and the temporary file removed. A target that is not a regular
    /// file (a device, a FIFO, a folder) is refused before anything is written (<see cref="OutputPaths.CheckFile"/>).</summary>
    public static void Write(string path, Action<Stream> write)
    {
        OutputPaths.CheckFile(path, "output");
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        Posix.Fsync(dir);
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(Utf8.GetBytes(text)));

    /// <summary>Appends text and flushes it to disk before returning (the file is created when missing).</summary>
    public static void AppendAllText(string path, string text)
    {
        OutputPaths.CheckFile(path, "output");   // appending to a FIFO would wait for a reader
        bool created = !File.Exists(path);
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            stream.Write(Utf8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        if (created) Posix.Fsync(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Flushes every file and folder under <paramref name="dir"/> (deepest first) and the folder itself to
    /// disk: what a folder must get before it is renamed into place as a unit (checkpoints).</summary>
    public static void FlushTree(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)) Posix.Fsync(file);
        foreach (var sub in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            Posix.Fsync(sub);
        Posix.Fsync(dir);
    }

    /// <summary>Flushes a folder's entries (names created, renamed or removed in it) to disk.</summary>
    public static void FlushFolder(string dir) => Posix.Fsync(dir);
}
