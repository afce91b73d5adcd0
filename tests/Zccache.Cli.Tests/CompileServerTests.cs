using System.Net.Sockets;
using Zccache.Cli.Server;
using Zccache.Protocol;

namespace Zccache.Cli.Tests;

/// <summary>The server's protocol, in-process: what it refuses, what it answers, and that one address has one server.</summary>
public sealed class CompileServerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("zccache-srv-").FullName;
    private readonly ServerAddress _address;
    private readonly Thread _server;
    private int _exit = -1;

    public CompileServerTests()
    {
        _address = ServerAddress.For(_root, ServerClient.EngineFile)!;
        // In the background: a server that never answered is not stopped by Dispose (not called after a failed constructor).
        _server = new Thread(() => _exit = CompileServer.Run(_address, TimeSpan.FromMinutes(5), TextWriter.Null)) { IsBackground = true };
        _server.Start();
        for (int i = 0; !Answers(); i++)
        {
            // A server that is not up after ten seconds (or has exited) fails the test here, with its exit code, not
            // later at whichever request happens to come first.
            if (i == 400 || !_server.IsAlive) throw new InvalidOperationException($"the server did not start (exit code {_exit}).");
            Thread.Sleep(25);
        }
    }

    private bool Answers()
    {
        try
        {
            return Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Status), r =>
            ServerProtocol.ReadHeader(r).Kind == (byte)ReplyKind.Status);
        }
        catch (Exception e) when (e is SocketException or IOException) { return false; }
    }

    public void Dispose()
    {
        if (_server.IsAlive) Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Stop), _ => 0);
        _server.Join(TimeSpan.FromSeconds(30));
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// One request, sent as the launcher sends it: the whole frame in one write. Written field by field onto the socket,
    /// the last write can come after the server has read the whole request, answered and closed (an empty byte array
    /// is a write of nothing after the last byte): it then fails with EPIPE.
    /// </summary>
    private T Ask<T>(Action<BinaryWriter> request, Func<BinaryReader, T> answer)
    {
        var frame = new MemoryStream();
        using (var w = ServerProtocol.Writer(frame)) request(w);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_address.Socket));
        using var stream = new NetworkStream(socket);
        stream.Write(frame.GetBuffer(), 0, (int)frame.Length);
        using var r = ServerProtocol.Reader(stream);
        return answer(r);
    }

    [Fact]
    public void A_request_of_another_protocol_version_is_refused_with_the_reason()
    {
        var (kind, problem, reason) = Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Status, version: 7), r =>
        {
            var (k, p) = ServerProtocol.ReadHeader(r);
            return (k, p, r.ReadString());
        });
        Assert.Equal(((byte)ReplyKind.Refused, (string?)null), (kind, problem));
        Assert.Equal("the peer speaks protocol 7, this zccache 2", reason);
    }

    [Fact]
    public void A_call_for_another_cache_root_is_refused()
    {
        var call = new CompileRequest("1-2", "/elsewhere", _root, ["gcc", "-c", "a.c"], new Dictionary<string, string>());
        var (kind, reason) = Ask(w =>
        {
            ServerProtocol.WriteHeader(w, (byte)RequestKind.Compile);
            call.Write(w);
        }, r => (ServerProtocol.ReadHeader(r).Kind, r.ReadString()));
        Assert.Equal((byte)ReplyKind.Refused, kind);
        Assert.Contains("not /elsewhere", reason);
    }

    [Fact]
    public void A_call_that_is_not_a_hit_is_not_served_and_leaves_nothing()
    {
        File.WriteAllText(Path.Join(_root, "a.c"), "int a(void) { return 1; }\n");
        var call = new CompileRequest("1-3", _address.Root, _root, ["gcc", "-c", "a.c", "-o", "a.o"],
            new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! });
        var kind = Ask(w =>
        {
            ServerProtocol.WriteHeader(w, (byte)RequestKind.Compile);
            call.Write(w);
        }, r => ServerProtocol.ReadHeader(r).Kind);
        Assert.Equal((byte)ReplyKind.NotServed, kind);
        Assert.False(File.Exists(Path.Join(_root, "a.o"))); // the miss is the launcher's to compile
    }

    [Fact]
    public void Calls_that_hang_do_not_keep_the_next_call_waiting()
    {
        // Twelve launchers connected and silent (each holds a thread in its read of the request, as a call blocked on
        // the disk does): the next call is still taken at once, by a thread started for it.
        var silent = new List<Socket>();
        try
        {
            for (int i = 0; i < 12; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                s.Connect(new UnixDomainSocketEndPoint(_address.Socket));
                silent.Add(s);
            }
            var answered = Task.Run(() => Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Status),
                r => ServerProtocol.ReadHeader(r).Kind));
            Assert.True(answered.Wait(TimeSpan.FromSeconds(10)), "the call was not taken while others hung");
            Assert.Equal((byte)ReplyKind.Status, answered.Result);
        }
        finally
        {
            foreach (var s in silent) s.Dispose();
        }
    }

    [Fact]
    public void One_address_has_one_server_and_status_names_it()
    {
        Assert.Equal(3, CompileServer.Run(_address, TimeSpan.FromMinutes(1), TextWriter.Null));
        var status = Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Status), r =>
        {
            Assert.Equal((byte)ReplyKind.Status, ServerProtocol.ReadHeader(r).Kind);
            return ServerStatus.Read(r);
        });
        Assert.Equal((Environment.ProcessId, _address.Root, 0L), (status.Pid, status.Root, status.Served));

        Ask(w => ServerProtocol.WriteHeader(w, (byte)RequestKind.Stop), r => ServerProtocol.ReadHeader(r).Kind);
        Assert.True(_server.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, _exit);
        Assert.False(File.Exists(_address.Socket));
    }

    [Fact]
    public void An_outcome_a_launcher_hands_over_is_written_in_the_session_once_per_call()
    {
        var layout = new Core.Storage.CacheLayout(_root);
        var id = Core.Sessions.SessionId.New();
        var folder = new Core.Sessions.SessionFolder(layout, id);
        folder.EnsureCreated(Environment.ProcessId, isExplicit: true, _root);
        byte[] line = new Core.Sessions.CompileOutcome
        {
            Kind = Core.Sessions.OutcomeKind.Miss, Source = "/src/a.c", Project = "app",
            Call = "7-1"
        }.ToJsonLine();

        for (int i = 0; i < 2; i++) // the same call twice (a launcher that could not tell whether the first one arrived)
        {
            var kind = Ask(w =>
            {
                ServerProtocol.WriteHeader(w, (byte)RequestKind.Record);
                new RecordRequest(id.ToString(), "app", line, []).Write(w);
            }, r => ServerProtocol.ReadHeader(r).Kind);
            Assert.Equal((byte)ReplyKind.Recorded, kind);
        }
        var outcome = Assert.Single(folder.ReadOutcomes());
        Assert.Equal(("/src/a.c", "app", "7-1"), (outcome.Source, outcome.Project, outcome.Call));
        Assert.Single(Directory.GetFiles(Path.Join(folder.Path, "outcomes")), f =>
            Path.GetFileName(f).StartsWith($"{Environment.ProcessId}-", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cache_root_too_long_for_a_socket_path_has_no_server()
    {
        Assert.Null(ServerAddress.For("/tmp/" + new string('x', 110), ServerClient.EngineFile));
    }
}
