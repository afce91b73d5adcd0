using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Zccache.Cli.Launching;
using Zccache.Core.Configuration;
using Zccache.Core.Diagnostics;
using Zccache.Core.Pipeline;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;
using Zccache.Protocol;

namespace Zccache.Cli.Server;

/// <summary>
/// The resident server of one cache root and one user, as sccache's server and zccache's daemon: launchers hand it
/// their calls, and it serves the hits — the object written to its path, the compiler's output replayed — with the
/// cache, the hash and directory memos and the compiler identities already open and warm. A call that is not a hit
/// is answered "not served" and the launcher does it itself, as without a server. Outcomes of served calls are
/// recorded here, in the sessions this server holds in its <see cref="SessionManager"/> (one writer per session).
/// It exits when idle, when its socket is removed (the cache root with it), or when asked to.
/// </summary>
public sealed class CompileServer
{
    private readonly ServerAddress _address;
    private readonly CacheLayout _layout;
    private readonly TimeSpan _idleTimeout;
    private readonly SessionManager _sessions = new(SessionManager.DefaultIdleTimeout);
    // One open cache per remote configuration the launchers ask for (most builds: one).
    private readonly ConcurrentDictionary<string, (CompileCache Cache, Diagnostic[] Said)> _caches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(SessionId, string?), SessionRecorder> _recorders = new();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _lastActivity = Environment.TickCount64;
    private int _active, _waiting;
    private readonly object _wake = new(); // pulsed by the last call of a closing server: the main loop need not wait out its tick
    private long _served, _notServed;
    private volatile bool _stopping;
    private bool _closing; // see Close
    private volatile bool _listening = true;

    private CompileServer(ServerAddress address, TimeSpan idleTimeout)
    {
        _address = address;
        _layout = new CacheLayout(address.Root);
        _idleTimeout = idleTimeout;
    }

