// Rules for paths a person hands in: files named inside a folder (shards of a model index) stay inside it, input
// files are regular files (a FIFO would hang a reader, a device never ends), and names that become folders under
// runs/ (run names, checkpoint labels) are plain names that cannot climb out.
namespace Grpo.Files;

public static class InputPaths
{
    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="folder"/>: it must be a relative path
    /// that stays inside the folder and name a regular file. <paramref name="source"/> names where the path came from.</summary>
    public static string FileInside(string folder, string relative, string source)
    {
        if (string.IsNullOrWhiteSpace(relative))
            throw new BadInputException($"{source}: empty file name");
        if (Path.IsPathRooted(relative))
            throw new BadInputException($"{source}: \"{relative}\" is an absolute path; only files inside {folder} are allowed");
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new BadInputException($"{source}: \"{relative}\" points outside {folder}; only files inside the folder are allowed");
        RequireRegularFile(full, source);
        return full;
    }

    /// <summary>Throws unless <paramref name="path"/> exists and is a regular file (symbolic links count by their
    /// target, as Hugging Face cache folders link to blobs).</summary>
    public static void RequireRegularFile(string path, string source)
    {
        switch (Posix.Kind(path))
        {
            case PathKind.RegularFile: return;
            case PathKind.Folder: throw new BadInputException($"{source}: {path} is a folder, not a file");
            case PathKind.Special: throw new BadInputException($"{source}: {path} is not a regular file (a FIFO, device or socket)");
            case PathKind.LinkLoop: throw new BadInputException($"{source}: {path} is a loop of symbolic links");
            case PathKind.Unreadable: throw new BadInputException($"{source}: {path} cannot be examined (permission denied?)");
            default: throw new BadInputException($"{source}: file not found: {path}");
        }
    }

    /// <summary>Throws unless the regular file <paramref name="path"/> holds at most <paramref name="maxBytes"/>: a reader
    /// that keeps a whole file in memory refuses one far larger than its kind ever is, instead of running out of memory.
    /// <paramref name="typical"/> says how large such files are.</summary>
    public static void RequireSizeAtMost(string path, long maxBytes, string source, string typical)
    {
        RequireRegularFile(path, source);
        long size = new FileInfo(path).Length;
        if (size > maxBytes)
            throw new BadInputException($"{source}: {path} holds {Mib(size)}, more than the {Mib(maxBytes)} such a file may hold ({typical})");
    }

    static string Mib(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N0} MiB");

    /// <summary>Throws unless <paramref name="dir"/> is an existing folder; <paramref name="what"/> says what it should hold.</summary>
    public static void RequireFolder(string dir, string what)
    {
        switch (Posix.Kind(dir))
        {
            case PathKind.Folder: return;
            case PathKind.RegularFile or PathKind.Special: throw new BadInputException($"{what}: {dir} is a file, not a folder");
            case PathKind.LinkLoop: throw new BadInputException($"{what}: {dir} is a loop of symbolic links");
            default: throw new BadInputException($"{what}: folder not found: {dir}");
        }
    }

    /// <summary>The real path of the folder <paramref name="path"/> (relative paths count from <paramref name="root"/>),
    /// which must exist and lie inside <paramref name="root"/> once every symbolic link is resolved, so that a name handed
    /// over the network cannot reach other files (e.g. a LoRA adapter a server is asked to load).</summary>
    public static string FolderInside(string root, string path, string source)
    {
        var realRoot = Posix.RealPath(root) ?? throw new BadInputException($"{source}: the allowed folder {root} does not exist");
        var real = Posix.RealPath(Path.Combine(realRoot, path));
        if (real is null || !Posix.IsDirectory(real)) throw new BadInputException($"{source}: folder not found: {path}");
        var prefix = Path.TrimEndingDirectorySeparator(realRoot) + Path.DirectorySeparatorChar;
        if (real != realRoot && !real.StartsWith(prefix, StringComparison.Ordinal))
            throw new BadInputException($"{source}: {path} lies outside the allowed folder {realRoot}");
        return real;
    }

    /// <summary>A name that becomes one folder or file name (a run under runs/, a checkpoint label): not empty, not
    /// "." or "..", no path separators or control characters, so that it cannot point elsewhere.</summary>
    public static string PlainName(string name, string source)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new BadInputException($"{source}: the name is empty");
        if (name is "." or "..") throw new BadInputException($"{source}: \"{name}\" is not a name");
        if (name.IndexOfAny(['/', '\\']) >= 0)
            throw new BadInputException($"{source}: \"{name}\" holds a path separator; give a plain name (the folder is chosen for it)");
        if (name.Any(char.IsControl)) throw new BadInputException($"{source}: the name holds a control character");
        if (name != name.Trim()) throw new BadInputException($"{source}: \"{name}\" starts or ends with white space");
        return name;
    }
}
