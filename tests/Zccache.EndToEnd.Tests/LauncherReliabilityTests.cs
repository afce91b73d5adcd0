using System.Diagnostics;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// The packed launcher where things go wrong: compilers that cannot run, command lines too long,
/// a hostile umask, a hung remote. Each case against what the shell and the bare compiler do.
/// </summary>
[Collection(BuildCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LauncherReliabilityTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = Workspace.WithFolder(feed, "reliability", "src");
    private LocalServer? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _ws.Dispose();
    }

    private ToolRun Exec(string executable, IEnumerable<string> args, Dictionary<string, string>? env = null) =>
        _ws.Exec(executable, args, env?.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)));

    private ToolRun Zccache(params string[] args) => Exec(feed.Launcher, args);

    private static void AssertNoCrash(ToolRun r)
    {
        Assert.DoesNotContain("Unhandled exception", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.NotEqual(134, r.ExitCode);
    }

    [Fact]
    public void A_compiler_that_is_not_executable_fails_as_the_shell_would_even_with_a_warm_cache()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        string gcc = _ws.Write("src/bin/gcc", "#!/bin/sh\nexec /usr/bin/gcc \"$@\"\n");
        File.SetUnixFileMode(gcc, (UnixFileMode)0b111_101_101);
        Assert.Equal(0, Zccache("bin/gcc", "-c", "ok.c", "-o", "ok.o").ExitCode); // stored
        _ws.Delete("src/ok.o");

        File.SetUnixFileMode(gcc, (UnixFileMode)0b110_100_100);
        var shell = Exec("sh", ["-c", "bin/gcc -c ok.c -o ok.o"]);
        var cached = Zccache("bin/gcc", "-c", "ok.c", "-o", "ok.o");
        AssertNoCrash(cached);
        Assert.Equal((126, 126), (shell.ExitCode, cached.ExitCode));
        Assert.Contains("error ZC3005", cached.Err);
        Assert.Contains("Permission denied", cached.Err);
        Assert.False(File.Exists(_ws["src/ok.o"])); // never served

        // And a file that is no program at all.
        File.WriteAllBytes(gcc, [0, 1, 2, 3]);
        File.SetUnixFileMode(gcc, (UnixFileMode)0b111_101_101);
        var garbage = Zccache("bin/gcc", "-c", "ok.c", "-o", "ok.o");
        AssertNoCrash(garbage);
        Assert.Equal(Exec("sh", ["-c", "bin/gcc -c ok.c -o ok.o"]).ExitCode, garbage.ExitCode);
        Assert.Contains("ZC3005", garbage.Err);
    }

    [Fact]
    public void An_oversized_response_file_fails_as_the_bare_compiler_does_even_with_a_warm_cache()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        Assert.Equal(0, Zccache("gcc", "-c", "ok.c", "-o", "ok.o").ExitCode); // stored: -L options do not change a compile's key
        _ws.Delete("src/ok.o");
        _ws.Write("src/big.rsp", string.Join(' ', Enumerable.Range(0, 100_000).Select(i => $"-L/some/long/library/path/{i}")));

        var bare = Exec("gcc", ["-c", "ok.c", "-o", "ok.o", "@big.rsp"]);
        Assert.NotEqual(0, bare.ExitCode);
        Assert.Contains("Argument list too long", bare.Err);
        var cached = Zccache("gcc", "-c", "ok.c", "-o", "ok.o", "@big.rsp");
        AssertNoCrash(cached);
        Assert.Equal(bare.ExitCode, cached.ExitCode);
        Assert.Equal(bare.Err, cached.Err);
        Assert.False(File.Exists(_ws["src/ok.o"]));

        // clang can take it: the call runs as written, uncached, and gives clang's own object.
        var clangBare = Exec("clang", ["-c", "ok.c", "-o", "plain.o", "@big.rsp"]);
        var clangCached = Zccache("clang", "-c", "ok.c", "-o", "ok.o", "@big.rsp");
        Assert.Equal((0, 0), (clangBare.ExitCode, clangCached.ExitCode));
        Assert.Equal(File.ReadAllBytes(_ws["src/plain.o"]), File.ReadAllBytes(_ws["src/ok.o"]));
    }

    [Fact]
    public void What_a_launcher_killed_with_SIGKILL_leaves_is_collected_by_the_next_trim()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        // A compiler that lingers after writing its outputs: the launcher is killed while it waits.
        string gcc = _ws.Write("src/slow/gcc", "#!/bin/sh\n/usr/bin/gcc \"$@\" && sleep 3\n");
        File.SetUnixFileMode(gcc, (UnixFileMode)0b111_101_101);
        string staging = Path.Join(_ws.CacheDir, "v1", "staging");
        var start = new ProcessStartInfo(feed.Launcher)
        {
            WorkingDirectory = _ws["src"], RedirectStandardOutput = true,
            RedirectStandardError = true
        };
        foreach (string a in new[] { "slow/gcc", "-c", "ok.c", "-o", "ok.o" }) start.ArgumentList.Add(a);
        start.Environment["ZCCACHE_CACHE_DIR"] = _ws.CacheDir;
        start.Environment.Remove("ZCCACHE_SESSION_ID");
        using var launcher = Process.Start(start)!;
        var waited = Stopwatch.StartNew();
        while (!(Directory.Exists(staging) && Directory.GetFiles(staging, "deps.*.d").Any(f => new FileInfo(f).Length > 0))
            && waited.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(20);
        Process.Start("kill", ["-9", launcher.Id.ToString()])!.WaitForExit();
        launcher.WaitForExit();
        string[] leftovers = Directory.GetFileSystemEntries(staging);
        Assert.NotEmpty(leftovers);

        // Two minutes on (the grace for a process of another pid namespace), a trim collects them.
        foreach (string f in leftovers) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-3));
        Assert.Equal(0, Zccache("trim").ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(staging));
    }

    [Theory]
    [InlineData("e")]
    [InlineData("m")]
    public void A_remote_value_swapped_to_another_key_is_refused_by_the_launcher(string kind)
    {
        var server = new WebDavServer(_ws["nginx"]);
        _server = server;
        _ws.Source("a.c", "int a(void) { return 1; }\n");
        _ws.Source("b.c", "int b(void) { return 2; }\n");
        var one = new Dictionary<string, string> { ["ZCCACHE_REMOTE"] = server.Url, ["ZCCACHE_CACHE_DIR"] = _ws["cache-one"] };
        foreach (string s in new[] { "a", "b" })
            Assert.Equal(0, Exec(feed.Launcher, ["gcc", "-c", $"{s}.c", "-o", $"{s}.o"], one).ExitCode);
        byte[] objectOfB = File.ReadAllBytes(_ws["src/b.o"]);
        // The two values of this kind trade places: each is whole and valid, under the other's key.
        var files = server.Files.Where(f => Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith(kind, StringComparison.Ordinal))
            .ToArray();
        Assert.Equal(2, files.Length);
        byte[] first = File.ReadAllBytes(files[0]);
        File.Copy(files[1], files[0], overwrite: true);
        File.WriteAllBytes(files[1], first);

        _ws.Delete("src/b.o");
        var two = Exec(feed.Launcher, ["gcc", "-c", "b.c", "-o", "b.o"],
            new() { ["ZCCACHE_REMOTE"] = server.Url, ["ZCCACHE_CACHE_DIR"] = _ws["cache-two"] });
        Assert.Equal(0, two.ExitCode);
        Assert.Contains("warning ZC1003", two.Err);
        Assert.Equal(objectOfB, File.ReadAllBytes(_ws["src/b.o"]));
    }

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    [Fact]
    public void The_cache_is_its_owners_alone_whatever_the_umask()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        var bare = Exec("sh", ["-c", "umask 000 && gcc -c ok.c -o plain.o"]);
        var cold = Exec("sh", ["-c", $"umask 000 && '{feed.Launcher}' gcc -c ok.c -o ok.o"]);
        Assert.Equal((0, 0), (bare.ExitCode, cold.ExitCode));
        _ws.Delete("src/ok.o");
        var warm = Exec("sh", ["-c", $"umask 000 && '{feed.Launcher}' gcc -c ok.c -o ok.o"]);
        Assert.Equal(0, warm.ExitCode);
        Assert.DoesNotContain("ZC1009", cold.Err + warm.Err);

        var folders = Directory.GetDirectories(_ws.CacheDir, "*", SearchOption.AllDirectories).Append(_ws.CacheDir).ToList();
        var files = Directory.GetFiles(_ws.CacheDir, "*", SearchOption.AllDirectories);
        Assert.True(files.Length >= 4, string.Join('\n', files)); // meta, object, manifest, compiler identity at least
        Assert.All(folders, d => Assert.True(Mode(d) == (UnixFileMode)0b111_000_000, $"{d}: {Mode(d)}"));
        Assert.All(files, f => Assert.True(Mode(f) == (UnixFileMode)0b110_000_000, $"{f}: {Mode(f)}"));
        // The user's own output follows the umask, as the bare compiler's does.
        Assert.Equal(Mode(_ws["src/plain.o"]), Mode(_ws["src/ok.o"]));
        Assert.Equal(File.ReadAllBytes(_ws["src/plain.o"]), File.ReadAllBytes(_ws["src/ok.o"]));

        // A cache folder others can write in is said; one they can only read is not.
        string shared = _ws["shared-cache"];
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var open = Exec(feed.Launcher, ["gcc", "-c", "ok.c", "-o", "ok.o"], new() { ["ZCCACHE_CACHE_DIR"] = shared });
        Assert.Equal(0, open.ExitCode);
        Assert.Contains("warning ZC1009", open.Err);
        Assert.Equal((UnixFileMode)0b111_000_000, Mode(Path.Join(shared, "v1")));
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_101_101);
        Assert.DoesNotContain("ZC1009",
            Exec(feed.Launcher, ["gcc", "-c", "ok.c", "-o", "ok.o"], new() { ["ZCCACHE_CACHE_DIR"] = shared }).Err);
    }

    [Fact]
    public void A_hung_remote_costs_one_timeout_per_session_not_one_per_compile()
    {
        _server = new RedisServer(_ws["redis"]);
        _server.Pause(); // accepts connections, answers nothing
        var env = new Dictionary<string, string> { ["ZCCACHE_REMOTE"] = _server.Url, ["ZCCACHE_SESSION_ID"] = Guid.NewGuid().ToString() };
        var warnings = 0;
        for (int i = 0; i < 4; i++)
        {
            _ws.Source($"s{i}.c", $"int s{i}(void) {{ return {i}; }}\n");
            var r = Exec(feed.Launcher, ["gcc", "-c", $"s{i}.c", "-o", $"s{i}.o"], env);
            Assert.True(r.ExitCode == 0, r.Err);
            warnings += r.Err.Split('\n').Count(l => l.Contains("warning ZC1008"));
            var plain = Exec("gcc", ["-c", $"s{i}.c", "-o", $"plain{i}.o"]);
            Assert.Equal(File.ReadAllBytes(_ws[$"src/plain{i}.o"]), File.ReadAllBytes(_ws[$"src/s{i}.o"]));
        }
        // Each launcher that tried would have timed out and said so: one did, the others left it alone.
        Assert.Equal(1, warnings);
    }

    [Fact]
    public void The_launcher_in_the_package_can_be_run_by_everyone_who_can_read_it()
    {
        _ws.Project("app/app.csproj", "");
        Assert.True(_ws.Build("app/app.csproj").Succeeded);
        string launcher = Path.Join(feed.Packages, "zccache.msbuild", feed.Version.ToLowerInvariant(), "tools", "linux-x64", "zccache");
        Assert.True(File.Exists(launcher), launcher);
        File.SetUnixFileMode(launcher, (UnixFileMode)0b111_100_100); // 0744, as NuGet left it
        var r = _ws.Build("app/app.csproj");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(launcher));
    }
}
