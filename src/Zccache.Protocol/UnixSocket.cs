using System.Runtime.InteropServices;
using System.Text;
using static Zccache.Protocol.Posix;

namespace Zccache.Protocol;

/// <summary>
/// A connected Unix stream socket, straight through libc. System.Net.Sockets would start its epoll thread and probe
/// IPv4 and IPv6 at the first socket of the process: milliseconds on every launcher call, for one request and one answer.
/// </summary>
public sealed partial class UnixSocket : IDisposable
{
    private int _fd;

    private UnixSocket(int fd) => _fd = fd;

    /// <summary>
    /// Connects to the socket at <paramref name="path"/>; null with the reason (errno) when it cannot. Connecting,
    /// sending and receiving each give up after <paramref name="timeoutMs"/> (a stuck server, a full backlog).
    /// </summary>
    public static UnixSocket? Connect(string path, int timeoutMs, out int errno)
    {
        // sockaddr_un: the family (2 bytes), then the path, zero-terminated, in 108 bytes.
        var address = new byte[2 + 108];
        address[0] = AfUnix;
        if (Encoding.UTF8.GetByteCount(path) >= 108)
        {
            errno = ENameTooLong;
            return null;
        }
        int length = 2 + Encoding.UTF8.GetBytes(path, address.AsSpan(2)) + 1;
        int fd = socket(AfUnix, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        // The timeouts first: they bound the connect too (a listener whose backlog is full).
        long[] timeval = [timeoutMs / 1000, timeoutMs % 1000 * 1000];
        errno = 0;
        while (errno == 0
            && (setsockopt(fd, SolSocket, SoSndTimeo, timeval, 16) != 0 || setsockopt(fd, SolSocket, SoRcvTimeo, timeval, 16) != 0
            || connect(fd, address, length) != 0))
        {
            errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr) errno = 0;
        }
        if (errno == 0) return new UnixSocket(fd);
        _ = close(fd); // nothing to do about a failed close of a socket never connected
        return null;
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>; false when the peer closed the connection first (it may have answered:
    /// a refusal). MSG_NOSIGNAL: a peer gone is an answer here, not a SIGPIPE.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> data) => Posix.WriteAll(_fd, data, PosixWrite.Socket) switch
    {
        0 => true,
        EPipe or EConnReset => false,
        EAgain => throw new IOException("it took no request in time"),
        var errno => throw new IOException($"send failed (errno {errno})"),
    };

    /// <summary>Exactly <paramref name="count"/> bytes; <see cref="EndOfStreamException"/> when the peer closes first.</summary>
    public byte[] Receive(int count)
    {
        var data = new byte[count];
        for (int got = 0; got < count;)
            got += Receive(data.AsSpan(got)) is > 0 and var n ? n : throw new EndOfStreamException();
        return data;
    }

    /// <summary>Everything the peer sends until it closes the connection.</summary>
    public byte[] ReceiveToEnd()
    {
        // Most answers are a few bytes (a hit without compiler output): a small buffer, doubled when full.
        var buffer = new byte[1024];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int n = Receive(buffer.AsSpan(length));
            if (n == 0) return buffer[..length];
            length += n;
        }
    }

    /// <summary>Some bytes, or 0 when the peer has closed the connection.</summary>
    private int Receive(Span<byte> buffer)
    {
        while (true)
        {
            nint n = recv(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, 0);
            if (n >= 0) return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            // A peer that closes before reading all of the request resets the connection: what it sent still counts.
            if (errno == EConnReset) return 0;
            if (errno != EIntr) throw new IOException(errno is EAgain ? "no answer in time" : $"receive failed (errno {errno})");
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) _ = close(_fd); // the exchange is over either way
        _fd = -1;
    }

    private const byte AfUnix = 1;
    private const int SockStream = 1, SockCloexec = 0x80000, SolSocket = 1, SoRcvTimeo = 20, SoSndTimeo = 21;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte[] address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, long[] value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, ref byte data, nint length, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
