namespace Zccache.EndToEnd.Tests;

/// <summary>
/// MSVC-style compiles on Linux: Debian's clang-cl-14 behind a wrapper script named <c>clang-cl</c>
/// that targets Linux (system headers, ELF objects), through ClCompile and the launcher.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class MsvcBuildTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "msvc");
    private const string ObjDir = "app/obj/Debug/net10.0/zccache";

    public void Dispose() => _ws.Dispose();

    /// <summary>A script named <paramref name="name"/> running clang-cl-14 for <paramref name="target"/>.</summary>
    private string Wrapper(string name = "clang-cl", string target = "x86_64-pc-linux-gnu")
    {
        string path = _ws.Write($"bin/{name}", $"#!/bin/sh\nexec clang-cl-14 --target={target} \"$@\"\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private const string Metadata =
        """AdditionalIncludeDirectories="native/include" PreprocessorDefinitions="FOO=1;%(PreprocessorDefinitions)" """
        + """Optimization="MaxSpeed" RuntimeLibrary="MultiThreadedDLL" WarningLevel="Level3" LanguageStandard="stdcpp17" """;

    private void App(string compiler, string metadata = Metadata)
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", $"""
            <ItemGroup>
              <ClCompile Include="native/src/**/*.c;native/src/**/*.cpp" {metadata} />
            </ItemGroup>
            """, $"<ZccacheCC>{compiler}</ZccacheCC>");
    }

    [Fact]
    public void Cold_build_misses_warm_build_hits_with_objects_identical_to_a_bare_compile()
    {
        string clangCl = Wrapper();
        App(clangCl);
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((4L, 0L, 4L, 0L), (cold.Stats!.Compilations, cold.Stats.Hits, cold.Stats.Misses, cold.Stats.NonCacheable));
        var coldObjects = _ws.Objects(ObjDir, "*.obj");
        Assert.Equal(new[] { "native/src/table.c.obj", "native/src/tokenize.cpp.obj", "native/src/util/format.cpp.obj",
            "native/src/util/table.c.obj" }, coldObjects.Keys);
        Assert.DoesNotContain("Note: including file", cold.Output);

        _ws.Delete("app/obj");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Equal((4L, 4L, 0L, 0L), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses, warm.Stats.NonCacheable));
        Assert.Equal(coldObjects, _ws.Objects(ObjDir, "*.obj"));

        // The cl command line the metadata maps to, run without any cache, gives the same bytes.
        foreach (var (relative, bytes) in coldObjects)
        {
            string source = _ws["app/" + relative[..^4]];
            string plain = _ws["plain/" + relative];
            Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
            string[] std = source.EndsWith(".c") ? [] : ["/std:c++17"];
            var r = Dotnet.Run(_ws["app"],
                ["/nologo", "/c", .. std, "/O2", "/EHsc", "/MD", "/W3", "/DFOO=1", "/I" + _ws["app/native/include"], "/Fo" + plain, "--",
                    source], new(), clangCl);
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal(File.ReadAllBytes(plain), bytes);
        }
    }

    [Fact]
    public void Editing_one_header_misses_exactly_the_sources_that_include_it()
    {
        App(Wrapper());
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.Misses);
        File.AppendAllText(_ws["app/native/include/config.h"], "\n#define CONFIG_EDITED 1\n");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        // the others are up to date
        Assert.Equal((2L, 0L, 2L, 2L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.UpToDate));
        Assert.Contains("miss (input_changed) native/src/table.c", r.Output.Replace('\\', '/'), StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_header_shadowing_a_used_one_is_a_miss()
    {
        App(Wrapper(), Metadata.Replace("native/include", "native/override;native/include"));
        Directory.CreateDirectory(_ws["app/native/override"]);
        Assert.Equal(4, _ws.Build("app/app.csproj").Stats!.Misses);
        // table.c and tokenize.cpp include "table.h", now found in override/ first (as in the gcc test: a new
        // override/config.h would not shadow table.h's "config.h", which is found beside table.h).
        _ws.Write("app/native/override/table.h", "#pragma once\n#include \"../include/table.h\"\n#define FOO_OVERRIDDEN 1\n");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((0L, 2L, 2L), (r.Stats!.Hits, r.Stats.Misses, r.Stats.UpToDate));
        Assert.Contains("miss (include_shadowed)", r.Output);
    }

    [Fact]
    public void Program_database_and_precompiled_headers_run_uncached_with_their_reasons()
    {
        // A wrapper named cl: cl's /Zi writes a shared PDB. clang-cl underneath.
        _ws.Write("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Write("app/native/b.c", "#include \"pch.h\"\nint b(void) { return P; }\n");
        _ws.Write("app/native/pch.h", "#define P 1\n");
        _ws.Project("app/app.csproj", """
            <ItemGroup>
              <ClCompile Include="native/a.c" AdditionalOptions="/Zi" />
              <ClCompile Include="native/b.c" AdditionalIncludeDirectories="native" AdditionalOptions="/Ycpch.h %(AdditionalOptions)" />
            </ItemGroup>
            """, $"<ZccacheCC>{Wrapper("cl")}</ZccacheCC>");
        var r = _ws.Build("app/app.csproj", "-v:n");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal((2L, 0L, 0L, 2L), (r.Stats!.Compilations, r.Stats.Hits, r.Stats.Misses, r.Stats.NonCacheable));
        Assert.Contains("not cached (program_database) native/a.c", r.Output);
        Assert.Contains("not cached (precompiled_header) native/b.c", r.Output);
    }

    [Fact]
    public void A_compile_error_is_cached_and_replayed_on_its_line()
    {
        _ws.Write("app/native/bad.cpp", "int broken() { return undeclared_name; }\n");
        _ws.Write("app/native/good.c", "int good(void) { return 1; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/*.c;native/*.cpp" /></ItemGroup>""",
            $"<ZccacheCXX>{Wrapper()}</ZccacheCXX>");
        var first = _ws.Build("app/app.csproj");
        var second = _ws.Build("app/app.csproj", "-v:n");
        foreach (var r in new[] { first, second })
        {
            Assert.False(r.Succeeded);
            Assert.Contains("native/bad.cpp(1,23): error : use of undeclared identifier 'undeclared_name'", r.Output);
        }
        Assert.Equal((2L, 0L, 2L, 1L), (first.Stats!.Compilations, first.Stats.Hits, first.Stats.Misses, first.Stats.Errors));
        // good.c is up to date; the failure is replayed.
        Assert.Equal((1L, 0L, 0L, 1L, 1L),
            (second.Stats!.Compilations, second.Stats.Hits, second.Stats.Misses, second.Stats.ErrorsCached, second.Stats.UpToDate));
        Assert.Contains("hit (cached error) native/bad.cpp", second.Output);
    }

    [Fact]
    public void Cl_errors_on_standard_output_are_shown_on_their_line_with_their_code()
    {
        // A stand-in named cl that answers as cl.exe does: the source's name, then the error, on standard output.
        _ws.Write("bin/cl-output.txt", "bad.c\r\nnative/bad.c(3): error C2065: 'x': undeclared identifier\r\n");
        string cl = _ws.Write("bin/cl", "#!/bin/sh\ncat \"$(dirname \"$0\")/cl-output.txt\"\nexit 2\n");
        File.SetUnixFileMode(cl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ws.Write("app/native/bad.c", "int f(void)\n{\n    return x;\n}\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/bad.c" /></ItemGroup>""", $"<ZccacheCC>{cl}</ZccacheCC>");
        var first = _ws.Build("app/app.csproj");
        var second = _ws.Build("app/app.csproj", "-v:n");
        foreach (var r in new[] { first, second })
        {
            Assert.False(r.Succeeded);
            Assert.Contains("native/bad.c(3): error C2065: 'x': undeclared identifier", r.Output);
        }
        Assert.Equal((1L, 1L), (first.Stats!.Misses, first.Stats.Errors));
        Assert.Equal((0L, 0L, 1L), (second.Stats!.Misses, second.Stats.Errors, second.Stats.ErrorsCached));
        Assert.Contains("hit (cached error) native/bad.c", second.Output);
    }

    [Fact]
    public void The_launcher_serves_clang_cl_with_the_compilers_own_output()
    {
        string bin = Path.GetDirectoryName(Wrapper())!;
        _ws.Write("src/a.h", "#define A 1\n");
        _ws.Write("src/a.c", "#include \"a.h\"\nint a(void) { int unused; return A; }\n");
        string[] args = ["/c", "/W4", "/showIncludes", "a.c", "/Foa.obj"];
        var plain = Run(Path.Join(bin, "clang-cl"), bin, args);
        byte[] plainObject = File.ReadAllBytes(_ws["src/a.obj"]);
        _ws.Delete("src/a.obj");
        foreach (string round in new[] { "cold", "warm" })
        {
            var cached = Run(feed.Launcher, bin, ["clang-cl", .. args]);
            Assert.True(cached.ExitCode == 0, round + ": " + cached.Stderr);
            Assert.Equal(plain.Stdout, cached.Stdout); // the notes the user asked for
            Assert.Equal(plain.Stderr, cached.Stderr); // the warning
            Assert.Equal(plainObject, File.ReadAllBytes(_ws["src/a.obj"]));
            _ws.Delete("src/a.obj");
        }
        Assert.Contains("Note: including file: ./a.h", plain.Stdout);
        Assert.Contains("warning: unused variable", plain.Stderr);
        Assert.Single(Directory.EnumerateFiles(Path.Join(_ws.CacheDir, "v1", "entries"), "meta", SearchOption.AllDirectories));
    }

    private (int ExitCode, string Stdout, string Stderr) Run(string executable, string pathPrefix, string[] args)
    {
        var run = _ws.Exec(executable, args, [new("PATH", pathPrefix + ":" + Environment.GetEnvironmentVariable("PATH"))]);
        return (run.ExitCode, run.Out, run.Err);
    }
}
