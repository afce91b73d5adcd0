using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Zccache.Testing;

/// <summary>
/// A real server (nginx, redis-server) the tests start on 127.0.0.1 and a free port, as one
/// foreground process, and kill on <see cref="Stop"/> or dispose: the remote cache they share.
/// </summary>
public abstract class LocalServer : IDisposable
{
    private Process? _process;

    protected LocalServer(string root)
    {
        Root = root;
        Directory.CreateDirectory(root);
        Port = FreePort();
    }

    public string Root { get; }
    public int Port { get; }
    public abstract string Url { get; }
    /// <summary>How many values the remote holds.</summary>
    public abstract int Count { get; }

    protected void Start(string executable, IEnumerable<string> args, Dictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
            WorkingDirectory = Root
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? []) start.Environment[k] = v;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 200 && !Ready(); i++) Thread.Sleep(50);
        if (Ready()) return;
        Stop();
        throw new InvalidOperationException($"{executable} is not listening on {Port}");
    }

    /// <summary>Whether the server started takes requests: by default, it accepts a connection on <see cref="Port"/>.</summary>
    protected virtual bool Ready() => Listening();

    public void Stop()
    {
        if (_process is not { HasExited: false } p) return;
        if (StopSignal is { } signal) Signal(signal);
        else p.Kill();
        p.WaitForExit();
    }

    /// <summary>The signal that stops the server with what it started (distccd's workers); null: SIGKILL to the one process.</summary>
    protected virtual string? StopSignal => null;

    /// <summary>SIGSTOP: the server keeps its connections but answers nothing (a hung remote); <see cref="Resume"/> undoes it.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    protected void Signal(string signal)
    {
        if (_process is not { HasExited: false } p) return;
        using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString()])!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Resume();
        Stop();
    }

    private bool Listening()
    {
        try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, Port); return true; }
        catch (SocketException) { return false; }
    }

    protected static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>nginx with WebDAV PUT serving a temporary folder.</summary>
