using System.Runtime.InteropServices;

namespace Zccache.Protocol;

/// <summary>How <see cref="Posix.WriteAll"/> writes to its descriptor.</summary>
public enum PosixWrite
{
    /// <summary>write(2), at the descriptor's own offset; a full non-blocking pipe (EAGAIN) is waited for with poll(2).</summary>
    Descriptor,

    /// <summary>send(2) with MSG_NOSIGNAL: a peer gone is EPIPE, not a SIGPIPE; EAGAIN is the socket's send timeout.</summary>
    Socket,
}

/// <summary>The libc calls that the thin launcher and the socket share, bound at link time where the launcher is native.</summary>
public static partial class Posix
{
    public const int ENoEnt = 2, EIntr = 4, EAgain = 11, EPipe = 32, ENameTooLong = 36, EConnReset = 104, EConnRefused = 111;

    /// <summary>Writes all of <paramref name="data"/> to <paramref name="fd"/>, again after a signal (EINTR);
    /// 0 when all was written, else the errno that stopped it.</summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data, PosixWrite how)
    {
        while (!data.IsEmpty)
        {
            nint n = how == PosixWrite.Socket
                ? send(fd, ref MemoryMarshal.GetReference(data), data.Length, MsgNoSignal)
                : write(fd, ref MemoryMarshal.GetReference(data), data.Length);
            if (n > 0)
            {
                data = data[(int)n..];
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr) continue;
            if (errno != EAgain || how == PosixWrite.Socket) return errno;
            long pollfd = (long)fd | (long)PollOut << 32; // struct pollfd { int fd; short events; short revents; }
            _ = poll(ref pollfd, 1, -1);
        }
        return 0;
    }

    private const int MsgNoSignal = 0x4000;
    private const short PollOut = 4;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ref byte data, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, ref byte data, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref long fds, nint count, int timeoutMs);
}
