namespace Zccache.EndToEnd.Tests;

/// <summary>Which build shapes get exactly one session, one summary line and summed counts.</summary>
[Collection(BuildCollection.Name)]
public sealed class SessionShapeTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "shapes");

    public void Dispose() => _ws.Dispose();

    private void TwoLibraries(string appReferences = "")
    {
        NativeSources.WriteLibrary(_ws, "liba/native");
        _ws.Project("liba/liba.csproj", NativeSources.Items());
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Write("app/native/src/extra.c", "int extra(void) { return 5; }\n");
        _ws.Project("app/app.csproj", NativeSources.Items() + appReferences);
    }

    private void AssertOneSession(BuildResult r, long compilations)
    {
        Assert.True(r.Succeeded, r.Output);
        Assert.Single(r.SummaryLines);
        Assert.Equal(compilations, r.Stats!.Compilations);
        Assert.Equal(compilations, r.Stats.Misses + r.Stats.Hits);
        // Every project reported into the same session folder.
        Assert.Single(Directory.GetDirectories(Path.Join(_ws.CacheDir, "sessions")), d => Path.GetFileName(d) == r.Stats.SessionId);
    }

    [Fact]
    public void Project_with_a_project_reference_built_on_two_nodes_is_one_session()
    {
        TwoLibraries("""<ItemGroup><ProjectReference Include="../liba/liba.csproj" /></ItemGroup>""");
        var r = _ws.Build("app/app.csproj", "-m:2");
        AssertOneSession(r, 9);
        Assert.Equal(9, r.Stats!.Misses);
        Assert.Contains("app -> zccache: 9 compilations", r.SummaryLines[0]);
    }

    [Fact]
    public void Solution_built_on_two_nodes_is_one_session_with_counts_summed()
    {
        TwoLibraries();
        Assert.Equal(0, Dotnet.Run(_ws.Root, ["new", "sln", "-n", "both", "--format", "sln"], new()).ExitCode);
        Assert.Equal(0, Dotnet.Run(_ws.Root, ["sln", "both.sln", "add", "liba/liba.csproj", "app/app.csproj"], new()).ExitCode);
        var cold = _ws.Build("both.sln", "-m:2", "-v:n");
        AssertOneSession(cold, 9);
        Assert.Equal(9, cold.Stats!.Misses);
        // The per-project breakdown at normal verbosity.
        Assert.Contains("zccache:   liba.csproj: 4 compilations, 0 hits, 4 misses", cold.Output);
        Assert.Contains("zccache:   app.csproj: 5 compilations, 0 hits, 5 misses", cold.Output);

        _ws.Delete("liba/obj/Debug");
        _ws.Delete("app/obj/Debug");
        var warm = _ws.Build("both.sln", "-m:1");
        Assert.True(warm.Succeeded, warm.Output);
        Assert.Single(warm.SummaryLines);
        Assert.Equal((9L, 9L), (warm.Stats!.Compilations, warm.Stats.Hits));
    }

    [Fact]
    public void Single_project_with_node_reuse_and_the_terminal_logger_shows_the_summary()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items());
        try
        {
            var env = new Dictionary<string, string?> { ["MSBUILDDISABLENODEREUSE"] = "0" };
            var cold = _ws.Run(["build", "app/app.csproj", "-m:2", "-nr:true", "-tl:on"], env);
            Assert.True(cold.Succeeded, cold.Output);
            Assert.Contains("zccache: 4 compilations, 0 hits, 4 misses, 0 non-cacheable (0.0% hit rate)", cold.Output);
            _ws.Delete("app/obj/Debug");
            var warm = _ws.Run(["build", "app/app.csproj", "-m:2", "-nr:true", "-tl:on"], env);
            Assert.Contains("zccache: 4 compilations, 4 hits, 0 misses, 0 non-cacheable (100.0% hit rate)", warm.Output);
            Assert.Equal(4, warm.Stats!.Hits);
            Assert.NotEqual(cold.Stats!.SessionId, warm.Stats.SessionId);
        }
        finally
        {
            Dotnet.Run(_ws.Root, ["build-server", "shutdown", "--msbuild"], new());
        }
    }

    [Fact]
    public void An_explicit_session_spans_several_builds()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Project("app/app.csproj", NativeSources.Items());
        string id = Guid.NewGuid().ToString();
        var env = new Dictionary<string, string?> { ["ZCCACHE_SESSION_ID"] = id };
        var first = _ws.Run(["build", "app/app.csproj"], env);
        _ws.Delete("app/obj/Debug");
        var second = _ws.Run(["build", "app/app.csproj"], env);
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal(id, first.Stats!.SessionId);
        Assert.Equal(id, second.Stats!.SessionId);
        // The session so far: the first build's misses and the second's hits.
        Assert.Equal((8L, 4L, 4L), (second.Stats.Compilations, second.Stats.Hits, second.Stats.Misses));
        Assert.Contains($"[session {id}]", second.SummaryLines.Single());

        // A property wins over the environment; a malformed id gives ZC2001 and a session of its own.
        var bad = _ws.Run(["build", "app/app.csproj", "-p:ZccacheSessionId=not-a-uuid"], env);
        Assert.True(bad.Succeeded, bad.Output);
        Assert.Contains("warning ZC2001", bad.Output);
        Assert.NotEqual(id, bad.Stats!.SessionId);
    }

    [Fact]
    public void The_package_works_as_an_msbuild_sdk()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
        _ws.Write("app/app.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Sdk Name="Zccache.MSBuild" Version="{_ws.PackageVersion}" />
              <PropertyGroup><TargetFramework>net10.0</TargetFramework><NuGetAudit>false</NuGetAudit></PropertyGroup>
              {NativeSources.Items()}
            </Project>
            """);
        var r = _ws.Build("app/app.csproj");
        Assert.True(r.Succeeded, r.Output);
        Assert.Equal(4, r.Stats!.Misses);
        Assert.Single(r.SummaryLines);
    }
}
