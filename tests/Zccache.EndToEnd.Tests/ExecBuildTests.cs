namespace Zccache.EndToEnd.Tests;

/// <summary>
/// Native builds run through Exec inside dotnet build: a single compiler command (ZccacheExec),
/// cargo with Debian's crates (RUSTC_WRAPPER), and CMake (its compiler launchers), all counted
/// in the build's session.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class ExecBuildTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "exec");

    public void Dispose() => _ws.Dispose();

    private void Source(string relative, string text)
    {
        string path = _ws.Write(relative, text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
    }

    private static (long, long, long, long) Counts(BuildResult r) =>
        (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.NonCacheable);

    [Fact]
    public void ZccacheExec_serves_a_single_compiler_command_and_hands_everything_else_to_Exec()
    {
        Source("app/native/a.c", "int a(int x) {\n  int unused;\n  return x + 1;\n}\n");
        Source("app/native/b.c", "int b(void) { return 2; }\n");
        Source("app/native/main.c", "int a(int); int b(void); int main(void) { return a(b()) - 3; }\n");
        _ws.Project("app/app.csproj", """
            <Target Name="Native" BeforeTargets="Build">
              <MakeDir Directories="$(IntermediateOutputPath)native" />
              <ZccacheExec Command="gcc -c -O2 -Wall native/a.c -o $(IntermediateOutputPath)native/a.o" ConsoleToMSBuild="true">
                <Output TaskParameter="ExitCode" PropertyName="CompileExit" />
                <Output TaskParameter="ConsoleOutput" ItemName="CompileOutput" />
              </ZccacheExec>
              <ZccacheExec Command="LANG=C gcc -c native/b.c -o $(IntermediateOutputPath)native/b.o &amp;&amp; echo shell-ran" />
              <ZccacheExec Command="gcc -c native/main.c -o $(IntermediateOutputPath)native/main.o" />
              <ZccacheExec Command="gcc $(IntermediateOutputPath)native/a.o $(IntermediateOutputPath)native/b.o $(IntermediateOutputPath)native/main.o -o $(IntermediateOutputPath)native/app" />
              <ZccacheExec Command="$(IntermediateOutputPath)native/app" />
              <ZccacheExec Command="echo plain-exec-ran" />
              <Message Importance="high" Text="compile-exit=$(CompileExit) output-lines=@(CompileOutput->Count())" />
            </Target>
            """);

        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        // a.c and main.c: misses; the && line: non-cacheable (shell syntax); the link: a link miss. echo and the app: not compiles.
        Assert.Equal((3L, 0L, 2L, 1L), Counts(cold));
        Assert.Equal((0L, 1L, 0L), cold.Stats!.Links);
        Assert.Contains("unused variable", cold.Output);
        Assert.Contains("shell-ran", cold.Output);
        Assert.Contains("plain-exec-ran", cold.Output);
        Assert.Contains("compile-exit=0 output-lines=", cold.Output);
        var objects = _ws.Objects("app/obj/Debug/net10.0/native");

        _ws.Delete("app/obj");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((3L, 2L, 0L, 1L), Counts(warm));
        Assert.Equal((1L, 0L, 0L), warm.Stats!.Links); // the link hits too: its objects came back byte-identical
        Assert.Contains("unused variable", warm.Output); // the warning is replayed on a hit
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/native"));

        // And byte-identical to gcc run by hand.
        var plain = Dotnet.Run(_ws["app"], ["-c", "-O2", "-Wall", "native/a.c", "-o", "plain-a.o"], new(), "gcc");
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(File.ReadAllBytes(_ws["app/plain-a.o"]), objects["a.o"]);
    }

    [Fact]
    public void A_failing_compile_logs_and_fails_exactly_as_under_Exec_cold_and_warm()
    {
        Source("app/native/bad.c", "int bad(void) {\n  int unused;\n  return missing;\n}\n");
        _ws.Project("app/app.csproj", """
            <Target Name="Native" BeforeTargets="Build">
              <Exec Condition="'$(Runner)' == 'Exec'" Command="gcc -c -Wall native/bad.c -o bad.o" IgnoreExitCode="true" ConsoleToMSBuild="true">
                <Output TaskParameter="ExitCode" PropertyName="Ignored" />
                <Output TaskParameter="ConsoleOutput" ItemName="Lines" />
              </Exec>
              <ZccacheExec Condition="'$(Runner)' == 'ZccacheExec'" Command="gcc -c -Wall native/bad.c -o bad.o" IgnoreExitCode="true" ConsoleToMSBuild="true">
                <Output TaskParameter="ExitCode" PropertyName="Ignored" />
                <Output TaskParameter="ConsoleOutput" ItemName="Lines" />
              </ZccacheExec>
              <Message Importance="high" Text="ignored-exit=$(Ignored) lines=@(Lines->Count())" />
              <Exec Condition="'$(Runner)' == 'Exec'" Command="gcc -c native/bad.c -o bad.o" />
              <ZccacheExec Condition="'$(Runner)' == 'ZccacheExec'" Command="gcc -c native/bad.c -o bad.o" />
            </Target>
            """);
        // What the build log says about the compile: gcc's warnings and errors, and what the task returned.
        // (MSBuild names a code-less canonical error with a code that changes from build to build, Exec's too: G + 8 hex digits.)
        static List<string> Diagnostics(BuildResult r) =>
            [.. r.Output.Split('\n')
                .Select(l => System.Text.RegularExpressions.Regex.Replace(l.Trim(), @"\b(error|warning) G[0-9A-F]{8}:", "$1 G*:"))
                .Where(l => l.StartsWith("native/bad.c") || l.Contains("ignored-exit="))];

        var exec = _ws.Build("app/app.csproj", "-p:Runner=Exec");
        Assert.False(exec.Succeeded);
        Assert.Contains("ignored-exit=1", exec.Output);
        Assert.Contains("error MSB3073: The command \"gcc -c native/bad.c -o bad.o\" exited with code 1.", exec.Output);
        Assert.Contains(Diagnostics(exec), l => l.Contains("warning") && l.Contains("unused variable"));
        foreach (string round in new[] { "cold", "warm" })
        {
            var zc = _ws.Build("app/app.csproj", "-p:Runner=ZccacheExec");
            Assert.False(zc.Succeeded, round);
            Assert.Equal(Diagnostics(exec), Diagnostics(zc));
            Assert.Contains("error MSB3073: The command \"gcc -c native/bad.c -o bad.o\" exited with code 1.", zc.Output);
        }
    }

    [Fact]
    public void With_ZccacheInterceptExec_plain_Exec_compiles_are_served_and_other_commands_run_as_before()
    {
        Source("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Project("app/app.csproj", """
            <Target Name="Native" BeforeTargets="Build">
              <Exec Command="gcc -c native/a.c -o a.o" />
              <Exec Command="echo plain-exec-ran" ConsoleToMSBuild="true" EchoOff="true">
                <Output TaskParameter="ConsoleOutput" ItemName="Echoed" />
              </Exec>
              <Message Importance="high" Text="echoed=@(Echoed)" />
            </Target>
            """, "<ZccacheInterceptExec>true</ZccacheInterceptExec>");
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((1L, 0L, 1L, 0L), Counts(cold));
        Assert.Contains("echoed=plain-exec-ran", cold.Output);
        byte[] obj = File.ReadAllBytes(_ws["app/a.o"]);
        _ws.Delete("app/a.o");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((1L, 1L, 0L, 0L), Counts(warm));
        Assert.Equal(obj, File.ReadAllBytes(_ws["app/a.o"]));
        // The project itself (C# compile, copy to output) still builds.
        Assert.True(File.Exists(_ws["app/bin/Debug/net10.0/app.dll"]));
    }

    [Fact]
    public void Cargo_build_through_Exec_is_served_from_the_cache_after_cargo_clean()
    {
        WriteCrate("app/crate");
        _ws.Project("app/app.csproj", """
            <Target Name="Cargo" BeforeTargets="Build">
              <Exec Command="cargo build" WorkingDirectory="crate" EnvironmentVariables="CARGO_INCREMENTAL=0" />
            </Target>
            """);
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        // cfg-if, itoa, memchr, memchr's build script and the crate itself.
        Assert.Equal((5L, 0L, 5L, 0L), Counts(cold));
        var rlibs = Rlibs("app/crate/target/debug/deps");
        Assert.Equal(4, rlibs.Count);

        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], new(), "cargo").ExitCode);
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((5L, 5L, 0L, 0L), Counts(warm));
        Assert.Equal(rlibs, Rlibs("app/crate/target/debug/deps"));
        Assert.Contains("app -> zccache: 5 compilations, 5 hits, 0 misses, 0 non-cacheable", warm.Output);
    }

    [Fact]
    public void A_RUSTC_WRAPPER_the_user_set_is_kept_and_the_environment_can_be_turned_off()
    {
        WriteCrate("app/crate");
        string log = _ws["wrapper.log"];
        _ws.Write("wrapper.sh", $"#!/bin/sh\necho \"$@\" >> '{log}'\nexec \"$@\"\n");
        File.SetUnixFileMode(_ws["wrapper.sh"], (UnixFileMode)0b111_101_101);
        _ws.Project("app/app.csproj", """
            <Target Name="Cargo" BeforeTargets="Build">
              <Exec Command="cargo build" WorkingDirectory="crate" EnvironmentVariables="CARGO_INCREMENTAL=0" />
            </Target>
            """);
        var own = _ws.Run(["build", "app/app.csproj"], new() { ["RUSTC_WRAPPER"] = _ws["wrapper.sh"] });
        Assert.True(own.Succeeded, own.Output);
        Assert.Equal(0L, own.Stats!.Compilations);
        Assert.Contains("--crate-name itoa", File.ReadAllText(log));

        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], new(), "cargo").ExitCode);
        var off = _ws.Build("app/app.csproj", "-p:ZccacheExecEnvironment=false");
        Assert.True(off.Succeeded, off.Output);
        Assert.Equal(0L, off.Stats!.Compilations);
        Assert.False(Directory.Exists(Path.Join(_ws.CacheDir, "v1", "entries"))
            && Directory.EnumerateFiles(Path.Join(_ws.CacheDir, "v1", "entries"), "meta", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void A_property_set_apart_from_an_inherited_variable_wins_for_Execd_tools()
    {
        _ws.Project("app/app.csproj", """
            <Target Name="ShowEnvironment" BeforeTargets="Build">
              <Exec Command="printenv ZCCACHE_BASEDIR ZCCACHE_REMOTE_READ_ONLY RUSTC_WRAPPER &gt; env.txt" />
            </Target>
            """);
        var env = new Dictionary<string, string?>
        {
            ["ZCCACHE_BASEDIR"] = "/inherited", ["ZCCACHE_REMOTE_READ_ONLY"] = "true",
            ["RUSTC_WRAPPER"] = "/usr/bin/env"
        };
        var r = _ws.Run(["build", "app/app.csproj", "-p:ZccacheBaseDir=" + _ws["app"], "-p:ZccacheRemoteReadOnly=false"], env);
        Assert.True(r.Succeeded, r.Output);
        // The package's own properties win; a tool setting of the user's (their RUSTC_WRAPPER) is kept.
        Assert.Equal([_ws["app"], "false", "/usr/bin/env"], File.ReadAllLines(_ws["app/env.txt"]));

        var inherited = _ws.Run(["build", "app/app.csproj"], env);
        Assert.True(inherited.Succeeded, inherited.Output);
        Assert.Equal(["/inherited", "true", "/usr/bin/env"], File.ReadAllLines(_ws["app/env.txt"]));
    }

    [Fact]
    public void CMake_through_Exec_uses_the_compiler_launchers()
    {
        Source("app/native/CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.16)\nproject(demo C CXX)\nadd_library(demo STATIC a.c b.c c.cpp)\n");
        Source("app/native/a.c", "int a(void) { return 1; }\n");
        Source("app/native/b.c", "#include <string.h>\nint b(const char *s) { return (int)strlen(s); }\n");
        Source("app/native/c.cpp", "#include <vector>\nint c() { std::vector<int> v{1, 2}; return (int)v.size(); }\n");
        _ws.Project("app/app.csproj", """
            <Target Name="CMake" BeforeTargets="Build">
              <Exec Command="cmake -S native -B cmake-build -DCMAKE_BUILD_TYPE=Release" Condition="!Exists('cmake-build/CMakeCache.txt')" />
              <Exec Command="cmake --build cmake-build" />
            </Target>
            """);
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((0L, 3L), (cold.Stats!.Hits, cold.Stats.Misses)); // (CMake's own compiler checks at configure time are non-cacheable)
        var objects = _ws.Objects("app/cmake-build");
        Assert.Equal(3, objects.Count);

        Assert.Equal(0, Dotnet.Run(_ws["app"], ["--build", "cmake-build", "--target", "clean"], new(), "cmake").ExitCode);
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((3L, 3L, 0L, 0L), Counts(warm));
        Assert.Equal(objects, _ws.Objects("app/cmake-build"));

        // Configured again from scratch: CMake's try_compile checks run in fresh random folders and are counted as
        // configure checks (never stored: they could never hit); the project's own compiles are all hits.
        _ws.Delete("app/cmake-build");
        var again = _ws.Build("app/app.csproj", "-p:ZccacheJournal=again.jsonl");
        Assert.True(again.Succeeded, again.Output);
        Assert.Equal((3L, 0L), (again.Stats!.Hits, again.Stats.Misses));
        var lines = _ws.Journal("again.jsonl");
        Assert.Equal(again.Stats.Compilations, lines.Count);
        var checks = lines.Where(l => l.TryGetProperty("non_cacheable_reason", out var r) && r.GetString() == "configure_check").ToList();
        Assert.NotEmpty(checks);
        Assert.All(checks, l =>
            Assert.Contains("CMakeScratch", l.GetProperty("cwd").GetString() + string.Join(" ", l.GetProperty("args").EnumerateArray())));
        Assert.Equal(objects, _ws.Objects("app/cmake-build"));
    }

    [Fact]
    public void Cargo_build_scripts_a_proc_macro_and_a_cdylib_are_cached_byte_identical_and_the_cdylib_is_called_from_C_and_CSharp()
    {
        // serde with serde_derive (a proc-macro, and build scripts of its own), a build script that generates code, a cdylib;
        // the dev profile, incremental for the crate and its build script.
        WriteCdylibCrate("app/crate", CrateGraph.Serde, generated: 40);
        CdylibApp("""<Exec Command="cargo build" WorkingDirectory="crate" EnvironmentVariables="CARGO_INCREMENTAL=1" />""", "debug");
        const string target = "app/crate/target/debug";

        // The outputs of cargo alone, for comparison.
        var env = new Dictionary<string, string?> { ["CARGO_INCREMENTAL"] = "1", ["RUSTC_WRAPPER"] = null };
        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["build"], env, "cargo").ExitCode);
        var bare = CargoOutputs(target);
        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], env, "cargo").ExitCode);

        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal(0L, cold.Stats!.NonCacheable);
        Assert.Equal(cold.Stats.Compilations, cold.Stats.Misses);
        Assert.Equal(bare, CargoOutputs(target));

        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], env, "cargo").ExitCode);
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((cold.Stats.Compilations, cold.Stats.Compilations, 0L, 0L), Counts(warm));
        Assert.Equal(bare, CargoOutputs(target));

        // Served from the cache, the library works from C and from C#.
        Assert.Equal("wrap_value=42", CallFromC(target));
        Assert.Equal("wrap_value=42", CallFromCSharp());

        // The build script now generates other code: it and the crate miss, and the library returns the new value.
        WriteCdylibCrate("app/crate", CrateGraph.Serde, generated: 41);
        File.SetLastWriteTimeUtc(_ws["app/crate/build.rs"], DateTime.UtcNow); // cargo reruns what is newer than its last build
        var edited = _ws.Build("app/app.csproj");
        Assert.True(edited.Succeeded, edited.Output);
        Assert.Equal(2L, edited.Stats!.Misses);
        Assert.Equal(0L, edited.Stats.NonCacheable);
        Assert.Equal("wrap_value=43", CallFromC(target));
        Assert.Equal("wrap_value=43", CallFromCSharp());
    }

    [Fact]
    public void Issue_13s_crate_graph_built_release_through_Exec_is_served_whole_after_cargo_clean_and_its_cdylib_works_from_C_and_CSharp()
    {
        // A cdylib using Debian's regex, serde with serde_derive, serde_json and anyhow, with a build script of its own:
        // `cargo build --release` (not incremental), as bench/cargo.sh's graph workload builds it.
        WriteCdylibCrate("app/crate", CrateGraph.Full, generated: 40);
        CdylibApp("""<Exec Command="cargo build --release" WorkingDirectory="crate" />""", "release");
        const string target = "app/crate/target/release";

        var env = new Dictionary<string, string?> { ["RUSTC_WRAPPER"] = null };
        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["build", "--release"], env, "cargo").ExitCode);
        var bare = CargoOutputs(target);
        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], env, "cargo").ExitCode);

        // 15 crates (unicode-ident, proc-macro2, quote, syn, serde_derive, serde, itoa, ryu, serde_json, memchr,
        // aho-corasick, regex-syntax, regex, anyhow, wrap) and 10 build scripts (proc-macro2, quote, syn, serde_derive,
        // serde, ryu, serde_json, memchr, anyhow, wrap's), one rustc call each; and anyhow's build script's probe: a
        // `--crate-name=anyhow_build` compile of a `#![feature]` file, which fails on a stable rustc. Its failure is run,
        // never stored: the dep-info of a failed rustc run leaves out the files it did not find (a missing module, an
        // include_str! target), so a stored failure could be replayed after the file appeared. It is a miss with the
        // reason no_dependency_info on every build, cold and warm. cargo's `-vV` and `--print` queries are not counted.
        var cold = _ws.Build("app/app.csproj", "-p:ZccacheJournal=cold.jsonl");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((26L, 0L, 26L, 0L), Counts(cold));
        Assert.Equal(1L, cold.Stats!.Errors);
        AssertOnlyTheProbeIsNot("miss", _ws.Journal("cold.jsonl"));
        Assert.Equal(bare, CargoOutputs(target));

        Assert.Equal(0, Dotnet.Run(_ws["app/crate"], ["clean"], env, "cargo").ExitCode);
        var warm = _ws.Build("app/app.csproj", "-p:ZccacheJournal=warm.jsonl");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((26L, 25L, 1L, 0L), Counts(warm));
        Assert.Equal(1L, warm.Stats!.Errors);
        AssertOnlyTheProbeIsNot("hit", _ws.Journal("warm.jsonl"));
        Assert.Contains("app -> zccache: 26 compilations, 25 hits, 1 miss, 0 non-cacheable, 1 failed (96.2% hit rate)", warm.Output);
        Assert.Equal(bare, CargoOutputs(target));

        // Served from the cache, the library parses JSON, matches its regex and returns through anyhow, from C and from C#.
        Assert.Equal("wrap_value=42", CallFromC(target));
        Assert.Equal("wrap_value=42", CallFromCSharp());

        static void AssertOnlyTheProbeIsNot(string outcome, List<System.Text.Json.JsonElement> journal)
        {
            Assert.Equal(26, journal.Count);
            var probe = Assert.Single(journal, l => l.GetProperty("outcome").GetString() != outcome);
            Assert.Contains("--crate-name=anyhow_build", probe.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
            Assert.Equal(("error", "no_dependency_info", 1),
                (probe.GetProperty("outcome").GetString(), probe.GetProperty("miss_reason").GetString(),
                    probe.GetProperty("exit_code").GetInt32()));
        }
    }

    /// <summary>
    /// app/app.csproj, a C# program that calls the cdylib of app/crate, <c>wrap_value</c>, and prints what it returns: its
    /// build runs <paramref name="cargoExec"/> first and copies the library from target/<paramref name="profileFolder"/>
    /// beside it. app/call.c calls it from C.
    /// </summary>
    private void CdylibApp(string cargoExec, string profileFolder)
    {
        Source("app/Program.cs", """
            using System.Runtime.InteropServices;
            static class Program
            {
                [DllImport("wrap")] static extern int wrap_value();
                static void Main() => System.Console.WriteLine($"wrap_value={wrap_value()}");
            }
            """);
        Source("app/call.c",
            "#include <stdio.h>\nint wrap_value(void);\nint main(void) { printf(\"wrap_value=%d\\n\", wrap_value()); return 0; }\n");
        _ws.Project("app/app.csproj", $"""
            <Target Name="Cargo" BeforeTargets="PrepareForBuild">
              {cargoExec}
            </Target>
            <ItemGroup>
              <None Include="crate/target/{profileFolder}/libwrap.so" Link="libwrap.so" CopyToOutputDirectory="PreserveNewest" />
            </ItemGroup>
            """, "<OutputType>Exe</OutputType>");
    }

    /// <summary>What app/call.c prints, built against the cdylib in <paramref name="target"/> and run.</summary>
    private string CallFromC(string target)
    {
        string lib = _ws[target];
        var gcc = Dotnet.Run(_ws["app"], ["call.c", "-L" + lib, "-lwrap", "-o", "call"], new(), "gcc");
        Assert.True(gcc.ExitCode == 0, gcc.Output);
        var run = Dotnet.Run(_ws["app"], [], new() { ["LD_LIBRARY_PATH"] = lib }, _ws["app/call"]);
        Assert.True(run.ExitCode == 0, run.Output);
        return run.Output.Trim();
    }

    /// <summary>What the C# program the build made prints.</summary>
    private string CallFromCSharp()
    {
        var run = Dotnet.Run(_ws["app"], [_ws["app/bin/Debug/net10.0/app.dll"]], new());
        Assert.True(run.ExitCode == 0, run.Output);
        return run.Output.Trim();
    }

    /// <summary>The crates a cdylib uses: serde with its derive alone, or issue 13's graph (regex, serde_json and anyhow too).</summary>
    private enum CrateGraph { Serde, Full }

    /// <summary>
    /// A cdylib crate, <c>wrap</c>, with a build script that generates code, using Debian's crates (offline); its
    /// <c>wrap_value</c> returns 2 + <paramref name="generated"/>, through every crate of the <paramref name="graph"/>.
    /// </summary>
    private void WriteCdylibCrate(string dir, CrateGraph graph, int generated)
    {
        _ws.DebianCrates(dir);
        string more = graph == CrateGraph.Full ? "serde_json = \"1\"\nanyhow = \"1\"\nregex = \"1\"" : "";
        _ws.Write(dir + "/Cargo.toml", $$"""
            [package]
            name = "wrap"
            version = "0.1.0"
            edition = "2021"
            [lib]
            crate-type = ["cdylib"]
            [dependencies]
            serde = { version = "1", features = ["derive"] }
            {{more}}
            """);
        Source(dir + "/build.rs", $$"""
            fn main() {
                let out = std::env::var("OUT_DIR").unwrap();
                std::fs::write(format!("{out}/generated.rs"), "pub const GENERATED: i32 = {{generated}};\n").unwrap();
                println!("cargo:rerun-if-changed=build.rs");
            }
            """);
        Source(dir + "/src/lib.rs", graph == CrateGraph.Full ? """
            include!(concat!(env!("OUT_DIR"), "/generated.rs"));
            #[derive(serde::Serialize, serde::Deserialize)]
            struct Point { x: i32, y: i32 }
            /// JSON into a derived struct and back, a regex over that, and anyhow's errors on the way.
            fn value(json: &str) -> anyhow::Result<i32> {
                let p: Point = serde_json::from_str(json)?;
                let numbers = regex::Regex::new(r"-?\d+")?.find_iter(&serde_json::to_string(&p)?).count();
                anyhow::ensure!(numbers == 2, "{numbers} numbers in {json}");
                Ok(p.x + p.y + GENERATED)
            }
            #[unsafe(no_mangle)]
            pub extern "C" fn wrap_value() -> i32 { value(r#"{ "x": 1, "y": 1 }"#).unwrap_or(-1) }
            """ : """
            include!(concat!(env!("OUT_DIR"), "/generated.rs"));
            #[derive(serde::Serialize, serde::Deserialize, Clone, Copy)]
            pub struct Point { pub x: i32, pub y: i32 }
            #[unsafe(no_mangle)]
            pub extern "C" fn wrap_value() -> i32 { let p = Point { x: 1, y: 1 }; p.x + p.y + GENERATED }
            """);
    }

    /// <summary>
    /// What cargo built, by path and bytes: the crates, proc-macros and the cdylib in deps/, the build scripts, and what
    /// each build script told cargo (its <c>output</c>: anyhow's says whether its probe compiled).
    /// </summary>
    private SortedDictionary<string, byte[]> CargoOutputs(string relative)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        string root = _ws[relative];
        var built = Directory.EnumerateFiles(Path.Join(root, "deps"))
            .Concat(Directory.EnumerateFiles(Path.Join(root, "build"), "build_script_build-*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Join(root, "build"), "output", SearchOption.AllDirectories));
        foreach (string f in built)
            if (!f.EndsWith(".d", StringComparison.Ordinal)) result[Path.GetRelativePath(root, f)] = File.ReadAllBytes(f);
        Assert.Contains(result.Keys, k =>
            k.StartsWith("deps/libserde_derive-", StringComparison.Ordinal) && k.EndsWith(".so", StringComparison.Ordinal));
        Assert.Contains("deps/libwrap.so", result.Keys);
        Assert.True(result.Keys.Count(k => k.StartsWith("build/", StringComparison.Ordinal)) >= 2, string.Join(", ", result.Keys));
        return result;
    }

    /// <summary>A library crate using three of Debian's packaged crates, built offline from /usr/share/cargo/registry.</summary>
    private void WriteCrate(string dir)
    {
        _ws.DebianCrates(dir);
        _ws.Write(dir + "/Cargo.toml", """
            [package]
            name = "demo"
            version = "0.1.0"
            edition = "2021"
            [dependencies]
            itoa = "1"
            cfg-if = "1"
            memchr = "2"
            """);
        Source(dir + "/src/lib.rs", """
            pub fn format(n: u32) -> String { let mut b = itoa::Buffer::new(); b.format(n).to_string() }
            pub fn find(h: &[u8]) -> Option<usize> { memchr::memchr(b'x', h) }
            cfg_if::cfg_if! { if #[cfg(unix)] { pub const OS: &str = "unix"; } else { pub const OS: &str = "other"; } }
            """);
    }


    private SortedDictionary<string, byte[]> Rlibs(string relative)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string f in Directory.EnumerateFiles(_ws[relative], "*.rlib")) result[Path.GetFileName(f)] = File.ReadAllBytes(f);
        return result;
    }
}
