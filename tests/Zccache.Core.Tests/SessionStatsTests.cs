using Zccache.Core.Paths;
using Zccache.Core.Sessions;
using Zccache.Core.Storage;

namespace Zccache.Core.Tests;

public class SessionStatsTests
{
    private static NormalizedPath P(string p) => NormalizedPath.From(p);

    [Fact]
    public void Every_count_of_a_sessions_stats_is_written_read_back_and_added_up()
    {
        // Each count gets its own value, so a count that a file or a sum leaves out (or mixes with another) shows.
        var counts = typeof(FinalizedSessionStats).GetProperties().Where(p => p.PropertyType == typeof(long) && p.Name != "Sessions")
            .ToArray();
        Assert.True(counts.Length >= 18);
        var stats = new FinalizedSessionStats { SessionId = "s", Sessions = 3 };
        for (int i = 0; i < counts.Length; i++) counts[i].SetValue(stats, 100L + i);

        var read = FinalizedSessionStats.FromJson(System.Text.Json.JsonDocument.Parse(stats.ToJson()).RootElement);
        Assert.Equal(stats, read);
        var sum = FinalizedSessionStats.Sum([stats, read]);
        Assert.Equal(6, sum.Sessions);
        Assert.All(counts, p => Assert.Equal(2 * (long)p.GetValue(stats)!, (long)p.GetValue(sum)!));
    }

    [Fact]
    public void New_tracker_is_zero()
    {
        var t = new SessionStatsTracker();
        Assert.Equal(0,
            t.Compilations + t.Hits + t.Misses + t.NonCacheable + t.Errors + t.ErrorsCached + t.BytesRead + t.BytesWritten + t.TimeSavedNs);
        Assert.Empty(t.Sources);
    }

    [Fact]
    public void Hits_count_sources_once_and_save_real_time()
    {
        var t = new SessionStatsTracker();
        t.RecordHit(P("/src/a.c"), originalCompileNs: 5_000_000, hitLatencyNs: 1_000_000, bytes: 1024);
        t.RecordHit(P("/src/a.c"), originalCompileNs: 3_000_000, hitLatencyNs: 500_000, bytes: 2048);
        Assert.Equal(2, t.Compilations);
        Assert.Equal(2, t.Hits);
        Assert.Equal(4_000_000 + 2_500_000, t.TimeSavedNs); // original minus the hit's own cost
        Assert.Equal(3072, t.BytesRead);
        Assert.Single(t.Sources);
    }

    [Fact]
    public void A_hit_slower_than_the_compile_saves_nothing()
    {
        var t = new SessionStatsTracker();
        t.RecordHit(P("/src/a.c"), originalCompileNs: 1_000, hitLatencyNs: 9_000, bytes: 1);
        Assert.Equal(0, t.TimeSavedNs);
    }

    [Fact]
    public void Miss_counts_bytes_written()
    {
        var t = new SessionStatsTracker();
        t.RecordMiss(P("/src/b.c"), 4096);
        Assert.Equal(1, t.Compilations);
        Assert.Equal(1, t.Misses);
        Assert.Equal(4096, t.BytesWritten);
        Assert.Single(t.Sources);
    }

    [Fact]
    public void Non_cacheable_error_and_cached_error()
    {
        var t = new SessionStatsTracker();
        t.RecordNonCacheable();
        t.RecordError();
        t.RecordCachedError(P("/src/e.c"), 2_000_000, 1_000_000, 10);
        Assert.Equal(2, t.Compilations);
        Assert.Equal(1, t.NonCacheable);
        Assert.Equal(1, t.Errors);
        Assert.Equal(1, t.ErrorsCached);
        Assert.Equal(0, t.Hits);
        Assert.Equal(1_000_000, t.TimeSavedNs);
    }

    [Fact]
    public void Finalize_gives_plain_numbers_and_hit_rate()
    {
        var t = new SessionStatsTracker();
        t.RecordHit(P("/src/a.c"), 6_000_000, 1_000_000, 1024);
        t.RecordMiss(P("/src/b.c"), 2048);
        t.RecordNonCacheable();
        var id = SessionId.New();
        var f = t.Finalize(id, TimeSpan.FromMilliseconds(500));
        Assert.Equal(id.ToString(), f.SessionId);
        Assert.Equal(500, f.DurationMs);
        Assert.Equal(3, f.Compilations);
        Assert.Equal(1, f.Hits);
        Assert.Equal(1, f.Misses);
        Assert.Equal(1, f.NonCacheable);
        Assert.Equal(0, f.ErrorsCached);
        Assert.Equal(5, f.TimeSavedMs);
        Assert.Equal(2, f.UniqueSources);
        Assert.Equal(1024, f.BytesRead);
        Assert.Equal(2048, f.BytesWritten);
        Assert.Equal(0.5, f.HitRate);
    }

