using System.Runtime.InteropServices;

namespace Zccache.Core.Storage;

/// <summary>
/// Appends whole records to a file that several threads and processes append to at once (the compile journal).
/// <para>
/// .NET's <c>FileMode.Append</c> is not POSIX <c>O_APPEND</c>: it seeks to the end once, when the file is opened, and
/// every later write goes to the offset the stream tracks itself (<c>pwrite</c>). Two writers that opened the file at
/// the same length write over each other's lines. Here, on Unix, the file is opened with <c>O_APPEND</c>, so the kernel
/// moves each <c>write</c> to the end of the file atomically, and a record goes out in one <c>write</c>: concurrent
/// records never overwrite or tear each other. On Windows, where that flag is not reachable from .NET, a writer opens
/// the file denying other writers (retrying while another holds it) and writes at its end.
/// </para>
/// </summary>
public static partial class AppendOnlyFile
{
    /// <summary>Appends <paramref name="record"/> as one unit. Creates the file (and its folder) owner-only if missing.</summary>
    public static void Append(string path, ReadOnlySpan<byte> record)
    {
        string? dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        if (OperatingSystem.IsWindows()) AppendExclusive(path, record);
        else AppendUnix(path, record);
    }

    private static void AppendUnix(string path, ReadOnlySpan<byte> record)
    {
        // Created through .NET first, so open() below never needs its variadic mode argument.
        if (!File.Exists(path))
        {
            try { using var _ = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete); }
            catch (IOException) when (File.Exists(path)) { }
        }
        int flags = OperatingSystem.IsLinux() ? LinuxWriteOnly | LinuxAppend | LinuxCloseOnExec : BsdWriteOnly | BsdAppend | BsdCloseOnExec;
        int fd = open(path, flags);
        if (fd < 0) throw ErrnoException(path);
        try
        {
            // A regular file's O_APPEND write is moved to the end and written whole; a short write only happens when the
            // disk is full, where the rest goes after it (and a reader skips the line it cannot parse).
            int done = 0;
            while (done < record.Length)
            {
                nint n = write(fd, ref MemoryMarshal.GetReference(record[done..]), record.Length - done);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR) continue;
                    throw ErrnoException(path);
                }
                done += (int)n;
            }
        }
        finally { _ = close(fd); } // the record is written or the write threw: a failed close changes neither
    }

    private static void AppendExclusive(string path, ReadOnlySpan<byte> record)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var f = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete, 1);
                f.Write(record);
                return;
            }
            catch (IOException) when (attempt < 2000 && File.Exists(path))
            {
                Thread.Sleep(1); // another writer holds it for one short record
            }
        }
    }

    private static IOException ErrnoException(string path) =>
        new($"{path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    private const int EINTR = 4;
    private const int LinuxWriteOnly = 0x1, LinuxAppend = 0x400, LinuxCloseOnExec = 0x80000;
    private const int BsdWriteOnly = 0x1, BsdAppend = 0x8, BsdCloseOnExec = 0x1000000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref byte buffer, nint count);

    [DllImport("libc")]
    private static extern int close(int fd);
}
