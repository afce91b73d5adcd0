namespace Zccache.EndToEnd.Tests;

/// <summary>
/// ZccachePrefixCommand=icecc against a real icecream farm on this machine (scheduler, a remote iceccd, the local
/// iceccd): every miss compiles on the remote daemon, no hit does, objects are byte-identical to a local compile,
/// and a compile error comes back as it is.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class IcecreamTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "icecc");
    private readonly IcecreamFarm _farm = new();

    public void Dispose()
    {
        _farm.Dispose();
        _ws.Dispose();
    }

    [Fact]
    public void ClCompile_misses_compile_on_the_remote_iceccd_hits_never_do_and_errors_come_back()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items());
        BuildResult Build() => _ws.Run(["build", "app/app.csproj", "-p:ZccachePrefixCommand=icecc"], _farm.ClientEnvironment);

        var cold = Build();
        Assert.True(cold.Succeeded, cold.Output);
        Assert.Equal((4L, 4L, 0L), (cold.Stats!.Compilations, cold.Stats.Misses, cold.Stats.Hits));
        Assert.Equal(["format.cpp", "table.c", "table.c", "tokenize.cpp"], _farm.Compiles.Select(Path.GetFileName).Order());
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
        Assert.Equal(4, _farm.Compiles.Count); // no hit started icecc
        Assert.Equal(objects, _ws.Objects("app/obj/Debug/net10.0/zccache"));

        _ws.Write("app/native/src/broken.c", "int broken(void) { return undeclared_name; }\n");
        var failed = Build();
        Assert.False(failed.Succeeded);
        Assert.Matches(@"broken\.c\(1,\d+\): error[^:]*: .undeclared_name. undeclared", failed.Output);
        Assert.DoesNotContain("ZC1", failed.Output); // not a cache fault
        Assert.Equal("broken.c", Path.GetFileName(_farm.Compiles[^1]));
        Assert.Equal(5, _farm.Compiles.Count);
    }
}
