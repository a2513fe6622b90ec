// An advisory lock on a file (flock, exclusive), held while a process works on something that two processes must not
// share (a run folder). The kernel drops it when the holder ends, however it ends (kill -9 included), so a lock is never
// stale: a lock file left behind by a killed holder still names its process id, which the next holder reports as taken
// over. The file holds the holder's process id, so a second process can say who holds it. The file is deleted on
// release; an acquirer that locked a file deleted meanwhile tries again (it compares the inode of the path and of
// its own descriptor), so two processes never both hold the lock.
// Linux calls (flock, statx); elsewhere .NET's FileShare.None gives the same exclusion without the process id.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Grpo.Files;

public sealed class FileLock : IDisposable
{
    readonly string path;
    readonly int fd = -1;              // Linux: the locked descriptor
    readonly FileStream? stream;       // elsewhere: a stream opened with FileShare.None
    bool released;

    /// <summary>The process id a lock file named when this process took the lock: a holder that ended without
    /// releasing it (killed). Null when the lock was free and clean.</summary>
    public int? PreviousHolder { get; }

    FileLock(string path, int fd, FileStream? stream, int? previousHolder)
    {
        this.path = path;
        this.fd = fd;
        this.stream = stream;
        PreviousHolder = previousHolder;
    }

    /// <summary>Takes the lock on <paramref name="path"/> (created when missing) without waiting, or returns null when
    /// another process holds it; <paramref name="holder"/> is then its process id (null when unknown).</summary>
    public static FileLock? TryAcquire(string path, out int? holder)
    {
        holder = null;
        if (!OperatingSystem.IsLinux()) return TryAcquireWithFileShare(path);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int fd = Open(path, ORdWr | OCreat | OCloexec, 0x1A4 /* 0644 */);
            if (fd < 0) throw new IOException($"cannot open the lock file {path} (errno {Marshal.GetLastPInvokeError()})");
            if (Flock(fd, LockEx | LockNb) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                holder = errno == EWouldBlock ? ReadPid(fd) : null;
                Close(fd);
                if (errno == EWouldBlock) return null;
                throw new IOException($"cannot lock {path} (errno {errno})");
            }
            // The holder before us may have deleted the file between our open and our lock: then we locked a file
            // nobody else will see, and try again on the one the path names now.
            if (!SameFile(fd, path)) { Close(fd); continue; }
            var previous = ReadPid(fd);
            WritePid(fd, Environment.ProcessId);
            return new FileLock(path, fd, null, previous);
        }
        throw new IOException($"cannot lock {path}: it keeps being replaced");
    }

    static FileLock? TryAcquireWithFileShare(string path)
    {
        try { return new FileLock(path, -1, new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), null); }
        catch (IOException) when (File.Exists(path)) { return null; }
    }

    /// <summary>Deletes the lock file and releases the lock (in that order, see the top of the file).</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // a file someone removed by hand
        if (stream is not null) stream.Dispose();
        else Close(fd);
    }

    static int? ReadPid(int fd)
    {
        var buffer = new byte[32];
        long n = Pread(fd, buffer, buffer.Length, 0);
        if (n <= 0) return null;
        return int.TryParse(Encoding.ASCII.GetString(buffer, 0, (int)n).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    static void WritePid(int fd, int pid)
    {
        var bytes = Encoding.ASCII.GetBytes(pid.ToString(CultureInfo.InvariantCulture) + "\n");
        if (Ftruncate(fd, 0) != 0 || Pwrite(fd, bytes, bytes.Length, 0) != bytes.Length)
            throw new IOException($"cannot write the process id into the lock file (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Whether the descriptor and the path name the same file (device and inode).</summary>
    static bool SameFile(int fd, string path)
    {
        var a = new byte[256];
        var b = new byte[256];
        if (Statx(fd, "", AtEmptyPath, StatxIno, a) != 0) return false;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxIno, b) != 0) return false;
        return BitConverter.ToUInt64(a, InoOffset) == BitConverter.ToUInt64(b, InoOffset)
            && BitConverter.ToUInt64(a, DevOffset) == BitConverter.ToUInt64(b, DevOffset);
    }

    // Linux values (the same on x86-64 and arm64).
    const int ORdWr = 0x2, OCreat = 0x40, OCloexec = 0x80000, LockEx = 2, LockNb = 4, EWouldBlock = 11;
    const int AtFdCwd = -100, AtEmptyPath = 0x1000, AtSymlinkNoFollow = 0x100;
    const uint StatxIno = 0x100;
    const int InoOffset = 32, DevOffset = 136;   // struct statx: u64 stx_ino at 32; u32 stx_dev_major, stx_dev_minor at 136

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "pread", SetLastError = true)]
    static extern nint Pread(int fd, byte[] buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    static extern nint Pwrite(int fd, byte[] buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    static extern int Ftruncate(int fd, long length);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);
}