    /// <summary>
    /// Runs the server of <paramref name="address"/> until it is idle, stopped or its socket is gone. Returns 0 then,
    /// or 3 at once when another server already holds the address (not an error: that one serves).
    /// </summary>
    public static int Run(ServerAddress address, TimeSpan idleTimeout, TextWriter log)
    {
        new CacheLayout(address.Root).EnsureCreated();
        Core.Hashing.Sha256.PreferPlatform();
        FileStream held;
        var exclusive = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) exclusive.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try { held = new FileStream(address.LockFile, exclusive); }
        catch (IOException)
        {
            log.WriteLine($"zccache: a server already runs for {address.Root}");
            return 3;
        }
        using (held)
        {
            // The lock is ours: a socket file still there is a dead server's.
            AtomicFile.TryDelete(address.Socket);
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(address.Socket));
            listener.Listen(128);
            // The root is owner-only already; the socket is made so too.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(address.Socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            ulong? inode = Inode(address.Socket);
            log.WriteLine($"zccache: server {Environment.ProcessId} listening on {address.Socket}");
            var server = new CompileServer(address, idleTimeout);
            server.Serve(listener, inode);
            if (Inode(address.Socket) == inode) AtomicFile.TryDelete(address.Socket);
            log.WriteLine($"zccache: server {Environment.ProcessId} exits ({server._served} served, {server._notServed} not served)");
        }
        return 0;
    }

    /// <summary>Takes calls until it is time to go: idle past the timeout, asked to stop, or the socket removed or replaced.</summary>
    private void Serve(Socket listener, ulong? inode)
    {
        StartAcceptor(listener);
        long lastSweep = Environment.TickCount64;
        while (true)
        {
            lock (_wake) Monitor.Wait(_wake, 250);
            long now = Environment.TickCount64;
            bool idle = Volatile.Read(ref _active) == 0 && now - Interlocked.Read(ref _lastActivity) > _idleTimeout.TotalMilliseconds;
            bool leaving = _stopping || Inode(_address.Socket) != inode;
            if ((leaving || idle) && Close(reopenIfBusy: !leaving))
            {
                _listening = false; // the listener is closed next: its acceptors end
                return;
            }
            if (now - lastSweep > 10_000)
            {
                Sweep();
                lastSweep = now;
            }
        }
    }

    /// <summary>
    /// Closes the door: a call accepted from now on is dropped at once, before anything is read or written (its launcher
    /// does the call itself). True when no call is being served, so the server may go; else it waits for them, or, when
    /// it was only idle, opens the door again (a call came in at the last moment).
    /// </summary>
    private bool Close(bool reopenIfBusy)
    {
        Volatile.Write(ref _closing, true);
        Interlocked.MemoryBarrier(); // an acceptor counts its call before it looks at the door: one of the two sees the other
        if (Volatile.Read(ref _active) == 0) return true;
        if (reopenIfBusy) Volatile.Write(ref _closing, false);
        return false;
    }

    /// <summary>
    /// Calls are taken by threads that wait in accept(2): the kernel hands a connection straight to one of them, with no
    /// thread started and no hand-over per call. The last one waiting starts another before it serves (a call blocks on
    /// the disk, and a -j40 build's calls come at once), so one always waits; past a few idle ones, the spare ones end.
    /// </summary>
    private void StartAcceptor(Socket listener)
    {
        Interlocked.Increment(ref _waiting);
        new Thread(() => Accept(listener)) { IsBackground = true, Name = "call" }.Start();
    }

    private void Accept(Socket listener)
    {
        while (true)
        {
            Socket client;
            try { client = listener.Accept(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_listening)
                {
                    Thread.Sleep(50); // out of descriptors or memory for a moment: the socket must stay watched
                    continue;
                }
                Interlocked.Decrement(ref _waiting); // the listener is closed: the server is on its way out
                return;
            }
            Interlocked.Increment(ref _active);
            if (Volatile.Read(ref _closing))
            {
                client.Dispose();
                EndCall();
                continue;
            }
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            if (Interlocked.Decrement(ref _waiting) == 0) StartAcceptor(listener);
            Handle(client);
            if (Interlocked.Increment(ref _waiting) <= SpareAcceptors) continue;
            Interlocked.Decrement(ref _waiting);
            return;
        }
    }

    /// <summary>A call is over: the last one of a closing server lets it go at once.</summary>
    private void EndCall()
    {
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _closing)) lock (_wake) Monitor.PulseAll(_wake);
    }

    /// <summary>Threads kept waiting for calls between bursts.</summary>
    private const int SpareAcceptors = 4;

    private void Handle(Socket client)
    {
        try
        {
            using (client)
            using (var stream = new NetworkStream(client, ownsSocket: false))
            {
                client.ReceiveTimeout = 30_000;
                if (PeerUid(client) != ServerAddress.UserId) return; // another user's process: not a word
                // The request is read through a buffer and the answer sent in one write: a few system calls a call, not one a field.
                var r = ServerProtocol.Reader(new BufferedStream(stream, 64 * 1024));
                var answer = new MemoryStream();
                using (var w = ServerProtocol.Writer(answer)) Answer(r, w);
                stream.Write(answer.GetBuffer(), 0, (int)answer.Length);
            }
        }
        catch (Exception e) when (IsBrokenExchange(e))
        {
            // Nobody to answer: the launcher, if still there, does the call itself.
        }
        finally
        {
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
            EndCall();
        }
    }

    /// <summary>A client that hung up or timed out, or sent what is not a request.</summary>
    private static bool IsBrokenExchange(Exception e) =>
        e is IOException or SocketException or InvalidDataException or FormatException or ObjectDisposedException;

    private void Answer(BinaryReader r, BinaryWriter w)
    {
        var (kind, problem) = ServerProtocol.ReadHeader(r);
        if (problem is not null)
        {
            ServerProtocol.WriteHeader(w, (byte)ReplyKind.Refused);
            w.Write(problem);
            return;
        }
        switch ((RequestKind)kind)
        {
            case RequestKind.Compile: Compile(CompileRequest.Read(r), w); break;
            case RequestKind.Record:
                bool recorded = Record(RecordRequest.Read(r));
                ServerProtocol.WriteHeader(w, (byte)(recorded ? ReplyKind.Recorded : ReplyKind.Refused));
                if (!recorded) w.Write("the outcome was not recorded");
                break;
            case RequestKind.Status:
                ServerProtocol.WriteHeader(w, (byte)ReplyKind.Status);
                new ServerStatus(Environment.ProcessId, _started, _served, _notServed, _sessions.ActiveCount, _address.Root).Write(w);
                break;
            case RequestKind.Stop:
                _stopping = true; // even if the asker does not wait for the answer
                ServerProtocol.WriteHeader(w, (byte)ReplyKind.Stopping);
                break;
        }
    }

    private void Compile(CompileRequest request, BinaryWriter w)
    {
        LauncherReply? reply = null;
        if (request.CacheRoot != _address.Root)
        {
            ServerProtocol.WriteHeader(w, (byte)ReplyKind.Refused);
            w.Write($"this server serves {_address.Root}, not {request.CacheRoot}");
            return;
        }
        try { reply = ServeHit(LauncherCall.Of(request)); }
        // whatever it was, the launcher does the call itself and meets it there
        catch (Exception e) when (e is not OutOfMemoryException) { }
        // Output the thin launcher's capped heap could not hold is replayed by the engine (the call's id keeps it counted once).
        if (reply is null || !ServerProtocol.FitsThinLauncher(reply.Stdout.Length + reply.Stderr.Length))
        {
            Interlocked.Increment(ref _notServed);
            ServerProtocol.WriteHeader(w, (byte)ReplyKind.NotServed);
            return;
        }
        Interlocked.Increment(ref _served);
        ServerProtocol.WriteHeader(w, (byte)ReplyKind.Served);
        w.Write(reply.ExitCode);
        ServerProtocol.WriteBytes(w, reply.Stdout);
        ServerProtocol.WriteBytes(w, reply.Stderr);
    }

    /// <summary>The call served as a hit, or null: everything else is the
    /// launcher's (queries read its stdin, misses run its compiler).</summary>
    private LauncherReply? ServeHit(LauncherCall call)
    {
        if (!ServableCall.MayBeServed(call.Argv, call.Env)) return null;
        var invocation = call.Invocation();
        if (CompileCache.IsQuery(invocation)) return null;
        var diagnostics = new List<Diagnostic>();
        var settings = call.Settings;
        var (cache, said) = CacheFor(settings, call.Environment!);
        if (!cache.IsEnabled) return null;
        diagnostics.AddRange(said);
        SessionRecorder? session = CacheOpening.ParseSessionId(settings, diagnostics) is { } id
            ? Recorder(id, settings.Project, diagnostics) : null;
        CompileResult? result = cache.ServeHit(invocation, session);
        return result is null ? null : Launcher.Reply(result, diagnostics, session);
    }

    // The remote settings and the budget (a remote hit is stored locally) are the launcher's: calls with other settings get
    // a cache of their own.
    private (CompileCache, Diagnostic[]) CacheFor(ZccacheSettings settings, IReadOnlyDictionary<string, string> environment) =>
        _caches.GetOrAdd(ZccacheSettings.RemoteKey(environment) + "\n" + settings.Lookup(ZccacheSettings.Names.CacheSize), _ =>
        {
            var said = new List<Diagnostic>();
            var cache = CacheOpening.Open(settings, _address.Root, said, probe: false);
            return (cache, [.. said]);
        });

    /// <summary>An outcome of a call a launcher did itself, written here: the session's one writer.</summary>
    private bool Record(RecordRequest request)
    {
        if (!SessionId.TryParse(request.SessionId, out var id)) return false;
        if (CompileOutcome.FromJsonLine(request.OutcomeLine) is not { } outcome || Recorder(id, request.Project, []) is not { } recorder)
            return false;
        recorder.RecordLines(outcome, request.JournalLine.Length > 0 ? request.JournalLine : null);
        return recorder.Fault is null;
    }

    /// <summary>This server's recorder for the session and project, made on first use.</summary>
    private SessionRecorder? Recorder(SessionId id, string? project, List<Diagnostic> diagnostics)
    {
        var key = (id, project);
        if (_recorders.TryGetValue(key, out var known) && _sessions.Exists(id))
        {
            _sessions.Touch(id);
            return known;
        }
        return CacheOpening.Join(() =>
        {
            // The dead-man's switch watches the build that created the session (an explicit session has none: idle only).
            var info = new SessionFolder(_layout, id).ReadInfo();
            int owner = info is { Explicit: false, ClientPid: > 0 } ? info.ClientPid : Environment.ProcessId;
            return _recorders[key] = SessionRecorder.Join(_sessions, _layout, id, project, owner);
        }, diagnostics);
    }

    /// <summary>Lets go of the sessions that ended, whose build is gone, or that sat idle: their outcome files are closed.</summary>
    private void Sweep()
    {
        var gone = _sessions.ActiveIds().Where(id => new SessionFolder(_layout, id).IsEnded).ToList();
        foreach (var id in gone) _sessions.End(id);
        gone.AddRange(_sessions.CleanupDeadPids(SessionManager.IsProcessAlive).Select(s => s.Id));
        gone.AddRange(_sessions.CleanupExpired().Select(s => s.Id));
        foreach (var id in gone)
        {
            foreach (var key in _recorders.Keys.Where(k => k.Item1 == id)) _recorders.TryRemove(key, out _);
            new SessionFolder(_layout, id).CloseWriter();
        }
    }

    private static ulong? Inode(string path) => Core.Hashing.FileStamp.InodeOf(path);

    /// <summary>The user of the process at the other end (SO_PEERCRED: pid, uid, gid).</summary>
    private static uint PeerUid(Socket socket)
    {
        Span<byte> cred = stackalloc byte[12];
        int n = socket.GetRawSocketOption(SolSocket, SoPeerCred, cred);
        return n >= 12 ? MemoryMarshal.Read<uint>(cred[4..]) : uint.MaxValue;
    }

    private const int SolSocket = 1, SoPeerCred = 17;
}
