using System.Text.Json;

namespace Zccache.EndToEnd.Tests;

/// <summary>
/// Session reports as a CI job sees them: the session commands driven as a script would drive them,
/// CI summaries, the compile journal, and two builds at once in two sessions.
/// </summary>
[Collection(BuildCollection.Name)]
public sealed class SessionReportTests(PackageFeed feed) : IDisposable
{
    private readonly Workspace _ws = new(feed, "reports");

    public void Dispose() => _ws.Dispose();

    private string App(string dir)
    {
        NativeSources.WriteLibrary(_ws, dir + "/native");
        return _ws.Project(dir + "/app.csproj", NativeSources.Items());
    }

    /// <summary>Runs the packed zccache command as a CI script would.</summary>
    private ProcessOutput Zccache(Dictionary<string, string?> env, params string[] args)
    {
        env["ZCCACHE_CACHE_DIR"] = _ws.CacheDir;
        foreach (string ci in new[] { "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "TF_BUILD", "AGENT_TEMPDIRECTORY", "ZCCACHE_SESSION_ID" })
            env.TryAdd(ci, null); // this machine's own CI must not see the tests' summaries
        return Dotnet.Run(_ws.Root, args, env, feed.Launcher);
    }

    /// <summary>How many manifests left in the cache name an entry that is still there (keys are stored as raw bytes).</summary>
    private long WholeResults()
    {
        string store = Path.Join(_ws.CacheDir, "v1");
        var entries = Directory.EnumerateDirectories(Path.Join(store, "entries"), "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName).Where(n => n!.Length == 64).Select(n => Convert.FromHexString(n!)).ToList();
        return Directory.EnumerateFiles(Path.Join(store, "manifests"), "*.manifest", SearchOption.AllDirectories)
            .Count(m => entries.Any(e => File.ReadAllBytes(m).AsSpan().IndexOf(e) >= 0));
    }

    private static JsonElement Json(ProcessOutput r)
    {
        Assert.True(r.ExitCode == 0, r.Output);
        return JsonDocument.Parse(r.Output).RootElement;
    }

    [Fact]
    public void A_CI_script_drives_one_session_over_several_dotnet_commands()
    {
        App("app");
        string journal = _ws["journal.jsonl"];
        var started = Json(Zccache(new(), "session-start", "--stats", "--journal", journal, "--json"));
        string id = started.GetProperty("session_id").GetString()!;
        Assert.Equal(journal, started.GetProperty("journal").GetString());
        var env = new Dictionary<string, string?> { ["ZCCACHE_SESSION_ID"] = id };

        var build = _ws.Run(["build", "app/app.csproj"], env);
        Assert.True(build.Succeeded, build.Output);
        Assert.Contains($"[session {id}]", build.Output);
        _ws.Delete("app/obj");
        var pack = _ws.Run(["pack", "app/app.csproj", "-o", _ws["out"]], env);
        Assert.True(pack.Succeeded, pack.Output);

        var running = Json(Zccache(new(), "session-stats", id, "--json"));
        Assert.Equal((8, 4, 4),
            (running.GetProperty("compilations").GetInt32(), running.GetProperty("hits").GetInt32(),
                running.GetProperty("misses").GetInt32()));

        string stepSummary = _ws.Write("step-summary.md", "");
        var ciEnv = new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = stepSummary };
        var ended = Json(Zccache(ciEnv, "session-end", id, "--json"));
        Assert.Equal(id, ended.GetProperty("session_id").GetString());
        Assert.Equal((8, 4, 4, 0), (ended.GetProperty("compilations").GetInt32(), ended.GetProperty("hits").GetInt32(),
            ended.GetProperty("misses").GetInt32(), ended.GetProperty("non_cacheable").GetInt32()));
        Assert.Equal(0.5, ended.GetProperty("hit_rate").GetDouble());
        string markdown = File.ReadAllText(stepSummary);
        Assert.Contains("### zccache: 8 compilations, 50.0% hit rate", markdown);
        Assert.Contains("| app.csproj | 8 | 4 | 4 | 0 |", markdown);
        Assert.Contains("| miss | context_not_found | 1 |", markdown);

        // Ending twice is harmless and changes nothing (no second CI summary either).
        var again = Zccache(ciEnv, "session-end", id);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already ended", again.Output);
        Assert.Contains("hits           4", again.Output);
        Assert.Equal(markdown, File.ReadAllText(stepSummary));
        // An unknown id is a clear error.
        var unknown = Zccache(new(), "session-end", Guid.NewGuid().ToString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("ZC2005", unknown.Output);
        Assert.Equal(2, Zccache(new(), "session-end", "not-a-uuid").ExitCode);

        // The journal: one line per compile, counted against the stats.
        var lines = File.ReadAllLines(journal).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(8, lines.Count);
        Assert.Equal(4, lines.Count(l => l.GetProperty("outcome").GetString() == "hit"));
        Assert.Equal(4,
            lines.Count(l =>
                l.GetProperty("outcome").GetString() == "miss" && l.GetProperty("miss_reason").GetString() == "context_not_found"));
        Assert.All(lines, l => Assert.Equal(id, l.GetProperty("session_id").GetString()));
        Assert.All(lines, l => Assert.Equal(_ws["app/app.csproj"], l.GetProperty("project").GetString()));
        Assert.All(lines, l => Assert.Contains(l.GetProperty("compiler").GetString(), new[] { "gcc", "g++" }));

        var analysis = Json(Zccache(new(), "analyze", journal, "--json"));
        Assert.Equal(8, analysis.GetProperty("compiles").GetInt32());
        Assert.Equal(0.5, analysis.GetProperty("projects")[0].GetProperty("hit_rate").GetDouble());
        var reason = Assert.Single(analysis.GetProperty("reasons").EnumerateArray());
        Assert.Equal(("miss", "context_not_found", 4),
            (reason.GetProperty("outcome").GetString(), reason.GetProperty("reason").GetString(), reason.GetProperty("count").GetInt32()));

        var status = Json(Zccache(new(), "status", "--json"));
        Assert.Equal(4, status.GetProperty("entries").GetInt32());
        Assert.Equal(8, status.GetProperty("lifetime").GetProperty("compilations").GetInt32());
    }

    [Fact]
    public void A_build_publishes_its_CI_summary_at_its_end()
    {
        App("app");
        string stepSummary = _ws.Write("step-summary.md", "");
        var github = _ws.Run(["build", "app/app.csproj"], new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = stepSummary });
        Assert.True(github.Succeeded, github.Output);
        string markdown = File.ReadAllText(stepSummary);
        Assert.Contains("### zccache: 4 compilations, 0.0% hit rate", markdown);
        Assert.Contains("| app.csproj | 4 | 0 | 4 | 0 |", markdown);

        _ws.Delete("app/obj");
        var azure = _ws.Run(["build", "app/app.csproj"], new() { ["TF_BUILD"] = "True", ["AGENT_TEMPDIRECTORY"] = _ws["agent"] });
        Assert.True(azure.Succeeded, azure.Output);
        string file = Assert.Single(Directory.GetFiles(_ws["agent"], "zccache-*.md"));
        Assert.Contains($"##vso[task.uploadsummary]{file}", azure.Output);
        Assert.Contains("### zccache: 4 compilations, 100.0% hit rate", File.ReadAllText(file));

        // Forced off.
        _ws.Delete("app/obj");
        var off = _ws.Run(["build", "app/app.csproj", "-p:ZccacheCiSummary=false"],
            new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = stepSummary });
        Assert.True(off.Succeeded, off.Output);
        Assert.Equal(markdown, File.ReadAllText(stepSummary));
    }

    [Fact]
    public void A_build_journal_has_one_line_per_compile_with_phases()
    {
        App("app");
        var r = _ws.Build("app/app.csproj", "-p:ZccacheJournal=build.jsonl", "-p:ZccacheProfile=true");
        Assert.True(r.Succeeded, r.Output);
        var lines = _ws.Journal("build.jsonl");
        Assert.Equal(r.Stats!.Compilations, lines.Count);
        Assert.Equal(r.Stats.Misses, lines.Count(l => l.GetProperty("outcome").GetString() == "miss"));
        Assert.All(lines, l => Assert.True(l.GetProperty("phases").GetProperty("compile_ns").GetInt64() > 0));
        Assert.All(lines, l => Assert.Equal(r.Stats.SessionId, l.GetProperty("session_id").GetString()));

        var bad = _ws.Build("app/app.csproj", "-p:ZccacheJournal=build.json");
        Assert.False(bad.Succeeded);
        Assert.Contains("ZC2003", bad.Output);
    }

    [Fact]
    public void A_tiny_budget_is_kept_by_trims_and_builds_still_pass()
    {
        App("app");
        var cold = _ws.Build("app/app.csproj");
        Assert.True(cold.Succeeded, cold.Output);
        var tiny = new Dictionary<string, string?> { ["ZCCACHE_CACHE_SIZE"] = "8K" };
        var status = Json(Zccache(new(tiny), "status", "--json"));
        Assert.Equal(8 * 1024, status.GetProperty("budget_bytes").GetInt64());
        Assert.True(status.GetProperty("size_bytes").GetInt64() > 8 * 1024, status.ToString());

        var trim = Json(Zccache(new(tiny), "trim", "--json"));
        Assert.True(trim.GetProperty("size_after_bytes").GetInt64() <= 8 * 1024 / 10 * 9);
        Assert.True(trim.GetProperty("entries_removed").GetInt32() >= 1);
        int kept = trim.GetProperty("entries_kept").GetInt32();
        long whole = WholeResults();
        _ws.Delete("app/obj");
        var warm = _ws.Build("app/app.csproj");
        Assert.True(warm.Succeeded, warm.Output);
        // A hit needs its manifest and the entry it names, both evictable: exactly the sources the trim left both of.
        Assert.Equal((4L, whole, 4 - whole), (warm.Stats!.Compilations, warm.Stats.Hits, warm.Stats.Misses));

        // A build that stores trims too, at its first store when the last trim is over a minute old; one that stores nothing
        // (a no-change build) never does. Shown with 20 old entries of 8K planted, any one of them over 90% of the budget.
        var planted = _ws.PlantOldEntriesAndMakeTrimDue();
        var upToDate = _ws.Build("app/app.csproj", "-p:ZccacheCacheSize=8K");
        Assert.True(upToDate.Succeeded, upToDate.Output);
        Assert.Equal((4L, 0L), (upToDate.Stats!.UpToDate, upToDate.Stats.Misses));
        Assert.All(planted, entry => Assert.True(Directory.Exists(entry)));

        foreach (string source in Directory.EnumerateFiles(Path.Join(_ws.Root, "app", "native"), "*.c*", SearchOption.AllDirectories))
            File.AppendAllText(source, "\n/* changed */\n"); // every compile misses and stores
        var stored = _ws.Build("app/app.csproj", "-p:ZccacheCacheSize=8K");
        Assert.True(stored.Succeeded, stored.Output);
        Assert.Equal((4L, 4L), (stored.Stats!.Compilations, stored.Stats.Misses));
        Assert.All(planted, entry => Assert.False(Directory.Exists(entry)));
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(_ws.LastTrimFile) < TimeSpan.FromMinutes(1));

        Assert.Equal(0, Zccache(new(), "clear").ExitCode);
        Assert.Equal(0, Json(Zccache(new(), "status", "--json")).GetProperty("entries").GetInt32());
    }

