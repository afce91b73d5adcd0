namespace Zccache.EndToEnd.Tests;

/// <summary>
/// ZccachePrefixCommand=distcc against a real distccd on 127.0.0.1 (no local fallback): every miss runs there,
/// no hit does, objects are byte-identical to a local compile, and a compile error comes back as it is.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class DistccTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = Workspace.WithFolder(feed, "distcc", "src");
    private readonly DistccServer _distccd = new();

    public void Dispose()
    {
        _distccd.Dispose();
        _ws.Dispose();
    }

    [Fact]
    public void ClCompile_misses_compile_on_distccd_hits_never_do_and_errors_come_back()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", """
            <ItemGroup>
              <ClCompile Include="native/src/**/*.c;native/src/**/*.cpp" AdditionalIncludeDirectories="native/include" PreprocessorDefinitions="FOO=1" />
            </ItemGroup>
            """);
        BuildResult Build() => _ws.Run(["build", "app/app.csproj", "-p:ZccachePrefixCommand=distcc"], _distccd.ClientEnvironment);

        var cold = Build();
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((4L, 4L, 0L), (cold.Stats!.Compilations, cold.Stats.Misses, cold.Stats.Hits));
        Assert.Equal(["format.cpp", "table.c", "table.c", "tokenize.cpp"], _distccd.Compiles.Select(Path.GetFileName).Order());
        var objects = _ws.Objects("app/obj/Debug/net10.0/zccache");
        foreach (var (relative, bytes) in objects)
        {
            // The same command line, compiled here by the bare compiler.
            string source = _ws["app/" + relative[..^2]];
            string plain = _ws["plain/" + relative];
            Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
            var r = Dotnet.Run(_ws["app"], ["-c", "-DFOO=1", "-I" + _ws["app/native/include"], source, "-o", plain], new(),
                source.EndsWith(".c") ? "gcc" : "g++");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(File.ReadAllBytes(plain), bytes);
        }

        _ws.Delete("app/obj");
        _ws.Delete("app/bin");
        var warm = Build();
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((4L, 4L, 0L), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses));
        Assert.Equal(4, _distccd.Count); // no hit started distcc
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));

        _ws.Write("app/native/src/broken.c", "int broken(void) { return undeclared_name; }\n");
        var failed = Build();
        Assert.False(failed.Succeeded);
        // gcc's error, as MSBuild reads it, on the source's line (distccd's locale may quote with ‘’).
        Assert.Matches(@"broken\.c\(1,\d+\): error[^:]*: .undeclared_name. undeclared", failed.Output);
        Assert.DoesNotContain("ZC1", failed.Output); // not a cache fault
        Assert.Equal("broken.c", Path.GetFileName(_distccd.Compiles[^1]));
        Assert.Equal(5, _distccd.Count);
    }

    [Fact]
    public void Exec_d_compiles_get_the_property_which_wins_over_the_environment()
    {
        _ws.Write("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Write("app/native/b.c", "int b(void) { return 2; }\n");
        _ws.Project("app/app.csproj", """
            <Target Name="Native" BeforeTargets="Build">
              <MakeDir Directories="$(IntermediateOutputPath)native" />
              <ZccacheExec Command="gcc -c native/a.c -o $(IntermediateOutputPath)native/a.o" />
              <Exec Command="&quot;$(ZccacheLauncher)&quot; gcc -c native/b.c -o $(IntermediateOutputPath)native/b.o" />
            </Target>
            """);
        var env = _distccd.ClientEnvironment;
        env["ZCCACHE_PREFIX_COMMAND"] = "no-such-wrapper-zc"; // the property below wins: no ZC1010, distcc runs
        BuildResult Build() => _ws.Run(["build", "app/app.csproj", "-p:ZccachePrefixCommand=distcc"], env);

        var cold = Build();
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((2L, 2L), (cold.Stats!.Compilations, cold.Stats.Misses));
        Assert.DoesNotContain("ZC1010", cold.Output);
        Assert.Equal(["a.c", "b.c"], _distccd.Compiles.Select(Path.GetFileName).Order());

        _ws.Delete("app/obj");
        var warm = Build();
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((2L, 2L), (warm.Stats!.Compilations, warm.Stats.Hits));
        Assert.Equal(2, _distccd.Count);
    }

    private ToolRun Exec(string executable, bool prefixed, params string[] args) =>
        _ws.Exec(executable, args, [.. _distccd.ClientEnvironment, new("ZCCACHE_PREFIX_COMMAND", prefixed ? "distcc" : null)]);

    [Fact]
    public void Launcher_misses_compile_on_distccd_with_their_depfiles_hits_stay_local()
    {
        _ws.Source("ok.h", "#define VALUE 42\n");
        _ws.Source("ok.c", "#include \"ok.h\"\nint value(void) { return VALUE; }\n");
        _ws.Source("fails.c", "int f(void) { return missing; }\n");
        var bare = Exec("gcc", prefixed: false, "-c", "ok.c", "-o", "bare.o", "-MD", "-MF", "bare.d");
        Assert.Equal(0, bare.ExitCode);
        string[] args = ["gcc", "-c", "ok.c", "-o", "ok.o", "-MD", "-MF", "ok.d"];

        var cold = Exec(feed.Launcher, prefixed: true, args);
        Assert.True(cold.ExitCode == 0, cold.Err);
        Assert.Equal(["ok.c"], _distccd.Compiles);
        Assert.Equal(File.ReadAllBytes(_ws["src/bare.o"]), File.ReadAllBytes(_ws["src/ok.o"]));
        // distcc preprocesses here, so the user's depfile is written here, naming the header.
        Assert.Equal(File.ReadAllText(_ws["src/bare.d"]).Replace("bare.o", "ok.o"), File.ReadAllText(_ws["src/ok.d"]));

        File.Delete(_ws["src/ok.o"]);
        File.Delete(_ws["src/ok.d"]);
        var warm = Exec(feed.Launcher, prefixed: true, args);
        Assert.Equal(0, warm.ExitCode);
        Assert.Single(_distccd.Compiles); // the hit started nothing
        Assert.Equal(File.ReadAllBytes(_ws["src/bare.o"]), File.ReadAllBytes(_ws["src/ok.o"]));
        Assert.Contains("ok.h", File.ReadAllText(_ws["src/ok.d"]));

        // A compile error: the compiler's output and exit code, from distccd; no cache warning.
        var local = Exec("gcc", prefixed: false, "-c", "fails.c", "-o", "fails.o");
        var failed = Exec(feed.Launcher, prefixed: true, "gcc", "-c", "fails.c", "-o", "fails.o");
        Assert.Equal(local.ExitCode, failed.ExitCode);
        // gcc's error lines (distccd's locale may quote with ‘’; it has no
        // source to quote lines from), after distcc's line naming the host.
        static string Plain(string text) => text.Replace('‘', '\'').Replace('’', '\'');
        string error = Assert.Single(local.Err.Split('\n'), l => l.Contains("error:"));
        Assert.Contains(Plain(error), Plain(failed.Err));
        Assert.Contains($"compile fails.c on {_distccd.Url} failed", failed.Err);
        Assert.DoesNotContain("zccache:", failed.Err);
        Assert.Equal(["ok.c", "fails.c"], _distccd.Compiles);

        // distccd gone: distcc's own failure (no host) comes back as it is, and is not replayed once distccd is back.
        _distccd.Stop();
        var down = Exec(feed.Launcher, prefixed: true, "gcc", "-c", "ok.c", "-O1", "-o", "o1.o");
        Assert.NotEqual(0, down.ExitCode);
        Assert.Contains("distcc", down.Err);
        var again = Exec(feed.Launcher, prefixed: false, "gcc", "-c", "ok.c", "-O1", "-o", "o1.o");
        Assert.Equal(0, again.ExitCode);
        Assert.True(File.Exists(_ws["src/o1.o"]));
    }
}