public sealed class WebDavServer : LocalServer
{
    public WebDavServer(string root) : base(root)
    {
        Directory.CreateDirectory(Path.Join(root, "data"));
        string conf = Path.Join(root, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            master_process off;
            pid {{root}}/nginx.pid;
            error_log {{root}}/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path {{root}}/body;
              client_max_body_size 200m;
              server {
                listen 127.0.0.1:{{Port}};
                location /cache/ {
                  root {{root}}/data;
                  dav_methods PUT DELETE;
                  create_full_put_path on;
                }
              }
            }
            """);
        Start("nginx", ["-c", conf, "-p", root]);
    }

    public override string Url => $"http://127.0.0.1:{Port}/cache";

    public override int Count =>
        Directory.Exists(Path.Join(Root, "data", "cache"))
        ? Directory.GetFiles(Path.Join(Root, "data", "cache"), "*", SearchOption.AllDirectories).Length : 0;

    /// <summary>Every value's file, for tests that damage them.</summary>
    public string[] Files => Directory.GetFiles(Path.Join(Root, "data", "cache"), "*", SearchOption.AllDirectories);
}

/// <summary>redis-server without persistence; with <paramref name="cluster"/>,
/// a Redis Cluster node (see <see cref="RedisCluster"/>); with <paramref name="tls"/>, also on a TLS port
/// (<see cref="Url"/> is then <c>rediss://</c>) whose certificate, for 127.0.0.1, is signed by a CA of its own (<see cref="CaFile"/>).</summary>
public sealed class RedisServer : LocalServer
{
    private readonly int? _tlsPort;

    public RedisServer(string root, bool cluster = false, bool tls = false) : base(root)
    {
        List<string> args = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", root];
        // The bus port is a free one of its own: the default (port + 10000) may be past 65535 or taken.
        if (cluster)
            args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", FreePort().ToString(),
                "--cluster-node-timeout", "1000"]);
        if (tls)
        {
            _tlsPort = FreePort();
            var (cert, key) = TestCertificates.ServerFor127(root);
            args.AddRange(["--tls-port", _tlsPort.Value.ToString(), "--tls-cert-file", cert, "--tls-key-file", key,
                "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "no"]);
        }
        Start("redis-server", args);
    }

    public override string Url => _tlsPort is { } tls ? $"rediss://127.0.0.1:{tls}" : $"redis://127.0.0.1:{Port}";

    /// <summary>The CA that signed the TLS port's certificate (PEM): what a client must trust, e.g. through SSL_CERT_FILE.</summary>
    public string CaFile => Path.Join(Root, TestCertificates.CaFileName);

    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>DBSIZE: the values this node holds.</summary>
    public override int Count => int.Parse(Ask("DBSIZE")[1..].Trim());

    /// <summary>One command in Redis's own protocol, its reply as text ("+OK", ":4", "$n…").</summary>
    public string Ask(params string[] command)
    {
        using var c = new TcpClient();
        c.Connect(IPAddress.Loopback, Port);
        using var s = c.GetStream();
        var request = new System.Text.StringBuilder($"*{command.Length}\r\n");
        foreach (string word in command) request.Append($"${System.Text.Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        s.Write(System.Text.Encoding.UTF8.GetBytes(request.ToString()));
        var reply = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        do reply.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, s.Read(buffer))); // small replies: whole once the final CRLF came
        while (!reply.ToString().EndsWith("\r\n", StringComparison.Ordinal));
        string text = reply.ToString();
        return text.StartsWith('-') ? throw new InvalidOperationException(text.Trim()) : text;
    }
}

/// <summary>
/// A Redis Cluster of three primaries (no replicas) on 127.0.0.1, made by <c>redis-cli --cluster create</c>; it
/// returns once every node says <c>cluster_state:ok</c>.
/// </summary>
public sealed class RedisCluster : IDisposable
{
    public RedisCluster(string root)
    {
        try { Create(root); }
        catch
        {
            Dispose(); // the test never gets this object to dispose: no node may outlive it
            throw;
        }
    }

    private void Create(string root)
    {
        for (int i = 0; i < Nodes.Length; i++) Nodes[i] = new RedisServer(Path.Join(root, $"node{i}"), cluster: true);
        var create = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])["--cluster", "create", .. Nodes.Select(n => n.EndPoint), "--cluster-replicas", "0",
            "--cluster-yes"])
            create.ArgumentList.Add(a);
        using (var p = Process.Start(create)!)
        {
            var output = p.StandardOutput.ReadToEndAsync();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"redis-cli --cluster create failed: {output.Result}{error}");
        }
        var waited = Stopwatch.StartNew();
        while (!Nodes.All(n => n.Ask("CLUSTER", "INFO").Contains("cluster_state:ok")))
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(1)) throw new InvalidOperationException("the cluster never reached cluster_state:ok");
            Thread.Sleep(50);
        }
    }

    public RedisServer[] Nodes { get; } = new RedisServer[3];

    /// <summary>The URL naming one node: the client finds the others.</summary>
    public string Url => Nodes[0].Url;

    /// <summary>The URL naming every node.</summary>
    public string UrlOfAll => "redis://" + string.Join(',', Nodes.Select(n => n.EndPoint));

    public int Count => Nodes.Sum(n => n.Count);

    public void Dispose()
    {
        foreach (var n in Nodes) n?.Dispose();
    }
}

/// <summary>
/// distccd on 127.0.0.1 accepting only 127.0.0.1, logging each job it runs. As root it drops to its own user, so
/// its folder is a fresh one under the temporary folder with a log file anyone may write.
/// </summary>
public sealed class DistccServer : LocalServer
{
    public DistccServer() : base(Path.Join(Path.GetTempPath(), "zccache-distccd-" + Guid.NewGuid().ToString("N")[..8]))
    {
        File.WriteAllText(LogFile, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(LogFile, (UnixFileMode)0b110_110_110);
        }
        Start("distccd", ["--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen", "127.0.0.1", "--port", Port.ToString(),
            "--log-file", LogFile, "--log-level", "info"]);
    }

    public string LogFile => Path.Join(Root, "distccd.log");

    // distccd runs in a process group of its own and stops its workers on SIGTERM.
    protected override string? StopSignal => "TERM";

    public override string Url => $"127.0.0.1:{Port}";

    /// <summary>The environment that sends distcc's compiles here and only here: no local fallback, no local retry.</summary>
    public Dictionary<string, string?> ClientEnvironment => new()
    {
        ["DISTCC_HOSTS"] = Url, ["DISTCC_FALLBACK"] = "0", ["DISTCC_SKIP_LOCAL_RETRY"] = "1", ["DISTCC_VERBOSE"] = null,
    };

    /// <summary>The source of each job distccd ran, in order ("compile from a.c to a.o").</summary>
    public IReadOnlyList<string> Compiles =>
        [.. File.ReadAllLines(LogFile).Select(l => System.Text.RegularExpressions.Regex.Match(l, @"\] compile from (.+) to "))
            .Where(m => m.Success).Select(m => m.Groups[1].Value)];

    public override int Count => Compiles.Count;

    /// <summary>Stops distccd and removes its folder (its own, under the temporary folder).</summary>
    public new void Dispose()
    {
        base.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>
/// An icecream farm on this machine: <c>icecc-scheduler</c>, a remote <c>iceccd</c> that compiles, and the local
/// <c>iceccd</c> the client talks to (<c>--no-remote</c>, its jobs sent away as if from another machine), each on
/// free ports, its own socket, a net name of its own (no other farm joins it), in a fresh folder anyone may write:
/// as root, both drop to the icecc user (the remote one keeping CAP_SYS_CHROOT for its compile chroots).
/// ICECC_TESTS, set for the three, keeps their broadcasts on the loopback interface; they listen on every interface
/// (with <c>-i lo</c> the daemons never logged in to the scheduler).
/// </summary>
public sealed class IcecreamFarm : IDisposable
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "zccache-icecc-" + Guid.NewGuid().ToString("N")[..8]);
    private IcecreamProcess? _scheduler, _remote, _local;

    public IcecreamFarm()
    {
        try { Start(); }
        catch
        {
            Dispose(); // a test whose constructor throws is not disposed: nothing may outlive it
            throw;
        }
    }

    private void Start()
    {
        Directory.CreateDirectory(_root);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_root, (UnixFileMode)0b111_111_111);
        string net = "zccache" + Guid.NewGuid().ToString("N")[..8];
        _scheduler = new(_root, "scheduler", port => ("icecc-scheduler", ["-n", net, "-p", port, "-l", Log("scheduler"), "-vvv"]),
            new() { ["ICECC_TESTS"] = "1" });
        string at = $"127.0.0.1:{_scheduler.Port}";
        _remote = new(_root, "remote",
            port => ("iceccd", ["-n", net, "-s", at, "-p", port, "-N", RemoteName, "-b", Path.Join(_root, "remote", "envs"),
                "-l", Log("remote"), "-vvv", "-m", "2"]),
            new()
            {
                ["ICECC_TEST_SOCKET"] = Path.Join(_root, "remote.socket"), ["ICECC_TESTS"] = "1",
                ["ICECC_TEST_FLUSH_LOG_MARK"] = FlushMark
            });
        _local = new(_root, "local",
            port => ("iceccd",
                ["--no-remote", "-n", net, "-s", at, "-p", port, "-N", "zccache-local", "-b", Path.Join(_root, "local", "envs"),
                "-l", Log("local"), "-vvv", "-m", "2"]),
            new() { ["ICECC_TEST_SOCKET"] = LocalSocket, ["ICECC_TEST_REMOTEBUILD"] = "1", ["ICECC_TESTS"] = "1" }, LocalSocket);
        // Both daemons log in to the scheduler within a few seconds (they retry every 3).
        var waited = Stopwatch.StartNew();
        while (!(LoggedIn("remote") && LoggedIn("local")))
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(1))
                throw new InvalidOperationException("the icecream daemons never reached their scheduler");
            Thread.Sleep(100);
        }
    }

    private const string RemoteName = "zccache-remote";
    private string LocalSocket => Path.Join(_root, "local.socket");
    private string Log(string name) => Path.Join(_root, name + ".log");

    private bool LoggedIn(string daemon) => File.Exists(Log(daemon)) && File.ReadAllText(Log(daemon)).Contains("Connected to scheduler");

    /// <summary>
    /// The client's environment: the local daemon's socket, and the remote daemon preferred (with both on 127.0.0.1,
    /// the scheduler keeps jobs on the submitting node otherwise, and icecc would compile them here).
    /// </summary>
    public Dictionary<string, string?> ClientEnvironment => new()
    {
        ["ICECC_TEST_SOCKET"] = LocalSocket, ["ICECC_TEST_REMOTEBUILD"] = "1", ["ICECC_PREFERRED_HOST"] = RemoteName,
        ["ICECC_DEBUG"] = null,
    };

    /// <summary>The source of each job the remote daemon compiled, in order.</summary>
    public IReadOnlyList<string> Compiles
    {
        get
        {
            // SIGHUP makes iceccd reopen its log and write the mark file's text there: once it is in, so is every line before it.
            string mark = Guid.NewGuid().ToString("N");
            File.WriteAllText(FlushMark, mark);
            _remote!.Hangup();
            var waited = Stopwatch.StartNew();
            while (!File.ReadAllText(Log("remote")).Contains("flush log mark: " + mark))
            {
                if (waited.Elapsed > TimeSpan.FromMinutes(1)) throw new InvalidOperationException("iceccd did not flush its log");
                Thread.Sleep(50);
            }
            return [.. File.ReadAllLines(Log("remote"))
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, @": remote compile for file (.+)$"))
                .Where(m => m.Success).Select(m => m.Groups[1].Value.Trim())];
        }
    }

    private string FlushMark => Path.Join(_root, "flush-mark");

    public void Dispose()
    {
        _local?.Dispose();
        _remote?.Dispose();
        _scheduler?.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    private sealed class IcecreamProcess : LocalServer
    {
        private readonly string? _socket;

        /// <param name="socket">The socket a daemon without a port (<c>--no-remote</c>) is ready once it made.</param>
        public IcecreamProcess(string root, string name, Func<string, (string Executable, string[] Args)> command,
            Dictionary<string, string> env, string? socket = null)
            : base(Path.Join(root, name))
        {
            _socket = socket;
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Root, (UnixFileMode)0b111_111_111);
            var (executable, args) = command(Port.ToString());
            Start(executable, args, env);
        }

        protected override bool Ready() => _socket is null ? base.Ready() : File.Exists(_socket);

        public void Hangup() => Signal("HUP");

        // iceccd stops its compile jobs on SIGTERM.
        protected override string? StopSignal => "TERM";

        public override string Url => $"127.0.0.1:{Port}";

        public override int Count => 0;
    }
}

/// <summary>A CA and a server certificate it signed for 127.0.0.1 (and localhost), written as PEM files, for TLS servers.</summary>
public static class TestCertificates
{
    public const string CaFileName = "ca.pem";

    /// <summary>Writes ca.pem, server.pem and server.key into <paramref name="folder"/>; returns the last two.</summary>
    public static (string Certificate, string Key) ServerFor127(string folder)
    {
        var from = DateTimeOffset.UtcNow.AddDays(-1);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=zccache test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(from, from.AddDays(3));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var certificate = request.Create(ca, from, from.AddDays(2), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(Path.Join(folder, CaFileName), ca.ExportCertificatePem());
        string certificateFile = Path.Join(folder, "server.pem"), keyFile = Path.Join(folder, "server.key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }
}