    [Fact]
    public void A_build_start_keeps_the_ended_sessions_it_is_told_to_and_the_lifetime_counts_them_all()
    {
        App("app");
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            _ws.Delete("app/obj");
            var r = _ws.Build("app/app.csproj", "-p:ZccacheSessionsKept=1");
            Assert.True(r.Succeeded, r.Output);
            ids.Add(r.Stats!.SessionId);
        }
        // The third build's start removed the first session (one ended session kept: the second); the third ended after.
        var kept = Directory.GetDirectories(Path.Join(_ws.CacheDir, "sessions")).Select(d => Path.GetFileName(d)!).Order().ToList();
        Assert.Equal(ids[1..].Order().ToList(), kept);
        var lifetime = Json(Zccache(new(), "status", "--json")).GetProperty("lifetime");
        Assert.Equal((3, 12), (lifetime.GetProperty("sessions").GetInt32(), lifetime.GetProperty("compilations").GetInt32()));
    }

    [Fact]
    public void Three_builds_at_once_on_one_cache_each_count_their_own_and_lose_nothing()
    {
        string[] apps = ["one", "two", "three"];
        foreach (string app in apps) App(app);
        BuildResult[] Parallel() => [.. apps.Select(app => Task.Run(() => _ws.Build($"{app}/app.csproj"))).ToArray().Select(t => t.Result)];
        var cold = Parallel();
        Assert.All(cold, r => Assert.True(r.Succeeded, r.Output));
        Assert.All(cold, r => Assert.Equal((4L, 4L), (r.Stats!.Compilations, r.Stats.Misses)));
        Assert.Equal(3, cold.Select(r => r.Stats!.SessionId).Distinct().Count());
        foreach (string app in apps) _ws.Delete(app + "/obj");
        var warm = Parallel();
        Assert.All(warm, r => Assert.Equal((4L, 4L), (r.Stats!.Compilations, r.Stats.Hits)));
    }

    [Fact]
    public void Two_builds_at_once_in_sessions_A_and_B_count_only_their_own()
    {
        App("a");
        NativeSources.WriteLibrary(_ws, "b/native");
        _ws.Project("b/b.csproj", """
            <ItemGroup><ClCompile Include="native/src/table.c;native/src/util/table.c" AdditionalIncludeDirectories="native/include" /></ItemGroup>
            """);
        string a = Zccache(new(), "session-start").Output.Trim();
        string b = Zccache(new(), "session-start").Output.Trim();
        var builds = new[] { ("a/app.csproj", a), ("b/b.csproj", b) }
            .Select(p => Task.Run(() => _ws.Run(["build", p.Item1], new() { ["ZCCACHE_SESSION_ID"] = p.Item2 }, withStats: false)))
            .ToArray();
        Task.WaitAll(builds);
        Assert.All(builds, t => Assert.True(t.Result.Succeeded, t.Result.Output));
        var endA = Json(Zccache(new(), "session-end", a, "--json"));
        var endB = Json(Zccache(new(), "session-end", b, "--json"));
        Assert.Equal((4, 4),
            (endA.GetProperty("compilations").GetInt32(), endA.GetProperty("misses").GetInt32() + endA.GetProperty("hits").GetInt32()));
        Assert.Equal((2, 2),
            (endB.GetProperty("compilations").GetInt32(), endB.GetProperty("misses").GetInt32() + endB.GetProperty("hits").GetInt32()));
    }
}
