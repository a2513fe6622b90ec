// The two POSIX calls .NET does not offer: a path's file type (regular file or not) and fsync of a folder (or of a
// file opened read-only).
// Linux calls only (statx has the same layout on every architecture); elsewhere callers fall back to what .NET knows.
using System.Runtime.InteropServices;

namespace Grpo.Files;

static class Posix
{
    const int AtFdCwd = -100;
    const uint StatxType = 0x1;
    const int StatxModeOffset = 28;       // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, uid, gid, u16 mode
    const int FileTypeMask = 0xF000, RegularFile = 0x8000, Directory = 0x4000;

    // A blittable byte[] is pinned for the call, so statx writes straight into it.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);

    /// <summary>The file type bits of <paramref name="path"/> after following symbolic links, or null when unknown
    /// (not Linux, or the call failed: callers then rely on File.Exists).</summary>
    static int? FileType(string path) => Stat(path, follow: true, out _);

    const int AtSymlinkNoFollow = 0x100, ENOENT = 2, ENOTDIR = 20, ELOOP = 40;

    /// <summary>statx's file type bits (following symbolic links or not), or null with errno (0 when statx cannot be
    /// called here: not Linux, or glibc before 2.28).</summary>
    static int? Stat(string path, bool follow, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];   // sizeof(struct statx)
        try
        {
            if (Statx(AtFdCwd, path, follow ? 0 : AtSymlinkNoFollow, StatxType, buffer) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
        }
        catch (EntryPointNotFoundException) { return null; }
        return BitConverter.ToUInt16(buffer, StatxModeOffset) & FileTypeMask;
    }

    /// <summary>What <paramref name="path"/> is once symbolic links are followed; a link that leads nowhere is
    /// <see cref="PathKind.Missing"/> (writing there replaces the link), a loop of links is <see cref="PathKind.LinkLoop"/>.</summary>
    public static PathKind Kind(string path)
    {
        if (Stat(path, follow: true, out int errno) is int type)
            return type == RegularFile ? PathKind.RegularFile : type == Directory ? PathKind.Folder : PathKind.Special;
        if (errno == ELOOP) return PathKind.LinkLoop;
        if (errno is ENOENT or ENOTDIR) return PathKind.Missing;
        if (errno != 0) return PathKind.Unreadable;
        // Not Linux: what .NET knows (it reports FIFOs and devices as files, so they count as regular files there).
        return System.IO.Directory.Exists(path) ? PathKind.Folder : File.Exists(path) ? PathKind.RegularFile : PathKind.Missing;
    }

    /// <summary>True for a regular file (a symbolic link counts by its target); false for FIFOs, devices, sockets
    /// and folders, which would hang or make no sense as input files.</summary>
    public static bool IsRegularFile(string path) =>
        FileType(path) is int type ? type == RegularFile : File.Exists(path);

    public static bool IsDirectory(string path) =>
        FileType(path) is int type ? type == Directory : System.IO.Directory.Exists(path);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    static extern IntPtr RealPathC([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    static extern void Free(IntPtr pointer);

    /// <summary>The absolute path of an existing <paramref name="path"/> with every symbolic link and ".." resolved
    /// (realpath(3)); null when it does not exist. Elsewhere than Linux and macOS: the full path with a final link
    /// resolved, which is what .NET knows.</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            var resolved = RealPathC(path, IntPtr.Zero);
            if (resolved == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(resolved); }
            finally { Free(resolved); }
        }
        var full = Path.GetFullPath(path);
        if (!System.IO.Directory.Exists(full) && !File.Exists(full)) return null;
        return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }

    const int EINVAL = 22, ENOTSUP = 95;

    /// <summary>Flushes a file's data, or a folder's entries (new names, renames), to disk. Opens read-only, so files
    /// copied without write permission flush too. File systems that cannot fsync a folder (EINVAL, ENOTSUP) are
    /// let be; any other failure (EIO: the data did not reach the disk) throws. No-op where folders cannot be opened.</summary>
    public static void Fsync(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = Open(path, 0);   // O_RDONLY, for files and folders alike
        if (fd < 0) throw new IOException($"cannot open {path} to flush it to disk (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno is not (EINVAL or ENOTSUP))
                throw new IOException($"fsync of {path} failed (errno {errno})");
        }
        finally { Close(fd); }
    }
}

/// <summary>What a path names once symbolic links are followed.</summary>
enum PathKind { Missing, RegularFile, Folder, Special, LinkLoop, Unreadable }

