using System.Text.Json;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// Builds that fail after their native compiles still end their session: the summary line (console and terminal
/// logger), the finalized stats file and the CI summary — the builds CI users look at most.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class FailedBuildTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "failed");

    public void Dispose() => _ws.Dispose();

    /// <summary>Builds under a GitHub Actions environment; returns the build and the step summary it left.</summary>
    private (BuildResult Build, string StepSummary) BuildUnderCi(string target, params string[] extra)
    {
        string stepSummary = _ws.Write($"step-summary-{Guid.NewGuid():N}.md", "");
        var r = _ws.Run(["build", target, .. extra], new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = stepSummary });
        return (r, File.ReadAllText(stepSummary));
    }

    /// <summary>The session is ended: final.json written, the stats file is
    /// exactly the finalized stats, the CI summary has the totals.</summary>
    private void AssertEnded(BuildResult r, string stepSummary, long compilations)
    {
        Assert.False(r.Succeeded, r.Output);
        Assert.NotNull(r.Stats);
        Assert.Equal(compilations, r.Stats!.Compilations);
        string final = Path.Join(_ws.CacheDir, "sessions", r.Stats.SessionId, "final.json");
        Assert.True(File.Exists(final), "the session was not ended:\n" + r.Output);
        var finalJson = JsonDocument.Parse(File.ReadAllText(final)).RootElement;
        Assert.Equal(compilations, finalJson.GetProperty("compilations").GetInt64());
        // The stats file holds the finalized stats.
        string statsFile = Directory.EnumerateFiles(_ws.Root, "stats-*.json").OrderBy(File.GetLastWriteTimeUtc).Last();
        Assert.Equal(finalJson.GetProperty("duration_ms").GetInt64(),
            JsonDocument.Parse(File.ReadAllText(statsFile)).RootElement.GetProperty("duration_ms").GetInt64());
        Assert.StartsWith($"### zccache: {compilations} compilations", stepSummary);
        Assert.Contains($"Session `{r.Stats.SessionId}`", stepSummary);
    }

    private void Library()
    {
        NativeSources.WriteLibrary(_ws, "app/native");
    }

    [Theory]
    [InlineData("-tl:off")]
    [InlineData("-tl:on")]
    public void A_CSharp_compile_error_after_the_native_compiles_ends_the_session(string logger)
    {
        Library();
        _ws.Write("app/Broken.cs", "class Broken { int x = ; }\n");
        _ws.Project("app/app.csproj", NativeSources.Items());
        var (r, summary) = BuildUnderCi("app/app.csproj", logger);
        Assert.Contains("CS1525", r.Output);
        Assert.Contains("zccache: 4 compilations, 0 hits, 4 misses, 0 non-cacheable (0.0% hit rate)", r.Output);
        if (logger == "-tl:off") Assert.Single(r.SummaryLines);
        AssertEnded(r, summary, 4);
    }

    [Theory]
    [InlineData("-tl:off")]
    [InlineData("-tl:on")]
    public void A_failing_link_Exec_ends_the_session(string logger)
    {
        Library();
        _ws.Project("app/app.csproj", NativeSources.Items() + """
            <Target Name="LinkNative" AfterTargets="ZccacheCompile">
              <Exec Command="gcc -shared -o $(OutDir)libnative.so @(ZccacheObject->'%(FullPath)', ' ') -lzccache_no_such_library" />
            </Target>
            """);
        var (r, summary) = BuildUnderCi("app/app.csproj", logger);
        Assert.Contains("zccache_no_such_library", r.Output);
        Assert.Contains("zccache: 4 compilations, 0 hits, 4 misses", r.Output);
        AssertEnded(r, summary, 4);
    }

    [Fact]
    public void A_failing_cargo_Exec_ends_the_session_and_counts_the_failed_compile()
    {
        _ws.Write("app/crate/Cargo.toml", "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
        _ws.Write("app/crate/src/lib.rs", "pub fn broken() -> u32 { no_such_value }\n");
        _ws.Project("app/app.csproj", """
            <Target Name="Cargo" BeforeTargets="CoreCompile">
              <Exec Command="cargo build --offline" WorkingDirectory="crate" EnvironmentVariables="CARGO_INCREMENTAL=0" />
            </Target>
            """);
        var (r, summary) = BuildUnderCi("app/app.csproj");
        Assert.Contains("no_such_value", r.Output);
        Assert.Single(r.SummaryLines);
        Assert.Contains("1 failed", r.SummaryLines[0]);
        AssertEnded(r, summary, 1);
        Assert.Equal(1L, r.Stats!.Errors);
    }

    [Fact]
    public void A_failure_where_no_target_can_run_after_it_still_finalizes_the_session()
    {
        // A target hooked before Build is outside CoreBuild: MSBuild runs nothing of ours after it fails. The node's
        // end-of-build cleanup ends the session: no summary line, but the stats file, final stats and CI summary.
        Library();
        _ws.Project("app/app.csproj", NativeSources.Items() + """
            <Target Name="Package" BeforeTargets="Build">
              <Error Text="packaging failed" />
            </Target>
            """);
        var (r, summary) = BuildUnderCi("app/app.csproj");
        Assert.Contains("packaging failed", r.Output);
        Assert.Empty(r.SummaryLines);
        AssertEnded(r, summary, 4);
    }

    [Fact]
    public void A_solution_on_two_nodes_with_one_failing_project_ends_its_session_once()
    {
        NativeSources.WriteLibrary(_ws, "liba/native");
        _ws.Project("liba/liba.csproj", NativeSources.Items());
        Library();
        _ws.Write("app/Broken.cs", "class Broken { int x = ; }\n");
        _ws.Project("app/app.csproj",
            NativeSources.Items() + """<ItemGroup><ProjectReference Include="../liba/liba.csproj" /></ItemGroup>""");
        Assert.Equal(0, Dotnet.Run(_ws.Root, ["new", "sln", "-n", "both", "--format", "sln"], new()).ExitCode);
        Assert.Equal(0, Dotnet.Run(_ws.Root, ["sln", "both.sln", "add", "liba/liba.csproj", "app/app.csproj"], new()).ExitCode);
        var (r, summary) = BuildUnderCi("both.sln", "-m:2");
        Assert.Single(r.SummaryLines);
        Assert.Contains("zccache: 8 compilations, 0 hits, 8 misses", r.SummaryLines[0]);
        AssertEnded(r, summary, 8);
    }

    [Fact]
    public void A_cancelled_build_still_ends_its_session()
    {
        // A compiler that logs each call, then takes long enough to be interrupted (Ctrl+C is SIGINT).
        string started = _ws["compiler-started"];
        _ws.Write("slowcc", $"#!/bin/sh\necho \"$*\" >> '{started}'\nsleep 6\nexec gcc \"$@\"\n");
        File.SetUnixFileMode(_ws["slowcc"], (UnixFileMode)0b111_101_101);
        _ws.Write("app/native/a.c", "int a(void) { return 1; }\n");
        _ws.Write("app/native/b.c", "int b(void) { return 2; }\n");
        _ws.Project("app/app.csproj", """<ItemGroup><ClCompile Include="native/a.c;native/b.c" /></ItemGroup>""");
        var r = _ws.Run(["build", "app/app.csproj", "-p:ZccacheCC=" + _ws["slowcc"], "-p:ZccacheParallelism=1"], new(), whileRunning: p =>
        {
            bool Compiling() => File.Exists(started) && File.ReadAllLines(started).Any(l => l.Split(' ').Contains("-c"));
            for (var waited = System.Diagnostics.Stopwatch.StartNew(); !Compiling() && waited.Elapsed < TimeSpan.FromMinutes(2);)
                Thread.Sleep(100);
            Assert.Equal(0, Dotnet.Run(_ws.Root, ["-INT", p.Id.ToString()], new(), "kill").ExitCode);
        }, defaultSigint: true);
        Assert.False(r.Succeeded, r.Output);
        string sessions = Path.Join(_ws.CacheDir, "sessions");
        string session = Assert.Single(Directory.GetDirectories(sessions));
        Assert.True(File.Exists(Path.Join(session, "final.json")), r.Output);
        // The compile task takes the cancellation (ICancelableTask): the compile running finishes, the next never starts.
        Assert.Single(File.ReadAllLines(started), l => l.Split(' ').Contains("-c"));
    }
}
