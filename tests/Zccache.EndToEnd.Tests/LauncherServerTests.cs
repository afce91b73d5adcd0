using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// The packed launcher's resident server: hits served by it are the compiler's own bytes, a server killed in the middle
/// of a parallel build loses nothing and counts nothing twice, servers of other caches and users never mix, an idle one
/// goes, and a peer that speaks another protocol (or dies mid-call) leaves the call to the launcher with one warning.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class LauncherServerTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = Workspace.WithFolder(feed, "server", "src");

    public void Dispose()
    {
        Zccache(Env(), "server-stop");
        _ws.Dispose();
    }

    private Dictionary<string, string?> Env(string? cacheDir = null) => new()
    {
        ["ZCCACHE_CACHE_DIR"] = cacheDir ?? _ws.CacheDir, ["ZCCACHE_SESSION_ID"] = null, ["ZCCACHE_SERVER"] = null, ["LC_ALL"] = "C",
    };

    private ProcessOutput Zccache(Dictionary<string, string?> env, params string[] args) =>
        Dotnet.Run(_ws["src"], args, env, feed.Launcher);

    private JsonElement Status(Dictionary<string, string?> env)
    {
        var status = Zccache(env, "status", "--json");
        Assert.True(status.ExitCode == 0, status.Output);
        return JsonDocument.Parse(status.Output).RootElement.GetProperty("server");
    }

    private void Sources(int count)
    {
        _ws.Write("src/common.h", "#define SCALE 3\n");
        for (int i = 0; i < count; i++)
            File.SetLastWriteTimeUtc(_ws.Write($"src/s{i:D2}.c", $"#include \"common.h\"\nint f{i}(int x) {{ return x * SCALE + {i}; }}\n"),
                DateTime.UtcNow.AddMinutes(-1));
        File.SetLastWriteTimeUtc(_ws["src/common.h"], DateTime.UtcNow.AddMinutes(-1));
    }

    private byte[] Plain(string source)
    {
        var r = Dotnet.Run(_ws["src"], ["-c", source, "-o", "plain.o"], Env(), "gcc");
        Assert.True(r.ExitCode == 0, r.Output);
        byte[] bytes = File.ReadAllBytes(_ws["src/plain.o"]);
        File.Delete(_ws["src/plain.o"]);
        return bytes;
    }

    [Fact]
    public void Hits_are_served_by_the_server_byte_identical_and_an_edit_is_compiled_by_the_launcher()
    {
        Sources(2);
        var env = Env();
        var session = Zccache(env, "session-start");
        Assert.True(session.ExitCode == 0, session.Output);
        env["ZCCACHE_SESSION_ID"] = session.Output.Trim();
        var cold = Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o");      // a miss, done by the launcher (it makes the cache)
        Assert.True(cold.ExitCode == 0, cold.Output);
        var started = Zccache(env, "server-start");
        Assert.True(started.ExitCode == 0, started.Output);
        Assert.Equal(0, Status(env).GetProperty("served").GetInt32());

        File.Delete(_ws["src/s00.o"]);
        var warm = Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o");
        Assert.True(warm.ExitCode == 0, warm.Output);
        Assert.Equal("", warm.Output);
        Assert.Equal(Plain("s00.c"), File.ReadAllBytes(_ws["src/s00.o"]));
        var server = Status(env);
        Assert.Equal((1, 0), (server.GetProperty("served").GetInt32(), server.GetProperty("not_served").GetInt32()));

        // The header changes under the warm server: not served, compiled by the launcher, the new bytes.
        File.WriteAllText(_ws["src/common.h"], "#define SCALE 5\n");
        var edited = Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o");
        Assert.True(edited.ExitCode == 0, edited.Output);
        Assert.Equal(Plain("s00.c"), File.ReadAllBytes(_ws["src/s00.o"]));
        server = Status(env);
        Assert.Equal((1, 1), (server.GetProperty("served").GetInt32(), server.GetProperty("not_served").GetInt32()));
        // and the result the launcher stored is the server's next hit.
        File.Delete(_ws["src/s00.o"]);
        Assert.Equal(0, Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
        Assert.Equal(Plain("s00.c"), File.ReadAllBytes(_ws["src/s00.o"]));
        server = Status(env);
        Assert.Equal((2, 1), (server.GetProperty("served").GetInt32(), server.GetProperty("active_sessions").GetInt32()));

        // The session has one writer once the server runs: the cold miss's own file, then the server's, holding the
        // two hits it served and the miss the launcher compiled (and handed to it to record).
        string outcomes = Path.Join(_ws.CacheDir, "sessions", env["ZCCACHE_SESSION_ID"]!, "outcomes");
        int pid = server.GetProperty("pid").GetInt32();
        Assert.Equal(2, Directory.GetFiles(outcomes).Length);
        Assert.Equal(["hit", "miss", "hit"], Directory.GetFiles(outcomes, $"{pid}-*.jsonl").SelectMany(File.ReadAllLines)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("outcome").GetString()!));
        var end = JsonDocument.Parse(Zccache(env, "session-end", env["ZCCACHE_SESSION_ID"]!, "--json").Output).RootElement;
        Assert.Equal((4, 2, 2),
            (end.GetProperty("compilations").GetInt32(), end.GetProperty("hits").GetInt32(), end.GetProperty("misses").GetInt32()));
    }

    [Fact]
    public void A_served_hits_warnings_land_in_a_log_file_as_the_compilers_own_where_the_shell_sends_them()
    {
        // `make > build.log 2>&1`: stdout and stderr share one file and its offset, and the shell writes on after the
        // compile. The replayed warning must be where gcc itself would have put it, and not be overwritten.
        _ws.Write("src/warn.c", "int f(int x) { int unused; return x; }\n");
        var env = Env();
        string Logged(string command)
        {
            var r = Dotnet.Run(_ws["src"], ["-c", $"{{ {command} -Wall -c warn.c -o warn.o; echo AFTER; }} > build.log 2>&1"], env, "sh");
            Assert.True(r.ExitCode == 0, r.Output);
            return File.ReadAllText(_ws["src/build.log"]);
        }
        string plain = Logged("gcc");
        Assert.Contains("warning: unused variable", plain);
        Assert.Equal(0, Zccache(env, "gcc", "-Wall", "-c", "warn.c", "-o", "warn.o").ExitCode); // stored
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        File.Delete(_ws["src/warn.o"]);
        Assert.Equal(plain, Logged(feed.Launcher + " gcc"));
        Assert.Equal(1, Status(env).GetProperty("served").GetInt32());
    }

    [Fact]
    public void A_server_killed_in_the_middle_of_a_parallel_build_of_40_sources_loses_nothing_and_counts_each_compile_once()
    {
        Sources(40);
        // Each compile waits a little, so that the kill lands while compiles are in flight.
        _ws.Write("src/Makefile", """
            SRCS := $(wildcard s*.c)
            OBJS := $(SRCS:.c=.o)
            prog: $(OBJS) main.o
            	$(CC) -o $@ $^
            %.o: %.c
            	@sleep 0.05
            	$(CC) -c $< -o $@
            """.Replace("\n    ", "\n").Replace("    ", "\t"));
        _ws.Write("src/main.c", "int f39(int); int main(void) { return f39(1) == 42 ? 0 : 1; }\n");
        var env = Env();
        var session = Zccache(env, "session-start");
        Assert.True(session.ExitCode == 0, session.Output);
        env["ZCCACHE_SESSION_ID"] = session.Output.Trim();
        string make = $"CC={feed.Launcher} gcc";

        var cold = Dotnet.Run(_ws["src"], ["-j4", make], env, "make");
        Assert.True(cold.ExitCode == 0, cold.Output);
        var coldObjects = _ws.Objects("src");
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        int pid = Status(env).GetProperty("pid").GetInt32();
        foreach (string o in Directory.GetFiles(_ws["src"], "*.o")) File.Delete(o);
        File.Delete(_ws["src/prog"]);

        string outcomes = Path.Join(_ws.CacheDir, "sessions", env["ZCCACHE_SESSION_ID"]!, "outcomes");
        int ServedSoFar() => Directory.GetFiles(outcomes, $"{pid}-*.jsonl").Sum(f => File.ReadAllLines(f).Length);
        var warm = Dotnet.Run(_ws["src"], ["-j4", make], env, "make", whileRunning: _ =>
        {
            var waited = Stopwatch.StartNew();
            while (ServedSoFar() < 5 && waited.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Process.GetProcessById(pid).Kill(); // SIGKILL
        });
        Assert.True(warm.ExitCode == 0, warm.Output);
        Assert.True(ServedSoFar() >= 5, "the server was killed before it served anything");

        Assert.Equal(coldObjects, _ws.Objects("src"));
        Assert.Equal(0, Dotnet.Run(_ws["src"], [], env, _ws["src/prog"]).ExitCode);
        var end = Zccache(env, "session-end", env["ZCCACHE_SESSION_ID"]!, "--json");
        var stats = JsonDocument.Parse(end.Output).RootElement;
        // 41 compiles cold, 41 warm (the link is not a compile here: gcc -o with objects only is a link, counted apart).
        Assert.Equal((82, 41, 41),
            (stats.GetProperty("compilations").GetInt32(), stats.GetProperty("hits").GetInt32(), stats.GetProperty("misses").GetInt32()));
    }

    [Fact]
    public void A_warm_server_keys_each_call_by_the_callers_environment_compiler_and_folder_not_its_own()
    {
        // The server was started with one environment; every call brings its own. What the caller's differs in must be a
        // miss done by the launcher (not served), with the compiler's own bytes; a hit is served only for the same inputs.
        void Settled(string name, string text) => File.SetLastWriteTimeUtc(_ws.Write("src/" + name, text), DateTime.UtcNow.AddMinutes(-1));
        Settled("s.c", "#include <cfg.h>\n#ifdef EXTRA\nint f(void) { return SCALE + 100; }\n#else\nint f(void) { return SCALE; }\n#endif\n");
        Settled("incA/cfg.h", "#define SCALE 3\n");
        Settled("incB/cfg.h", "#define SCALE 5\n");
        Settled("other/s.c", "int f(void) { return 7; }\n");
        string gcc = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Join(d, "gcc")).First(File.Exists);
        Settled("bin/gcc", $"#!/bin/sh\nexec {gcc} -DEXTRA=1 \"$@\"\n"); // the gcc the other calls find, with a -D
        File.SetUnixFileMode(_ws["src/bin/gcc"], (UnixFileMode)0b111_101_101);
        foreach (string dir in new[] { "src/incA", "src/incB", "src/other", "src/bin", "src" })
            Directory.SetLastWriteTimeUtc(_ws[dir], DateTime.UtcNow.AddMinutes(-1));

        var env = Env();
        env["CPATH"] = _ws["src/incA"];
        Assert.Equal(0, Zccache(env, "gcc", "-c", "s.c", "-o", "s.o").ExitCode); // the miss, by the launcher
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);

        byte[] Expected(string compiler, string folder, string cpath)
        {
            var r = Dotnet.Run(_ws[folder], ["-c", "s.c", "-o", "plain.o"], new(env) { ["CPATH"] = cpath }, compiler);
            Assert.True(r.ExitCode == 0, r.Output);
            byte[] bytes = File.ReadAllBytes(Path.Join(_ws[folder], "plain.o"));
            File.Delete(Path.Join(_ws[folder], "plain.o"));
            return bytes;
        }
        void Call(string folder, string cpath, string? path, bool served, byte[] expected, string what)
        {
            int before = Status(env).GetProperty("served").GetInt32();
            var call = new Dictionary<string, string?>(env) { ["CPATH"] = cpath };
            if (path is not null) call["PATH"] = path;
            File.Delete(Path.Join(_ws[folder], "s.o"));
            var r = Dotnet.Run(_ws[folder], ["gcc", "-c", "s.c", "-o", "s.o"], call, feed.Launcher);
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.True(expected.SequenceEqual(File.ReadAllBytes(Path.Join(_ws[folder], "s.o"))), $"{what}: not the compiler's bytes");
            Assert.True((served ? before + 1 : before) == Status(env).GetProperty("served").GetInt32(),
                $"{what}: {(served ? "not served" : "served")}");
        }

        string a = _ws["src/incA"], b = _ws["src/incB"];
        string wrapped = _ws["src/bin"] + ":" + Environment.GetEnvironmentVariable("PATH");
        Call("src", a, null, served: true, Expected("gcc", "src", a), "the same call");
        Call("src", b, null, served: false, Expected("gcc", "src", b), "CPATH finds another cfg.h");
        Call("src", b, null, served: true, Expected("gcc", "src", b), "that call again");
        Call("src", a, wrapped, served: false, Expected(_ws["src/bin/gcc"], "src", a), "PATH finds another gcc");
        Call("src/other", a, null, served: false, Expected("gcc", "src/other", a), "another folder's s.c");
        Call("src", a, null, served: true, Expected("gcc", "src", a), "the first call once more");
    }

    [Fact]
    public void Two_cache_roots_have_two_servers_and_neither_serves_the_others_calls()
    {
        Sources(1);
        var a = Env(_ws["cache-a"]);
        var b = Env(_ws["cache-b"]);
        foreach (var env in new[] { a, b })
        {
            Assert.Equal(0, Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
            Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        }
        var (serverA, serverB) = (Status(a), Status(b));
        Assert.NotEqual(serverA.GetProperty("pid").GetInt32(), serverB.GetProperty("pid").GetInt32());
        Assert.NotEqual(serverA.GetProperty("socket").GetString(), serverB.GetProperty("socket").GetString());

        Assert.Equal(0, Zccache(a, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
        Assert.Equal((1, 0), (Status(a).GetProperty("served").GetInt32(), Status(b).GetProperty("served").GetInt32()));
        Zccache(b, "server-stop");
    }

    [Fact]
    public void Another_users_launcher_gets_a_server_of_its_own_and_cannot_reach_this_one()
    {
        if (Environment.UserName != "root") return; // runuser needs root: CI runs as root
        Sources(1);
        var env = Env();
        Assert.Equal(0, Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        string socket = Status(env).GetProperty("socket").GetString()!;
        int pid = Status(env).GetProperty("pid").GetInt32();

        string other = Directory.CreateTempSubdirectory("zccache-nobody-").FullName;
        try
        {
            File.SetUnixFileMode(other, (UnixFileMode)0b111_111_111);
            foreach (string f in new[] { "s00.c", "common.h" }) File.Copy(_ws["src/" + f], Path.Join(other, f));
            string launcher = Path.Join(other, "zccache");
            File.Copy(feed.Launcher, launcher);
            File.Copy(Path.Join(Path.GetDirectoryName(feed.Launcher)!, "zccache-engine"), Path.Join(other, "zccache-engine"));
            ProcessOutput AsNobody(string cache, params string[] args) =>
                Dotnet.Run(other, ["-u", "nobody", "--", "env", $"ZCCACHE_CACHE_DIR={cache}", "ZCCACHE_SESSION_ID=", .. args], new(),
                    "runuser");

            // nobody's launcher with a cache of its own: its own server, which serves its hits.
            string ownCache = Path.Join(other, "cache");
            Assert.Equal(0, AsNobody(ownCache, launcher, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
            Assert.Equal(0, AsNobody(ownCache, launcher, "server-start").ExitCode);
            Assert.Equal(0, AsNobody(ownCache, launcher, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
            var nobodys = JsonDocument.Parse(AsNobody(ownCache, launcher, "status", "--json").Output).RootElement.GetProperty("server");
            Assert.NotEqual(pid, nobodys.GetProperty("pid").GetInt32());
            Assert.Equal(1, nobodys.GetProperty("served").GetInt32());

            // nobody's launcher pointed at this user's cache: it cannot reach the socket, and compiles without the cache.
            var plain = AsNobody(_ws.CacheDir, launcher, "gcc", "-c", "s00.c", "-o", "s00.o");
            Assert.True(plain.ExitCode == 0, plain.Output);
            Assert.Equal(0, Status(env).GetProperty("served").GetInt32());
            var connect = AsNobody(_ws.CacheDir, "python3", "-c", $"import socket; socket.socket(socket.AF_UNIX).connect('{socket}')");
            Assert.Contains("Permission denied", connect.Output);
            AsNobody(ownCache, launcher, "server-stop");
        }
        finally { Directory.Delete(other, recursive: true); }
    }

    [Fact]
    public void An_idle_server_exits_and_removes_its_socket()
    {
        Sources(1);
        var env = Env();
        env["ZCCACHE_SERVER_IDLE_TIMEOUT"] = "2";
        Assert.Equal(0, Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        var server = Status(env);
        int pid = server.GetProperty("pid").GetInt32();
        string socket = server.GetProperty("socket").GetString()!;
        var waited = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && waited.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the idle server is still running");
        Assert.False(File.Exists(socket));
        Assert.Equal(JsonValueKind.Null, Status(env).ValueKind);
    }

    [Theory]
    [InlineData("another protocol")]
    [InlineData("closes mid-call")]
    public void A_peer_that_speaks_another_protocol_or_dies_mid_call_leaves_the_call_to_the_launcher_with_one_warning(string peer)
    {
        Sources(1);
        var env = Env();
        env["ZCCACHE_SERVER_IDLE_TIMEOUT"] = "1";
        Assert.Equal(0, Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o").ExitCode);
        Assert.Equal(0, Zccache(env, "server-start").ExitCode);
        string socket = Status(env).GetProperty("socket").GetString()!;
        Assert.Equal(0, Zccache(env, "server-stop").ExitCode);

        // A fake server on the address: it answers with protocol 99, or reads the call and hangs up.
        using var fake = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        fake.Bind(new UnixDomainSocketEndPoint(socket));
        fake.Listen(4);
        var serving = Task.Run(() =>
        {
            using var client = fake.Accept();
            var buffer = new byte[65536];
            if (peer == "another protocol")
            {
                client.Send([0x5A, 0x43, 0x53, 0x56, 99, 0, 0]); // answered at once; the call waits in the socket's buffer
                while (client.Receive(buffer) > 0) { }
            }
            else client.Receive(buffer);
        });
        File.Delete(_ws["src/s00.o"]);
        var r = Zccache(env, "gcc", "-c", "s00.c", "-o", "s00.o");
        serving.Wait(TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal(Plain("s00.c"), File.ReadAllBytes(_ws["src/s00.o"]));
        Assert.Single(r.Output.Split('\n'), l => l.Contains("warning ZC1011"));
        Assert.Contains(peer == "another protocol" ? "speaks protocol 99" : "did not answer", r.Output);
        File.Delete(socket);
    }
}
