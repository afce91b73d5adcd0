namespace Zccache.Protocol;

/// <summary>One exchange with the resident server: connect, ask, read the answer. Never throws for the server's faults.</summary>
public static class ServerConnection
{
    /// <summary>
    /// The server's answer to a launcher call: <see cref="ReplyKind.Served"/> (with the exit code and output),
    /// <see cref="ReplyKind.NotServed"/>; or no server there (<see cref="NoServer"/>); or why it failed (<see cref="Problem"/>).
    /// </summary>
    public readonly record struct Answer(ReplyKind Kind, int ExitCode, byte[] Stdout, byte[] Stderr, bool NoServer = false,
        string? Problem = null)
    {
        public static Answer Failed(string problem) => new(ReplyKind.Refused, 0, [], [], Problem: problem);
    }

    /// <summary>A hit is milliseconds; a server that says nothing for a minute is stuck, and the launcher does the call itself.</summary>
    private const int CallTimeoutMs = 60_000;

    public static Answer Compile(ServerAddress address, CompileRequest request)
    {
        var reply = Exchange(address, RequestKind.Compile, request.Write, CallTimeoutMs);
        if (reply.NoServer) return new Answer(ReplyKind.NotServed, 0, [], [], NoServer: true);
        if (reply.Problem is { } problem) return Answer.Failed(problem);
        try
        {
            var r = reply.Body!;
            return reply.Kind switch
            {
                ReplyKind.Served => new Answer(ReplyKind.Served, r.ReadInt32(), ServerProtocol.ReadBytes(r), ServerProtocol.ReadBytes(r)),
                ReplyKind.NotServed => new Answer(ReplyKind.NotServed, 0, [], []),
                ReplyKind.Refused => Answer.Failed(r.ReadString()),
                _ => Answer.Failed($"unexpected answer {reply.Kind}"),
            };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            return Answer.Failed($"it did not answer ({e.Message})");
        }
    }

    /// <summary>Hands an outcome to the server to write in its session; false
    /// when it did not take it (then the launcher writes it).</summary>
    public static bool Record(ServerAddress address, RecordRequest request) =>
        Exchange(address, RequestKind.Record, request.Write, 10_000) is { Problem: null, NoServer: false, Kind: ReplyKind.Recorded };

    /// <summary>Asks for the server's status (or, with <see cref="RequestKind.Stop"/>, asks it to stop); null when none answers.</summary>
    public static ServerStatus? Ask(ServerAddress address, RequestKind request)
    {
        var reply = Exchange(address, request, null, 5_000);
        try { return reply is { Problem: null, NoServer: false, Kind: ReplyKind.Status } ? ServerStatus.Read(reply.Body!) : null; }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException) { return null; }
    }

    /// <summary>The answer to one request: its kind and body, or no server there, or why the exchange failed.</summary>
    private readonly record struct Reply(ReplyKind Kind, BinaryReader? Body, bool NoServer = false, string? Problem = null)
    {
        public static readonly Reply None = new(ReplyKind.NotServed, null, NoServer: true);

        public static Reply Failed(string problem) => new(ReplyKind.Refused, null, Problem: problem);
    }

    /// <summary>
    /// One request, one answer: connects, sends the whole frame in one write, reads the answer's header and then the
    /// rest until the server closes the connection. Never throws for the server's faults.
    /// </summary>
    private static Reply Exchange(ServerAddress address, RequestKind kind, Action<BinaryWriter>? writeBody, int timeoutMs)
    {
        var frame = new MemoryStream();
        using (var w = ServerProtocol.Writer(frame))
        {
            ServerProtocol.WriteHeader(w, (byte)kind);
            writeBody?.Invoke(w);
        }
        using var socket = UnixSocket.Connect(address.Socket, timeoutMs, out int errno);
        if (socket is null)
            return errno is Posix.ENoEnt or Posix.EConnRefused
                ? Reply.None // no socket, or a dead server's
                : Reply.Failed($"cannot connect (errno {errno})");
        try
        {
            // A peer that closed before taking all of the request may have answered (refused): that is read below.
            socket.Send(frame.GetBuffer().AsSpan(0, (int)frame.Length));
            // The header first: a peer of another protocol is not waited on for more.
            var header = ServerProtocol.Reader(new MemoryStream(socket.Receive(ServerProtocol.HeaderSize)));
            var (answer, problem) = ServerProtocol.ReadHeader(header);
            if (problem is not null) return Reply.Failed(problem);
            return new Reply((ReplyKind)answer, ServerProtocol.Reader(new MemoryStream(socket.ReceiveToEnd())));
        }
        catch (IOException e) // EndOfStreamException too: it hung up mid-answer
        {
            return Reply.Failed($"it did not answer ({e.Message})");
        }
    }
}
