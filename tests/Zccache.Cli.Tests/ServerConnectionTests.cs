using System.Net.Sockets;
using Zccache.Protocol;

namespace Zccache.Cli.Tests;

/// <summary>
/// The launcher's side of the socket against peers that are not a healthy server: none there, a dead one's socket,
/// one that hangs up mid-answer, one that answers before reading the request. None of them throws or is taken for a hit.
/// </summary>
public sealed class ServerConnectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("zccache-conn-").FullName;
    private ServerAddress Address => new(_root, Path.Join(_root, "peer.sock"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CompileRequest Call(string root) =>
        new("1-2", root, "/", ["gcc", "-c", "a.c"], new Dictionary<string, string> { ["PATH"] = "/usr/bin" });

    [Fact]
    public void No_socket_is_no_server()
    {
        var answer = ServerConnection.Compile(Address, Call(_root));
        Assert.Equal((ReplyKind.NotServed, true, (string?)null), (answer.Kind, answer.NoServer, answer.Problem));
    }

    [Fact]
    public void A_dead_servers_socket_is_no_server()
    {
        // Bound, never listening: connecting is refused, as at the socket file of a server that was killed.
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(Address.Socket));
        Assert.True(File.Exists(Address.Socket));
        var answer = ServerConnection.Compile(Address, Call(_root));
        Assert.Equal((true, (string?)null), (answer.NoServer, answer.Problem));
        Assert.Null(ServerConnection.Ask(Address, RequestKind.Status));
        Assert.False(ServerConnection.Record(Address, new RecordRequest("s", null, [1], [])));
    }

    [Fact]
    public void A_peer_that_hangs_up_mid_answer_fails_the_call_with_the_reason()
    {
        using var peer = Peer(s =>
        {
            Read(s, 7);
            s.Send([0x5A, 0x43, 0x53]); // half a magic number
        });
        var answer = ServerConnection.Compile(Address, Call(_root));
        Assert.Equal((ReplyKind.Refused, false), (answer.Kind, answer.NoServer));
        Assert.StartsWith("it did not answer", answer.Problem);
    }

    [Fact]
    public void A_refusal_sent_before_the_request_is_read_still_arrives()
    {
        // The server refuses another version after the header and closes with the body unread: the connection is reset,
        // and what it sent must still be read.
        using var peer = Peer(s =>
        {
            Read(s, 7);
            s.Send(Frame((byte)ReplyKind.Refused, w => w.Write("not now")));
        });
        var request = Call(_root) with { Argv = ["gcc", new string('x', 2_000_000)] }; // more than the socket buffers hold
        var answer = ServerConnection.Compile(Address, request);
        Assert.Equal((ReplyKind.Refused, "not now"), (answer.Kind, answer.Problem));
    }

    [Fact]
    public void An_answer_of_zeros_is_no_hit()
    {
        // Our header, then nothing but zeros (a peer's buffer never filled in): a hit would print nothing and exit 0.
        using var peer = Peer(s =>
        {
            Read(s, 7);
            s.Send(Frame(0, w => w.Write(new byte[12])));
        });
        var answer = ServerConnection.Compile(Address, Call(_root));
        Assert.Equal((ReplyKind.Refused, "unexpected answer 0"), (answer.Kind, answer.Problem));
    }

    [Fact]
    public void A_peer_of_another_protocol_is_not_waited_on_for_more_than_its_header()
    {
        // It answers with protocol 99 at once and then only reads, until the launcher hangs up.
        using var peer = Peer(s =>
        {
            s.Send([0x5A, 0x43, 0x53, 0x56, 99, 0, 0]);
            var buffer = new byte[65536];
            while (s.Receive(buffer) > 0) { }
        });
        var answer = ServerConnection.Compile(Address, Call(_root));
        Assert.Equal((ReplyKind.Refused, "the peer speaks protocol 99, this zccache 2"), (answer.Kind, answer.Problem));
    }

    /// <summary>An answer as a server frames it: our header with <paramref name="kind"/>, then the body.</summary>
    private static byte[] Frame(byte kind, Action<BinaryWriter> body)
    {
        var frame = new MemoryStream();
        using (var w = ServerProtocol.Writer(frame))
        {
            ServerProtocol.WriteHeader(w, kind);
            body(w);
        }
        return frame.ToArray();
    }

    private static void Read(Socket s, int count)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
            got += s.Receive(buffer, got, count - got, SocketFlags.None) is > 0 and var n ? n : throw new IOException("closed");
    }

    /// <summary>A one-call peer on the test's socket, that does <paramref name="act"/> and closes.</summary>
    private IDisposable Peer(Action<Socket> act)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Address.Socket));
        listener.Listen(1);
        var thread = new Thread(() =>
        {
            using var s = listener.Accept();
            act(s);
        })
        { IsBackground = true };
        thread.Start();
        return new Stop(() => { thread.Join(TimeSpan.FromSeconds(10)); listener.Dispose(); });
    }

    private sealed class Stop(Action stop) : IDisposable
    {
        public void Dispose() => stop();
    }
}