    [Fact]
    public void Hit_rate_is_null_without_hits_or_misses()
    {
        var t = new SessionStatsTracker();
        t.RecordNonCacheable();
        Assert.Null(t.Finalize(SessionId.New(), TimeSpan.Zero).HitRate);
    }

    [Fact]
    public void Stats_json_has_the_documented_field_names()
    {
        var t = new SessionStatsTracker();
        t.RecordHit(P("/a.c"), 10_000_000, 0, 5);
        string json = Reporting.StatsReport.Json(t.Finalize(SessionId.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            TimeSpan.FromSeconds(2)));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "session_id", "duration_ms", "compilations", "hits", "misses", "non_cacheable", "errors", "errors_cached",
            "time_saved_ms", "wall_time_saved_ms", "up_to_date", "remote_hits", "remote_faults", "unique_sources", "bytes_read",
            "bytes_written",
            "link_hits", "link_misses", "link_up_to_date", "hit_rate" }, names);
        Assert.Equal(1.0, doc.RootElement.GetProperty("hit_rate").GetDouble());
        Assert.Equal("0f8fad5b-d9cb-469f-a165-70867728950e", doc.RootElement.GetProperty("session_id").GetString());
    }

    [Fact]
    public void Summary_line_reads_like_the_example()
    {
        var s = new FinalizedSessionStats { Compilations = 40, Hits = 38, Misses = 2, TimeSavedMs = 31_200, WallTimeSavedMs = 15_600 };
        Assert.Equal("zccache: 40 compilations, 38 hits, 2 misses, 0 non-cacheable (95.0% hit rate), "
            + "saved 31.2 s of compile time (~15.6 s wall)",
            Reporting.StatsReport.SummaryLine(s));
        Assert.Equal("zccache: 0 compilations, 0 hits, 0 misses, 0 non-cacheable, 50 up to date, saved 0.0 s of compile time (~0.0 s wall)",
            Reporting.StatsReport.SummaryLine(new FinalizedSessionStats { UpToDate = 50 }));
        Assert.Equal("zccache: 2 compilations, 0 hits, 2 misses, 0 non-cacheable (0.0% hit rate); "
            + "links: 1 hit, 0 misses, 0 up to date, saved 0.0 s of compile time (~0.0 s wall)",
            Reporting.StatsReport.SummaryLine(new FinalizedSessionStats { Compilations = 2, Misses = 2, LinkHits = 1 }));
    }

    [Fact]
    public void Up_to_date_is_not_a_compilation_and_saves_nothing_and_wall_time_follows_parallelism()
    {
        var t = new SessionStatsTracker();
        t.RecordHit(P("/a.c"), 400_000_000, 0, 5, parallelism: 4);
        t.RecordHit(P("/b.c"), 300_000_000, 100_000_000, 5);
        t.RecordUpToDate(P("/c.c"));
        t.RecordMiss(P("/d.c"), 10);
        var s = t.Finalize(SessionId.New(), TimeSpan.FromSeconds(1));
        Assert.Equal((3L, 2L, 1L, 1L), (s.Compilations, s.Hits, s.Misses, s.UpToDate));
        Assert.Equal(s.Compilations, s.Hits + s.Misses + s.NonCacheable + s.ErrorsCached);
        Assert.Equal(600, s.TimeSavedMs);       // 400 + (300 - 100)
        Assert.Equal(300, s.WallTimeSavedMs);   // 400 / 4 + 200 / 1
        Assert.Equal(4, s.UniqueSources);
    }

    [Fact]
    public void Session_folder_adds_up_outcomes_from_several_processes_and_ends_once()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var id = SessionId.New();
        var folder = new SessionFolder(layout, id);
        folder.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);
        folder.Append(new CompileOutcome { Kind = OutcomeKind.Miss, Source = "/a.c", Project = "/p/a.csproj", Bytes = 100 });
        // Another process's file, written as that process would (one JSON object a line), with a torn last line and
        // a line of an outcome this version does not know (a newer launcher in the same session): both skipped.
        File.WriteAllText(Path.Join(folder.Path, "outcomes", "99999-x.jsonl"),
            "{\"outcome\":\"some_future_outcome\",\"source\":\"/c.c\"}\n" +
            "{\"outcome\":\"hit\",\"source\":\"/b.c\",\"project\":\"/p/b.csproj\"," +
            "\"latency_ns\":1000000,\"original_ns\":51000000,\"bytes\":7}\n" +
            "{\"outcome\":\"non_cacheable\",\"reason\":\"linking\",\"project\":\"/p/b.csproj\"}\n{\"outcome\":\"hi");
        var (total, perProject) = folder.Aggregate();
        Assert.Equal(3, total.Compilations);
        Assert.Equal(1, total.Hits);
        Assert.Equal(1, total.Misses);
        Assert.Equal(1, total.NonCacheable);
        Assert.Equal(50, total.TimeSavedMs);
        Assert.Equal(2, perProject.Count);
        Assert.Equal(2, perProject.Single(p => p.Project == "/p/b.csproj").Stats.Compilations);

        var ended = folder.End();
        Assert.True(folder.IsEnded);
        folder.Append(new CompileOutcome { Kind = OutcomeKind.Miss, Source = "/late.c" });
        Assert.Equal(ended, folder.End()); // ending twice is harmless and returns what was finalized
    }

    [Fact]
    public void Outcomes_written_while_the_writer_is_closed_again_and_again_are_all_kept_and_no_file_stays_open()
    {
        // The resident server closes a session's writer (its sweep) while calls may still be recording in it.
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var folder = new SessionFolder(layout, SessionId.New());
        folder.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);
        const int writers = 4, each = 2000;
        bool done = false;
        List<string> open;
        // No collection until the open files are counted: a file left open by a closed writer would be closed by its finalizer.
        bool noGc = GC.TryStartNoGCRegion(200 << 20);
        try
        {
            var closer = new Thread(() => { while (!Volatile.Read(ref done)) folder.CloseWriter(); });
            closer.Start();
            Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
            {
                for (int i = 0; i < each; i++) folder.Append(new CompileOutcome { Kind = OutcomeKind.Miss, Source = $"/{w}/{i}.c" });
            });
            Volatile.Write(ref done, true);
            closer.Join();
            folder.CloseWriter();
            open = OpenFiles.Under(Path.Join(folder.Path, "outcomes"));
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        Assert.Empty(open);
        Assert.Equal(writers * each, folder.ReadOutcomes().Select(o => o.Source).Distinct().Count());
    }

    [Fact]
    public void Outcome_lines_read_back_as_written()
    {
        var outcome = new CompileOutcome
        {
            Kind = OutcomeKind.CachedError, Source = "/s/a \"b\".c", Project = "/p.csproj", ContextKey = new string('a', 64),
            LatencyNs = 5, OriginalNs = 7, Bytes = 9, ExitCode = 1, Reason = "x",
        };
        string line = System.Text.Encoding.UTF8.GetString(outcome.ToJsonLine());
        Assert.EndsWith("\n", line);
        Assert.Contains("\"outcome\":\"cached_error\"", line);
        var back = CompileOutcome.FromJsonLine(line)!;
        Assert.Equal(outcome, back);

        var link = outcome with { Kind = OutcomeKind.Hit, Step = Step.Link, Remote = true, Parallelism = 4, Call = "c1", Reason = null };
        Assert.Equal(link, CompileOutcome.FromJsonLine(link.ToJsonLine()));
        var upToDate = new CompileOutcome { Kind = OutcomeKind.UpToDate, Source = "/a.c" };
        Assert.Equal(upToDate, CompileOutcome.FromJsonLine(upToDate.ToJsonLine()));
    }

    [Theory]
    [InlineData("{\"outcome\":\"renamed_in_a_newer_version\",\"latency_ns\":1,\"ts\":\"2026-12-03T05:00:00+00:00\"}")]
    [InlineData("{\"latency_ns\":1}")]
    [InlineData("{\"outcome\":\"hit\",\"latency_ns\":\"one\"}")]
    [InlineData("{\"outcome\":\"hit\",\"exit_code\":99999999999}")]
    [InlineData("{\"outcome\":\"hit\",\"ts\":\"yesterday\"}")]
    [InlineData("{\"outcome\":\"hit\",\"latency_n")]
    [InlineData("[1]")]
    [InlineData("")]
    public void A_line_that_is_not_an_outcome_is_skipped(string line)
    {
        Assert.Null(CompileOutcome.FromJsonLine(line));
        Assert.Null(CompileOutcome.FromJsonLine(System.Text.Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void Session_files_written_by_the_serializer_of_earlier_versions_read_back()
    {
        // Verbatim as System.Text.Json's serializer wrote them before the session files were written by hand.
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        var id = SessionId.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var folder = new SessionFolder(layout, id);
        Directory.CreateDirectory(folder.Path);
        File.WriteAllText(Path.Join(folder.Path, "session.json"), """
            {
              "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
              "created_utc": "2026-12-02T10:11:12.1234567+00:00",
              "client_pid": 4242,
              "explicit": true,
              "working_dir": "/w",
              "journal": null,
              "profile": false
            }
            """);
        Assert.Equal(new SessionInfo(id.ToString(), new DateTimeOffset(2026, 12, 2, 10, 11, 12, TimeSpan.Zero).AddTicks(1234567), 4242,
            true, "/w"), folder.ReadInfo());

        File.WriteAllText(Path.Join(folder.Path, "final.json"), """
            {
              "session_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
              "duration_ms": 2000,
              "compilations": 3,
              "hits": 1,
              "misses": 1,
              "non_cacheable": 1,
              "errors": 0,
              "errors_cached": 0,
              "time_saved_ms": 10,
              "wall_time_saved_ms": 5,
              "up_to_date": 2,
              "remote_hits": 0,
              "remote_faults": 0,
              "unique_sources": 3,
              "bytes_read": 7,
              "bytes_written": 8,
              "link_hits": 1,
              "link_misses": 0,
              "link_up_to_date": 0,
              "hit_rate": 0.5
            }
            """);
        var final = folder.ReadFinal()!;
        Assert.Equal((2000L, 3L, 1L, 1L, 1L, 10L, 5L, 2L, 3L, 7L, 8L, 1L, 0.5),
            (final.DurationMs, final.Compilations, final.Hits, final.Misses, final.NonCacheable, final.TimeSavedMs, final.WallTimeSavedMs,
                final.UpToDate, final.UniqueSources, final.BytesRead, final.BytesWritten, final.LinkHits, final.HitRate));
        Assert.Equal(final, FinalizedSessionStats.FromJson(System.Text.Json.JsonDocument.Parse(final.ToJson()).RootElement));

        var scope = folder.Build("b1");
        Directory.CreateDirectory(Path.Join(scope.Path, "projects"));
        File.WriteAllText(Path.Join(scope.Path, "projects", "k.started"), "{\"project\":\"/p/a.csproj\",\"stats_file\":null}");
        Assert.Equal([new ProjectMarker("/p/a.csproj", null)], scope.Started());
    }

    [Fact]
    public void Session_files_round_trip()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        var folder = new SessionFolder(layout, SessionId.New());
        var info = folder.EnsureCreated(4242, isExplicit: false, "/w \"x\"", journal: "/j.jsonl", profile: true);
        Assert.Equal(info, folder.ReadInfo());
        var scope = folder.Build("b1");
        scope.MarkStarted("k", new ProjectMarker("/p/a.csproj", "/s.json"));
        Assert.Equal([new ProjectMarker("/p/a.csproj", "/s.json")], scope.Started());
        File.WriteAllText(Path.Join(folder.Path, "session.json"), "{\"id\":");
        Assert.Null(folder.ReadInfo()); // torn: unreadable, not a crash
    }

    [Fact]
    public void A_build_is_finished_when_every_started_instance_has_finished_and_every_expected_project_has_started()
    {
        using var dir = new TempDir();
        var scope = new SessionFolder(new CacheLayout(dir.Path), SessionId.New()).Build("b1");
        string a = "/s/a/a.csproj", b = "/s/b/b.csproj", c = "/s/c/c.csproj", other = "/s/o/o.csproj";
        var asked = new List<string>();
        bool UsesPackage(string project)
        {
            asked.Add(project);
            return project != other;
        }
        Assert.True(scope.AllFinished([a, b], UsesPackage)); // nothing started: a build without our projects
        scope.MarkStarted(BuildScope.InstanceKey(a, ""), new ProjectMarker(a, null));
        Assert.False(scope.AllFinished([], UsesPackage));
        scope.MarkFinished(BuildScope.InstanceKey(a, ""));
        Assert.True(scope.AllFinished([a], UsesPackage));
        asked.Clear();
        Assert.False(scope.AllFinished([a, b, c], UsesPackage)); // b uses the package and has not started yet
        Assert.Equal([b], asked); // only a project not started is asked about, and none after the first that answers
        Assert.True(scope.AllFinished([a, other], UsesPackage)); // a project without the package never starts
        // b built twice, with two sets of global properties: both instances count.
        scope.MarkStarted(BuildScope.InstanceKey(b, "Configuration=Debug"), new ProjectMarker(b, null));
        scope.MarkStarted(BuildScope.InstanceKey(b, "Configuration=Release"), new ProjectMarker(b, null));
        scope.MarkFinished(BuildScope.InstanceKey(b, "Configuration=Debug"));
        Assert.False(scope.AllFinished([a, b], UsesPackage));
        scope.MarkFinished(BuildScope.InstanceKey(b, "Configuration=Release"));
        Assert.True(scope.AllFinished([a, b, other], UsesPackage));
        Assert.False(scope.AllFinished([a, b, c], UsesPackage));
        Assert.Equal([a, b, b], scope.Started().Select(m => m.Project).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Abandoned_sessions_are_reaped_and_their_data_kept()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var dead = new SessionFolder(layout, SessionId.New());
        dead.EnsureCreated(clientPid: 424242, isExplicit: false, dir.Path);
        dead.Append(new CompileOutcome { Kind = OutcomeKind.Miss, Source = "/a.c" });
        var old = DateTime.UtcNow.AddMinutes(-5);
        Directory.SetLastWriteTimeUtc(dead.Path, old);
        foreach (var f in Directory.EnumerateFiles(Path.Join(dead.Path, "outcomes"))) File.SetLastWriteTimeUtc(f, old);
        var alive = new SessionFolder(layout, SessionId.New());
        alive.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);

        var reaped = SessionFolder.ReapAbandoned(layout, TimeSpan.FromMinutes(15), pid => pid == Environment.ProcessId);
        Assert.Equal(new[] { dead.Id }, reaped.Select(f => f.Id));
        Assert.True(dead.IsEnded);
        Assert.Equal(1, dead.ReadFinal()!.Misses);
        Assert.False(alive.IsEnded);
    }

    [Fact]
    public void Retired_jsonl_is_folded_once_large_and_every_session_still_counts_once()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        string retired = Path.Join(layout.Sessions, "retired.jsonl");
        long expected = 0;
        int sessions = 0;
        void Retire(string path)
        {
            sessions++;
            expected += sessions;
            AppendOnlyFile.Append(path, [.. new FinalizedSessionStats { SessionId = $"s{sessions}", Compilations = sessions, Hits = 1 }
                .ToJson(), (byte)'\n']);
        }
        while (new FileInfo(retired) is not { Exists: true, Length: > SessionRetention.FoldAbove }) Retire(retired);
        (long Sessions, long Compilations, long Hits) Lifetime()
        {
            var sum = FinalizedSessionStats.Sum(SessionRetention.ReadRetired(layout));
            return (sum.Sessions, sum.Compilations, sum.Hits);
        }
        Assert.Equal((sessions, expected, sessions), Lifetime());

        var now = DateTimeOffset.UtcNow;
        SessionRetention.FoldRetired(layout, now); // set aside
        Assert.False(File.Exists(retired));
        string closing = Assert.Single(Directory.GetFiles(layout.Sessions, "retired.*.closing"));
        Retire(closing); // a build that opened retired.jsonl just before it was set aside
        Retire(retired); // a build after
        Assert.Equal((sessions, expected, sessions), Lifetime());

        SessionRetention.FoldRetired(layout, now + SessionRetention.FoldAfter - TimeSpan.FromSeconds(1));
        Assert.True(File.Exists(closing)); // an append may still be on its way
        SessionRetention.FoldRetired(layout, now + SessionRetention.FoldAfter + TimeSpan.FromSeconds(1));
        Assert.False(File.Exists(closing));
        string total = Assert.Single(Directory.GetFiles(layout.Sessions, "retired.*.total"));
        Assert.Single(File.ReadAllLines(total));
        Assert.Equal((sessions, expected, sessions), Lifetime());
        Assert.True(Directory.GetFiles(layout.Sessions, "retired.*").Sum(f => new FileInfo(f).Length) < 1024);

        // Killed after writing a total beside, before renaming it in: what it left is not a total.
        File.WriteAllText(total + ".4242.0123456789abcdef.tmp", "{\"session_id\":\"\",\"sessions\":1000,\"compilations\":1}");
        Assert.Equal((sessions, expected, sessions), Lifetime());

        // Killed between writing the total and deleting what it adds up: counted once, and the next fold deletes it.
        File.WriteAllText(closing, "{\"session_id\":\"counted in the total\",\"compilations\":1000}\n");
        Assert.Equal((sessions, expected, sessions), Lifetime());
        SessionRetention.FoldRetired(layout, now + SessionRetention.FoldAfter + TimeSpan.FromSeconds(1));
        Assert.False(File.Exists(closing));
        Assert.Equal((sessions, expected, sessions), Lifetime());
    }

    [Fact]
    public void Ended_sessions_are_retired_in_batches_once_more_than_a_tenth_over_the_kept_have_ended()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var ended = new List<SessionFolder>();
        void EndOne()
        {
            var folder = new SessionFolder(layout, SessionId.New());
            folder.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);
            folder.Append(new CompileOutcome { Kind = OutcomeKind.Hit, Source = "/a.c" });
            folder.End();
            File.SetLastWriteTimeUtc(Path.Join(folder.Path, "final.json"), DateTime.UtcNow.AddMinutes(-100 + ended.Count));
            ended.Add(folder);
        }
        for (int i = 0; i < 21; i++) EndOne();

        Assert.Equal(2, SessionRetention.Slack(20));
        Assert.Equal(0, SessionRetention.RemoveEnded(layout, kept: 20)); // 21, then 22 ended: within the slack
        EndOne();
        Assert.Equal(0, SessionRetention.RemoveEnded(layout, kept: 20));
        EndOne();
        Assert.Equal(3, SessionRetention.RemoveEnded(layout, kept: 20)); // 23: down to the 20 most recently ended
        Assert.Equal([.. Enumerable.Repeat(false, 3), .. Enumerable.Repeat(true, 20)], ended.Select(f => f.Exists));
        Assert.Equal(3, SessionRetention.ReadRetired(layout).Sum(s => s.Hits));
    }

    [Fact]
    public void Only_the_most_recently_ended_sessions_are_kept_and_the_removed_ones_still_count()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var ended = new List<SessionFolder>();
        for (int i = 0; i < 5; i++)
        {
            var folder = new SessionFolder(layout, SessionId.New());
            folder.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);
            for (int n = 0; n <= i; n++) folder.Append(new CompileOutcome { Kind = OutcomeKind.Miss, Source = $"/{n}.c" });
            folder.End();
            File.SetLastWriteTimeUtc(Path.Join(folder.Path, "final.json"), DateTime.UtcNow.AddHours(-10 + i)); // 4 ended last
            ended.Add(folder);
        }
        var open = new SessionFolder(layout, SessionId.New());
        open.EnsureCreated(Environment.ProcessId, isExplicit: true, dir.Path);
        Directory.SetLastWriteTimeUtc(open.Path, DateTime.UtcNow.AddDays(-30));

        Assert.Equal(3, SessionRetention.RemoveEnded(layout, kept: 2));
        Assert.Equal([false, false, false, true, true], ended.Select(f => f.Exists));
        Assert.True(open.Exists); // never ended: never removed
        Assert.Equal([1L, 2, 3], SessionRetention.ReadRetired(layout).Select(s => s.Compilations).Order());
        Assert.Equal(0, SessionRetention.RemoveEnded(layout, kept: 2));
        Assert.Equal(2, SessionRetention.RemoveEnded(layout, kept: 0));
        Assert.Equal(5, SessionRetention.ReadRetired(layout).Count());
        Assert.True(open.Exists);
    }

    [Fact]
    public void Sessions_that_ended_in_the_same_tick_are_kept_by_name_so_every_build_keeps_the_same_ones()
    {
        using var dir = new TempDir();
        var layout = new CacheLayout(dir.Path);
        layout.EnsureCreated();
        var when = DateTime.UtcNow.AddHours(-1);
        var ids = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            var folder = new SessionFolder(layout, SessionId.New());
            folder.EnsureCreated(Environment.ProcessId, isExplicit: false, dir.Path);
            folder.End();
            File.SetLastWriteTimeUtc(Path.Join(folder.Path, "final.json"), when);
            ids.Add(folder.Id.ToString());
        }
        Assert.Equal(10, SessionRetention.RemoveEnded(layout, kept: 10));
        var kept = Directory.GetDirectories(layout.Sessions).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal).Take(10).ToList(), kept);
    }
}
