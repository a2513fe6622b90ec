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
    static int? FileType(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[256];   // sizeof(struct statx)
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (EntryPointNotFoundException) { return null; }   // glibc before 2.28
        return BitConverter.ToUInt16(buffer, StatxModeOffset) & FileTypeMask;
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
