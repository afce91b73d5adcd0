using System.Diagnostics;
using System.Text;

namespace Zccache.EndToEnd.Tests;

/// <summary>The packed <c>zccache</c> launcher, called as CMake, make and cargo call it, against the compiler called directly.</summary>
[Collection(BuildCollection.Name)]
public sealed class LauncherTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = Workspace.WithFolder(feed, "launcher", "src");

    public void Dispose() => _ws.Dispose();

    private ToolRun Exec(string executable, params string[] args) => Exec(executable, args, new Dictionary<string, string>());

    private ToolRun Exec(string executable, string[] args, IReadOnlyDictionary<string, string> environment) =>
        _ws.Exec(executable, args, environment.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)));

    private int EntryCount()
    {
        string entries = Path.Join(_ws.CacheDir, "v1", "entries");
        return Directory.Exists(entries) ? Directory.EnumerateFiles(entries, "meta", SearchOption.AllDirectories).Count() : 0;
    }

    private ToolRun Zccache(params string[] args) => Exec(feed.Launcher, args);

    [Theory]
    [InlineData("gcc", "ok.c")]
    [InlineData("gcc", "warns.c")]
    [InlineData("gcc", "fails.c")]
    [InlineData("clang", "warns.c")]
    [InlineData("clang", "fails.c")]
    public void Exit_code_and_output_are_the_compilers_own_cold_and_warm(string compiler, string source)
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        _ws.Source("warns.c", "int warns(void) { int unused; return 0; }\n");
        _ws.Source("fails.c", "int fails(void) { return missing; }\n");
        string[] args = ["-c", "-Wall", source, "-o", "out.o"];
        var plain = Exec(compiler, args);
        byte[]? plainObject = File.Exists(_ws["src/out.o"]) ? File.ReadAllBytes(_ws["src/out.o"]) : null;
        _ws.Delete("src/out.o");

        foreach (string round in new[] { "cold", "warm" })
        {
            var cached = Zccache([compiler, .. args]);
            Assert.True(plain.ExitCode == cached.ExitCode, $"{round}: {cached.Err}");
            Assert.Equal(plain.Stdout, cached.Stdout);
            Assert.Equal(plain.Err, cached.Err);
            Assert.Equal(plainObject, File.Exists(_ws["src/out.o"]) ? File.ReadAllBytes(_ws["src/out.o"]) : null);
            _ws.Delete("src/out.o");
        }
        // The second round was served from the cache (a stored entry: one per compile, errors included).
        Assert.Equal(1, EntryCount());
    }

    [Fact]
    public void A_rust_program_linked_through_the_launcher_is_rustcs_own_and_follows_the_native_library_it_links()
    {
        _ws.Source("main.rs", "extern \"C\" { fn native_value() -> i32; }\nfn main() { std::process::exit(unsafe { native_value() }) }\n");
        void NativeLibrary(int value)
        {
            _ws.Source("nat.c", $"int native_value(void) {{ return {value}; }}\n");
            Assert.Equal(0, Exec("gcc", "-c", "nat.c", "-o", "nat.o").ExitCode);
            _ws.Delete("src/libnat.a");
            Assert.Equal(0, Exec("ar", "rcsD", "libnat.a", "nat.o").ExitCode);
        }
        NativeLibrary(7);
        Directory.CreateDirectory(_ws["src/out"]);
        string[] args = ["--crate-name", "prog", "--crate-type", "bin", "--edition=2021", "main.rs", "--emit=dep-info,link",
            "-C", "debuginfo=2", "--out-dir", "out", "-L", "native=.", "-l", "nat"];
        string program = _ws["src/out/prog"];
        Assert.Equal(0, Exec("rustc", args).ExitCode);
        byte[] plain = File.ReadAllBytes(program);

        foreach (string round in new[] { "cold", "warm" })
        {
            _ws.Delete("src/out/prog");
            var cached = Zccache(["rustc", .. args]);
            Assert.True(cached.ExitCode == 0, $"{round}: {cached.Err}");
            Assert.Equal(plain, File.ReadAllBytes(program));
            Assert.Equal(7, Exec(program).ExitCode);
        }
        Assert.Equal(1, EntryCount());

        // The library changes: the program is linked again with it, not served from before.
        NativeLibrary(9);
        Assert.Equal(0, Zccache(["rustc", .. args]).ExitCode);
        Assert.Equal(9, Exec(program).ExitCode);
        Assert.Equal(2, EntryCount());
    }

    [Fact]
    public void A_launcher_that_stores_keeps_the_cache_to_ZCCACHE_CACHE_SIZE_once_the_last_trim_is_a_minute_old()
    {
        _ws.Source("a.c", "int a(void) { return 1; }\n");
        var tiny = new Dictionary<string, string> { ["ZCCACHE_CACHE_SIZE"] = "8K" };
        Assert.Equal(0, Exec(feed.Launcher, ["gcc", "-c", "a.c", "-o", "a.o"], tiny).ExitCode);
        var planted = _ws.PlantOldEntriesAndMakeTrimDue();
        string lastTrim = _ws.LastTrimFile;

        // A store within a minute of the last trim (by any process) does not look at the cache's size.
        File.SetLastWriteTimeUtc(lastTrim, DateTime.UtcNow.AddSeconds(-20));
        Assert.Equal(0, Exec(feed.Launcher, ["gcc", "-c", "-DSTORE=1", "a.c", "-o", "a.o"], tiny).ExitCode);
        Assert.All(planted, entry => Assert.True(Directory.Exists(entry)));

        // A store after that, under the default budget of 20 GiB, trims nothing either.
        File.SetLastWriteTimeUtc(lastTrim, DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal(0, Zccache("gcc", "-c", "-DSTORE=2", "a.c", "-o", "a.o").ExitCode);
        Assert.All(planted, entry => Assert.True(Directory.Exists(entry)));
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(lastTrim) < TimeSpan.FromMinutes(1));

        // With ZCCACHE_CACHE_SIZE=8K, the first store a minute after the last trim brings the cache under it.
        File.SetLastWriteTimeUtc(lastTrim, DateTime.UtcNow.AddMinutes(-5));
        var stored = Exec(feed.Launcher, ["gcc", "-c", "-DSTORE=3", "a.c", "-o", "a.o"], tiny);
        Assert.True(stored.ExitCode == 0, stored.Err);
        Assert.All(planted, entry => Assert.False(Directory.Exists(entry)));
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(lastTrim) < TimeSpan.FromMinutes(1));
        Assert.Equal(File.ReadAllBytes(_ws["src/a.o"]), Compiled("-DSTORE=3"));
    }

    /// <summary>What gcc itself makes of a.c with <paramref name="define"/>.</summary>
    private byte[] Compiled(string define)
    {
        Assert.Equal(0, Exec("gcc", "-c", define, "a.c", "-o", "plain.o").ExitCode);
        return File.ReadAllBytes(_ws["src/plain.o"]);
    }

    [Fact]
    public void The_framework_dependent_launcher_behaves_the_same()
    {
        _ws.Source("warns.c", "int warns(void) { int unused; return 0; }\n");
        var plain = Exec("gcc", "-c", "-Wall", "warns.c", "-o", "out.o");
        var viaScript = Exec(Path.Join(feed.Tools, "any", "zccache"), "gcc", "-c", "-Wall", "warns.c", "-o", "out.o");
        Assert.Equal(plain.ExitCode, viaScript.ExitCode);
        Assert.Equal(plain.Err, viaScript.Err);
    }

    [Fact]
    public void The_dotnet_tool_installs_and_serves_hits()
    {
        string feedDir = _ws["tool-feed"];
        var pack = Dotnet.Run(PackageFeed.RepoRoot,
            ["pack", Path.Join(PackageFeed.RepoRoot, "src", "Zccache.Cli"), "-c", "Release", "-o", feedDir, "-p:Version=" + feed.Version,
                "-nologo"], new());
        Assert.True(pack.ExitCode == 0, pack.Output);
        var install = Dotnet.Run(_ws.Root,
            ["tool", "install", "Zccache.Tool", "--version", feed.Version, "--tool-path", _ws["tools"], "--add-source", feedDir],
            new() { ["NUGET_PACKAGES"] = feed.Packages });
        Assert.True(install.ExitCode == 0, install.Output);
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        string tool = Path.Join(_ws["tools"], "zccache");
        Assert.Equal(0, Exec(tool, "gcc", "-c", "ok.c", "-o", "ok.o").ExitCode);
        byte[] compiled = File.ReadAllBytes(_ws["src/ok.o"]);
        File.Delete(_ws["src/ok.o"]);
        Assert.Equal(0, Exec(tool, "gcc", "-c", "ok.c", "-o", "ok.o").ExitCode);
        Assert.Equal(compiled, File.ReadAllBytes(_ws["src/ok.o"]));
        Assert.Equal(1, EntryCount());
    }

    [Fact]
    public void A_launcher_killed_at_any_point_of_a_publication_never_leaves_a_servable_torn_entry()
    {
        // A source that takes g++ a while, so the kills land before, during and after the store.
        _ws.Source("big.cpp", "#include <map>\n#include <string>\n#include <vector>\n#include <sstream>\n"
            + "std::string f(int n) { std::map<int, std::vector<std::string>> m; std::ostringstream o; "
            + "for (int i = 0; i < n; i++) m[i % 7].push_back(std::to_string(i)); "
            + "for (auto &[k, v] : m) o << k << v.size(); return o.str(); }\n");
        var random = new Random(1234);
        for (int round = 0; round < 12; round++)
        {
            string[] args = ["g++", "-c", "-O2", $"-DROUND={round}", "big.cpp", "-o", $"k{round}.o"];
            var start = new ProcessStartInfo(feed.Launcher)
            {
                WorkingDirectory = _ws["src"], RedirectStandardOutput = true,
                RedirectStandardError = true
            };
            foreach (string a in args) start.ArgumentList.Add(a);
            start.Environment["ZCCACHE_CACHE_DIR"] = _ws.CacheDir;
            using var p = Process.Start(start)!;
            Thread.Sleep(random.Next(50, 900));
            try { Process.Start("kill", ["-9", p.Id.ToString()])!.WaitForExit(); } catch (InvalidOperationException) { }
            p.WaitForExit();
        }
        // Every key again, for real: each is a hit of a whole entry or a miss that compiles; never a corrupt entry.
        for (int round = 0; round < 12; round++)
        {
            string[] args = ["g++", "-c", "-O2", $"-DROUND={round}", "big.cpp", "-o", $"k{round}.o"];
            var r = Zccache(args);
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.DoesNotContain("ZC1003", r.Err);
            var plain = Exec("g++", "-c", "-O2", $"-DROUND={round}", "big.cpp", "-o", $"plain{round}.o");
            Assert.Equal(0, plain.ExitCode);
            Assert.Equal(File.ReadAllBytes(_ws[$"src/plain{round}.o"]), File.ReadAllBytes(_ws[$"src/k{round}.o"]));
        }
    }

    [Fact]
    public void No_compiler_is_a_usage_error()
    {
        var r = Zccache();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("ZC3003", r.Err);
        Assert.Contains("usage: zccache <compiler>", r.Err);
    }

    [Fact]
    public void A_compiler_that_does_not_exist_fails_as_the_shell_would()
    {
        var r = Zccache("no-such-compiler-zc", "-c", "a.c");
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("ZC3001", r.Err);
        Assert.Contains("no-such-compiler-zc", r.Err);
    }

    [Fact]
    public void A_missing_response_file_runs_the_compiler_plainly()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        var plain = Exec("gcc", "-c", "ok.c", "@missing.rsp");
        var cached = Zccache("gcc", "-c", "ok.c", "@missing.rsp");
        Assert.Equal(plain.ExitCode, cached.ExitCode);
        Assert.Equal(plain.Err, cached.Err);
        Assert.Equal(0, EntryCount());
    }

    [Fact]
    public void Arguments_that_are_not_utf8_are_passed_on_byte_for_byte_and_not_cached()
    {
        // A source whose name is the single byte 0xFF: no .NET string can hold it.
        Exec("sh", "-c", "printf 'int x;\\n' > \"$(printf '\\377').c\"");
        var plain = Exec("sh", "-c", "gcc -c \"$(printf '\\377').c\" -o plain.o && gcc -c \"$(printf '\\377')missing.c\"");
        var cached = Exec("sh", "-c",
            $"'{feed.Launcher}' gcc -c \"$(printf '\\377').c\" -o cached.o && '{feed.Launcher}' gcc -c \"$(printf '\\377')missing.c\"");
        Assert.Equal(plain.ExitCode, cached.ExitCode);
        Assert.Equal(plain.Stderr, cached.Stderr); // the file name's raw byte included
        Assert.Equal(File.ReadAllBytes(_ws["src/plain.o"]), File.ReadAllBytes(_ws["src/cached.o"]));
        Assert.Equal(0, EntryCount());
    }

    [Fact]
    public void Stacked_launchers_and_rustc_queries_pass_through()
    {
        _ws.Source("ok.c", "int ok(void) { return 0; }\n");
        Assert.Equal(0, Zccache(feed.Launcher, "gcc", "-c", "ok.c", "-o", "ok.o").ExitCode);
        Assert.True(File.Exists(_ws["src/ok.o"]));
        var version = Zccache("rustc", "-vV");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("rustc ", Encoding.UTF8.GetString(version.Stdout));
    }
}
