// Rules for paths the program writes to: a file is written through a temporary file and a rename, which would replace
// whatever the path names, so only a regular file (or nothing yet) may stand there: never a device such as /dev/null, a
// FIFO, a socket or a folder. A folder to write into must be a folder (or nothing yet), and no folder above either
// may be a file. Every command checks its outputs here before work starts; AtomicFile checks again before each write.
namespace Grpo.Files;

public static class OutputPaths
{
    /// <summary>Throws unless <paramref name="path"/> can be written as a regular file: it is one, or nothing is there
    /// yet (a symbolic link that leads nowhere counts as nothing: the write replaces the link), and no folder above it
    /// is a file. <paramref name="source"/> names where the path came from (a flag, a config field).</summary>
    public static string CheckFile(string path, string source)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new BadInputException($"{source}: the path is empty");
        switch (Posix.Kind(path))
        {
            case PathKind.Folder:
                throw new BadInputException($"{source}: {path} is a folder; give the path of a file to write");
            case PathKind.Special:
                throw new BadInputException($"{source}: {path} is a device, FIFO or socket, not a regular file; " +
                    "outputs are written only to regular files (they replace the target through a rename)");
            case PathKind.LinkLoop:
                throw new BadInputException($"{source}: {path} is a loop of symbolic links");
            case PathKind.Unreadable:
                throw new BadInputException($"{source}: {path} cannot be examined (permission denied?)");
        }
        CheckParents(path, source);
        return path;
    }

    /// <summary>Throws unless <paramref name="dir"/> is a folder or can be created as one: nothing is there yet and no
    /// folder above it is a file.</summary>
    public static string CheckFolder(string dir, string source)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new BadInputException($"{source}: the path is empty");
        switch (Posix.Kind(dir))
        {
            case PathKind.RegularFile or PathKind.Special:
                throw new BadInputException($"{source}: {dir} is a file, not a folder; give a folder (it is created when missing)");
            case PathKind.LinkLoop:
                throw new BadInputException($"{source}: {dir} is a loop of symbolic links");
            case PathKind.Unreadable:
                throw new BadInputException($"{source}: {dir} cannot be examined (permission denied?)");
        }
        CheckParents(dir, source);
        return dir;
    }

    /// <summary>The nearest existing folder above <paramref name="path"/> must be a folder: were it a file, creating
    /// the path would fail with "The file '…' already exists".</summary>
    static void CheckParents(string path, string source)
    {
        for (var parent = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            switch (Posix.Kind(parent))
            {
                case PathKind.Folder or PathKind.Unreadable: return;   // the write itself then says what is wrong
                case PathKind.Missing: continue;
                case PathKind.LinkLoop: throw new BadInputException($"{source}: {parent} (above {path}) is a loop of symbolic links");
                default: throw new BadInputException($"{source}: {parent} is a file, so {path} cannot be created inside it");
            }
        }
    }
}
