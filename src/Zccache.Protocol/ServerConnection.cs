using System.Collections;
using System.Net.Sockets;

namespace Zccache.Protocol;

/// <summary>One exchange with the resident server: connect, ask, read the answer. Never throws for the server's faults.</summary>
public static class ServerConnection
{
    /// <summary>
    /// The server's answer to a launcher call: <see cref="ReplyKind.Served"/> (with the exit code and output),
    /// <see cref="ReplyKind.NotServed"/>; or no server there (<see cref="NoServer"/>); or why it failed (<see cref="Problem"/>).
    /// </summary>
    public readonly record struct Answer(ReplyKind Kind, int ExitCode, byte[] Stdout, byte[] Stderr, bool NoServer = false, string? Problem = null)
    {
        public static Answer Failed(string problem) => new(ReplyKind.Refused, 0, [], [], Problem: problem);
    }

    /// <summary>A hit is milliseconds; a server that says nothing for a minute is stuck, and the launcher does the call itself.</summary>
    private const int CallTimeoutMs = 60_000;

    public static Answer Compile(ServerAddress address, CompileRequest request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { socket.Connect(new UnixDomainSocketEndPoint(address.Socket)); }
        catch (SocketException e) when (IsNoServer(e.SocketErrorCode) || !File.Exists(address.Socket))
        {
            return new Answer(ReplyKind.NotServed, 0, [], [], NoServer: true);
        }
        catch (SocketException e) { return Answer.Failed($"cannot connect ({e.SocketErrorCode})"); }
        try
        {
            socket.ReceiveTimeout = CallTimeoutMs;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using (var w = ServerProtocol.Writer(stream))
            {
                ServerProtocol.WriteHeader(w, (byte)RequestKind.Compile);
                request.Write(w);
                w.Flush();
            }
            using var r = ServerProtocol.Reader(stream);
            var (kind, problem) = ServerProtocol.ReadHeader(r);
            if (problem is not null) return Answer.Failed(problem);
            return (ReplyKind)kind switch
            {
                ReplyKind.Served => new Answer(ReplyKind.Served, r.ReadInt32(), ServerProtocol.ReadBytes(r), ServerProtocol.ReadBytes(r)),
                ReplyKind.NotServed => new Answer(ReplyKind.NotServed, 0, [], []),
                ReplyKind.Refused => Answer.Failed(r.ReadString()),
                _ => Answer.Failed($"unexpected answer {kind}"),
            };
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or InvalidDataException)
        {
            return Answer.Failed("it did not answer (" + e.Message + ")");
        }
    }

    /// <summary>Hands an outcome to the server to write in its session; false when it did not take it (then the launcher writes it).</summary>
    public static bool Record(ServerAddress address, RecordRequest request)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address.Socket));
            socket.ReceiveTimeout = 10_000;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using (var w = ServerProtocol.Writer(stream))
            {
                ServerProtocol.WriteHeader(w, (byte)RequestKind.Record);
                request.Write(w);
                w.Flush();
            }
            using var r = ServerProtocol.Reader(stream);
            var (kind, problem) = ServerProtocol.ReadHeader(r);
            return problem is null && (ReplyKind)kind == ReplyKind.Recorded;
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException) { return false; }
    }

    /// <summary>Asks for the server's status (or, with <see cref="RequestKind.Stop"/>, asks it to stop); null when none answers.</summary>
    public static ServerStatus? Ask(ServerAddress address, RequestKind request)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address.Socket));
            socket.ReceiveTimeout = 5_000;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using (var w = ServerProtocol.Writer(stream))
            {
                ServerProtocol.WriteHeader(w, (byte)request);
                w.Flush();
            }
            using var r = ServerProtocol.Reader(stream);
            var (kind, problem) = ServerProtocol.ReadHeader(r);
            return problem is null && (ReplyKind)kind == ReplyKind.Status ? ServerStatus.Read(r) : null;
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException) { return null; }
    }

    /// <summary>No server listens there: a missing socket, or a dead server's.</summary>
    public static bool IsNoServer(SocketError error) =>
        error is SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AddressFamilyNotSupported;

    /// <summary>This process's environment, as the server must see it for the call.</summary>
    public static Dictionary<string, string> EnvironmentOfThisProcess()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        return env;
    }

    /// <summary>ZCCACHE_SERVER=0 (off, false, no): no server.</summary>
    public static bool IsOff(string? setting) => setting?.Trim().ToLowerInvariant() is "0" or "off" or "false" or "no";
}
