using System.Text;

namespace Zccache.Protocol;

/// <summary>
/// What a launcher and the resident server say to each other over the socket: one request, one answer, then the
/// connection closes. Every frame starts with a magic number and the protocol version, so that a peer speaking
/// another version is recognised and refused (the launcher then does the call itself). Little-endian;
/// strings are UTF-8 with a length prefix (<see cref="BinaryWriter.Write(string)"/>).
/// </summary>
public static class ServerProtocol
{
    public const uint Magic = 0x5653435A; // "ZCSV"
    public const ushort Version = 2; // 2: "served" is no longer 0, a recorded outcome carries no working directory

    /// <summary>
    /// The thin launcher runs with its heap capped (System.GC.HeapHardLimit, 256 MB: a third fewer page faults at
    /// start-up), so the server serves a hit whose compiler output is at most this large; a larger one is answered
    /// "not served" and replayed by the engine, which has no cap.
    /// </summary>
    public const int MaxServedOutput = 16 << 20;

    public static bool FitsThinLauncher(long outputBytes) => outputBytes <= MaxServedOutput;

    /// <summary>The header's size: magic, version, kind.</summary>
    public const int HeaderSize = 4 + 2 + 1;

    /// <summary>Writes a frame's header; the body follows.</summary>
    public static void WriteHeader(BinaryWriter w, byte kind, ushort version = Version)
    {
        w.Write(Magic);
        w.Write(version);
        w.Write(kind);
    }

    /// <summary>Reads a frame's header: its kind, or why it cannot be read (not ours, another version).</summary>
    public static (byte Kind, string? Problem) ReadHeader(BinaryReader r)
    {
        if (r.ReadUInt32() != Magic) return (0, "the peer is not a zccache server");
        ushort version = r.ReadUInt16();
        byte kind = r.ReadByte();
        return version == Version ? (kind, null) : (kind, $"the peer speaks protocol {version}, this zccache {Version}");
    }

    public static void WriteBytes(BinaryWriter w, byte[] data)
    {
        w.Write(data.Length);
        w.Write(data);
    }

    public static byte[] ReadBytes(BinaryReader r)
    {
        int length = r.ReadInt32();
        if (length < 0 || (r.BaseStream.CanSeek && length > r.BaseStream.Length - r.BaseStream.Position))
            throw new InvalidDataException("a length beyond the frame");
        byte[] data = r.ReadBytes(length);
        return data.Length == length ? data : throw new EndOfStreamException();
    }

    public static BinaryWriter Writer(Stream s) => new(s, Encoding.UTF8, leaveOpen: true);
    public static BinaryReader Reader(Stream s) => new(s, Encoding.UTF8, leaveOpen: true);
}

/// <summary>What a launcher asks.</summary>
public enum RequestKind : byte { Compile = 1, Status = 2, Stop = 3, Record = 4 }

/// <summary>What the server answers.</summary>
public enum ReplyKind : byte
{
    /// <summary>Not a hit (a miss, a call that cannot be cached): the launcher does the call itself.</summary>
    NotServed = 1,
    /// <summary>The request cannot be taken (another protocol version, another cache); a reason follows.</summary>
    Refused = 2,
    Status = 3,
    Stopping = 4,
    /// <summary>The outcome a launcher sent is in the session.</summary>
    Recorded = 5,
    /// <summary>A hit: the outputs are in place; the exit code and the compiler's output follow. Not 0: nothing zeroed
    /// or left unset reads as a hit.</summary>
    Served = 6,
}

/// <summary>
/// An outcome of a call the launcher did itself (a miss, a call that cannot be cached), for the server to write in the
/// session: then each session has one writer, the server. The lines are as the session's files hold them.
/// </summary>
public sealed record RecordRequest(string SessionId, string? Project, byte[] OutcomeLine, byte[] JournalLine)
{
    public void Write(BinaryWriter w)
    {
        w.Write(SessionId);
        w.Write(Project ?? "");
        ServerProtocol.WriteBytes(w, OutcomeLine);
        ServerProtocol.WriteBytes(w, JournalLine);
    }

    public static RecordRequest Read(BinaryReader r) =>
        new(r.ReadString(), r.ReadString() is { Length: > 0 } p ? p : null, ServerProtocol.ReadBytes(r), ServerProtocol.ReadBytes(r));
}

/// <summary>The server's answer to a status request.</summary>
public sealed record ServerStatus(int Pid, DateTimeOffset Started, long Served, long NotServed, int ActiveSessions, string Root)
{
    public void Write(BinaryWriter w)
    {
        w.Write(Pid);
        w.Write(Started.ToUnixTimeMilliseconds());
        w.Write(Served);
        w.Write(NotServed);
        w.Write(ActiveSessions);
        w.Write(Root);
    }

    public static ServerStatus Read(BinaryReader r) =>
        new(r.ReadInt32(), DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64()), r.ReadInt64(), r.ReadInt64(), r.ReadInt32(),
            r.ReadString());
}

/// <summary>
/// A launcher call as sent to the server: its id (see the engine's <c>CompileInvocation.CallId</c>), the cache it is for,
/// and the call itself: working directory, arguments (the compiler first, maybe after stacked zccaches) and the whole
/// environment — null when sending: this process's own as the OS holds it, what it was started with and what its children
/// inherit (see <see cref="ProcessEnvironment"/>; .NET's <c>Environment.SetEnvironmentVariable</c> does not reach it, and no
/// launcher calls it).
/// </summary>
public sealed record CompileRequest(string CallId, string CacheRoot, string WorkingDirectory, IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string>? Environment)
{
    public void Write(BinaryWriter w)
    {
        w.Write(CallId);
        w.Write(CacheRoot);
        w.Write(WorkingDirectory);
        w.Write(Argv.Count);
        foreach (string a in Argv) w.Write(a);
        if (Environment is null && ProcessEnvironment.TryWrite(w)) return;
        var environment = Environment ?? ProcessEnvironment.AsDictionary();
        w.Write(environment.Count);
        foreach (var (name, value) in environment)
        {
            w.Write(name);
            w.Write(value);
        }
    }

    public static CompileRequest Read(BinaryReader r)
    {
        string callId = r.ReadString(), root = r.ReadString(), cwd = r.ReadString();
        var argv = new string[Count(r)];
        for (int i = 0; i < argv.Length; i++) argv[i] = r.ReadString();
        int envCount = Count(r);
        var env = new Dictionary<string, string>(envCount, StringComparer.Ordinal);
        for (int i = 0; i < envCount; i++) env.TryAdd(r.ReadString(), r.ReadString()); // the first of a name, as getenv(3) finds
        return new CompileRequest(callId, root, cwd, argv, env);
    }

    /// <summary>A call id unique across processes: the pid and 64 random bits.</summary>
    public static string NewCallId() => $"{System.Environment.ProcessId:x}-{Random.Shared.NextInt64():x16}";

    private static int Count(BinaryReader r) => r.ReadInt32() is var n and >= 0 and <= 1_000_000 ? n
        : throw new InvalidDataException("bad count");
}
